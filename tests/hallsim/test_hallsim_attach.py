#!/usr/bin/env python3
"""test_hallsim_attach.py — hallsim --prepare and --attach: hallsim plays
the demo hall on a hostd it did not start.

1. `hallsim --devices --prepare` writes the derived config and starts
   nothing; the option rules of --prepare and --attach are checked.
2. hostd is started here, on that config, with its clock at 240x from
   08:00 of a Monday; it is up before any device exists.
3. `hallsim --attach --speed 60` is refused: hostd's clock runs at 240x.
4. `hallsim --attach --speed 240 --until 10:00 --report json` starts the
   devices, waits for hostd to have them all online, follows hostd's
   clock and plays the hall until 10:00. Then hostd is still running (an
   attached hostd is not hallsim's to stop), and the books balance as in
   the device-mode test: every ticket in the database printed exactly
   once, the report's issued and calls equal to what the kiosks printed
   and the window terminals showed.

Durations are never asserted. Python standard library only.

usage: test_hallsim_attach.py HALLSIM HOSTD SOURCE_DIR
"""
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

checks = 0


def check(cond, what):
    global checks
    checks += 1
    if not cond:
        raise AssertionError(what)
    print("ok %d - %s" % (checks, what), flush=True)


def hallsim(exe, *args, timeout=60):
    return subprocess.run([exe, "--devices"] + list(args), capture_output=True, text=True,
                          timeout=timeout)


def main():
    exe, hostd_exe, src = sys.argv[1], sys.argv[2], sys.argv[3]
    tmp = tempfile.mkdtemp(prefix="hallq-hallsim-attach-")
    work = os.path.join(tmp, "run")
    db = os.path.join(tmp, "hallq.db")
    config = os.path.join(src, "config/hall.json")
    hostd = None
    last = None
    try:
        # 1. the option rules, and --prepare
        p = hallsim(exe, "--attach", "--config", config)
        check(p.returncode == 2 and "--work" in p.stderr, "--attach needs --work (exit 2)")
        p = hallsim(exe, "--attach", "--config", config, "--work", work, "--date", "2026-03-16")
        check(p.returncode == 2 and "hostd's clock" in p.stderr,
              "--attach refuses --date: the day is hostd's (exit 2)")
        p = hallsim(exe, "--prepare", "--attach", "--config", config, "--work", work)
        check(p.returncode == 2, "--prepare and --attach together are refused (exit 2)")
        p = hallsim(exe, "--prepare", "--config", config, "--work", work, "--db", db)
        check(p.returncode == 2 and not os.path.exists(db),
              "--prepare refuses --db and creates no database (exit 2)")
        p = hallsim(exe, "--attach", "--config", config, "--work", work)
        check(p.returncode == 1 and "no derived config" in p.stderr,
              "--attach before --prepare: exit 1, no derived config (%s)" % p.stderr.strip())
        p = hallsim(exe, "--prepare", "--config", config, "--work", work, "--api-port", "0",
                    "--human-window", "4")
        derived = os.path.join(work, "hall.json")
        check(p.returncode == 0 and os.path.exists(derived) and derived in p.stdout,
              "--prepare writes WORK/hall.json and says so")
        cfg = json.load(open(derived, encoding="utf-8"))
        terminals = [d["window"] for d in cfg["devices"] if d["type"] == "window_terminal"]
        check(4 not in terminals and len(terminals) == len(cfg["windows"]) - 1,
              "the prepared hall has a terminal on every window but the human one")
        check(not any(os.path.exists(os.path.join(work, n))
                      for n in ("line-1", "hostd.log", "kiosk-1.log")),
              "--prepare starts no program")

        # 2. hostd on the prepared config, before any device exists
        hostd = subprocess.Popen([hostd_exe, "--config", derived, "--db", db,
                                  "--clock-start", "2026-03-16 08:00:00",
                                  "--clock-speed", "240"],
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        ready = False
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not ready:
            line = hostd.stdout.readline()
            if not line:
                break
            ready = "hostd ready" in line
        check(ready, "hostd starts on the prepared config with no device there yet")
        # drain hostd's output so that it never blocks on a full pipe
        threading.Thread(target=lambda: [None for _ in hostd.stdout], daemon=True).start()

        # 3. the wrong speed is refused
        p = hallsim(exe, "--attach", "--config", config, "--work", work, "--db", db,
                    "--speed", "60", "--report", "none")
        m = re.search(r"about ([\d.]+)x", p.stderr)
        check(p.returncode == 1 and m and 200 <= float(m.group(1)) <= 280,
              "--attach --speed 60 on a 240x hostd: exit 1, it says the speed it measured "
              "(%s)" % p.stderr.strip()[-200:])

        # 4. the hall played on the running hostd
        p = hallsim(exe, "--attach", "--config", config, "--work", work, "--db", db,
                    "--speed", "240", "--until", "10:00", "--seed", "3", "--load", "0.5",
                    "--report", "json", timeout=240)
        last = p
        check(p.returncode == 0 and "(--until)" in p.stdout,
              "hallsim --attach exits 0 at --until (got %d)" % p.returncode)
        m = re.search(r"hostd's clock: 2026-03-16 (\d\d):(\d\d)", p.stdout)
        check(m is not None and "08:00" <= "%s:%s" % m.groups() < "10:00",
              "it follows hostd's day and clock (%s)" % (m.group(0) if m else "?"))
        check(hostd.poll() is None, "hostd is still running after hallsim is done")
        report = json.loads(p.stdout[p.stdout.index("\n{") + 1:])
        hall = report["hall"]

        pattern = re.compile(r"^20260316-([A-Z]{1,2}\d{3})\.png$")
        pngs = sorted(os.listdir(os.path.join(work, "tickets")))
        check(all(pattern.match(f) for f in pngs), "one picture a ticket, none printed twice")
        printed = [pattern.match(f).group(1) for f in pngs]
        check(len(printed) >= 10, "the morning printed tickets (%d)" % len(printed))
        con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
        labels = [r[0] for r in con.execute("SELECT ticket FROM tickets")]
        calls_db = con.execute("SELECT count(*) FROM events WHERE op IN ('call_next', "
                               "'call_ticket')").fetchone()[0]
        con.close()
        check(sorted(labels) == sorted(printed),
              "the database's %d tickets are the %d printed, each once" %
              (len(labels), len(printed)))
        seen = [line.rstrip("\n").split("\t")
                for line in open(os.path.join(work, "seen.tsv"), encoding="utf-8")]
        calls = [s for s in seen if s[1] == "call"]
        check(hall["issued"] == len(printed),
              "the report's issued %d = printed %d" % (hall["issued"], len(printed)))
        check(hall["calls"] == len(calls) == calls_db,
              "the report's calls %d = calls the terminals showed %d = journal %d"
              % (hall["calls"], len(calls), calls_db))
    except AssertionError as e:
        print("not ok - %s" % e)
        if last is not None:
            print("---- hallsim stdout ----\n" + last.stdout[:3000])
            print("---- hallsim stderr ----\n" + last.stderr[-3000:])
        print("(work folder kept: %s)" % tmp)
        sys.exit(1)
    finally:
        if hostd is not None and hostd.poll() is None:
            hostd.send_signal(signal.SIGTERM)
            try:
                hostd.wait(timeout=10)
            except subprocess.TimeoutExpired:
                hostd.kill()
    shutil.rmtree(tmp, ignore_errors=True)
    print("1..%d" % checks)


if __name__ == "__main__":
    main()
