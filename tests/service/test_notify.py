#!/usr/bin/env python3
"""test_notify.py — hostd speaks systemd's notification protocol
(sd_notify(3)) as packaging/systemd/hostd.service (Type=notify,
WatchdogSec=) expects, checked on a real datagram socket that this test
owns, the way systemd itself listens:

- READY=1 comes once hostd really serves: when it arrives, the API answers
  at once and the log already says the day was restored and the API
  listens; nothing but watchdog pings comes before it;
- WATCHDOG=1 comes from hostd's process while its core thread runs, about
  every half of WATCHDOG_USEC; while the core hangs (its commit waits on a
  database another process holds locked, SQLite's 5 s busy timeout) the
  pings stop, and they come back when it returns;
- STOPPING=1 comes on SIGTERM, and hostd exits 0.

usage: test_notify.py BUILD_DIR
"""
import http.client
import json
import os
import signal
import socket
import sqlite3
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import hall_harness as hh  # noqa: E402

WATCHDOG_USEC = 1000000  # hostd pings every 500 ms
PERIOD_S = WATCHDOG_USEC / 2 / 1e6


class Listener:
    """The notify socket: every datagram with the sender's pid, in order."""

    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        self.s.bind(path)
        self.s.settimeout(0.2)
        self.mu = threading.Lock()
        self.msgs = []  # (monotonic time, pid, {key: value})
        self.on_ready = None  # called on the receiving thread when READY=1 comes
        self.stopping = False
        self.t = threading.Thread(target=self.run, daemon=True)
        self.t.start()

    def run(self):
        size = struct.calcsize("3i")
        while not self.stopping:
            try:
                data, anc, _, _ = self.s.recvmsg(4096, socket.CMSG_SPACE(size))
            except socket.timeout:
                continue
            pid = None
            for level, kind, payload in anc:
                if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                    pid = struct.unpack("3i", payload[:size])[0]
            fields = dict(line.split("=", 1) for line in data.decode().split("\n") if "=" in line)
            with self.mu:
                self.msgs.append((time.monotonic(), pid, fields))
            if "READY" in fields and self.on_ready:
                self.on_ready()

    def all(self):
        with self.mu:
            return list(self.msgs)

    def pings(self):
        return [m for m in self.all() if m[2].get("WATCHDOG") == "1"]

    def close(self):
        self.stopping = True
        self.t.join()
        self.s.close()


def get_state(port, token):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        c.request("GET", "/api/v1/state", headers={"Authorization": "Bearer " + token})
        r = c.getresponse()
        r.read()
        return r.status
    finally:
        c.close()


def run(hall, build, work):
    cfg_path = os.path.join(work, "hall.json")
    cfg = hh.hall_config(cfg_path, buses=[], devices=[])
    port = cfg["api"]["port"]
    db = os.path.join(work, "hallq.db")
    sock = os.path.join(work, "notify.sock")
    listener = Listener(sock)
    at_ready = {}

    def on_ready():  # on the listener's thread, before it reads the next datagram
        seen = {}
        try:
            seen["api"] = get_state(port, hh.TOKENS["display"]["token"])
        except OSError as e:
            seen["api"] = "no answer: %s" % e
        seen["log"] = open(os.path.join(work, "hostd.log"), "rb").read()
        seen["db"] = os.path.exists(db)
        at_ready.update(seen)  # all at once: the main thread waits for it
    listener.on_ready = on_ready

    try:
        p = hall.start("hostd", [hall.prog("hostd/hostd"), "--config", cfg_path, "--db", db],
                       env={"NOTIFY_SOCKET": sock, "WATCHDOG_USEC": str(WATCHDOG_USEC)})
        hh.wait_for(lambda: at_ready or not p.alive(), 60, "READY=1")
        hh.check(p.alive(), "hostd runs")
        pid = p.p.pid

        # ---- READY=1 ----
        msgs = listener.all()
        ready = [m for m in msgs if m[2].get("READY") == "1"]
        hh.check(len(ready) == 1, "one READY=1 (%d)" % len(ready))
        hh.check(ready[0][1] == pid, "READY=1 comes from hostd's process (%s, hostd %d)"
                 % (ready[0][1], pid))
        hh.check(at_ready["api"] == 200,
                 "when READY=1 arrives the API answers GET /api/v1/state (%s)" % at_ready["api"])
        log = at_ready["log"]
        hh.check(b"restored business day" in log and b"API listening" in log,
                 "when READY=1 arrives the day is restored and the API listens (log)")
        hh.check(at_ready["db"], "when READY=1 arrives the database exists")
        hh.check("STATUS" in ready[0][2] and "serving" in ready[0][2]["STATUS"],
                 "READY=1 carries a STATUS line (%r)" % ready[0][2].get("STATUS"))
        before = [m for m in msgs if m[0] < ready[0][0]]
        hh.check(all(set(m[2]) == {"WATCHDOG"} for m in before),
                 "nothing but watchdog pings before READY=1 (%d messages)" % len(before))
        hh.check(b"systemd watchdog: pinged every 500 ms" in log,
                 "hostd logs the watchdog period, half of WATCHDOG_USEC")

        # ---- WATCHDOG=1 while the core runs ----
        n0 = len(listener.pings())
        hh.wait_for(lambda: len(listener.pings()) >= n0 + 4, 60, "four more watchdog pings")
        pings = listener.pings()
        hh.check(all(m[1] == pid for m in pings), "every ping comes from hostd's process")

        # ---- a hung core stops the pings ----
        lock = sqlite3.connect(db, timeout=30, isolation_level=None)
        lock.execute("BEGIN EXCLUSIVE")
        answer = {}

        def issue():
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            c.request("POST", "/api/v1/tickets", json.dumps({"service": "s0"}),
                      {"Authorization": "Bearer " + hh.TOKENS["kiosk"]["token"],
                       "Content-Type": "application/json"})
            r = c.getresponse()
            answer["status"] = r.status
            answer["body"] = r.read()
            answer["at"] = time.monotonic()
            c.close()
        sent = time.monotonic()
        t = threading.Thread(target=issue)
        t.start()
        t.join(60)
        hh.check("status" in answer, "the ticket request is answered")
        hh.check(answer["status"] == 503 and b"STORE_FAILED" in answer["body"],
                 "the core waited out SQLite's busy timeout on the locked database and "
                 "answered 503 STORE_FAILED (%s %r)" % (answer["status"], answer["body"][:80]))
        hung_s = answer["at"] - sent
        during = [m for m in listener.pings() if sent <= m[0] <= answer["at"]]
        # The core held the lock's busy wait for >= 5 s: ten periods. At most
        # one ping can fall before the core blocks and one after it returns
        # and before its reply.
        hh.check(hung_s >= 5.0 and len(during) <= 2,
                 "while the core hung for %.1f s (%.0f ping periods), %d pings came (at most "
                 "2)" % (hung_s, hung_s / PERIOD_S, len(during)))
        n1 = len(listener.pings())
        lock.execute("ROLLBACK")
        lock.close()
        hh.wait_for(lambda: len(listener.pings()) >= n1 + 3, 60, "pings after the hang")
        hh.check(p.alive(), "hostd still runs after the hang")

        # ---- STOPPING=1 on SIGTERM ----
        p.p.send_signal(signal.SIGTERM)
        rc = p.p.wait(60)
        hh.check(rc == 0, "hostd exits 0 on SIGTERM (%s)" % rc)
        stopping = [m for m in listener.all() if m[2].get("STOPPING") == "1"]
        hh.check(len(stopping) == 1 and stopping[0][1] == pid,
                 "one STOPPING=1 from hostd on SIGTERM (%d)" % len(stopping))
        hh.check(stopping[0][0] > ready[0][0], "STOPPING=1 comes after READY=1")
    finally:
        listener.close()

    # ---- without systemd nothing is sent, and no watchdog is armed ----
    p = hall.hostd(cfg_path, db, name="hostd-plain")
    log = open(p.log_path, "rb").read()
    hh.check(b"systemd watchdog" not in log, "without WATCHDOG_USEC hostd arms no watchdog")
    hh.check(p.stop() == 0, "without NOTIFY_SOCKET hostd runs and stops as before")


if __name__ == "__main__":
    hh.main(run, "hallq-notify-")
