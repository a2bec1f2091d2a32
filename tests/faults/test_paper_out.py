#!/usr/bin/env python3
"""test_paper_out.py — a kiosk's paper runs out mid-day, and comes back.

hostd with a kiosk (kiosk-fw, 3 buttons, its simulated printer driven
through the control socket's `paper` command, each print taking 800 ms)
on Modbus TCP, and the API with its event stream:

 - morning: A001 and B001 printed;
 - paper near its end: still printing (A002), the API's state says
   printer near_end;
 - paper out: the kiosk offers nothing and shows 暂停取号; the state's
   devices say paper_out (and the event stream sent a `device` event);
   a press does nothing: no event, no ticket, nothing printed, for as long
   as the paper is out; the hall's services stay open (the API and other
   kiosks can still issue);
 - the paper runs out in the middle of a ticket: the print fails, its
   ticket (A003), which nobody holds, is cancelled, and the journal says
   so;
 - paper back: the kiosk offers its buttons again, the state says ok,
   and the next press prints A004: numbering goes on, A003's gap
   explained by its cancel in the journal.

usage: test_paper_out.py BUILD_DIR
The expected texts, masks and numbers are worked out here from
docs/protocol.md (PRINTER bits, the kiosk's offer), docs/api.md and the
steps below.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import faults_common as fc  # noqa: E402

hh = fc.hh
check = hh.check

PAUSED = "暂停取号"
OFFER = "请按业务取号"
PRINTING = 0x20  # FLAGS: PROTO_FLAG_PRINTING (docs/protocol.md 3.1)
PRINTER_FAULT = 0x02  # FLAGS: PROTO_FLAG_PRINTER_FAULT (docs/protocol.md 3.1)


def main():
    hh.main(lambda hall, build, work: run(hall, work), "hallq-paper-", 40)


def status(ctl):
    return dict(kv.split("=", 1) for kv in ctl.cmd("status").split() if "=" in kv)


def printer_of(api, device="kiosk-1"):
    for d in api.state()["devices"]:
        if d["id"] == device:
            return d["printer"]
    return None


def run(hall, work):
    kport = hh.free_port()
    cfg_path = os.path.join(work, "hall.json")
    db = os.path.join(work, "hallq.db")
    cfg = hh.hall_config(cfg_path, [hh.tcp_bus("kiosks", kport)],
                         [{"id": "kiosk-1", "type": "kiosk", "bus": "kiosks", "address": 1,
                           "services": ["s0", "s1", "s2"]}])
    printed_path = os.path.join(work, "kiosk-1.txt")
    hall.device("kiosk", "k1", ["--tcp", "127.0.0.1:%d" % kport, "--unit", "1", "--buttons",
                                "3", "--print-delay-ms", "800", "--print-to", printed_path])
    k1 = hall.control("k1")
    hall.hostd(cfg_path, db)
    api = fc.Api(cfg["api"]["port"], hh.TOKENS["admin"]["token"])
    stream = fc.EventStream(cfg["api"]["port"], hh.TOKENS["display"]["token"])

    def tickets():
        return dict(hh.db_rows(db, "SELECT ticket, state FROM tickets"))

    hh.wait_for(lambda: k1.cmd("offered") == "7", 20, "the kiosk's buttons")
    check(printer_of(api) == "ok", "the state: kiosk-1's printer ok")
    k1.cmd("press 0")
    k1.cmd("press 1")
    hh.wait_for(lambda: k1.cmd("printed") == "2", 20, "2 tickets printed")
    check(fc.labels(printed_path) == ["A001", "B001"], "morning: A001 and B001 printed")

    # -- paper near its end: a warning, still printing --------------------------
    k1.cmd("paper near")
    hh.wait_for(lambda: printer_of(api) == "near_end", 20, "near_end in the state")
    check(k1.cmd("offered") == "7", "near its end the kiosk still offers its 3 buttons")
    k1.cmd("press 0")
    hh.wait_for(lambda: k1.cmd("printed") == "3", 20, "A002 printed")
    check(fc.labels(printed_path)[-1] == "A002", "and prints A002")

    # -- paper out --------------------------------------------------------------
    k1.cmd("paper out")
    t0 = time.monotonic()
    hh.wait_for(lambda: k1.cmd("offered") == "0", 20, "the kiosk offering nothing")
    check(k1.text() == [PAUSED], "paper out: the kiosk offers nothing and shows " + PAUSED)
    check(int(status(k1)["flags"]) & PRINTER_FAULT, "its FLAGS say PRINTER_FAULT")
    hh.wait_for(lambda: printer_of(api) == "paper_out", 20, "paper_out in the state")
    print("# figure: the state said paper_out %.2f s after the paper ran out" %
          (time.monotonic() - t0))
    check(True, "the state's devices: kiosk-1 printer paper_out")
    hh.wait_for(lambda: [e for e in stream.named("device")
                         if e["data"].get("id") == "kiosk-1" and
                         e["data"].get("printer") == "paper_out"], 10, "a device event")
    check(True, "the event stream sent a device event: kiosk-1 paper_out")
    state = api.state()
    check(all(s["open"] for s in state["services"]),
          "the hall's services stay open (other kiosks and the API still issue)")
    before = tickets()
    for button in (0, 1, 2):
        k1.cmd("press %d" % button)
    k1.cmd("wait-idle")
    fc.stay(lambda: k1.cmd("printed") == "3" and status(k1)["fifo"] == "0" and
            k1.cmd("offered") == "0", 2, "no press taken while the paper is out")
    check(True, "presses while the paper is out make no event and print nothing")
    check(tickets() == before, "and issue no ticket (the database has the same %d)"
          % len(before))

    # -- paper back --------------------------------------------------------------
    k1.cmd("paper ok")
    hh.wait_for(lambda: k1.cmd("offered") == "7", 20, "the buttons back")
    check(k1.text() == [OFFER], "paper back: the kiosk offers its buttons again")
    hh.wait_for(lambda: printer_of(api) == "ok", 20, "ok in the state")
    check(True, "the state's devices: kiosk-1 printer ok again")

    # -- the paper runs out in the middle of a ticket ---------------------------
    k1.cmd("press 0")
    hh.wait_for(lambda: int(status(k1)["flags"]) & PRINTING, 20, "A003 printing")
    k1.cmd("paper out")
    hh.wait_for(lambda: tickets().get("A003") == "cancelled", 20, "A003 cancelled")
    check(k1.cmd("printed") == "3", "the paper ran out during A003: not printed")
    check(True, "A003, which nobody holds, is cancelled")
    check(hh.db_rows(db, "SELECT source FROM events WHERE op = 'cancel' AND ticket = 'A003'")
          == [("kiosk-1",)], "the journal explains it: cancel A003 by kiosk-1")
    hh.wait_for(lambda: printer_of(api) == "paper_out", 20, "paper_out again")
    k1.cmd("paper ok")
    hh.wait_for(lambda: k1.cmd("offered") == "7", 20, "the buttons back")
    k1.cmd("press 0")
    hh.wait_for(lambda: k1.cmd("printed") == "4", 20, "the next ticket")
    check(fc.labels(printed_path) == ["A001", "B001", "A002", "A004"],
          "printed: A001, B001, A002, A004, each once")
    check(tickets() == {"A001": "waiting", "A002": "waiting", "A003": "cancelled",
                        "A004": "waiting", "B001": "waiting"},
          "the database: A003 cancelled, the rest waiting")
    hh.wait_for(lambda: hh.db_rows(db, "SELECT count(*) FROM prints")[0][0] == 0, 20,
                "A004's PRINTED recorded")
    check(True, "no print owed: every print's outcome recorded")
    printers = []
    for e in stream.named("device"):
        if e["data"].get("id") == "kiosk-1" and (not printers or
                                                printers[-1] != e["data"]["printer"]):
            printers.append(e["data"]["printer"])
    check(printers[-5:] == ["near_end", "paper_out", "ok", "paper_out", "ok"],
          "the device events followed the printer: near_end, paper_out, ok, paper_out, ok")
    stream.close()


if __name__ == "__main__":
    main()
