#!/usr/bin/env python3
"""test_hostd_clock.py — hostd's simulated clock (--clock-start,
--clock-speed, --clock-origin), which hallsim uses to run a day through
the real hostd faster than real time.

A ticket issued through the API must carry the simulated time: with the
clock starting at S at real time O and running N times as fast, a request
made between real times t0 and t1 is stamped between S + (t0 - O) x N and
S + (t1 - O) x N (whole seconds, rounded down). Bad clock options are
refused with exit 2 and a sentence.

usage: test_hostd_clock.py BUILD_DIR
"""
import http.client
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hall_harness as hh  # noqa: E402

START = "2026-11-30 08:25:00"  # a Monday, Asia/Shanghai (UTC+8, no DST)
START_EPOCH = 1795998300  # 2026-11-30T00:25:00Z (Python: calendar.timegm)
SPEED = 600


def run(hall, build, work):
    cfg_path = os.path.join(work, "hall.json")
    cfg = hh.hall_config(cfg_path, buses=[], devices=[])
    hostd = hall.prog("hostd/hostd")

    def refused(args, what, needle):
        p = subprocess.run([hostd, "--config", cfg_path, "--db", os.path.join(work, "x.db")]
                           + args, capture_output=True, text=True, timeout=30)
        hh.check(p.returncode == 2 and needle in p.stderr,
                 "%s: exit 2 and says %r (got %d: %s)" % (what, needle, p.returncode,
                                                          p.stderr.strip()))

    refused(["--clock-start", "2026-02-30 08:00"], "a day that does not exist",
            "--clock-start: expected a local time")
    refused(["--clock-start", "2026-11-30 8h"], "not a time", "--clock-start: expected")
    refused(["--clock-start", START, "--clock-speed", "0"], "speed 0", "--clock-speed: expected")
    refused(["--clock-start", START, "--clock-speed", "fast"], "speed not a number",
            "--clock-speed: expected")
    refused(["--clock-speed", "60"], "speed without a start", "need --clock-start")
    hh.check(not os.path.exists(os.path.join(work, "x.db")), "a refused clock creates no database")

    origin = time.time()
    db = os.path.join(work, "hallq.db")
    p = hall.start("hostd", [hostd, "--config", cfg_path, "--db", db, "--clock-start", START,
                             "--clock-speed", str(SPEED), "--clock-origin", "%.6f" % origin])
    hh.wait_for(lambda: b"hostd ready" in open(p.log_path, "rb").read() or not p.alive(), 30,
                "hostd ready")
    hh.check(p.alive(), "hostd starts with a simulated clock")

    port = cfg["api"]["port"]
    for i in range(3):
        t0 = time.time()
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        c.request("POST", "/api/v1/tickets", json.dumps({"service": "s0"}),
                  {"Authorization": "Bearer " + hh.TOKENS["kiosk"]["token"],
                   "Content-Type": "application/json"})
        r = c.getresponse()
        body = json.loads(r.read())
        c.close()
        t1 = time.time()
        hh.check(r.status == 201, "ticket %d issued (%d)" % (i + 1, r.status))
        issued, = hh.db_rows(db, "SELECT issued_at FROM tickets WHERE ticket = ?",
                             (body["ticket"]["number"],))[0]
        lo = START_EPOCH + int((t0 - origin) * SPEED) - 1
        hi = START_EPOCH + int((t1 - origin) * SPEED) + 1
        hh.check(lo <= issued <= hi,
                 "ticket %d stamped with the simulated time: %d in [%d, %d]" % (i + 1, issued,
                                                                             lo, hi))
        hh.check(body["ticket"]["issued_at"].startswith("2026-11-30T08:"),
                 "the API shows the simulated local time (%s)" % body["ticket"]["issued_at"])
        time.sleep(0.3)  # 180 simulated seconds
    day, = hh.db_rows(db, "SELECT DISTINCT day FROM events")[0]
    hh.check(day == 20261130, "the business day is the simulated one (%d)" % day)


hh.main(run, "hallq-clock-")
