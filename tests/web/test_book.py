#!/usr/bin/env python3
"""test_book.py — book.html in a headless Chromium against a real hostd:
a citizen picks a service, a day and a slot, types a phone number and
books (a double tap books once); the code shown is booked in the API and
the database with the phone masked; the QR code on the page, screenshot
and read by zbarimg, carries the booking's url; a full slot is greyed,
and one that fills while the page is open is refused with 该时段已约满
(SLOT_FULL); the booking is cancelled through the page; the page has no
horizontal overflow on a 375×667 phone.

usage: test_book.py BUILD_DIR

hostd runs on its simulated clock from Mon 2026-11-30 08:00 (so the
slots open, closed and full are known), on a hall of soft terminals only
with the appointments written here: s0 (optional) 30-minute slots of 2
places, 2 days ahead, closing 30 minutes before; s1 none; s2 (required)
60-minute slots of 1 place. The browser side is tests/web/book.js, with
playwright-core installed as tests/web/test_web.py does.

Exit 0 when every check passes, 1 when one fails, 77 only when npm cannot
reach its registry to install playwright-core.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import test_web as tw  # noqa: E402

hh = tw.hh
CLOCK = "2026-11-30 08:00"


def write_hall(work):
    cfg_path = os.path.join(work, "hall.json")
    cfg = hh.hall_config(cfg_path, [], [], n_services=3, n_windows=2)
    cfg.pop("buses")
    cfg.pop("devices")
    cfg["api"]["web_dir"] = os.path.join(tw.SOURCE, "web")
    base = "http://127.0.0.1:%d" % cfg["api"]["port"]
    cfg["hours"] = {"workdays": ["mon", "tue", "wed", "thu", "fri"],
                    "sign_in": {"start": "08:00", "end": "08:30"},
                    "sessions": [{"start": "08:30", "end": "11:30"},
                                 {"start": "14:30", "end": "17:30"}]}
    s0, s1, s2 = cfg["services"]
    s0["appointment"] = {"mode": "optional", "slot_minutes": 30, "places_per_slot": 2,
                         "days_ahead": 2, "close_minutes_before": 30}
    s2["appointment"] = {"mode": "required", "slot_minutes": 60, "places_per_slot": 1,
                         "days_ahead": 1}
    cfg["appointments"] = {"booking_url": base + "/book.html?code=",
                           "max_per_phone_per_day": 2}
    with open(cfg_path, "w", encoding="utf-8") as f:
        json.dump(cfg, f, ensure_ascii=False, indent=1)
    tokens = {"admin": "admin-book-web-Q7m2Xc9Lp4Zr"}
    hh.write_tokens(os.path.join(work, "tokens.json"),
                    [{"token": tokens["admin"], "role": "admin", "name": "admin"}])
    return cfg_path, cfg, base, tokens


def main():
    build = os.path.abspath(sys.argv[1])
    for prog in ("node", "npm", "zbarimg"):
        if not shutil.which(prog):
            tw.fail("%s is not installed (scripts/bootstrap installs it)" % prog)
    if not os.access(tw.CHROMIUM, os.X_OK):
        tw.fail("%s is not installed (scripts/bootstrap installs Debian's chromium)"
                % tw.CHROMIUM)
    modules = tw.install_playwright(build)

    shots = os.path.join(build, "web-screenshots")
    os.makedirs(shots, exist_ok=True)
    work = tempfile.mkdtemp(prefix="hallq-book-")
    hall = hh.Hall(build, work)
    rc = 1
    try:
        cfg_path, cfg, base, tokens = write_hall(work)
        db = os.path.join(work, "hallq.db")
        p = hall.start("hostd", [hall.prog("hostd/hostd"), "--config", cfg_path, "--db", db,
                                 "--clock-start", CLOCK])
        tw.wait_for_api(base, tokens["admin"])
        print("ok - hostd serves the API at %s from %s (simulated)" % (base, CLOCK), flush=True)
        env = dict(os.environ, NODE_PATH=modules, HALLQ_CHROMIUM=tw.CHROMIUM)
        node = subprocess.run(["node", os.path.join(HERE, "book.js"), base,
                               json.dumps(tokens), shots],
                              stdout=subprocess.PIPE, text=True, env=env)
        print(node.stdout, end="", flush=True)
        rc = node.returncode
        # what the page booked, straight from the database
        codes = [line.split()[-1] for line in node.stdout.splitlines()
                 if line.startswith("# booked ")]
        if rc == 0:
            rows = hh.db_rows(db, "SELECT code, phone_mask, state FROM bookings "
                                  "WHERE phone_mask = ?", ("139****0001",))
            want = [(codes[0], "139****0001", "cancelled")] if codes else None
            if rows == want and p.alive():
                print("ok - the database holds the page's one booking, masked, cancelled")
            else:
                print("not ok - the database holds %r, expected %r" % (rows, want))
                rc = 1
            raw = open(p.log_path, "rb").read() + open(db, "rb").read()
            if b"13900000001" in raw:
                print("not ok - the full phone number is in the log or the database")
                rc = 1
            else:
                print("ok - the full phone number is neither in the log nor the database")
    except hh.Failure as e:
        print("not ok - %s" % e)
        rc = 1
    finally:
        if rc != 0:
            for proc in hall.procs:
                print("---- %s ----\n%s" % (proc.name, proc.tail(40)))
        hall.stop()
    if rc == 0:
        shutil.rmtree(work, ignore_errors=True)
    else:
        print("# hostd log, config and database kept in %s" % work)
    sys.exit(0 if rc == 0 else 1)


if __name__ == "__main__":
    main()
