#!/usr/bin/env python3
"""test_device_recovery.py — hostd keeps its promises to the devices across
the faults a hall meets: the host killed in the middle of a print, a
printer that fails while it prints, a TCP kiosk that goes away, an RS-485
line whose serial port disappears and comes back.

 - hostd killed (SIGKILL) while the kiosk prints, with the kiosk's buttons
   changing at the same moment (s1's daily quota of 1 is used up), then
   started again at once, while the kiosk still prints: the ticket is
   printed once.
   CMD_DONE_SEQ no longer names the print when it is sent again; the
   kiosk knows it by its print seq (STALE, docs/protocol.md).
 - The cover opened during a print: the kiosk reports PRINT_FAILED, the
   ticket nobody holds is cancelled, and the next press prints.
 - A TCP kiosk killed: hostd reports it offline (a refused connection is
   a failed poll), and a new kiosk process gets its buttons back.
 - The line's serial port vanishes (lineproxy killed) and comes back:
   hostd opens it anew and the terminal gets its text again.

usage: test_device_recovery.py BUILD_DIR
The expected masks and texts are worked out here from docs/protocol.md
and the config written below.
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hall_harness as hh  # noqa: E402

check = hh.check


def main():
    hh.main(lambda hall, build, work: run(hall, work), "hallq-recovery-", 40)


def status(ctl):
    return dict(kv.split("=", 1) for kv in ctl.cmd("status").split()[1:] if "=" in kv)


def log_text(work, name):
    with open(os.path.join(work, name + ".log"), encoding="utf-8", errors="replace") as f:
        return f.read()


def run(hall, work):
    bus = os.path.join(work, "bus")
    t1 = os.path.join(work, "t1")
    kport = hh.free_port()
    cfg_path = os.path.join(work, "hall.json")
    db = os.path.join(work, "hallq.db")
    cfg = hh.hall_config(cfg_path,
                         [hh.rtu_bus("line", bus), hh.tcp_bus("lan", kport)],
                         [{"id": "kiosk-1", "type": "kiosk", "bus": "lan", "address": 1,
                           "services": ["s0", "s1", "s2"]},
                          {"id": "term-1", "type": "window_terminal", "bus": "line",
                           "address": 1, "window": 1}])
    cfg["services"][1]["daily_quota"] = 1  # s1 (button 1) closes after one ticket
    with open(cfg_path, "w", encoding="utf-8") as f:
        json.dump(cfg, f, ensure_ascii=False)

    kiosk_args = ["--tcp", "127.0.0.1:%d" % kport, "--unit", "1", "--buttons", "3",
                  "--print-delay-ms", "5000", "--print-to", os.path.join(work, "tickets.txt")]
    proxy = hall.lineproxy("line", bus, [t1])
    term = hall.device("window", "t1", ["--rtu", t1, "--baud", "115200", "--unit", "1"])
    kiosk = hall.device("kiosk", "k1", kiosk_args)
    k1, c1 = hall.control("k1"), hall.control("t1")
    host = hall.hostd(cfg_path, db)
    hh.wait_for(lambda: k1.cmd("offered").strip() == "7", 20, "the host enabling 3 buttons")

    # -- hostd killed in the middle of a print --------------------------------
    k1.cmd("press 1")
    hh.wait_for(lambda: int(status(k1)["flags"], 0) & 0x20, 20, "B001 printing")
    # The ISSUE closed s1 (quota 1): SET_SERVICES (mask 5) follows the PRINT
    # and moves the kiosk's CMD_DONE_SEQ on while B001 prints.
    hh.wait_for(lambda: k1.cmd("offered").strip() == "5", 20, "s1 closed on the kiosk")
    check(int(status(k1)["flags"], 0) & 0x20,
          "the kiosk took SET_SERVICES (offers 5) while B001 prints")
    host.kill()
    hall.procs.remove(host)
    check(hh.db_rows(db, "SELECT ticket FROM prints") == [("B001",)],
          "the database still owes B001's print: its outcome was never recorded")
    # Back while the kiosk still prints (a 5 s print): the restored PRINT
    # meets a kiosk that is busy, then one that has just finished.
    host = hall.hostd(cfg_path, db, name="hostd2")
    check(int(status(k1)["flags"], 0) & 0x20, "hostd is back before B001 is out")
    hh.wait_for(lambda: k1.cmd("printed").strip() == "1", 20, "B001 out of the printer")
    hh.wait_for(lambda: k1.cmd("offered").strip() == "5", 20, "s1 closed on the kiosk")
    check(True, "after the restart the kiosk offers 5 (s1's quota used up)")
    hh.wait_for(lambda: "had taken print 8001 before" in log_text(work, "hostd2"), 20,
                "the kiosk answering STALE")
    check(True, "the print sent again after the restart is answered STALE")
    hh.wait_for(lambda: hh.db_rows(db, "SELECT count(*) FROM prints")[0][0] == 0, 20,
                "the print recorded done")
    time.sleep(1.0)
    check(k1.cmd("printed").strip() == "1" and not int(status(k1)["flags"], 0) & 0x20,
          "B001 was printed once, and is not being printed again after the restart")
    check(hh.db_rows(db, "SELECT ticket, state FROM tickets") == [("B001", "waiting")],
          "B001 is waiting")

    # -- the cover opened while a ticket prints ------------------------------
    k1.cmd("press 0")
    hh.wait_for(lambda: int(status(k1)["flags"], 0) & 0x20, 20, "A001 printing")
    k1.cmd("cover open")
    hh.wait_for(lambda: hh.db_rows(db, "SELECT state FROM tickets WHERE ticket='A001'")
                == [("cancelled",)], 20, "A001 cancelled")
    check(k1.cmd("printed").strip() == "1", "A001 did not come out")
    check(True, "a failed print cancels its ticket (nobody holds A001)")
    check(k1.cmd("offered").strip() == "0", "with the cover open the kiosk offers nothing")
    k1.cmd("cover closed")
    hh.wait_for(lambda: k1.cmd("offered").strip() == "5", 20, "buttons back")
    k1.cmd("press 2")
    hh.wait_for(lambda: k1.cmd("printed").strip() == "2", 20, "C001 printed")
    check(k1.cmd("last").startswith("C001 "),
          "after the failed print the kiosk takes the next one: C001")

    # -- the TCP kiosk goes away --------------------------------------------
    hall.drop_control("k1")
    kiosk.kill()
    hall.procs.remove(kiosk)
    hh.wait_for(lambda: "kiosk-1 (address 1) is offline" in log_text(work, "hostd2"), 20,
                "kiosk-1 reported offline")
    check(True, "a TCP kiosk that refuses connections is reported offline")
    kiosk = hall.device("kiosk", "k1", kiosk_args)
    k1 = hall.control("k1")
    hh.wait_for(lambda: k1.cmd("offered").strip() == "5", 40, "the new kiosk's buttons")
    check(True, "a kiosk started again gets its buttons back (offers 5)")

    # -- the line's serial port vanishes and comes back --------------------
    hh.wait_for(lambda: c1.text() == ["1号窗口 暂停服务", "请登录"], 20, "terminal 1 text")
    hall.drop_control("t1")
    term.kill()
    proxy.kill()
    hall.procs.remove(term)
    hall.procs.remove(proxy)
    os.remove(os.path.join(work, "line.ready"))
    hh.wait_for(lambda: "term-1 (address 1) is offline" in log_text(work, "hostd2"), 20,
                "term-1 reported offline")
    check(True, "the terminal is offline while its line is gone")
    proxy = hall.lineproxy("line", bus, [t1])
    term = hall.device("window", "t1", ["--rtu", t1, "--baud", "115200", "--unit", "1"])
    c1 = hall.control("t1")
    hh.wait_for(lambda: c1.text() == ["1号窗口 暂停服务", "请登录"], 40,
                "terminal 1 text over the new line")
    check(True, "hostd opens the line anew and the terminal gets its text back")
    c1.cmd("login 1001 2222")
    hh.wait_for(lambda: c1.text()[0] == "1号窗口 欢迎您", 20, "logged in")
    c1.cmd("key next")
    hh.wait_for(lambda: c1.text()[0] == "请B001号到1号窗口", 20, "B001 called")
    check(True, "keys work over the new line: next calls B001 (C001 came later)")
    check(host.alive(), "hostd ran through all of it")


if __name__ == "__main__":
    main()
