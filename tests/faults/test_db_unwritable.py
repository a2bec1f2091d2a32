#!/usr/bin/env python3
"""test_db_unwritable.py — a database hostd cannot write: read-only, or
locked by another process, at start and while the hall runs.

The database lives on a small file system mounted here (faults_common).

At start, hostd must not come up: exit status 1 and exactly one error
line naming the file and the cause, for
 - the file system mounted read-only;
 - the file read-only for the user hostd runs as (mode 0444, hostd run
   as nobody through setpriv: root may write any file);
 - another process holding the write lock (python's sqlite3, BEGIN
   EXCLUSIVE): after the busy timeout, 5 s;
 - another process holding the file itself (locking_mode EXCLUSIVE):
   hostd cannot even read it.

While running (hostd, a kiosk on Modbus TCP, the API):
 - another process takes the write lock: the next press is refused (the
   kiosk shows 暂停取号 and prints nothing), the API answers 503
   STORE_FAILED "locked by another process", the state says LOCKED; the
   lock goes and service resumes by itself, numbering without a gap;
 - (ext4) the file system turns read-only under hostd (the kernel's
   errors=remount-ro after a disk error): the same refusal, READ_ONLY;
   hostd stops cleanly, the file system is checked and mounted again, and
   hostd restarts with every acknowledged ticket.

usage: test_db_unwritable.py BUILD_DIR
"""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import faults_common as fc  # noqa: E402

hh = fc.hh
check = hh.check

# Holds a lock on the database until a line comes on stdin; says "locked".
LOCKER = r"""
import sqlite3, sys
con = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
if sys.argv[2] == "file":
    con.execute("PRAGMA locking_mode=EXCLUSIVE")
con.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
sys.stdin.readline()
con.execute("ROLLBACK")
con.close()
"""


class Locker:
    def __init__(self, db, kind):
        self.p = subprocess.Popen([sys.executable, "-c", LOCKER, db, kind], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True)
        line = self.p.stdout.readline().strip()
        if line != "locked":
            self.p.kill()
            raise hh.Failure("the lock holder did not take its lock (%r)" % line)

    def release(self):
        if self.p.poll() is None:
            self.p.stdin.write("\n")
            self.p.stdin.flush()
            self.p.wait(10)


def main():
    hh.main(lambda hall, build, work: run(hall, build, work), "hallq-unwritable-", 40)


def run(hall, build, work):
    fs = fc.SmallFs(work, 4096, options="errors=remount-ro")
    lockers = []
    try:
        at_start(hall, build, work, fs, lockers)
        while_running(hall, work, fs, lockers)
    finally:
        for lk in lockers:
            if lk.p.poll() is None:
                lk.p.kill()
                lk.p.wait()
        hall.stop()
        fs.unmount()


def start_hostd(build, cfg_path, db, as_nobody=False):
    """hostd that must refuse to start: (exit status, error lines, seconds)."""
    args = [os.path.join(build, "hostd/hostd"), "--config", cfg_path, "--db", db]
    if as_nobody:
        args = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] + args
    t0 = time.monotonic()
    try:
        r = subprocess.run(args, capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        raise hh.Failure("hostd started on a database it cannot write (%s)" % db)
    errors = [ln for ln in r.stderr.splitlines() if ln.startswith("hostd: error:")]
    print("# hostd: exit %d after %.1f s: %s" % (r.returncode, time.monotonic() - t0, errors))
    return r.returncode, errors, time.monotonic() - t0


def one_line(errors, db, *words):
    return len(errors) == 1 and errors[0].startswith("hostd: error: %s: " % db) and \
        all(w in errors[0] for w in words)


def at_start(hall, build, work, fs, lockers):
    cfg_path = os.path.join(work, "hall.json")
    hh.hall_config(cfg_path, [], [])
    db = fs.path("hallq.db")
    host = hall.hostd(cfg_path, db, name="hostd-first")  # makes the database
    check(host.stop() == 0, "hostd made the database and stopped")
    hall.procs.remove(host)

    fs.remount("ro")
    rc, errors, _ = start_hostd(build, cfg_path, db)
    fs.remount("rw")
    check(rc == 1 and one_line(errors, db, "read-only", "read-only file system"),
          "read-only file system: exit 1, one line naming the file and the cause")

    # root writes any file: the read-only file is tried as nobody
    os.chmod(work, 0o755)
    os.chmod(fs.dir, 0o777)
    for name in os.listdir(fs.dir):
        if name.startswith("hallq.db"):
            os.chmod(fs.path(name), 0o444)
    rc, errors, _ = start_hostd(build, cfg_path, db, as_nobody=True)
    for name in os.listdir(fs.dir):
        if name.startswith("hallq.db"):
            os.chmod(fs.path(name), 0o644)
    os.chmod(fs.dir, 0o755)
    check(rc == 1 and one_line(errors, db, "read-only", "no write permission on the file"),
          "file mode 0444 (hostd as nobody): exit 1, one line naming the file and the cause")

    lk = Locker(db, "write")
    lockers.append(lk)
    rc, errors, took = start_hostd(build, cfg_path, db)
    lk.release()
    check(rc == 1 and one_line(errors, db, "cannot write", "locked by another process"),
          "write lock held by another process: exit 1, one line naming the file and the cause")
    print("# hostd gave up after %.1f s (the busy timeout is 5 s)" % took)

    lk = Locker(db, "file")
    lockers.append(lk)
    rc, errors, _ = start_hostd(build, cfg_path, db)
    lk.release()
    check(rc == 1 and one_line(errors, db, "locked by another process"),
          "file locked by another process (locking_mode EXCLUSIVE): exit 1, one line")

    host = hall.hostd(cfg_path, db, name="hostd-unlocked")
    check(host.alive(), "with the locks gone hostd starts on the same database")
    rc = host.stop()
    check(rc == 0, "and stops (exit %r)" % rc)
    hall.procs.remove(host)


def while_running(hall, work, fs, lockers):
    kport = hh.free_port()
    cfg_path = os.path.join(work, "hall.json")
    db = fs.path("hallq.db")
    cfg = hh.hall_config(cfg_path, [hh.tcp_bus("kiosks", kport)],
                         [{"id": "kiosk-1", "type": "kiosk", "bus": "kiosks", "address": 1,
                           "services": ["s0", "s1", "s2"]}])
    printed_path = os.path.join(work, "kiosk-1.txt")
    hall.device("kiosk", "k1", ["--tcp", "127.0.0.1:%d" % kport, "--unit", "1", "--buttons",
                                "3", "--print-to", printed_path])
    k1 = hall.control("k1")
    host = hall.hostd(cfg_path, db, name="hostd-running")
    api = fc.Api(cfg["api"]["port"], hh.TOKENS["admin"]["token"])
    hh.wait_for(lambda: k1.cmd("offered") == "7", 20, "the kiosk's buttons")
    k1.cmd("press 0")
    hh.wait_for(lambda: k1.cmd("printed") == "1", 20, "A001 printed")

    # -- another process takes the write lock --------------------------------
    lk = Locker(db, "write")
    lockers.append(lk)
    k1.cmd("press 0")
    t0 = time.monotonic()
    hh.wait_for(lambda: k1.cmd("offered") == "0", 30, "the kiosk offering nothing")
    print("# figure: the kiosk offered nothing %.2f s after the press (the busy timeout is "
          "5 s)" % (time.monotonic() - t0))
    check(k1.text() == ["暂停取号"] and k1.cmd("printed") == "1",
          "lock taken while running: the press is refused, the kiosk shows 暂停取号")
    st, body = api.issue("s0")
    check(st == 503 and body["error"]["code"] == "STORE_FAILED" and
          "locked by another process" in body["error"]["message"],
          "the API: 503 STORE_FAILED, locked by another process (%r)" % (body,))
    store = api.state()["store"]
    check(store["ok"] is False and store["error"] == "LOCKED", "the state: store LOCKED")
    lk.release()
    t0 = time.monotonic()
    hh.wait_for(lambda: k1.cmd("offered") == "7", 20, "the buttons back")
    print("# figure: the buttons were back %.2f s after the lock went" %
          (time.monotonic() - t0))
    check(api.state()["store"]["ok"] is True, "the lock gone: service resumes by itself")
    k1.cmd("press 0")
    hh.wait_for(lambda: k1.cmd("printed") == "2", 20, "the next ticket")
    check(fc.labels(printed_path) == ["A001", "A002"],
          "the next press prints A002 (the refused press took no number)")
    st, body = api.issue("s0")
    check(st == 201 and body["ticket"]["number"] == "A003", "the API issues A003")

    if fs.kind != "ext4":
        print("# the file system turning read-only needs ext4 (HALLQ_FAULTS_FS=%s)" % fs.kind)
        return
    # -- the file system turns read-only under hostd --------------------------
    fs.trigger_error()
    check(fs.read_only(), "the kernel turned the file system read-only")
    k1.cmd("press 1")
    hh.wait_for(lambda: k1.cmd("offered") == "0", 30, "the kiosk offering nothing")
    check(k1.cmd("printed") == "2", "read-only: the press is refused, nothing printed")
    store = api.state()["store"]
    check(store["ok"] is False and store["error"] == "READ_ONLY",
          "the state: store READ_ONLY (%r)" % (store,))
    st, body = api.issue("s0")
    check(st == 503 and "read-only" in body["error"]["message"],
          "the API: 503 STORE_FAILED, read-only (%r)" % (body,))
    hall.drop_control("k1")
    for p in list(hall.procs):
        p.stop()
        hall.procs.remove(p)
    check(host.p.returncode == 0, "hostd stops cleanly on a read-only file system")
    fs.unmount(final=False)
    rc = fs.check()
    check(rc in (0, 1), "e2fsck -fy: exit %d (0 clean, 1 fixed)" % rc)
    fs.mount()
    check(not fs.read_only(), "mounted again read-write")
    con_rows = hh.db_rows(db, "SELECT ticket FROM events WHERE op = 'issue' ORDER BY id")
    check([r[0] for r in con_rows] == ["A001", "A002", "A003"],
          "every acknowledged ticket is in the database, once: A001, A002, A003")
    host = hall.hostd(cfg_path, db, name="hostd-after-fsck")
    st, body = api.issue("s0")
    check(st == 201 and body["ticket"]["number"] == "A004", "restarted, hostd issues A004")


if __name__ == "__main__":
    main()
