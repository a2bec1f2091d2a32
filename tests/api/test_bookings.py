#!/usr/bin/env python3
"""test_bookings.py — the appointments of docs/api.md over loopback.

One hostd on a hall written here (services s0 optional, s1 required, s2
optional with a daily quota of 5 and one hour of slots, s3 without
appointments; 2026-12-02 a closed day), run on hostd's simulated clock
(--clock-start) so that each phase happens at a known time of a known
day, restarted between phases on the same database:

  A  Mon 2026-11-30 08:00  the services and slots, every bad request,
                           bookings and their refusals, idempotency, 100
                           parallel requests for the last 3 places of a
                           slot; then SIGKILL: nothing acknowledged is lost
  B  Mon 2026-11-30 09:36  check-in early, on time, late (a normal ticket,
                           or refused), twice, cancelled, unknown, another
                           day; walk-ins where appointments are required or
                           the quota is held for bookings; the dispatch of
                           the appointment tickets; the list and its CSV
  C  Tue 2026-12-01 08:10  the day close's no-shows; the no-show rule
  D  Fri 2026-12-04 08:10  the block over
  E  Fri 2026-12-04 08:20  the limit per client address

Every expected value is worked out here from docs/api.md, docs/engine.md
and the config this file writes, never taken from the server's answers.
Full phone numbers must appear nowhere: not in an answer, not in the
database, not in the log.

usage: test_bookings.py BUILD_DIR     (Python 3 standard library only)
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import hall_harness as hh  # noqa: E402
import test_api as ta  # noqa: E402

check, expect, Api = ta.check, ta.expect, ta.Api

TOKENS = {
    "kiosk": "kiosk-touch-1-booktest-7Jq2vX9p",
    "w1": "window-1-booktest-c3Vb8nQ1zR6t",
    "w2": "window-2-booktest-Yw0eK4hT6uP2",
    "display": "hall-tv-booktest-Hk2Lp9sD4fG7",
    "supervisor": "supervisor-booktest-Zx8Cv5Bn2",
    "admin": "admin-booktest-Tg6Yh3Uj8Ik2Ol5",
}
KIOSK_NAME = "触摸取号机 1"
BOOKING_URL = "http://127.0.0.1:8080/book.html?code="
ISO = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00"

# the phone numbers of the test: none may ever be seen whole
PHONES = {}


def phone(name):
    """A distinct mainland mobile number per name (139 then 8 digits)."""
    if name not in PHONES:
        PHONES[name] = "139%08d" % (len(PHONES) + 1)
    return PHONES[name]


def masked(number):
    return number[:3] + "****" + number[7:]


# ---------------------------------------------------------------- the hall


def write_hall(work, per_minute=0, port=None):
    cfg_path = os.path.join(work, "hall.json")
    cfg = hh.hall_config(cfg_path, [], [], n_services=4, n_windows=3)
    if port:
        cfg["api"]["port"] = port
    cfg.pop("buses")
    cfg.pop("devices")
    cfg["hours"] = {"workdays": ["mon", "tue", "wed", "thu", "fri"],
                    "sign_in": {"start": "08:00", "end": "08:30"},
                    "sessions": [{"start": "08:30", "end": "11:30"},
                                 {"start": "14:30", "end": "17:30"}]}
    s0, s1, s2, s3 = cfg["services"]
    s0["appointment"] = {"mode": "optional", "slot_minutes": 30, "places_per_slot": 8,
                         "walk_in_percent": 25, "days_ahead": 7, "close_minutes_before": 30,
                         "grace_minutes": 15, "late": "normal"}
    s1["appointment"] = {"mode": "required", "slot_minutes": 60, "places_per_slot": 2,
                         "days_ahead": 2, "close_minutes_before": 0, "grace_minutes": 10,
                         "late": "refuse"}
    s2["daily_quota"] = 5
    s2["hours"] = [{"start": "09:00", "end": "10:00"}]
    s2["appointment"] = {"mode": "optional", "slot_minutes": 30, "places_per_slot": 2}
    cfg["windows"] = [
        {"number": 1, "name": "1号窗口", "services": [{"service": "s0", "level": 1}]},
        {"number": 2, "name": "2号窗口", "services": [{"service": "s1", "level": 1},
                                                   {"service": "s2", "level": 1}]},
        {"number": 3, "name": "3号窗口", "services": [{"service": "s3", "level": 1}]},
    ]
    cfg["queue"]["no_show_requeue_max"] = 0
    cfg["queue"]["appointment_due_before_minutes"] = 10
    cfg["evaluation"]["closed_days"] = ["2026-12-02"]
    cfg["appointments"] = {"booking_url": BOOKING_URL, "max_per_phone_per_day": 2,
                           "requests_per_minute": per_minute,
                           "no_show_rule": {"no_shows": 2, "within_days": 30, "block_days": 3}}
    with open(cfg_path, "w", encoding="utf-8") as f:
        json.dump(cfg, f, ensure_ascii=False, indent=1)
    names = {"kiosk": KIOSK_NAME}
    tokens = []
    for key, tok in TOKENS.items():
        role = "window" if key.startswith("w") else key
        t = {"token": tok, "role": role, "name": names.get(key, key)}
        if role == "window":
            t["window"] = int(key[1:])
        tokens.append(t)
    path = os.path.join(work, cfg["api"]["tokens_file"])
    hh.write_tokens(path, tokens)
    os.chmod(path, 0o600)
    return cfg_path, cfg


def start(hall, cfg_path, db, clock, name):
    """hostd on the simulated clock from `clock` (local time)."""
    p = hall.start(name, [hall.prog("hostd/hostd"), "--config", cfg_path, "--db", db,
                          "--clock-start", clock])
    hh.wait_for(lambda: b"hostd ready" in open(p.log_path, "rb").read() or not p.alive(), 30,
                "hostd ready")
    if not p.alive():
        raise hh.Failure("hostd exited:\n" + p.tail())
    return p


SEEN_CODES = set()  # every error code answered, checked against docs/api.md
RAW = []            # every answer body, searched for full phone numbers


def note_answer(r):
    RAW.append(r.raw)
    c = ta.err_code(r)
    if c:
        SEEN_CODES.add(c)
    return r


class Client(Api):
    def req(self, *a, **kw):
        return note_answer(Api.req(self, *a, **kw))

    def book(self, service, slot, who, key=None):
        body = {"service": service, "slot": slot, "phone": phone(who),
                "idempotency_key": key or ("key-%s-%s-%s" % (who, service, slot)).replace(
                    ":", "").replace("T", "t")}
        return self.post("/api/v1/bookings", body)

    def booking(self, code):
        return self.get("/api/v1/bookings/" + code)

    def cancel(self, code):
        return self.post("/api/v1/bookings/" + code + "/cancel")

    def check_in(self, code, token=TOKENS["kiosk"]):
        return self.post("/api/v1/bookings/%s/check-in" % code, None, token)

    def slots(self, service, date):
        return self.get("/api/v1/slots?service=%s&date=%s" % (service, date))

    def services(self):
        r = self.get("/api/v1/services", TOKENS["admin"])
        return {s["id"]: s for s in expect(r, 200)["services"]}


def booking_ok(r, status, what, **exp):
    """A booking answer: the fields docs/api.md gives it, and exp."""
    body = expect(r, status, what=what)
    b = (body or {}).get("booking") or {}
    keys = {"code", "service", "service_name", "date", "slot", "start", "end", "phone", "state",
            "ticket", "late", "created_at", "checked_in_at", "cancelled_at", "url"}
    ok = (set(b) == keys and re.fullmatch(r"\d{8}", str(b.get("code"))) is not None and
          b.get("url") == BOOKING_URL + str(b.get("code")) and
          re.fullmatch(ISO, str(b.get("created_at"))) is not None and
          all(b.get(k) == v for k, v in exp.items()))
    check(ok, what + ": the booking as docs/api.md gives it",
          "expected %s\ngot %s" % (json.dumps(exp, ensure_ascii=False),
                                   json.dumps(b, ensure_ascii=False)))
    return b


# ---------------------------------------------------------------- phase A


def phase_a(api, db):
    # the services open for booking: s3 takes none; 2026-12-02 is closed,
    # 12-05 and 12-06 a weekend; s0 and s2 7 days ahead, s1 2
    r = api.get("/api/v1/appointments")
    a = expect(r, 200, what="no token needed")
    svc = {s["id"]: s for s in a.get("services", [])}
    week = ["2026-11-30", "2026-12-01", "2026-12-03", "2026-12-04", "2026-12-07"]
    check(a.get("today") == "2026-11-30" and a.get("max_per_phone_per_day") == 2,
          "appointments: today and the bookings per phone and day", json.dumps(a))
    check(sorted(svc) == ["s0", "s1", "s2"], "appointments: s0, s1, s2 (s3 takes none)",
          str(sorted(svc)))
    exp = {
        "s0": {"mode": "optional", "slot_minutes": 30, "places_per_slot": 6, "days_ahead": 7,
               "close_minutes_before": 30, "grace_minutes": 15, "late": "normal",
               "dates": week},
        "s1": {"mode": "required", "slot_minutes": 60, "places_per_slot": 2, "days_ahead": 2,
               "close_minutes_before": 0, "grace_minutes": 10, "late": "refuse",
               "dates": ["2026-11-30", "2026-12-01"]},
        "s2": {"mode": "optional", "slot_minutes": 30, "places_per_slot": 2, "days_ahead": 7,
               "close_minutes_before": 30, "grace_minutes": 15, "late": "normal",
               "dates": week},
    }
    for sid, e in exp.items():
        got = {k: svc.get(sid, {}).get(k) for k in e}
        check(got == e, "appointments: %s's rules and days" % sid,
              "expected %s\ngot      %s" % (e, got))
    check(svc["s0"].get("name") == hh.SERVICE_NAMES[0], "appointments: s0's name",
          str(svc["s0"].get("name")))

    # the slots of s0 today at 08:00: 08:30 closed (30 minutes before), the rest open
    r = api.slots("s0", "2026-11-30")
    s = expect(r, 200, what="s0 today")
    starts = ["08:30", "09:00", "09:30", "10:00", "10:30", "11:00",
              "14:30", "15:00", "15:30", "16:00", "16:30", "17:00"]
    want = [{"slot": "2026-11-30T" + t, "start": t,
             "end": "%02d:%02d" % divmod(int(t[:2]) * 60 + int(t[3:]) + 30, 60),
             "places": 6, "free": 6, "open": t != "08:30"} for t in starts]
    check(s.get("service") == "s0" and s.get("date") == "2026-11-30" and
          s.get("slot_minutes") == 30 and s.get("slots") == want,
          "slots of s0 on 2026-11-30: 12 of 30 minutes, 6 places, 08:30 closed",
          json.dumps(s, ensure_ascii=False))
    s = expect(api.slots("s2", "2026-11-30"), 200, what="s2 today")
    check([x["slot"] for x in s.get("slots", [])] == ["2026-11-30T09:00", "2026-11-30T09:30"] and
          all(x["places"] == 2 for x in s["slots"]), "slots of s2: its hour, 09:00 and 09:30",
          json.dumps(s))
    s = expect(api.slots("s1", "2026-11-30"), 200, what="s1 today")
    check([x["start"] for x in s.get("slots", [])] ==
          ["08:30", "09:30", "10:30", "14:30", "15:30", "16:30"] and
          s["slots"][0]["open"] is True, "slots of s1: 60 minutes, 08:30 open (closes at its start)",
          json.dumps(s))
    for day, why in (("2026-12-02", "a closed day"), ("2026-12-05", "a Saturday")):
        s = expect(api.slots("s0", day), 200, what=why)
        check(s.get("slots") == [], "no slots on " + why, json.dumps(s))
    s = expect(api.slots("s0", "2026-12-08"), 200, what="8 days ahead")
    check(len(s["slots"]) == 12 and not any(x["open"] for x in s["slots"]),
          "slots 8 days ahead are shown, none open", json.dumps(s))
    expect(api.slots("s3", "2026-11-30"), 409, "NO_APPOINTMENTS")
    expect(api.slots("x9", "2026-11-30"), 404, "NOT_FOUND")
    # a query is any bytes: the refusal stays UTF-8 JSON (expect parses it)
    expect(api.slots("pr%FF%FEoperty", "2026-11-30"), 404, "NOT_FOUND", "service not UTF-8")
    expect(api.slots("s0", "2026-11-31"), 400, "BAD_FIELD")
    expect(api.get("/api/v1/slots?service=s0"), 400, "MISSING_FIELD")
    expect(api.post("/api/v1/slots", {}), 405, "METHOD_NOT_ALLOWED")

    bad_requests(api, db)
    codes = good_bookings(api)
    concurrency(api, db)
    return codes


def bad_requests(api, db):
    """Each refused whole; nothing is booked."""
    ok = {"service": "s0", "slot": "2026-11-30T09:00", "phone": phone("bad"),
          "idempotency_key": "key-bad-0001"}

    def with_(**kw):
        b = dict(ok)
        b.update(kw)
        return {k: v for k, v in b.items() if v is not None}

    for k in ok:
        expect(api.post("/api/v1/bookings", with_(**{k: None})), 400, "MISSING_FIELD", k)
    expect(api.post("/api/v1/bookings", with_(colour="red")), 400, "UNKNOWN_FIELD")
    expect(api.post("/api/v1/bookings", b"{\"service\": "), 400, "BAD_JSON")
    expect(api.post("/api/v1/bookings", with_(), ctype="text/plain"), 415, "NOT_JSON")
    for bad in ("12345", "12812345678", "1381234567a", "138123456789", "+8613812345678", 13812345678):
        r = api.post("/api/v1/bookings", with_(phone=bad))
        expect(r, 400, "BAD_FIELD", "phone %r" % (bad,))
        check(str(bad)[-8:] not in r.raw.decode("utf-8", "replace"),
              "the refusal does not repeat the number %r" % (bad,), r.raw.decode())
    for bad in ("2026-11-30 09:00", "2026-11-30T9:00", "2026-11-31T09:00", "2026-11-30T24:00",
                "1999-12-31T09:00", "09:00", ""):
        expect(api.post("/api/v1/bookings", with_(slot=bad)), 400, "BAD_FIELD", "slot %r" % bad)
    for bad in ("short", "x" * 65, "has space 1234", "ünïcödé-key"):
        expect(api.post("/api/v1/bookings", with_(idempotency_key=bad)), 400, "BAD_FIELD",
               "key %r" % bad)
    expect(api.post("/api/v1/bookings", with_(service="x9")), 404, "NOT_FOUND")
    expect(api.post("/api/v1/bookings", with_(service="s3")), 409, "NO_APPOINTMENTS")
    for slot, why in (("2026-11-30T08:45", "not a slot start"), ("2026-11-30T12:00", "between sessions"),
                      ("2026-12-05T09:00", "a Saturday"), ("2026-12-02T09:00", "a closed day"),
                      ("2026-11-30T17:30", "the end of the day")):
        expect(api.post("/api/v1/bookings", with_(slot=slot)), 409, "NOT_A_SLOT", why)
    expect(api.post("/api/v1/bookings", with_(slot="2026-12-08T09:00")), 409, "TOO_FAR_AHEAD")
    expect(api.post("/api/v1/bookings", with_(service="s1", slot="2026-12-03T09:30")), 409,
           "TOO_FAR_AHEAD", "s1 takes 2 days ahead")
    expect(api.post("/api/v1/bookings", with_(slot="2026-11-30T08:30")), 409, "BOOKING_CLOSED",
           "30 minutes before")
    expect(api.post("/api/v1/bookings", with_(slot="2026-11-27T09:00")), 409, "BOOKING_CLOSED",
           "last Friday")
    expect(api.get("/api/v1/bookings/1234567"), 404, "NOT_FOUND", "7 digits")
    expect(api.get("/api/v1/bookings/12345678a"), 404, "NOT_FOUND", "9 characters")
    expect(api.get("/api/v1/bookings/abcdefgh"), 404, "NOT_FOUND", "letters")
    expect(api.post("/api/v1/bookings/12345678/refund"), 404, "NOT_FOUND", "no such operation")
    expect(api.get("/api/v1/bookings/12345678/cancel"), 405, "METHOD_NOT_ALLOWED")
    expect(api.req("PUT", "/api/v1/bookings", {}), 405, "METHOD_NOT_ALLOWED")
    n = hh.db_rows(db, "SELECT count(*) FROM bookings")[0][0]
    check(n == 0, "no bad request booked anything", "%d rows" % n)


def good_bookings(api):
    c = {}

    def book(name, service, slot, who, **exp):
        r = api.book(service, slot, who)
        day, t = slot.split("T")
        end = "%02d:%02d" % divmod(int(t[:2]) * 60 + int(t[3:]) +
                                   {"s0": 30, "s1": 60, "s2": 30}[service], 60)
        b = booking_ok(r, 201, "book %s (%s %s)" % (name, service, slot), service=service,
                       slot=slot, date=day, start=t, end=end, phone=masked(phone(who)),
                       state="booked", ticket=None, late=False, checked_in_at=None,
                       cancelled_at=None)
        c[name] = b.get("code")
        return b

    book("b1", "s0", "2026-11-30T09:00", "P1")
    book("b2", "s0", "2026-11-30T09:30", "P2")
    book("b3", "s0", "2026-11-30T10:30", "P3")
    book("b4", "s1", "2026-11-30T08:30", "P4")
    book("b5", "s1", "2026-11-30T09:30", "P5")
    book("b6", "s2", "2026-11-30T09:30", "P6")
    book("b7", "s2", "2026-11-30T09:30", "P7")
    book("b8", "s0", "2026-12-01T09:00", "P8")
    book("b9", "s0", "2026-11-30T14:30", "Z")
    book("b10", "s2", "2026-11-30T09:00", "Z")
    book("b11", "s0", "2026-11-30T15:00", "P11")
    book("b12", "s2", "2026-11-30T09:00", "P1")
    check(len(set(c.values())) == len(c), "every booking has its own code", str(c))

    # s2's 09:30 is full (2 places); so is 09:00 now
    expect(api.book("s2", "2026-11-30T09:30", "P9"), 409, "SLOT_FULL")
    expect(api.book("s2", "2026-11-30T09:00", "P9"), 409, "SLOT_FULL")
    s = expect(api.slots("s2", "2026-11-30"), 200)
    check([(x["free"], x["open"]) for x in s["slots"]] == [(0, False), (0, False)],
          "s2's slots: no place free, not open", json.dumps(s))
    s = expect(api.slots("s0", "2026-11-30"), 200)
    free = {x["start"]: x["free"] for x in s["slots"]}
    check([free[t] for t in ("09:00", "09:30", "10:00", "10:30", "14:30", "15:00")] ==
          [5, 5, 6, 5, 5, 5], "s0's slots: one place taken in each slot booked",
          json.dumps(free))

    # the same key again: the same booking, 200, nothing new
    r = api.book("s0", "2026-11-30T09:00", "P1")
    booking_ok(r, 200, "b1 again with its key", code=c["b1"], state="booked")
    r = api.post("/api/v1/bookings", {"service": "s0", "slot": "2026-11-30T09:00",
                                      "phone": phone("P2"),
                                      "idempotency_key": "key-P1-s0-2026-11-30t0900"})
    expect(r, 409, "IDEMPOTENCY_KEY_REUSED", "b1's key with another phone")
    r = api.post("/api/v1/bookings", {"service": "s0", "slot": "2026-11-30T11:00",
                                      "phone": phone("P1"),
                                      "idempotency_key": "key-P1-s0-2026-11-30t0900"})
    expect(r, 409, "IDEMPOTENCY_KEY_REUSED", "b1's key with another slot")
    check("138" not in json.dumps(r.json) and c["b1"] not in r.raw.decode(),
          "a reused key tells nothing of the booking it made", r.raw.decode())

    # one booking per phone, service and day; two per phone and day
    expect(api.book("s0", "2026-11-30T11:00", "P1"), 409, "ALREADY_BOOKED")
    expect(api.book("s1", "2026-11-30T10:30", "P1"), 409, "PHONE_LIMIT_REACHED",
           "P1 has b1 and b12 that day")
    booking_ok(api.book("s0", "2026-12-01T11:00", "P1"), 201, "P1 on another day",
               state="booked")

    # status and cancel
    booking_ok(api.booking(c["b3"]), 200, "b3's status", code=c["b3"], state="booked")
    r = api.cancel(c["b11"])
    b = booking_ok(r, 200, "cancel b11", code=c["b11"], state="cancelled")
    check(re.fullmatch(ISO, str(b.get("cancelled_at"))) is not None,
          "a cancelled booking says when", json.dumps(b))
    booking_ok(api.cancel(c["b11"]), 200, "cancel b11 again: as it is", state="cancelled",
               cancelled_at=b.get("cancelled_at"))
    expect(api.post("/api/v1/bookings/%s/cancel" % c["b3"], {"why": 1}), 400, "UNKNOWN_FIELD")
    booking_ok(api.booking(c["b3"]), 200, "b3 not cancelled by a bad request", state="booked")
    s = expect(api.slots("s0", "2026-11-30"), 200)
    free = {x["start"]: x["free"] for x in s["slots"]}
    check(free["15:00"] == 6, "the cancelled booking's place is free again", json.dumps(free))
    expect(api.cancel("00000001" if "00000001" not in c.values() else "00000002"), 404,
           "NOT_FOUND")

    qr_codes(api, c)
    return c


def svg_modules(svg):
    """The dark modules of a QR code drawn by hostd's qr.svg: the side of
    its viewBox and the (x, y) of each unit square "Mx yh1v1h-1z" of its
    path, or None when the picture is not drawn that way."""
    m = re.search(r'viewBox="0 0 (\d+) (\d+)"', svg)
    d = re.search(r'<path[^>]* d="([^"]*)"', svg)
    if not m or not d or m.group(1) != m.group(2):
        return None
    squares = re.findall(r"M(\d+) (\d+)h1v1h-1z", d.group(1))
    if "".join("M%s %sh1v1h-1z" % sq for sq in squares) != d.group(1):
        return None
    return int(m.group(1)), {(int(x), int(y)) for x, y in squares}


def zbar_decode(side, dark, work, scale=6):
    """The text zbarimg reads in a picture of the modules (a PGM drawn
    here, white around them), or None."""
    path = os.path.join(work, "qr.pgm")
    with open(path, "wb") as f:
        f.write(b"P5\n%d %d\n255\n" % (side * scale, side * scale))
        for y in range(side):
            row = b"".join((b"\x00" if (x, y) in dark else b"\xff") * scale
                           for x in range(side))
            f.write(row * scale)
    r = subprocess.run(["zbarimg", "--raw", "-q", path], capture_output=True)
    return r.stdout.decode("utf-8").rstrip("\n") if r.returncode == 0 else None


def qr_codes(api, c):
    """GET /api/v1/bookings/{code}/qr.svg: a QR code that carries the
    booking's url, whatever its state; no token."""
    work = tempfile.mkdtemp(prefix="hallq-qr-")
    try:
        for name in ("b3", "b11"):  # booked, cancelled
            r = api.get("/api/v1/bookings/%s/qr.svg" % c[name])
            check(r.status == 200 and r.header("Content-Type") == "image/svg+xml",
                  "%s's QR code is an SVG picture" % name,
                  "%d %s" % (r.status, r.header("Content-Type")))
            got = svg_modules(r.raw.decode("utf-8", "replace"))
            check(got is not None, "%s's QR code: a path of unit squares" % name,
                  r.raw[:300])
            if not got:
                continue
            side, dark = got
            n = side - 8  # a quiet zone of 4 modules each side
            check((n - 21) % 4 == 0 and 21 <= n <= 177 and
                  all(4 <= x < side - 4 and 4 <= y < side - 4 for x, y in dark),
                  "%s's QR code: %d modules a side (21 + 4k) inside a quiet zone of 4"
                  % (name, n), "side %d" % side)
            text = zbar_decode(side, dark, work)
            check(text == BOOKING_URL + c[name], "%s's QR code reads as its url" % name,
                  "zbarimg read %r" % text)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    unknown = "00000001" if "00000001" not in c.values() else "00000002"
    expect(api.get("/api/v1/bookings/%s/qr.svg" % unknown), 404, "NOT_FOUND", "unknown code")
    expect(api.get("/api/v1/bookings/1234567/qr.svg"), 404, "NOT_FOUND", "7 digits")
    expect(api.post("/api/v1/bookings/%s/qr.svg" % c["b3"]), 405, "METHOD_NOT_ALLOWED")


def concurrency(api, db):
    """The last 3 places of a slot (6 to book, 3 booked) and 100 requests
    at once for them: exactly 3 win, 97 are SLOT_FULL."""
    slot = "2026-12-01T10:00"
    for k in range(3):
        booking_ok(api.book("s0", slot, "early%d" % k), 201, "place %d of %s" % (k + 1, slot))
    who = ["crowd%03d" % k for k in range(100)]
    for w in who:
        phone(w)
    barrier = threading.Barrier(len(who))
    results = [None] * len(who)

    def one(k):
        barrier.wait()
        try:
            results[k] = api.book("s0", slot, who[k])
        except Exception as e:  # reported below
            results[k] = e

    threads = [threading.Thread(target=one, args=(k,)) for k in range(len(who))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    won = [r for r in results if not isinstance(r, Exception) and r is not None and
           r.status == 201]
    full = [r for r in results if not isinstance(r, Exception) and r is not None and
            r.status == 409 and ta.err_code(r) == "SLOT_FULL"]
    other = [str(r) for r in results if r not in won and r not in full]
    check(len(won) == 3 and len(full) == 97 and not other,
          "100 parallel requests for the last 3 places: 3 booked, 97 SLOT_FULL",
          "won %d, full %d, other %s" % (len(won), len(full), other[:3]))
    n = hh.db_rows(db, "SELECT count(*) FROM bookings WHERE service = 's0' AND day = 20261201"
                   " AND slot = (SELECT slot FROM bookings WHERE idem_key = ?)",
                   ("key-early0-s0-2026-12-01t1000",))[0][0]
    check(n == 6, "the slot holds 6 bookings in the database, its places", "%d" % n)
    s = expect(api.slots("s0", "2026-12-01"), 200)
    x = [x for x in s["slots"] if x["start"] == "10:00"][0]
    check(x["free"] == 0 and x["open"] is False, "the slot shows no place free", json.dumps(x))
    # a winner retried with its key gets its booking again, still 6
    w = won[0].json["booking"]
    k = [i for i, r in enumerate(results) if r is won[0]][0]
    booking_ok(api.book("s0", slot, who[k]), 200, "a winner's retry", code=w["code"])
    n2 = hh.db_rows(db, "SELECT count(*) FROM bookings WHERE day = 20261201")[0][0]
    check(n2 == 6 + 1 + 1, "the retry booked nothing more (6 at 10:00, b8, P1's 11:00)",
          "%d" % n2)

    # one request sent 10 times at once (a client retrying): one booking
    slot, key = "2026-12-01T10:30", "same-key-sent-10-times"
    barrier = threading.Barrier(10)
    same = [None] * 10

    def again(k):
        barrier.wait()
        same[k] = api.book("s0", slot, "retrier", key)

    threads = [threading.Thread(target=again, args=(k,)) for k in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    codes = {r.json["booking"]["code"] for r in same if r is not None and r.status in (200, 201)}
    check(sorted(r.status for r in same if r is not None) == [200] * 9 + [201] and
          len(codes) == 1, "the same key 10 times at once: one 201, nine 200, one code",
          str([(r.status, r.raw[:60]) for r in same if r is not None]))
    n3 = hh.db_rows(db, "SELECT count(*) FROM bookings WHERE idem_key = ?", (key,))[0][0]
    check(n3 == 1, "one row for that key", "%d" % n3)


# ---------------------------------------------------------------- phase B


def phase_b(api, db, c):
    for name, code in sorted(c.items()):
        want = "cancelled" if name == "b11" else "booked"
        booking_ok(api.booking(code), 200, "%s after the SIGKILL" % name, code=code, state=want)
    expect(api.op(1, "login", {"staff": "1001", "pin": "2222"}, TOKENS["w1"]), 200)
    r = api.issue("s0", token=TOKENS["kiosk"])
    w = expect(r, 201, what="a walk-in before the check-ins")["ticket"]
    check(w.get("number") == "A001" and w.get("slot") is None, "walk-in A001, no slot",
          json.dumps(w))

    def checked_in(name, number, cls, slot, late, what):
        r = api.check_in(c[name])
        body = expect(r, 201, what=what) or {}
        t, b = body.get("ticket") or {}, body.get("booking") or {}
        ok = (t.get("number") == number and t.get("class") == cls and t.get("service") ==
              b.get("service") and t.get("slot") == slot and t.get("state") == "waiting" and
              re.fullmatch(r"[0-9a-f]{16}", str(t.get("token"))) is not None and
              isinstance(t.get("people_ahead"), int) and
              b.get("state") == "checked_in" and b.get("ticket") == number and
              b.get("late") is late and re.fullmatch(ISO, str(b.get("checked_in_at"))))
        check(ok, "%s: ticket %s (%s)" % (what, number, cls),
              json.dumps(body, ensure_ascii=False))
        return t

    a2 = checked_in("b2", "A002", "appointment", "2026-11-30T09:30:00+08:00", False,
                    "b2 at 09:36, 6 minutes after its 09:30: on time")
    checked_in("b3", "A003", "appointment", "2026-11-30T10:30:00+08:00", False,
               "b3 early for 10:30")
    checked_in("b1", "A004", "normal", None, True,
               "b1 at 09:36 for 09:00, past the 15 minutes' grace: a normal ticket")
    r = api.check_in(c["b2"])
    expect(r, 409, "ALREADY_CHECKED_IN", "b2's code again")
    check("A002" in r.json["error"]["message"],
          "the refusal names the ticket the code became", r.raw.decode())
    expect(api.check_in(c["b11"]), 409, "BOOKING_CANCELLED")
    r = api.check_in(c["b8"])
    expect(r, 409, "NOT_TODAY", "b8 is for tomorrow")
    check("2026-12-01" in r.json["error"]["message"], "NOT_TODAY names the booking's day",
          r.raw.decode())
    unknown = next("%08d" % k for k in range(10000000, 10001000) if "%08d" % k not in c.values())
    expect(api.check_in(unknown), 404, "NOT_FOUND")
    expect(api.check_in("12ab"), 404, "NOT_FOUND", "not a code")
    expect(api.check_in(c["b4"]), 409, "CHECK_IN_TOO_LATE",
           "s1 refuses late: b4's 08:30 plus 10 minutes is past")
    booking_ok(api.booking(c["b4"]), 200, "b4 refused stays booked", state="booked")
    expect(api.check_in(c["b5"], token=None), 401, "UNAUTHORIZED")
    expect(api.check_in(c["b5"], token=TOKENS["display"]), 403, "FORBIDDEN")
    expect(api.check_in(c["b5"], token=TOKENS["supervisor"]), 403, "FORBIDDEN")
    expect(api.post("/api/v1/bookings/%s/check-in" % c["b5"], {"x": 1}, TOKENS["kiosk"]), 400,
           "UNKNOWN_FIELD")
    checked_in("b5", "B001", "appointment", "2026-11-30T09:30:00+08:00", False,
               "b5 for s1's 09:30, within its 10 minutes' grace")
    expect(api.cancel(c["b4"]), 409, "CANCEL_TOO_LATE", "b4's slot has started")

    # a walk-in where appointments are required (the hall is open now)
    expect(api.issue("s1", token=TOKENS["kiosk"]), 409, "APPOINTMENT_REQUIRED")
    sv = api.services()
    check(sv["s1"].get("open") is False and sv["s1"].get("refusal") == "APPOINTMENT_REQUIRED" and
          sv["s1"].get("appointment") == "required" and sv["s0"].get("appointment") == "optional"
          and sv["s3"].get("appointment") is None and sv["s3"].get("open") is True,
          "services: s1 takes no walk-ins; the appointment modes", json.dumps(sv["s1"]))
    expect(api.cancel(c["b5"]), 409, "ALREADY_CHECKED_IN", "cancel after the check-in")

    # s2: quota 5, b6 and b7 (09:30) still to come in: 3 walk-ins, then none
    sv = api.services()["s2"]
    check((sv.get("booked"), sv.get("issued"), sv.get("quota"), sv.get("quota_left"),
           sv.get("open")) == (2, 0, 5, 3, True),
          "s2: 2 bookings to come hold 2 of the quota's 5", json.dumps(sv))
    for k in range(3):
        t = expect(api.issue("s2", token=TOKENS["kiosk"]), 201, what="walk-in %d of s2" % (k + 1))
        check(t["ticket"]["number"] == "C%03d" % (k + 1), "walk-in C%03d" % (k + 1), str(t))
    expect(api.issue("s2", token=TOKENS["kiosk"]), 409, "QUOTA_REACHED",
           "the 2 places left are the bookings'")
    sv = api.services()["s2"]
    check((sv.get("quota_left"), sv.get("open"), sv.get("refusal")) == (0, False, "QUOTA_REACHED"),
          "s2 shows the quota used up", json.dumps(sv))
    checked_in("b6", "C004", "appointment", "2026-11-30T09:30:00+08:00", False, "b6 still gets in")
    checked_in("b7", "C005", "appointment", "2026-11-30T09:30:00+08:00", False, "b7 too")
    sv = api.services()["s2"]
    check((sv.get("booked"), sv.get("issued"), sv.get("quota_left")) == (0, 5, 0),
          "s2: none to come, 5 issued", json.dumps(sv))

    # the dispatch: the due appointment first (docs/engine.md), then by issue
    # time: the walk-in, the early appointment (not due before 10:20), the late one
    order = []
    for step in ("A002", "A001", "A003", "A004"):
        r = api.op(1, "call-next", {}, TOKENS["w1"])
        t = (expect(r, 200, what="call-next for " + step) or {}).get("ticket") or {}
        order.append(t.get("number"))
        if step == "A003":
            expect(api.op(1, "no-show", {}, TOKENS["w1"]), 200, what="A003 does not come")
        elif step != "A004":
            expect(api.op(1, "finish", {}, TOKENS["w1"]), 200)
    check(order == ["A002", "A001", "A003", "A004"],
          "window 1 calls A002 (due appointment), A001, A003, A004", str(order))

    # the appointment ticket's page shows its slot
    r = api.get("/api/v1/tickets/" + a2["token"])
    t = (expect(r, 200) or {}).get("ticket") or {}
    check(t.get("class") == "appointment" and t.get("slot") == "2026-11-30T09:30:00+08:00",
          "the ticket status of A002 has its slot", json.dumps(t))

    list_and_csv(api, c)


def list_and_csv(api, c):
    expect(api.get("/api/v1/bookings?date=2026-11-30"), 401, "UNAUTHORIZED")
    for who in ("kiosk", "display", "w1"):
        expect(api.get("/api/v1/bookings?date=2026-11-30", TOKENS[who]), 403, "FORBIDDEN", who)
    expect(api.get("/api/v1/bookings", TOKENS["supervisor"]), 400, "MISSING_FIELD")
    expect(api.get("/api/v1/bookings?date=30.11.2026", TOKENS["supervisor"]), 400, "BAD_FIELD")
    expect(api.get("/api/v1/bookings?date=2026-11-30&service=x9", TOKENS["supervisor"]), 404,
           "NOT_FOUND")
    expect(api.get("/api/v1/bookings?date=2026-11-30&service=%C3%28", TOKENS["supervisor"]), 404,
           "NOT_FOUND", "service not UTF-8")
    expect(api.get("/api/v1/bookings?date=2026-11-30&format=xml", TOKENS["supervisor"]), 400,
           "BAD_FIELD")
    r = api.get("/api/v1/bookings?date=2026-11-30", TOKENS["supervisor"])
    lst = expect(r, 200, what="supervisor")
    got = {b["code"]: b for b in lst.get("bookings", [])}
    today = {k: v for k, v in c.items() if k != "b8"}
    states = {"b1": "checked_in", "b2": "checked_in", "b3": "checked_in", "b4": "booked",
              "b5": "checked_in", "b6": "checked_in", "b7": "checked_in", "b9": "booked",
              "b10": "booked", "b11": "cancelled", "b12": "booked"}
    tickets = {"b1": "A004", "b2": "A002", "b3": "A003", "b5": "B001", "b6": "C004",
               "b7": "C005"}
    ok = set(got) == set(today.values()) and lst.get("date") == "2026-11-30"
    for name, code in today.items():
        b = got.get(code, {})
        ok = ok and b.get("state") == states[name] and b.get("ticket") == tickets.get(name) and \
            b.get("checked_in_by") == ("api:" + KIOSK_NAME if name in tickets else None)
    check(ok, "the list of 2026-11-30: every booking of the day, its state, ticket, kiosk",
          json.dumps(lst, ensure_ascii=False)[:1500])
    slots = [b["slot"] for b in lst["bookings"]]
    check(slots == sorted(slots), "the list is by slot", str(slots))
    r = api.get("/api/v1/bookings?date=2026-11-30&service=s2", TOKENS["admin"])
    lst2 = expect(r, 200, what="admin, s2 only")
    check(sorted(b["code"] for b in lst2["bookings"]) ==
          sorted(c[n] for n in ("b6", "b7", "b10", "b12")), "the list of s2 only", str(lst2))

    r = api.get("/api/v1/bookings?date=2026-11-30&format=csv", TOKENS["supervisor"])
    ctype = r.header("Content-Type") or ""
    disp = r.header("Content-Disposition") or ""
    check(r.status == 200 and ctype.startswith("text/csv") and
          'filename="bookings-2026-11-30.csv"' in disp and
          r.header("X-Content-Type-Options") == "nosniff",
          "the CSV: its type and file name, not sniffed", "%d %s %s" % (r.status, ctype, disp))
    raw = r.raw
    check(raw.startswith(b"\xef\xbb\xbf") and raw.endswith(b"\r\n") and
          b"\n" not in raw.replace(b"\r\n", b""), "the CSV: a byte order mark and CRLF lines",
          repr(raw[:80]))
    lines = raw[3:].decode("utf-8").split("\r\n")[:-1]
    header = ("code,service,service_name,date,start,end,phone,state,ticket,late,created_at,"
              "checked_in_at,cancelled_at,checked_in_by")
    check(lines[0] == header, "the CSV's columns", lines[0])
    rows = {ln.split(",")[0]: ln.split(",") for ln in lines[1:]}
    b1 = rows.get(c["b1"], [])
    check(len(lines) == 1 + len(today) and
          b1[1:10] == ["s0", hh.SERVICE_NAMES[0], "2026-11-30", "09:00", "09:30",
                       masked(phone("P1")), "checked_in", "A004", "1"] and
          b1[13] == "api:" + KIOSK_NAME,
          "the CSV: a row per booking; b1's row", json.dumps(b1, ensure_ascii=False))


# ---------------------------------------------------------------- phases C, D, E


def phase_c(api, c):
    r = api.get("/api/v1/bookings?date=2026-11-30", TOKENS["supervisor"])
    got = {b["code"]: b["state"] for b in expect(r, 200, what="after the day close")["bookings"]}
    want = {"b1": "checked_in", "b2": "checked_in", "b3": "no_show", "b4": "no_show",
            "b5": "checked_in", "b6": "checked_in", "b7": "checked_in", "b9": "no_show",
            "b10": "no_show", "b11": "cancelled", "b12": "no_show"}
    check(all(got.get(c[n]) == s for n, s in want.items()),
          "the day close: never checked in, or the ticket a no-show (A003): no_show",
          json.dumps({n: got.get(c[n]) for n in want}))
    booking_ok(api.booking(c["b8"]), 200, "b8 of today untouched", state="booked")
    # Z: b9 and b10, 2 no-shows on 11-30: blocked for the 3 days after, to 12-03
    r = api.book("s0", "2026-12-03T09:00", "Z")
    expect(r, 409, "PHONE_BLOCKED", "Z after 2 no-shows")
    check("2026-12-03" in r.json["error"]["message"], "PHONE_BLOCKED names the last day",
          r.raw.decode())
    expect(api.book("s0", "2026-12-01T15:00", "Z"), 409, "PHONE_BLOCKED", "Z today too")
    # P1 has one no-show (b12), P4 one (b4): not blocked
    booking_ok(api.book("s0", "2026-12-03T09:00", "P1"), 201, "P1 with one no-show books",
               state="booked")
    booking_ok(api.book("s0", "2026-12-03T09:00", "P4"), 201, "P4 with one no-show books",
               state="booked")


def phase_d(api):
    booking_ok(api.book("s0", "2026-12-04T09:00", "Z"), 201,
               "Z books again on 2026-12-04, the block over", state="booked")


def phase_e(api):
    """requests_per_minute 4: one address gets at most 4 a minute."""
    results = [api.get("/api/v1/appointments") for _ in range(9)]
    ok = [r for r in results if r.status == 200]
    limited = [r for r in results if r.status == 429]
    check(len(ok) + len(limited) == 9 and limited and len(ok) >= 4,
          "9 requests at once from one address: at most 4 a minute pass (429 after)",
          str([r.status for r in results]))
    r = limited[0]
    expect(r, 429, "TOO_MANY_REQUESTS")
    retry = r.header("Retry-After") or ""
    check(retry.isdigit() and 1 <= int(retry) <= 60 and
          r.header("X-Content-Type-Options") == "nosniff", "429 says when to try again", retry)
    expect(api.get("/api/v1/bookings?date=2026-12-04", TOKENS["supervisor"]), 200,
           what="the supervisors' list is not limited")


# ---------------------------------------------------------------- privacy


def privacy(db, hall):
    numbers = list(PHONES.values())
    raw = b"".join(RAW)
    leaked = [n for n in numbers if n.encode() in raw]
    check(not leaked, "no answer holds a full phone number", str(leaked[:3]))
    text = ""
    for table in ("bookings", "events", "meta", "tickets"):
        for row in hh.db_rows(db, "SELECT * FROM %s" % table):
            text += " ".join(str(v) for v in row) + "\n"
    leaked = [n for n in numbers if n in text]
    check(not leaked, "no full phone number in the database", str(leaked[:3]))
    logs = b"".join(open(p.log_path, "rb").read() for p in hall.procs if os.path.exists(p.log_path))
    leaked = [n for n in numbers if n.encode() in logs]
    check(not leaked and masked(phone("P1")).encode() in logs,
          "the log names phones masked only", str(leaked[:3]))


def docs_name_every_code(src):
    doc = open(os.path.join(src, "docs", "api.md"), encoding="utf-8").read()
    missing = sorted(c for c in SEEN_CODES if "`%s`" % c not in doc)
    check(not missing, "docs/api.md names every error code answered (%d)" % len(SEEN_CODES),
          str(missing))


# ---------------------------------------------------------------- main


def run(hall, work, build):
    cfg_path, cfg = write_hall(work)
    db = os.path.join(work, "hallq.db")
    api = Client(cfg["api"]["port"])

    p = start(hall, cfg_path, db, "2026-11-30 08:00", "hostd-a")
    c = phase_a(api, db)
    p.kill()  # SIGKILL: what was acknowledged must be there

    p = start(hall, cfg_path, db, "2026-11-30 09:36", "hostd-b")
    phase_b(api, db, c)
    p.stop(signal.SIGTERM)

    p = start(hall, cfg_path, db, "2026-12-01 08:10", "hostd-c")
    phase_c(api, c)
    p.stop(signal.SIGTERM)

    p = start(hall, cfg_path, db, "2026-12-04 08:10", "hostd-d")
    phase_d(api)
    p.stop(signal.SIGTERM)

    write_hall(work, per_minute=4, port=cfg["api"]["port"])
    p = start(hall, cfg_path, db, "2026-12-04 08:20", "hostd-e")
    phase_e(api)
    p.stop(signal.SIGTERM)

    privacy(db, hall)
    docs_name_every_code(os.path.join(HERE, "..", ".."))


def main():
    build = os.path.abspath(sys.argv[1])
    work = tempfile.mkdtemp(prefix="hallq-bookings-")
    hall = hh.Hall(build, work)
    ok = False
    try:
        run(hall, work, build)
        ok = not ta.failures
    except (ta.Failure, hh.Failure) as e:
        print("FAILED: %s" % e)
    except Exception:
        import traceback
        traceback.print_exc()
    finally:
        if not ok:
            for p in hall.procs:
                print("---- %s ----\n%s" % (p.name, p.tail(40)))
        hall.stop()
    print("1..%d" % (ta.checks + hh.checks))
    if ok:
        shutil.rmtree(work, ignore_errors=True)
        return 0
    print("# work folder kept: " + work)
    return 1


if __name__ == "__main__":
    sys.exit(main())
