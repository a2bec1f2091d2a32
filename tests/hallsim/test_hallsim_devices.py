#!/usr/bin/env python3
"""test_hallsim_devices.py — hallsim's device mode end to end: one
simulated morning of the demo hall (config/hall.json) through the real
hostd, lineproxy (RTU on pseudo-terminals), kiosk-fw, window-fw and
display-fw, at 240 times real time (08:00 to 10:30, about 40 s), with a
reduced load. Then the books must balance:

- the day's report (hallctl, JSON, as hallsim prints it) counts as many
  tickets issued as the virtual printers printed (one PNG a ticket), and
  as many calls as the window terminals showed (hallsim's seen.tsv: each
  call read off a terminal's text);
- every ticket in the database was printed exactly once (no PNG missing,
  none printed twice: a second print would be LABEL.2.png), and is in
  one of the engine's states; the finished ones are the report's served;
- every call shown was of a printed ticket, and every call the hall
  display showed was one a window terminal showed.

Durations are never asserted. Python standard library only.

usage: test_hallsim_devices.py HALLSIM SOURCE_DIR
"""
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

checks = 0


def check(cond, what):
    global checks
    checks += 1
    if not cond:
        raise AssertionError(what)
    print("ok %d - %s" % (checks, what), flush=True)


def main():
    hallsim, src = sys.argv[1], sys.argv[2]
    work = tempfile.mkdtemp(prefix="hallq-hallsim-dev-")
    db = os.path.join(work, "hallq.db")
    day = "2026-03-16"  # a Monday
    t0 = time.monotonic()
    p = subprocess.run([hallsim, "--devices", "--config", os.path.join(src, "config/hall.json"),
                        "--db", db, "--date", day, "--seed", "7", "--speed", "240",
                        "--from", "08:00", "--until", "10:30", "--load", "0.5",
                        "--api-port", "0", "--work", os.path.join(work, "run"),
                        "--report", "json"],
                       capture_output=True, text=True, timeout=300)
    took = time.monotonic() - t0
    try:
        run(p, work, db, day)
    except AssertionError as e:
        print("not ok - %s" % e)
        print("---- hallsim stdout ----\n" + p.stdout[:3000])
        print("---- hallsim stderr ----\n" + p.stderr[-3000:])
        for name in ("hostd.log", "kiosk-1.log", "terminal-2.log"):
            path = os.path.join(work, "run", name)
            if os.path.exists(path):
                lines = open(path, encoding="utf-8", errors="replace").read().splitlines()
                print("---- %s ----\n%s" % (name, "\n".join(lines[-20:])))
        print("(work folder kept: %s)" % work)
        sys.exit(1)
    print("# the run took %.1f s" % took)
    shutil.rmtree(work, ignore_errors=True)
    print("1..%d" % checks)


def run(p, work, db, day):
    check(p.returncode == 0, "hallsim --devices exits 0 (got %d)" % p.returncode)
    check("(--until)" in p.stdout, "it stops at --until")
    report = json.loads(p.stdout[p.stdout.index("\n{") + 1:])
    hall = report["hall"]

    tickets_dir = os.path.join(work, "run", "tickets")
    pngs = sorted(os.listdir(tickets_dir))
    ymd = day.replace("-", "")
    pattern = re.compile(r"^%s-([A-Z]{1,2}\d{3})\.png$" % ymd)
    bad = [f for f in pngs if not pattern.match(f)]
    check(not bad, "every picture is %s-LABEL.png, none a second print (%s)" % (ymd, bad[:5]))
    printed = [pattern.match(f).group(1) for f in pngs]
    check(len(printed) >= 30, "a morning prints tickets (%d)" % len(printed))
    for f in pngs[:3]:
        with open(os.path.join(tickets_dir, f), "rb") as fh:
            check(fh.read(8) == b"\x89PNG\r\n\x1a\n", "%s is a PNG" % f)

    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    rows = con.execute("SELECT ticket, state FROM tickets").fetchall()
    labels = [r[0] for r in rows]
    check(len(labels) == len(set(labels)), "no ticket number twice in the database")
    check(sorted(labels) == sorted(printed),
          "the database's %d tickets are the %d printed, each exactly once (missing: %s, "
          "extra: %s)" % (len(labels), len(printed), sorted(set(labels) - set(printed))[:5],
                          sorted(set(printed) - set(labels))[:5]))
    states = {"waiting", "called", "serving", "held", "finished", "no_show", "cancelled",
              "expired", "transferred"}
    check(all(r[1] in states for r in rows), "every ticket is in one of the engine's states")
    check(hall["issued"] == len(printed),
          "the report's issued %d = tickets printed %d" % (hall["issued"], len(printed)))
    finished = sum(1 for r in rows if r[1] == "finished")
    check(hall["served"] == finished and finished > 0,
          "the report's served %d = finished tickets in the database %d"
          % (hall["served"], finished))
    calls_db = con.execute("SELECT count(*) FROM events WHERE op IN ('call_next', "
                           "'call_ticket')").fetchone()[0]
    con.close()

    seen = [line.rstrip("\n").split("\t")
            for line in open(os.path.join(work, "run", "seen.tsv"), encoding="utf-8")]
    prints = [s[3] for s in seen if s[1] == "print"]
    calls = [(s[2], s[3]) for s in seen if s[1] == "call"]
    shown = [(s[2], s[3]) for s in seen if s[1] == "display"]
    check(sorted(prints) == sorted(printed),
          "hallsim saw each print on a kiosk (%d) once" % len(prints))
    check(hall["calls"] == len(calls) == calls_db,
          "the report's calls %d = calls the window terminals showed %d (journal: %d)"
          % (hall["calls"], len(calls), calls_db))
    check(all(label in set(printed) for _, label in calls), "every call shown is of a printed ticket")
    check(len(shown) > 0 and set(shown) <= set(calls),
          "every call on the hall display (%d) was shown on its window's terminal"
          % len(shown))
    no_show = sum(1 for r in rows if r[1] == "no_show")
    still = sum(1 for r in rows if r[1] in ("waiting", "called", "serving", "held"))
    check(hall["issued"] == hall["served"] + no_show + hall["cancelled"] + hall["expired"] + still,
          "every ticket is accounted for: issued %d = served %d + no-shows %d + cancelled %d "
          "+ expired %d + still open at the stop %d"
          % (hall["issued"], hall["served"], no_show, hall["cancelled"], hall["expired"], still))
    m = re.search(r"(\d+) keys? not taken as planned", p.stdout)
    check(m is not None, "hallsim reports the keys not taken as planned (%s)"
          % (m.group(1) if m else "?"))


if __name__ == "__main__":
    main()
