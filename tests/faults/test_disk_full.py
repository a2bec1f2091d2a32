#!/usr/bin/env python3
"""test_disk_full.py — the database's disk fills up under a running hall.

hostd keeps its database on a small file system mounted here (an ext4
image of 4 MiB on a loop device, or a tmpfs: HALLQ_FAULTS_FS), with a
kiosk (kiosk-fw, 3 buttons) and window 1's terminal (window-fw) on Modbus
TCP and the API. The morning starts: three tickets printed, one issued
through the API, A001 called. Then a filler file takes every free block,
and:

 - the next press (the first write to fail) is refused: nothing is
   printed, the kiosk shows 暂停取号 and offers nothing, and the press is
   never carried out later, not even when space returns;
 - the API's ticket issue answers 503 STORE_FAILED naming the full disk;
   the state says store.ok false, DISK_FULL, every service closed with
   refusal STORE_FAILED; the event stream carries `store` and `queue`;
 - a window key (START) is refused: the terminal shows 系统故障 请稍候 and
   the window stays as it was;
 - it stays so (nothing printed, nothing recorded) while the disk is full;
 - the filler is deleted: with no restart, hostd's own check write finds
   room, the kiosk offers its buttons again, and numbering goes on
   without a gap: the next press prints A004 (A003 went to the API);
 - nothing acknowledged before was lost, the database passes SQLite's
   integrity check, and a restart restores the same queue and goes on
   numbering.

usage: test_disk_full.py BUILD_DIR
Every expected number and text is worked out here from the steps below,
docs/faults.md and hostd/devices/devices.c's texts.
"""
import os
import sqlite3
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import faults_common as fc  # noqa: E402

hh = fc.hh
check = hh.check

PAUSED = "暂停取号"
OFFER = "请按业务取号"
STORE_TEXT = "系统故障 请稍候"


def main():
    hh.main(lambda hall, build, work: run(hall, work), "hallq-diskfull-", 40)


def run(hall, work):
    fs = fc.SmallFs(work, 4096)
    try:
        scenario(hall, work, fs)
    finally:
        hall.stop()
        fs.unmount()


def status(ctl):
    return dict(kv.split("=", 1) for kv in ctl.cmd("status").split() if "=" in kv)


def scenario(hall, work, fs):
    kport, tport = hh.free_port(), hh.free_port()
    cfg_path = os.path.join(work, "hall.json")
    db = fs.path("hallq.db")
    cfg = hh.hall_config(cfg_path, [hh.tcp_bus("kiosks", kport), hh.tcp_bus("windows", tport)],
                         [{"id": "kiosk-1", "type": "kiosk", "bus": "kiosks", "address": 1,
                           "services": ["s0", "s1", "s2"]},
                          {"id": "term-1", "type": "window_terminal", "bus": "windows",
                           "address": 1, "window": 1}])
    printed_path = os.path.join(work, "kiosk-1.txt")
    hall.device("kiosk", "k1", ["--tcp", "127.0.0.1:%d" % kport, "--unit", "1", "--buttons",
                                "3", "--print-to", printed_path])
    hall.device("window", "t1", ["--tcp", "127.0.0.1:%d" % tport, "--unit", "1"])
    k1, t1 = hall.control("k1"), hall.control("t1")
    host = hall.hostd(cfg_path, db)
    api = fc.Api(cfg["api"]["port"], hh.TOKENS["admin"]["token"])
    stream = fc.EventStream(cfg["api"]["port"], hh.TOKENS["display"]["token"])

    # -- the morning before ---------------------------------------------------
    hh.wait_for(lambda: k1.cmd("offered") == "7", 20, "the kiosk offering its 3 buttons")
    check(k1.text() == [OFFER], "the kiosk says " + OFFER)
    for button in (0, 0, 1):
        k1.cmd("press %d" % button)
    hh.wait_for(lambda: k1.cmd("printed") == "3", 20, "3 tickets printed")
    check(fc.labels(printed_path) == ["A001", "A002", "B001"], "printed A001, A002, B001")
    st, body = api.issue("s0")
    check(st == 201 and body["ticket"]["number"] == "A003", "the API issued A003")
    t1.cmd("login 1001 2222")
    hh.wait_for(lambda: t1.text()[0] == "1号窗口 欢迎您", 20, "window 1 logged in")
    t1.cmd("key next")
    hh.wait_for(lambda: t1.text()[0] == "请A001号到1号窗口", 20, "A001 called")
    check(True, "window 1 called A001")
    state = api.state()
    check(state["store"] == {"ok": True, "error": None, "message": None, "since": None},
          "the state says the store is fine")

    # -- the disk fills up ----------------------------------------------------
    free_before = fs.free_kib()
    written = fc.fill(fs.path("filler"))
    check(fs.free_kib() == 0, "the filler took all %d KiB left (%d bytes written)"
          % (free_before, written))
    print("# filler: %d bytes; database files: %s" % (written, sorted(
        (n, os.path.getsize(fs.path(n))) for n in os.listdir(fs.dir) if n != "filler")))
    events_before = hh.db_rows(db, "SELECT count(*) FROM events")[0][0]

    k1.cmd("press 0")  # the first write since: it cannot be recorded
    t_press = time.monotonic()
    hh.wait_for(lambda: k1.cmd("offered") == "0", 20, "the kiosk offering nothing")
    print("# figure: the kiosk offered nothing %.2f s after the press" %
          (time.monotonic() - t_press))
    check(k1.text() == [PAUSED], "the kiosk shows " + PAUSED)
    check(k1.cmd("printed") == "3", "the refused press printed nothing")
    check("database failed: the disk holding the database is full" in fc.log_text(host),
          "hostd logs the failure with its cause")

    t_api = time.monotonic()
    st, body = api.issue("s1")
    print("# figure: the API answered %d in %.3f s" % (st, time.monotonic() - t_api))
    check(st == 503 and body["error"]["code"] == "STORE_FAILED" and
          "the disk holding the database is full" in body["error"]["message"],
          "the API refuses to issue: 503 STORE_FAILED, the disk is full (%r)" % (body,))
    state = api.state()
    check(state["store"]["ok"] is False and state["store"]["error"] == "DISK_FULL" and
          state["store"]["since"] is not None, "the state: store.ok false, DISK_FULL, since")
    check(all(s["open"] is False and s["refusal"] == "STORE_FAILED" for s in state["services"]),
          "the state: every service closed, refusal STORE_FAILED")
    hh.wait_for(lambda: [e for e in stream.named("store") if e["data"]["ok"] is False], 10,
                "a store event")
    hh.wait_for(lambda: any(all(s["open"] is False for s in e["data"]["services"])
                            for e in stream.named("queue")), 10, "a queue event")
    check(True, "the event stream: a store event (ok false) and a queue event closing every "
          "service")

    t1.cmd("key start")
    hh.wait_for(lambda: t1.text()[1] == STORE_TEXT, 20, "the terminal's refusal")
    check(t1.text()[0] == "请A001号到1号窗口",
          "START refused: the terminal shows %s, the window still calls A001" % STORE_TEXT)
    st, body = api.window(1, "start")
    check(st == 503 and body["error"]["code"] == "STORE_FAILED",
          "the API's window operation is refused too (503 STORE_FAILED)")

    # while the disk stays full: nothing printed, nothing recorded
    k1.cmd("press 1")  # not offered: the kiosk takes no press
    fc.stay(lambda: k1.cmd("printed") == "3" and k1.cmd("offered") == "0", 3,
            "the kiosk printing nothing and offering nothing while the disk is full")
    check(True, "3 s with the disk full: nothing printed, no button offered")
    check(hh.db_rows(db, "SELECT count(*) FROM events")[0][0] == events_before,
          "nothing was journalled while the disk was full")
    check(host.alive(), "hostd is still running")

    # -- space returns --------------------------------------------------------
    os.remove(fs.path("filler"))
    t_space = time.monotonic()
    hh.wait_for(lambda: k1.cmd("offered") == "7", 20, "the buttons back")
    print("# figure: the kiosk offered its buttons again %.2f s after the filler went" %
          (time.monotonic() - t_space))
    check(k1.text() == [OFFER], "with no restart the kiosk offers its buttons again")
    check("the database works again" in fc.log_text(host), "hostd logs the recovery")
    state = api.state()
    check(state["store"]["ok"] is True and all(s["open"] for s in state["services"]),
          "the state: store ok, every service open")
    hh.wait_for(lambda: [e for e in stream.named("store") if e["data"]["ok"] is True], 10,
                "a store event saying ok")
    hh.wait_for(lambda: status(k1)["fifo"] == "0", 20, "the kiosk's refused press recorded")
    check(k1.cmd("printed") == "3",
          "the refused press was taken off the kiosk (recorded) and never printed")
    k1.cmd("press 0")
    hh.wait_for(lambda: k1.cmd("printed") == "4", 20, "the next ticket")
    check(fc.labels(printed_path) == ["A001", "A002", "B001", "A004"],
          "the next press prints A004: numbering goes on without a gap (A003 is the API's)")
    st, body = api.issue("s1")
    check(st == 201 and body["ticket"]["number"] == "B002", "the API issues B002")
    hh.wait_for(lambda: status(t1)["fifo"] == "0", 20, "the terminal's refused key recorded")
    check(t1.text()[0] == "请A001号到1号窗口", "the refused START was not carried out later")
    t1.cmd("key start")
    hh.wait_for(lambda: t1.text()[0] == "A001 办理中", 20, "A001 served")
    t1.cmd("key finish")
    hh.wait_for(lambda: t1.text()[0] == "1号窗口 欢迎您", 20, "A001 finished")
    check(True, "window 1 starts and finishes A001 once the disk has room")

    # -- the database afterwards -------------------------------------------------
    tickets = dict(hh.db_rows(db, "SELECT ticket, state FROM tickets"))
    check(tickets == {"A001": "finished", "A002": "waiting", "A003": "waiting",
                      "A004": "waiting", "B001": "waiting", "B002": "waiting"},
          "the tickets: A001 finished; A002, A003, A004, B001, B002 waiting")
    issued = [r[0] for r in hh.db_rows(db, "SELECT ticket FROM events WHERE op = 'issue' "
                                           "ORDER BY id")]
    check(issued == ["A001", "A002", "B001", "A003", "A004", "B002"],
          "each ticket issued once, in order")
    check(hh.db_rows(db, "SELECT count(*) FROM events WHERE op = 'start'")[0][0] == 1,
          "one START journalled (the refused one is not)")
    hh.wait_for(lambda: hh.db_rows(db, "SELECT count(*) FROM prints")[0][0] == 0, 20,
                "A004's PRINTED recorded")
    check(True, "no print still owed")
    waiting_before = {s["id"]: s["waiting"] for s in api.state()["services"]}
    check(waiting_before == {"s0": 3, "s1": 2, "s2": 0}, "waiting: s0 3, s1 2, s2 0")
    rc = host.stop()
    hall.procs.remove(host)
    check(rc == 0, "hostd stops cleanly")
    con = sqlite3.connect(db)
    check(con.execute("PRAGMA integrity_check").fetchall() == [("ok",)],
          "SQLite's integrity check passes")
    con.close()

    host = hall.hostd(cfg_path, db, name="hostd2")
    state = api.state()
    check({s["id"]: s["waiting"] for s in state["services"]} == waiting_before,
          "after a restart the same queue")
    st, body = api.issue("s0")
    check(st == 201 and body["ticket"]["number"] == "A005", "and numbering goes on: A005")
    stream.close()


if __name__ == "__main__":
    main()
