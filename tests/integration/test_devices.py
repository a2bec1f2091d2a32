#!/usr/bin/env python3
"""test_devices.py — hostd with real device programs on a pseudo-terminal
RS-485 line (through lineproxy) and on loopback TCP.

Both journeys of DESIGN.md, end to end: a kiosk button becomes a printed
ticket; a window terminal's keys call it, and the window terminal and the
hall display show the call. Also: the host enables the kiosk's buttons, a
wrong PIN is refused on the terminal, a refusal is shown, a restarted
terminal gets its text back, a terminal that is configured but absent
does not stop the line, and a restarted hostd goes on numbering without
reprinting anything.

usage: test_devices.py BUILD_DIR
Every expected text is written out here from the rules in
hostd/devices/devices.c's comments and docs/protocol.md.
"""
import http.client
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hall_harness as hh  # noqa: E402

check = hh.check


def main():
    hh.main(lambda hall, build, work: run(hall, work), "hallq-devices-", 40)


def run(hall, work):
    bus = os.path.join(work, "bus")
    t1, t2, disp = (os.path.join(work, n) for n in ("t1", "t2", "disp"))
    kport = hh.free_port()
    cfg_path = os.path.join(work, "hall.json")
    db = os.path.join(work, "hallq.db")
    hh.hall_config(cfg_path,
                   [hh.rtu_bus("line", bus), hh.tcp_bus("lan", kport)],
                   [{"id": "kiosk-1", "type": "kiosk", "bus": "lan", "address": 1,
                     "services": ["s0", "s1", "s2"]},
                    {"id": "term-1", "type": "window_terminal", "bus": "line", "address": 1,
                     "window": 1, "rating_seconds": 20},
                    {"id": "term-2", "type": "window_terminal", "bus": "line", "address": 2,
                     "window": 2},
                    {"id": "screen", "type": "hall_display", "bus": "line", "address": 30},
                    # configured, never started: the hall runs without it
                    {"id": "ghost", "type": "window_terminal", "bus": "line", "address": 9,
                     "window": 3}])

    hall.lineproxy("line", bus, [t1, t2, disp])
    hall.device("window", "t1", ["--rtu", t1, "--baud", "115200", "--unit", "1"])
    hall.device("window", "t2", ["--rtu", t2, "--baud", "115200", "--unit", "2"])
    hall.device("display", "disp", ["--rtu", disp, "--baud", "115200", "--unit", "30"])
    kiosk_out = os.path.join(work, "kiosk-1.txt")
    hall.device("kiosk", "k1", ["--tcp", "127.0.0.1:%d" % kport, "--unit", "1",
                                "--buttons", "3", "--print-to", kiosk_out])
    k1, c1, c2, screen = (hall.control(n) for n in ("k1", "t1", "t2", "disp"))

    # Before hostd: nothing offered, 暂停取号.
    check(k1.cmd("offered").strip() == "0", "kiosk offers nothing before the host is up")
    check(k1.text()[0] == "暂停取号", "kiosk shows 暂停取号 without a host")

    hall.hostd(cfg_path, db)
    hh.wait_for(lambda: k1.cmd("offered").strip() == "7", 20, "the host enabling 3 buttons")
    check(True, "the host enables the kiosk's 3 buttons (mask 7)")
    hh.wait_for(lambda: c1.text() == ["1号窗口 暂停服务", "请登录"], 20, "terminal 1 text")
    check(True, "terminal 1 shows 1号窗口 暂停服务 / 请登录")
    hh.wait_for(lambda: screen.text()[0] == "测试政务服务中心", 20, "the hall name on the screen")
    st = dict(kv.split("=") for kv in screen.cmd("status").split())
    # first poll: the host learns the boot id; second: it writes the text
    check(int(st["text_at"]) <= 3, "the hall display shows the hall name by its poll %s "
          "(at most 3)" % st["text_at"])

    # A ticket: button 1 is service s1, prefix B.
    k1.cmd("press 1")
    hh.wait_for(lambda: k1.cmd("printed").strip() == "1", 20, "the first print")
    last = k1.cmd("last")
    check(last.startswith("B001 ") and "ahead=0" in last, "button 1 prints B001, nobody ahead")
    rows = hh.db_rows(db, "SELECT ticket, issued_service, state FROM tickets")
    check(rows == [("B001", "s1", "waiting")], "B001 is in the database, waiting")
    # PRINTED comes back: nothing owed any more.
    hh.wait_for(lambda: hh.db_rows(db, "SELECT count(*) FROM prints")[0][0] == 0, 20,
                "the print reported done")
    check(True, "the kiosk's PRINTED event clears the print owed")

    # Green channel: the next press is class green.
    k1.cmd("green")
    k1.cmd("press 0")
    hh.wait_for(lambda: k1.cmd("printed").strip() == "2", 20, "the second print")
    check(k1.cmd("last").startswith("A001 ") and "class=1" in k1.cmd("last"),
          "green then button 0 prints A001 in class 1")

    # A wrong PIN is refused on the terminal.
    c1.cmd("login 1001 9999")
    hh.wait_for(lambda: c1.text()[1] == "工号或密码错误", 20, "the wrong PIN message")
    check(True, "a wrong PIN shows 工号或密码错误")
    # Staff 1001 has PIN 2222 (hall_harness: 1111 x (w % 9 + 1) for window w).
    c1.cmd("login 1001 2222")
    hh.wait_for(lambda: c1.text() == ["1号窗口 欢迎您", "等候2人"], 20, "logged in")
    check(True, "login shows 1号窗口 欢迎您 / 等候2人")

    # Next: the green ticket A001 goes first (class before wait).
    c1.cmd("key next")
    hh.wait_for(lambda: c1.text()[0] == "请A001号到1号窗口", 20, "the call on terminal 1")
    check(c1.text()[1] == "已呼叫 等候1人", "terminal 1: 已呼叫 等候1人")
    hh.wait_for(lambda: screen.text()[0] == "请A001号到1号窗口", 20, "the call on the screen")
    check(True, "the hall display shows 请A001号到1号窗口")
    c1.cmd("key start")
    hh.wait_for(lambda: c1.text()[0] == "A001 办理中", 20, "serving")
    check(True, "start shows A001 办理中")
    c1.cmd("key finish")
    hh.wait_for(lambda: "flags" in c1.cmd("status") and
                int(c1.cmd("status").split("flags=")[1].split()[0], 0) & 8, 20,
                "the rating keys armed")
    check(True, "finish arms the rating keys")
    c1.cmd("key rate2")
    hh.wait_for(lambda: hh.db_rows(db, "SELECT rating FROM tickets WHERE ticket='A001'")
                == [(2,)], 20, "the rating recorded")
    check(True, "rate2 records 满意 (2) for A001")

    # A refusal: terminal 2 not logged in presses next.
    c2.cmd("key next")
    hh.wait_for(lambda: c2.text()[1] == "请先登录", 20, "the refusal")
    check(True, "next without login shows 请先登录")
    hh.wait_for(lambda: c2.text()[1] == "请登录", 20, "the refusal to pass")
    check(True, "the refusal gives way to 请登录 after a few seconds")

    # Terminal 2 restarts: its text comes back from the host.
    hall.drop_control("t2")
    for p in hall.procs:
        if p.name == "t2":
            p.stop()
    hall.device("window", "t2", ["--rtu", t2, "--baud", "115200", "--unit", "2"])
    c2 = hall.control("t2")
    hh.wait_for(lambda: c2.text() == ["2号窗口 暂停服务", "请登录"], 20, "terminal 2 re-synced")
    st = dict(kv.split("=") for kv in c2.cmd("status").split())
    check(int(st["text_at"]) <= 3,
          "a restarted terminal gets its text back by its poll %s (at most 3)" % st["text_at"])

    # hostd restarts: numbering goes on, nothing printed again.
    host = [p for p in hall.procs if p.name == "hostd"][0]
    check(host.stop() == 0, "hostd stops cleanly on SIGTERM")
    hall.procs.remove(host)
    hall.hostd(cfg_path, db, name="hostd2")
    k1.cmd("press 1")
    hh.wait_for(lambda: k1.cmd("printed").strip() == "3", 20, "the third print")
    check(k1.cmd("last").startswith("B002 "), "after a restart the next s1 ticket is B002")
    hh.wait_for(lambda: c1.text()[0] == "1号窗口 欢迎您", 20, "terminal 1 after restart")
    c1.cmd("key next")
    hh.wait_for(lambda: c1.text()[0] == "请B001号到1号窗口", 20, "B001 called")
    check(True, "after the restart terminal 1 calls B001")
    check(k1.cmd("printed").strip() == "3", "no ticket printed twice")
    n = hh.db_rows(db, "SELECT count(*) FROM tickets")[0][0]
    check(n == 3, "3 tickets in the database")
    log = open(os.path.join(work, "hostd.log"), encoding="utf-8").read()
    check("ghost (address 9) is offline" in log, "the absent terminal is reported offline")

    # A call made through the API (a window with no terminal) reaches the
    # hall display too.
    port = json.load(open(cfg_path, encoding="utf-8"))["api"]["port"]
    for path, body in (("/api/v1/windows/4/login", {"staff": "1004", "pin": "5555"}),
                       ("/api/v1/windows/4/call-next", {})):
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        c.request("POST", path, body=json.dumps(body),
                  headers={"Authorization": "Bearer " + hh.TOKENS["admin"]["token"],
                           "Content-Type": "application/json"})
        r = c.getresponse()
        r.read()
        c.close()
        check(r.status == 200, "POST %s answers 200" % path)
    hh.wait_for(lambda: screen.text()[0] == "请B002号到4号窗口", 20, "the API's call on the screen")
    check(screen.text()[1] == "请B001号到1号窗口",
          "the hall display shows the API's call 请B002号到4号窗口 above the one before")


if __name__ == "__main__":
    main()
