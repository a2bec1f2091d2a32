#!/usr/bin/env python3
"""test_kiosk_checkin.py — a booking checked in on a hardware kiosk's
keypad (预约签到, docs/protocol.md 6.5), end to end.

hostd on its simulated clock from Mon 2026-11-30 09:00, one kiosk-fw on
loopback Modbus TCP with two buttons (s0, s1). s0 takes appointments:
slots of 30 minutes in the session 08:30-17:30, grace 15 minutes, late
check-ins made normal tickets. Through the API: P1 books s0 09:30 today,
P2 s0 09:30 tomorrow, P3 s0 10:00 today and cancels it. Then, on the
kiosk's control socket (`checkin CODE` = the 预约签到 key, the digits,
确认):

  - P1's code prints an appointment ticket A001 (class 2, 预约); the
    database has the booking checked_in with A001, checked in by kiosk-1,
    and the ticket A001 of class appointment; the API answers the same;
  - P1's code again: 已签到, nothing printed, no second ticket;
  - P3's cancelled code: 预约已取消; a code nobody booked: 预约码无效;
    P2's code: 非今日预约; none prints anything;
  - 7 digits and 确认: nothing sent (the kiosk still shows the 7 digits;
    the check-in after it is the kiosk's first event);
  - exactly once: a second kiosk on an RS-485 line (lineproxy) that
    corrupts and drops frames checks in six bookings: six tickets, each
    printed once, each booking checked in once.

Every expected text is written out here from docs/protocol.md, docs/api.md
and hostd/devices/README.md; the ticket's label from the config (s0's
prefix A, the first ticket of the day).

usage: test_kiosk_checkin.py BUILD_DIR     (Python 3 standard library only)
"""
import json
import os
import signal
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "api"))
import hall_harness as hh  # noqa: E402
import test_api as ta  # noqa: E402

check = hh.check

TODAY = "2026-11-30"  # a Monday
TOMORROW = "2026-12-01"


def write_hall(work, kport, bus):
    cfg_path = os.path.join(work, "hall.json")
    cfg = hh.hall_config(cfg_path, [hh.tcp_bus("lan", kport), hh.rtu_bus("line", bus)],
                         [{"id": "kiosk-1", "type": "kiosk", "bus": "lan", "address": 1,
                           "services": ["s0", "s1"]},
                          {"id": "kiosk-2", "type": "kiosk", "bus": "line", "address": 2,
                           "services": ["s1", "s0"]}], n_services=2, n_windows=2)
    cfg["hours"] = {"workdays": ["mon", "tue", "wed", "thu", "fri"],
                    "sign_in": {"start": "08:00", "end": "08:30"},
                    "sessions": [{"start": "08:30", "end": "17:30"}]}
    cfg["services"][0]["appointment"] = {
        "mode": "optional", "slot_minutes": 30, "places_per_slot": 8, "walk_in_percent": 25,
        "days_ahead": 7, "close_minutes_before": 0, "grace_minutes": 15, "late": "normal"}
    cfg["appointments"] = {"booking_url": "http://127.0.0.1:8080/book.html?code=",
                           "max_per_phone_per_day": 2, "requests_per_minute": 0}
    with open(cfg_path, "w", encoding="utf-8") as f:
        json.dump(cfg, f, ensure_ascii=False, indent=1)
    return cfg_path, cfg


def answer(r, status, what):
    """The body of an API answer that must have this status."""
    hh.check(r.status == status, "%s %s answers %d (%s): %d %s" % (
        r.method, r.path, status, what, r.status, r.raw[:200]))
    return r.json or {}


def book(api, slot, phone):
    r = api.post("/api/v1/bookings", {"service": "s0", "slot": slot, "phone": phone,
                                      "idempotency_key": "kiosk-test-" + phone})
    b = answer(r, 201, "book s0 " + slot).get("booking", {})
    check(b.get("state") == "booked" and len(str(b.get("code"))) == 8,
          "booked s0 %s: code %s" % (slot, b.get("code")))
    return b["code"]


def kiosk_seq(db):
    rows = hh.db_rows(db, "SELECT seq FROM devices WHERE id = 'kiosk-1'")
    return rows[0][0] if rows else 0


def refused(k1, db, code, text, what):
    """checkin code: the kiosk shows text; nothing printed, no ticket."""
    seq = kiosk_seq(db)
    k1.cmd("checkin " + code)
    hh.wait_for(lambda: k1.text() == [text], 20, "the kiosk showing " + text)
    check(True, "%s: the kiosk shows %s" % (what, text))
    check(kiosk_seq(db) == seq + 1, "%s: the CHECK_IN event (seq %d) is recorded" %
          (what, seq + 1))
    check(k1.cmd("printed").strip() == "1", "%s: nothing printed" % what)
    check(hh.db_rows(db, "SELECT count(*) FROM tickets")[0][0] == 1 and
          hh.db_rows(db, "SELECT count(*) FROM prints")[0][0] == 0,
          "%s: no ticket issued, no print owed" % what)


def run(hall, work):
    kport = hh.free_port()
    bus, k2path = os.path.join(work, "bus"), os.path.join(work, "k2")
    cfg_path, cfg = write_hall(work, kport, bus)
    db = os.path.join(work, "hallq.db")
    out = os.path.join(work, "kiosk-1.txt")
    hall.device("kiosk", "k1", ["--tcp", "127.0.0.1:%d" % kport, "--unit", "1",
                                "--buttons", "2", "--print-to", out])
    k1 = hall.control("k1")
    # kiosk-2 on an RS-485 line that corrupts 5 % and drops 5 % of its frames
    line = hall.lineproxy("line", bus, [k2path], 115200,
                          ["--corrupt", "0.05", "--drop", "0.05", "--seed", "7"])
    out2 = os.path.join(work, "kiosk-2.txt")
    hall.device("kiosk", "k2", ["--rtu", k2path, "--baud", "115200", "--unit", "2",
                                "--buttons", "2", "--print-to", out2])
    k2 = hall.control("k2")
    p = hall.start("hostd", [hall.prog("hostd/hostd"), "--config", cfg_path, "--db", db,
                             "--clock-start", TODAY + " 09:00:00"])
    hh.wait_for(lambda: b"hostd ready" in open(p.log_path, "rb").read() or not p.alive(), 30,
                "hostd ready")
    if not p.alive():
        raise hh.Failure("hostd exited:\n" + p.tail())
    hh.wait_for(lambda: k1.cmd("offered").strip() == "3", 20, "the host enabling 2 buttons")
    check(k1.text() == ["请按业务取号"], "the kiosk offers its buttons: 请按业务取号")

    api = ta.Api(cfg["api"]["port"])
    c1 = book(api, TODAY + "T09:30", "13900000001")
    c2 = book(api, TOMORROW + "T09:30", "13900000002")
    c3 = book(api, TODAY + "T10:00", "13900000003")
    r = api.post("/api/v1/bookings/%s/cancel" % c3)
    check(answer(r, 200, "cancel").get("booking", {}).get("state") ==
          "cancelled", "P3's booking is cancelled")
    unknown = next(c for c in ("48213377", "48213378", "48213379") if c not in (c1, c2, c3))

    # 7 digits and 确认: nothing sent; the entry stays on the display.
    k1.cmd("checkin " + c1[:7])
    k1.cmd("wait-idle")
    check(k1.text() == ["预约码:" + c1[:7]], "7 digits and 确认: the kiosk still shows "
          "预约码:" + c1[:7])
    k1.cmd("key clear")
    k1.cmd("wait-idle")
    check(k1.text() == ["请按业务取号"], "清除 abandons the entry")

    # P1's code: an appointment ticket, A001 (s0's prefix, the day's first).
    k1.cmd("checkin " + c1)
    hh.wait_for(lambda: k1.cmd("printed").strip() == "1", 20, "the check-in's ticket printed")
    last = k1.cmd("last")
    check(last.startswith("A001 ") and " class=2 " in last and " button=0 " in last,
          "the kiosk prints A001, class 2 (appointment), button 0: " + last)
    # events count from 1 at each boot: the CHECK_IN was the kiosk's
    # first event, so the 7 digits sent none
    check(" seq=%d " % (0x8000 | 1) in last,
          "its PRINT seq is 0x8000 | 1: the CHECK_IN was the kiosk's first event (the 7 "
          "digits sent nothing)")
    with open(out, encoding="utf-8") as f:
        printed = f.read()
    check("ticket A001\nservice: 企业注册\nclass: 2 预约\n" in printed,
          "the printed ticket: A001, 企业注册, class 2 预约")
    rows = hh.db_rows(db, "SELECT state, ticket, check_in_source FROM bookings WHERE code = ?",
                      (c1,))
    check(rows == [("checked_in", "A001", "kiosk-1")],
          "the booking is checked_in as A001 by kiosk-1: %r" % rows)
    rows = hh.db_rows(db, "SELECT ticket, issued_service, class, state FROM tickets")
    check(rows == [("A001", "s0", "appointment", "waiting")],
          "the ticket A001 of s0, class appointment, waiting: %r" % rows)
    b = answer(api.get("/api/v1/bookings/" + c1), 200, "GET").get("booking", {})
    check(b.get("state") == "checked_in" and b.get("ticket") == "A001",
          "the API answers the booking checked_in, ticket A001")
    hh.wait_for(lambda: hh.db_rows(db, "SELECT count(*) FROM prints")[0][0] == 0, 20,
                "the print reported done")

    # The same code again, then the other refusals: nothing printed.
    refused(k1, db, c1, "已签到", "P1's code again")
    refused(k1, db, c3, "预约已取消", "the cancelled code")
    refused(k1, db, unknown, "预约码无效", "a code nobody booked")
    refused(k1, db, c2, "非今日预约", "tomorrow's booking")
    # the message goes after 5 s (PROTO_KIOSK_MESSAGE_MS)
    hh.wait_for(lambda: k1.text() == ["请按业务取号"], 20, "the message gone")
    check(True, "the refusal's message gives way to 请按业务取号")
    rows = hh.db_rows(db, "SELECT code, state, ticket FROM bookings ORDER BY code")
    want = sorted([(c1, "checked_in", "A001"), (c2, "booked", None), (c3, "cancelled", None)])
    check(rows == want, "the bookings as they were: %r" % rows)

    # Exactly once over a faulty line: six bookings checked in on kiosk-2,
    # whose polls are retried when a frame is lost or corrupted; each
    # becomes one ticket, printed once (A002..A007 in order).
    hh.wait_for(lambda: k2.cmd("offered").strip() == "3", 60, "kiosk-2 enabled")
    codes = [book(api, TODAY + "T10:30", "1390000010%d" % k) for k in range(6)]
    for k, code in enumerate(codes):
        k2.cmd("checkin " + code)
        hh.wait_for(lambda k=k: k2.cmd("printed").strip() == str(k + 1), 60,
                    "kiosk-2's print %d" % (k + 1))
    labels = ["A%03d" % (2 + k) for k in range(6)]
    rows = hh.db_rows(db, "SELECT code, state, ticket, check_in_source FROM bookings "
                      "WHERE slot = (SELECT slot FROM bookings WHERE code = ?) ORDER BY "
                      "ticket", (codes[0],))
    check(rows == [(c, "checked_in", lab, "kiosk-2") for c, lab in zip(codes, labels)],
          "over the faulty line every booking is checked in once, in order: %r" % rows)
    check(hh.db_rows(db, "SELECT count(*) FROM tickets")[0][0] == 7,
          "7 tickets in all: A001 and one for each of the six")
    with open(out2, encoding="utf-8") as f:
        printed = [ln.split()[1] for ln in f if ln.startswith("ticket ")]
    check(printed == labels, "kiosk-2 printed each ticket once: %s" % " ".join(printed))
    hh.wait_for(lambda: hh.db_rows(db, "SELECT count(*) FROM prints")[0][0] == 0, 60,
                "kiosk-2's prints reported done")
    old = os.path.getmtime(line.stats_path) if os.path.exists(line.stats_path) else None
    line.p.send_signal(signal.SIGUSR1)  # lineproxy writes its counters
    hh.wait_for(lambda: os.path.exists(line.stats_path) and
                os.path.getmtime(line.stats_path) != old, 20, "lineproxy's stats")
    st = hh.stats_file(line.stats_path)
    check(st.get("corrupted", 0) + st.get("dropped", 0) > 0,
          "the line did corrupt or drop frames (%d, %d)" % (st.get("corrupted", 0),
                                                            st.get("dropped", 0)))


def main():
    hh.main(lambda hall, build, work: run(hall, work), "hallq-kiosk-checkin-", 40)


if __name__ == "__main__":
    main()
