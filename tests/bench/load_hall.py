#!/usr/bin/env python3
"""load_hall.py — the load benchmark of issue 9: a day of a 100-window hall
with about 20,000 tickets through the whole stack (hostd, lineproxy RTU
lines, kiosk-fw, window-fw, display-fw, played by hallsim --attach at an
accelerated clock), then 30 such days in fast mode and hallctl's month
report over them. A program, not a test: it prints `name: value unit`
lines (tests/bench/README.md).

The hall (written into the work folder, from config/hall.json's hours,
queue and evaluation): 25 services A..Y with a 1-minute standard time and
a quota of 999, 100 windows each serving 4 of them (its own at level 1,
three others at level 2), 100 staff, open every day of the week;
hallsim's model gives it about 20,000 citizens a day at load 0.85.

Figures:
  load_tickets: tickets issued (the database) and printed (the PNGs)
  load_tickets_per_s: tickets printed / real seconds of the played day
  load_calls_per_s: calls / real seconds
  load_keys_not_as_planned: keys hallsim pressed that the host did not
      take as the model expected (lag shows here first)
  load_hostd_peak_rss: hostd's VmHWM at the end of the day; the ratio to
      the 32 MiB target beside it
  load_db_bytes_per_10k_tickets: the database after hostd stopped (its
      WAL checkpointed), per 10,000 tickets
  load_month_report_s: hallctl report --period month --format table over
      April 2026, 30 days of this hall written by hallsim --fast; the
      ratio to the day report over one day of the same database (the
      baseline measured in this run)

usage: load_hall.py BUILD_DIR SOURCE_DIR [--speed N] [--until HH:MM]
       [--work DIR] [--skip-month] [--skip-day]
"""
import argparse
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

DAY = "2026-03-16"  # a Monday
MONTH_FIRST = "2026-04-01"


def out(name, value, unit, note=""):
    print("%s: %s %s%s" % (name, value, unit, (" (%s)" % note) if note else ""), flush=True)


def make_hall(src, work, n_windows=100, n_services=25):
    base = json.load(open(os.path.join(src, "config/hall.json"), encoding="utf-8"))
    services = []
    for s in range(n_services):
        services.append({"id": "s%02d" % s, "name": "业务%02d" % (s + 1),
                         "prefix": chr(ord("A") + s), "standard_minutes": 1,
                         "wait_target_minutes": 15, "daily_quota": 999})
    windows, staff = [], []
    for w in range(n_windows):
        own = w % n_services
        serves = [{"service": "s%02d" % own, "level": 1}]
        for k in (1, 2, 3):
            serves.append({"service": "s%02d" % ((own + k * 7) % n_services), "level": 2})
        windows.append({"number": w + 1, "name": "%d号窗口" % (w + 1), "services": serves})
        staff.append({"id": str(3001 + w), "name": "职员%03d" % (w + 1),
                      "pin": "%04d" % ((w * 37 + 1234) % 10000)})
    hall = {k: base[k] for k in ("hall", "hours", "queue", "evaluation") if k in base}
    # open every day of the week, so that a month holds 30 such days
    hall["hours"] = dict(hall["hours"], workdays=["mon", "tue", "wed", "thu", "fri", "sat",
                                                  "sun"])
    hall["services"] = services
    hall["windows"] = windows
    hall["staff"] = staff
    hall["api"] = {"bind": "127.0.0.1", "port": 8080,
                   "tokens_file": os.path.join(src, "config/tokens.json"),
                   "web_dir": os.path.join(src, "web")}
    path = os.path.join(work, "hall100.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(hall, f, ensure_ascii=False, indent=1)
    return path


def vm_hwm_kib(pid):
    try:
        for line in open("/proc/%d/status" % pid):
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def play_day(build, hall, work, speed, until):
    hallsim = os.path.join(build, "tools/hallsim/hallsim")
    hostd_exe = os.path.join(build, "hostd/hostd")
    run_dir = os.path.join(work, "day")
    db = os.path.join(work, "day.db")
    p = run([hallsim, "--devices", "--prepare", "--config", hall, "--work", run_dir,
             "--api-port", "0", "--kiosks", "8"])
    if p.returncode != 0:
        sys.exit("load_hall: hallsim --prepare failed:\n" + p.stderr)
    hostd = subprocess.Popen([hostd_exe, "--config", os.path.join(run_dir, "hall.json"),
                              "--db", db, "--clock-start", DAY + " 08:00:00",
                              "--clock-speed", str(speed)],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    log = open(os.path.join(run_dir, "hostd.log"), "w")
    ready = threading.Event()

    def pump():
        for line in hostd.stdout:
            log.write(line)
            if "hostd ready" in line:
                ready.set()
    threading.Thread(target=pump, daemon=True).start()
    if not ready.wait(60):
        hostd.kill()
        sys.exit("load_hall: hostd did not get ready (see %s/hostd.log)" % run_dir)
    t0 = time.monotonic()
    args = [hallsim, "--devices", "--attach", "--config", hall, "--work", run_dir,
            "--db", db, "--speed", str(speed), "--load", "0.85", "--report", "none"]
    if until:
        args += ["--until", until]
    sim = run(args)
    took = time.monotonic() - t0
    hwm = vm_hwm_kib(hostd.pid)
    hostd.send_signal(signal.SIGTERM)
    hostd.wait(timeout=30)
    log.close()
    if sim.returncode != 0:
        print(sim.stdout[-3000:], sim.stderr[-3000:])
        sys.exit("load_hall: hallsim --attach failed (%d)" % sim.returncode)
    summary = [l for l in sim.stdout.splitlines() if l.startswith("hallsim: stopped at")]
    print("# " + (summary[0] if summary else "no summary"), flush=True)
    con = sqlite3.connect(db)
    issued = con.execute("SELECT count(*) FROM tickets").fetchone()[0]
    calls = con.execute("SELECT count(*) FROM events WHERE op IN ('call_next', "
                        "'call_ticket')").fetchone()[0]
    con.close()
    size = os.path.getsize(db) + (os.path.getsize(db + "-wal") if os.path.exists(db + "-wal")
                                  else 0)
    printed = len([f for f in os.listdir(os.path.join(run_dir, "tickets"))
                   if f.endswith(".png")])
    missed = 0
    for l in summary:
        parts = l.split(";")
        if len(parts) > 1:
            missed = int(parts[-1].split()[0])
    out("load_tickets", issued, "tickets", "issued; %d printed, at %gx, %.0f s real"
        % (printed, speed, took))
    out("load_tickets_per_s", "%.1f" % (printed / took), "tickets/s", "end to end, printed")
    out("load_calls_per_s", "%.1f" % (calls / took), "calls/s", "%d calls" % calls)
    out("load_keys_not_as_planned", missed, "keys")
    out("load_hostd_peak_rss", "%.1f" % (hwm / 1024), "MiB", "VmHWM")
    out("load_hostd_rss_vs_target", "%.2f" % (hwm / 1024 / 32), "ratio", "target <= 1: 32 MiB")
    if issued:
        out("load_db_bytes_per_10k_tickets", "%.0f" % (size * 10000 / issued), "bytes",
            "%.1f MiB for %d tickets" % (size / 1048576, issued))


def month_report(build, hall, work):
    hallsim = os.path.join(build, "tools/hallsim/hallsim")
    hallctl = os.path.join(build, "tools/hallctl/hallctl")
    db = os.path.join(work, "month.db")
    t0 = time.monotonic()
    p = run([hallsim, "--fast", "--config", hall, "--db", db, "--date", MONTH_FIRST,
             "--days", "30", "--load", "0.85", "--quiet"])
    if p.returncode != 0:
        sys.exit("load_hall: hallsim --fast failed:\n" + p.stderr)
    print("# " + p.stdout.strip().splitlines()[-1], flush=True)
    con = sqlite3.connect(db)
    days = con.execute("SELECT count(DISTINCT day) FROM tickets").fetchone()[0]
    con.close()
    out("load_month_fast_sim_s", "%.1f" % (time.monotonic() - t0), "s",
        "hallsim --fast, %d workdays with tickets" % days)

    def timed(period, date):
        t = time.monotonic()
        r = run([hallctl, "report", "--period", period, "--date", date, "--format", "table",
                 "--db", db, "--config", hall, "--output", os.devnull])
        if r.returncode != 0:
            sys.exit("load_hall: hallctl report --period %s failed:\n%s" % (period, r.stderr))
        return time.monotonic() - t
    day_s = timed("day", "2026-04-15")
    month_s = timed("month", "2026-04-30")
    out("load_day_report_s", "%.2f" % day_s, "s", "hallctl report --period day, the baseline")
    out("load_month_report_s", "%.2f" % month_s, "s", "hallctl report --period month, April")
    out("load_month_vs_day_report", "%.1f" % (month_s / day_s), "ratio")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("src")
    ap.add_argument("--speed", type=float, default=10)
    ap.add_argument("--until", default=None)
    ap.add_argument("--work", default=None)
    ap.add_argument("--skip-month", action="store_true")
    ap.add_argument("--skip-day", action="store_true")
    a = ap.parse_args()
    work = a.work or tempfile.mkdtemp(prefix="hallq-load-")
    os.makedirs(work, exist_ok=True)
    hall = make_hall(os.path.abspath(a.src), work)
    print("# work folder %s" % work, flush=True)
    if not a.skip_day:
        play_day(a.build, hall, work, a.speed, a.until)
    if not a.skip_month:
        month_report(a.build, hall, work)
    if not a.work:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
