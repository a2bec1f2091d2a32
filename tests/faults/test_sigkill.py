#!/usr/bin/env python3
"""test_sigkill.py — hostd killed with SIGKILL 20 times at random moments
under a simulated hall, and started again each time.

The hall: two kiosks (kiosk-fw, 250 ms a ticket, so that kills catch
prints in flight) on Modbus TCP, four window terminals
(window-fw) and the hall display (display-fw) on one RS-485 line
(lineproxy, 115200 baud), and the API. Three threads play it the whole
time, through the control sockets and the API, whether hostd is up or
not: citizens press kiosk buttons, a kiosk client issues tickets through
the API, and the staff of each window read their terminal and press the
key its text calls for (login, next, start, finish). The main thread,
with a seeded random generator (HALLQ_SEED, default 1), lets hostd run
0.3 to 2.5 s, kills it with SIGKILL, leaves it dead 0 to 0.6 s (presses
and keys wait in the devices' FIFOs, the API is refused) and starts it
again. After each start, with the players paused, the devices must
re-sync: every terminal shows its window as the API's state has it, the
hall display (once the new host has polled it) and the state's recent
calls show the journal's last call, each kiosk offers its buttons and
prints a ticket pressed then. Once more at the end with the hall idle, so
that no call after the start can stand in for the one restored.

Afterwards (the hall left to settle, hostd stopped cleanly) the
database must hold:
 - every ticket a kiosk printed, issued exactly once, by that kiosk;
   no number printed twice; every ticket a kiosk issued printed exactly
   once (none lost in a kill between the commit and the print);
 - every ticket the API returned (201), issued exactly once; API issues
   journalled without a reply (hostd killed after the commit) are the
   only tickets nobody acknowledged, and are counted;
 - every call a terminal showed (请A001号到2号窗口), journalled;
 - numbering per service 001, 002, ... with no gap and no duplicate;
 - every kiosk press taken exactly once: the kiosk's events (its last
   seq, which the host recorded) are its presses and its PRINTED events;
 - the tickets table agreeing with the journal, and SQLite's integrity.

usage: test_sigkill.py BUILD_DIR [KILLS]   (KILLS default 20)
Figures: kills, tickets, calls, the API issues lost with their reply.
"""
import os
import random
import re
import signal
import sqlite3
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import faults_common as fc  # noqa: E402

hh = fc.hh
check = hh.check

N_WINDOWS = 4
SERVICES = ["s0", "s1", "s2"]
PREFIX = {"s0": "A", "s1": "B", "s2": "C"}
CALL = re.compile(r"^请([A-Z]\d{3})号到(\d+)号窗口$")
SERVING = re.compile(r"^([A-Z]\d{3}) 办理中$")


class Players:
    """The citizens, the API's kiosk client and the staff, each a thread;
    pause() parks them all between two actions."""

    def __init__(self, hall, api, seed):
        self.hall = hall
        self.api = api
        self.seed = seed
        self.lock = threading.Condition()
        self.paused = False
        self.parked = 0
        self.stopping = False
        self.errors = []
        self.api_acked = []  # labels the API returned
        self.calls = set()   # (label, window) shown on a terminal
        self.presses = 0
        self.threads = [threading.Thread(target=self._loop, args=(fn, k), daemon=True)
                        for k, fn in enumerate((self.citizens, self.api_client, self.staff))]

    def start(self):
        for t in self.threads:
            t.start()

    def _loop(self, fn, k):
        rnd = random.Random(self.seed * 100 + k)
        try:
            while True:
                with self.lock:
                    while self.paused and not self.stopping:
                        self.parked += 1
                        self.lock.notify_all()
                        self.lock.wait()
                        self.parked -= 1
                    if self.stopping:
                        return
                fn(rnd)
        except Exception as e:  # a control socket gone: the test fails
            self.errors.append("%s: %r" % (fn.__name__, e))
            with self.lock:
                self.parked += 1
                self.lock.notify_all()

    def pause(self):
        with self.lock:
            self.paused = True
            ok = self.lock.wait_for(lambda: self.parked == len(self.threads) or self.errors, 30)
        if self.errors or not ok:
            raise hh.Failure("the players did not pause: %s" % self.errors)

    def resume(self):
        with self.lock:
            self.paused = False
            self.lock.notify_all()

    def stop(self):
        with self.lock:
            self.stopping = True
            self.lock.notify_all()
        for t in self.threads:
            t.join(10)

    # -- the players ----------------------------------------------------------
    def citizens(self, rnd):
        k = self.hall.control("k%d" % rnd.randint(1, 2))
        k.cmd("press %d" % rnd.randrange(len(SERVICES)))
        self.presses += 1
        time.sleep(rnd.uniform(0.05, 0.35))

    def api_client(self, rnd):
        try:
            st, body = self.api.issue(rnd.choice(SERVICES))
            if st == 201:
                self.api_acked.append(body["ticket"]["number"])
        except (OSError, ValueError):
            pass  # hostd is down, or died in the middle of the request
        time.sleep(rnd.uniform(0.1, 0.5))

    def staff(self, rnd):
        w = rnd.randint(1, N_WINDOWS)
        t = self.hall.control("t%d" % w)
        line0, line1 = (t.text() + ["", ""])[:2]
        m = CALL.match(line0)
        if m:
            self.calls.add((m.group(1), int(m.group(2))))
            t.cmd("key start")
        elif SERVING.match(line0):
            t.cmd("key finish")
        elif line0 == "%d号窗口 欢迎您" % w:
            t.cmd("key next")
        elif line0 == "%d号窗口 暂停服务" % w and line1 == "请登录":
            t.cmd("login %d %04d" % (1000 + w, 1111 * (w % 9 + 1)))
        time.sleep(rnd.uniform(0.02, 0.12))


def main():
    kills = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    hh.main(lambda hall, build, work: run(hall, work, kills), "hallq-sigkill-", 30)


def window_text(w):
    """What terminal w shows for window w of the API's state (devices.c)."""
    if w["state"] == "logged_out":
        return "%d号窗口 暂停服务" % w["number"]
    if w["state"] == "paused":
        return "%d号窗口 暂停服务" % w["number"]
    if w["state"] == "called":
        return "请%s号到%d号窗口" % (w["current"], w["number"])
    if w["state"] == "serving":
        return "%s 办理中" % w["current"]
    return "%d号窗口 欢迎您" % w["number"]


# Generous: on a loaded machine a starved line makes devices fail polls and
# go offline, and an offline device is tried again after a backoff of up
# to 30 s (drivers/modbus/mbus.h). Nothing here measures time.
WAIT_S = 120


def settle(hall, kiosks, terminals, timeout=WAIT_S):
    """Waits until no device has an event waiting for the host."""
    def idle():
        for name in kiosks + terminals:
            st = dict(kv.split("=", 1) for kv in hall.control(name).cmd("status").split()
                      if "=" in kv)
            if st["fifo"] != "0":
                return False
        return True
    hh.wait_for(idle, timeout, "every device's FIFO empty")


def requests(ctl):
    """The Modbus requests a device has answered (its control status)."""
    st = dict(kv.split("=", 1) for kv in ctl.cmd("status").split() if "=" in kv)
    return int(st["requests"])


def resync(hall, api, db, kiosks, terminals, disp_before):
    """After a start, players paused: the devices show what the host has.
    disp_before: the hall display's requests before this hostd started."""
    settle(hall, kiosks, terminals)
    # the new host has polled the display thrice (its boot id, then the
    # text written), so what it shows is this host's, not the last one's
    disp = hall.control("disp")
    hh.wait_for(lambda: requests(disp) >= disp_before + 3, WAIT_S, "the display polled thrice")

    def terminals_agree():
        state = api.state()
        for w in state["windows"]:
            if hall.control("t%d" % w["number"]).text()[0] != window_text(w):
                return False
        return True
    hh.wait_for(terminals_agree, WAIT_S, "the terminals showing the windows of the state")

    # the last call in the journal, as the hall display and the state show it
    last = hh.db_rows(db, "SELECT ticket, window FROM events WHERE op IN ('call_next', "
                      "'call_ticket', 'call_back', 'recall') ORDER BY id DESC LIMIT 1")
    want = "请%s号到%d号窗口" % last[0] if last else "测试政务服务中心"
    hh.wait_for(lambda: hall.control("disp").text()[0] == want, WAIT_S,
                "the hall display showing the journal's last call " + want)
    calls = api.state()["recent_calls"]
    if last and not (calls and (calls[0]["ticket"], calls[0]["window"]) == last[0]):
        raise hh.Failure("the state's recent calls after a start: %r, the journal's last: %r"
                         % (calls[:1], last))
    for k in kiosks:
        ctl = hall.control(k)
        hh.wait_for(lambda: ctl.cmd("offered") == "7", WAIT_S, k + " offering its buttons")
        before = ctl.cmd("printed")
        ctl.cmd("press 0")
        hh.wait_for(lambda: ctl.cmd("printed") != before, WAIT_S, k + " printing again")


def run(hall, work, kills):
    seed = int(os.environ.get("HALLQ_SEED", "1"))
    rnd = random.Random(seed)
    print("# seed %d, %d kills" % (seed, kills), flush=True)
    line = os.path.join(work, "line")
    ports = [hh.free_port(), hh.free_port()]
    cfg_path = os.path.join(work, "hall.json")
    db = os.path.join(work, "hallq.db")
    devices = [{"id": "kiosk-%d" % k, "type": "kiosk", "bus": "lan-%d" % k, "address": 1,
                "services": SERVICES} for k in (1, 2)]
    devices += [{"id": "term-%d" % w, "type": "window_terminal", "bus": "line", "address": w,
                 "window": w} for w in range(1, N_WINDOWS + 1)]
    devices.append({"id": "screen", "type": "hall_display", "bus": "line", "address": 30})
    # a reply timeout of 300 ms: a loaded machine must not starve the line's
    # polls into offline devices (their backoff slows the re-syncs down)
    cfg = hh.hall_config(cfg_path, [hh.rtu_bus("line", line, timeout_ms=300),
                                    hh.tcp_bus("lan-1", ports[0]),
                                    hh.tcp_bus("lan-2", ports[1])],
                         devices, n_services=len(SERVICES), n_windows=N_WINDOWS)
    ttys = [os.path.join(work, "t%d.tty" % w) for w in range(1, N_WINDOWS + 1)]
    disp_tty = os.path.join(work, "disp.tty")
    hall.lineproxy("lineproxy", line, ttys + [disp_tty])
    for w in range(1, N_WINDOWS + 1):
        hall.device("window", "t%d" % w, ["--rtu", ttys[w - 1], "--baud", "115200", "--unit",
                                         str(w)])
    hall.device("display", "disp", ["--rtu", disp_tty, "--baud", "115200", "--unit", "30"])
    printed_paths = {}
    for k in (1, 2):
        printed_paths["k%d" % k] = os.path.join(work, "kiosk-%d.txt" % k)
        hall.device("kiosk", "k%d" % k, ["--tcp", "127.0.0.1:%d" % ports[k - 1], "--unit", "1",
                                         "--buttons", "3", "--print-delay-ms", "250",
                                         "--print-to", printed_paths["k%d" % k]])
    kiosks = ["k1", "k2"]
    terminals = ["t%d" % w for w in range(1, N_WINDOWS + 1)]
    for name in kiosks + terminals + ["disp"]:
        hall.control(name)
    api = fc.Api(cfg["api"]["port"], hh.TOKENS["kiosk"]["token"])
    players = Players(hall, api, seed)

    t0 = time.monotonic()
    host = hall.hostd(cfg_path, db, name="hostd-0")
    resync(hall, api, db, kiosks, terminals, 0)
    players.start()
    try:
        for n in range(1, kills + 1):
            time.sleep(rnd.uniform(0.3, 2.5))
            host.p.send_signal(signal.SIGKILL)
            host.p.wait()
            host.log.close()
            hall.procs.remove(host)
            time.sleep(rnd.uniform(0.0, 0.6))
            if players.errors:
                raise hh.Failure("a player failed: %s" % players.errors)
            disp_before = requests(hall.control("disp"))
            host = hall.hostd(cfg_path, db, name="hostd-%d" % n)
            players.pause()
            resync(hall, api, db, kiosks, terminals, disp_before)
            players.resume()
        check(True, "hostd killed %d times at random moments and started again; after each "
              "start every terminal, the hall display and both kiosks re-synced" % kills)
        time.sleep(1.0)
    finally:
        players.stop()
    if players.errors:
        raise hh.Failure("a player failed: %s" % players.errors)
    # the hall settles: every press and key processed, every print out
    settle(hall, kiosks, terminals)
    hh.wait_for(lambda: hh.db_rows(db, "SELECT count(*) FROM prints")[0][0] == 0, WAIT_S,
                "every print owed done")
    # once more with nothing in flight: no call after the start to show, the
    # hall display and the state's recent calls come from the journal alone
    host.p.send_signal(signal.SIGKILL)
    host.p.wait()
    host.log.close()
    hall.procs.remove(host)
    disp_before = requests(hall.control("disp"))
    host = hall.hostd(cfg_path, db, name="hostd-quiet")
    resync(hall, api, db, kiosks, terminals, disp_before)
    check(True, "killed once more with the hall idle: the terminals, the hall display (the "
          "journal's last call) and the kiosks re-synced")
    settle(hall, kiosks, terminals)
    hh.wait_for(lambda: hh.db_rows(db, "SELECT count(*) FROM prints")[0][0] == 0, WAIT_S,
                "every print owed done")
    for k in kiosks:
        hh.wait_for(lambda: "flags" in hall.control(k).cmd("status") and not
                    int(dict(kv.split("=", 1) for kv in hall.control(k).cmd("status").split()
                             if "=" in kv)["flags"]) & 0x20, 20, k + " done printing")
    elapsed = time.monotonic() - t0
    api_acked = list(players.api_acked)
    calls = set(players.calls)
    check(host.stop() == 0, "the last hostd stops cleanly")
    hall.procs.remove(host)
    # what the kills caught in flight, from the logs of the starts after them
    owed = stale = 0
    for n in range(1, kills + 1):
        with open(os.path.join(work, "hostd-%d.log" % n), encoding="utf-8") as f:
            text = f.read()
        owed += text.count("is still owed its print")
        stale += text.count("had taken print")
    print("# caught in flight: %d prints owed at the starts (committed, outcome not yet "
          "recorded), %d sent again and answered STALE (taken before the kill)" % (owed, stale))
    verify(db, printed_paths, api_acked, calls, kills, elapsed, players.presses)


def verify(db, printed_paths, api_acked, calls, kills, elapsed, presses):
    con = sqlite3.connect(db)
    q = con.execute
    check(q("PRAGMA integrity_check").fetchall() == [("ok",)], "SQLite's integrity check passes")
    days = [r[0] for r in q("SELECT DISTINCT day FROM events")]
    check(len(days) == 1, "one business day in the journal")
    issues = q("SELECT ticket, source FROM events WHERE op = 'issue' ORDER BY id").fetchall()
    issued_by = {}
    for label, source in issues:
        issued_by.setdefault(label, []).append(source)
    check(all(len(s) == 1 for s in issued_by.values()),
          "no number issued twice (%d tickets)" % len(issued_by))
    for prefix in sorted(set(PREFIX.values())):
        nums = [int(label[1:]) for label, _ in issues if label[0] == prefix]
        check(nums == list(range(1, len(nums) + 1)),
              "service %s: numbered %s001..%s%03d with no gap or duplicate"
              % (prefix, prefix, prefix, len(nums)))
    tickets = dict(q("SELECT ticket, state FROM tickets").fetchall())
    check(set(tickets) == set(issued_by), "the tickets table holds exactly the journal's tickets")

    printed = {}
    for k, path in printed_paths.items():
        for t in fc.printed_tickets(path):
            printed.setdefault(t["ticket"], []).append(("kiosk-%s" % k[1:], int(t["seq"])))
    twice = {label: where for label, where in printed.items() if len(where) > 1}
    check(not twice, "no number printed twice (%d printed)" % len(printed) +
          ("" if not twice else ": %s" % twice))
    wrong = [label for label, where in printed.items()
             if issued_by.get(label) != [where[0][0]]]
    check(not wrong, "every printed ticket was issued once, by the kiosk that printed it" +
          ("" if not wrong else ": %s" % wrong))
    by_kiosk = [label for label, src in issues if src.startswith("kiosk-")]
    unprinted = [label for label in by_kiosk if label not in printed]
    check(not unprinted, "every ticket a kiosk issued was printed (%d)" % len(by_kiosk) +
          ("" if not unprinted else "; not: %s" % unprinted))

    twice = [label for label in set(api_acked) if api_acked.count(label) > 1]
    check(not twice, "the API never returned a number twice")
    missing = [label for label in api_acked if issued_by.get(label, [""])[0][:4] != "api:"]
    check(not missing, "every ticket the API returned (%d) is journalled once as the API's"
          % len(api_acked) + ("" if not missing else ": %s" % missing))
    by_api = [label for label, src in issues if src.startswith("api:")]
    lost_replies = sorted(set(by_api) - set(api_acked))
    check(set(by_api) >= set(api_acked), "the API's tickets: %d returned, %d journalled (%d "
          "replies lost with a kill)" % (len(api_acked), len(by_api), len(lost_replies)))

    journalled_calls = set(q("SELECT ticket, window FROM events WHERE op IN ('call_next', "
                             "'call_ticket', 'call_back', 'recall')").fetchall())
    unknown = sorted(c for c in calls if c not in journalled_calls)
    check(not unknown, "every call a terminal showed (%d) is journalled" % len(calls) +
          ("" if not unknown else ": %s" % unknown))

    for k, path in printed_paths.items():
        dev = "kiosk-%s" % k[1:]
        row = q("SELECT seq FROM devices WHERE id = ?", (dev,)).fetchall()
        n_printed = len(fc.printed_tickets(path))
        n_issued = len([1 for label, src in issues if src == dev])
        # every event of the kiosk is a press (an issue) or a PRINTED
        check(row and row[0][0] == n_issued + n_printed,
              "%s: its %d events (the last seq the host recorded) are its %d presses, each "
              "issued once, and its %d prints" % (dev, row[0][0] if row else -1, n_issued,
                                                  n_printed))
    con.close()
    print("# figures: %d kills in %.0f s; %d tickets (%d printed by kiosks, %d through the API, "
          "%d API replies lost with a kill); %d calls seen on the terminals, %d journalled; "
          "%d presses tried" % (kills, elapsed, len(issued_by), len(printed), len(by_api),
                                len(lost_replies), len(calls), len(journalled_calls), presses))


if __name__ == "__main__":
    main()
