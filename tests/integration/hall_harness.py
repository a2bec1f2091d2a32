"""hall_harness.py — start a hall of real processes for integration tests.

hostd, kiosk-fw, window-fw, display-fw and lineproxy are started as the
built programs, on pseudo-terminals (through lineproxy) and loopback TCP;
tests drive the devices through their control sockets and read the
database with Python's own sqlite3, as another program would.

Python standard library only. Used by tests/integration/test_devices*.py
and tests/bench/bench_bus.py.
"""
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time


class Failure(Exception):
    pass


checks = 0


def check(cond, what):
    """One TAP line, "ok N - what"; a check that fails raises Failure."""
    global checks
    checks += 1
    if not cond:
        raise Failure("check failed: " + what)
    print("ok %d - %s" % (checks, what), flush=True)


def main(run, prefix, tail_lines=40):
    """A test's whole life: a fresh work folder (kept when it fails),
    run(hall, build, work) with the build folder from argv[1], the last log
    lines of every process on a failure, everything stopped, the TAP plan;
    exit status 1 after a failed check."""
    build = os.path.abspath(sys.argv[1])
    work = tempfile.mkdtemp(prefix=prefix)
    hall = Hall(build, work)
    try:
        try:
            run(hall, build, work)
        except Exception:
            for p in hall.procs:
                print("---- %s ----\n%s" % (p.name, p.tail(tail_lines)))
            raise
        finally:
            hall.stop()
    except Failure as e:
        print("not ok - %s" % e)
        sys.exit(1)
    shutil.rmtree(work, ignore_errors=True)
    print("1..%d" % checks)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(pred, timeout, what, interval=0.02):
    """Polls pred() until it returns a true value; fails after timeout s."""
    end = time.monotonic() + timeout
    last = None
    while time.monotonic() < end:
        last = pred()
        if last:
            return last
        time.sleep(interval)
    raise Failure("timed out after %.1f s waiting for %s (last: %r)" % (timeout, what, last))


class Proc:
    """A child process with its output in a log file; stopped with SIGTERM."""

    def __init__(self, name, args, logdir, env=None):
        self.name = name
        self.args = args
        self.log_path = os.path.join(logdir, name + ".log")
        self.log = open(self.log_path, "ab")
        e = dict(os.environ)
        if env:
            e.update(env)
        self.p = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT, env=e)

    def alive(self):
        return self.p.poll() is None

    def stop(self, sig=signal.SIGTERM, timeout=10):
        if self.p.poll() is None:
            self.p.send_signal(sig)
            try:
                self.p.wait(timeout)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        self.log.close()
        return self.p.returncode

    def kill(self):
        return self.stop(signal.SIGKILL)

    def tail(self, n=30):
        try:
            with open(self.log_path, "rb") as f:
                return b"\n".join(f.read().splitlines()[-n:]).decode("utf-8", "replace")
        except OSError:
            return ""


class Control:
    """A line-protocol client of a device's control socket."""

    def __init__(self, path, timeout=30):
        self.path = path
        self.buf = b""

        def connect():
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(timeout)
            try:
                s.connect(path)
                return s
            except OSError:  # not there yet, or a dead program's socket file
                s.close()
                return None
        self.s = wait_for(connect, timeout, "control socket " + path)

    def cmd(self, line):
        self.s.sendall(line.encode() + b"\n")
        while b"\n" not in self.buf:
            chunk = self.s.recv(65536)
            if not chunk:
                raise Failure("control socket %s closed" % self.path)
            self.buf += chunk
        reply, self.buf = self.buf.split(b"\n", 1)
        reply = reply.decode("utf-8")
        if not reply.startswith("ok"):
            raise Failure("%s: %r answered %r" % (self.path, line, reply))
        return reply[3:] if len(reply) > 2 else ""

    def text(self):
        return self.cmd("text").split("|")

    def close(self):
        self.s.close()


SERVICE_NAMES = ["企业注册", "工商变更", "人才服务", "税务登记", "社保医保", "不动产登记",
                 "综合咨询", "投诉受理", "公积金", "出入境", "户籍办理", "交通违法",
                 "民政婚姻", "教育入学", "残疾人服务"]


def hall_config(path, buses, devices, n_services=3, n_windows=4, staff=None,
                quota=0, extra=None):
    """Writes a hall.json open all day, every day, and returns its dict.

    buses: list of bus dicts as in docs/config.md; devices likewise.
    Window N serves every service at level 1.
    """
    services = []
    for s in range(n_services):
        services.append({
            "id": "s%d" % s, "name": SERVICE_NAMES[s % len(SERVICE_NAMES)],
            "prefix": chr(ord("A") + s), "standard_minutes": 10,
            "wait_target_minutes": 30})
        if quota:
            services[-1]["daily_quota"] = quota
    windows = []
    for w in range(1, n_windows + 1):
        windows.append({"number": w, "name": "%d号窗口" % w,
                        "services": [{"service": "s%d" % s, "level": 1}
                                     for s in range(n_services)]})
    if staff is None:
        staff = [{"id": str(1000 + w), "name": "员工%d" % w, "pin": "%04d" % (1111 * (w % 9 + 1))}
                 for w in range(1, n_windows + 1)]
    cfg = {
        "hall": {"name": "测试政务服务中心", "timezone": "Asia/Shanghai",
                 "ticket_url": "http://127.0.0.1:8080/ticket.html?t=",
                 "ticket_footer": "过号请重新取号"},
        "hours": {"workdays": ["sun", "mon", "tue", "wed", "thu", "fri", "sat"],
                  "sign_in": {"start": "00:00", "end": "00:01"},
                  "sessions": [{"start": "00:01", "end": "23:59"}]},
        "services": services,
        "windows": windows,
        "queue": {"no_show_requeue_max": 1, "no_show_requeue_places": 3,
                  "appointment_due_before_minutes": 10, "estimate_recent_tickets": 20,
                  "pause_reasons": ["休息", "会议"]},
        "buses": buses,
        "devices": devices,
        "staff": staff,
        "api": {"bind": "127.0.0.1", "port": free_port(), "tokens_file": "tokens.json"},
        "evaluation": {"half_day_minutes": 180,
                       "leader_duty": {"points_per_shift": 0.1, "max_points_per_month": 5},
                       "bulletin_weekday": "fri", "complaint_limit_days": 5,
                       "score": {"base": 100,
                                 "weights": {"efficiency": 0.4, "satisfaction": 0.4,
                                             "attendance": 0.2},
                                 "deductions": {"late_sign_in": 0.5, "unauthorized_leave": 2,
                                                "absence": 5, "dissatisfied_rating": 1,
                                                "complaint": 3, "overtime_ticket": 0.2}}},
    }
    if extra:
        cfg.update(extra)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(cfg, f, ensure_ascii=False, indent=1)
    write_tokens(os.path.join(os.path.dirname(path), "tokens.json"),
                 [dict(TOKENS["window"], window=1)] +
                 [TOKENS[r] for r in ("kiosk", "display", "supervisor", "admin")])
    return cfg


# API tokens hall_config() writes (docs/api.md); a test may write others.
TOKENS = {
    "kiosk": {"token": "test-kiosk-token-0000000001", "role": "kiosk"},
    "window": {"token": "test-window-token-000000001", "role": "window"},
    "display": {"token": "test-display-token-00000001", "role": "display"},
    "supervisor": {"token": "test-supervisor-token-0001", "role": "supervisor"},
    "admin": {"token": "test-admin-token-0000000001", "role": "admin"},
}


def write_tokens(path, tokens, mode=0o600):
    """A tokens file readable by hostd's user alone: hostd refuses one that
    others may read (docs/security.md)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    os.fchmod(fd, mode)  # whatever the umask, and for a file already there
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump({"tokens": tokens}, f, ensure_ascii=False, indent=1)


def rtu_bus(name, device, baud=115200, timeout_ms=100, poll_interval_ms=20, **kw):
    b = {"name": name, "type": "rtu", "device": device, "baud": baud, "parity": "none",
         "data_bits": 8, "stop_bits": 1, "timeout_ms": timeout_ms,
         "poll_interval_ms": poll_interval_ms}
    b.update(kw)
    return b


def tcp_bus(name, port, timeout_ms=200, poll_interval_ms=20, **kw):
    b = {"name": name, "type": "tcp", "host": "127.0.0.1", "port": port,
         "timeout_ms": timeout_ms, "poll_interval_ms": poll_interval_ms}
    b.update(kw)
    return b


def ticket_token(db, label):
    """The status token of today's ticket `label`, worked out from the
    database as docs/api.md defines it: the ticket's index in the day (its
    place among the day's ISSUE events) in 4 hex digits, then 12 hex digits
    of HMAC-SHA256(key, "day:index") with the key of the secrets table."""
    import hashlib
    import hmac
    key = db_rows(db, "SELECT value FROM secrets WHERE name = 'ticket_token_key'")[0][0]
    day, = db_rows(db, "SELECT day FROM events WHERE op = 'issue' AND ticket = ? "
                   "ORDER BY id DESC LIMIT 1", (label,))[0]
    issued = [r[0] for r in db_rows(db, "SELECT ticket FROM events WHERE op = 'issue' AND "
                                    "day = ? ORDER BY id", (day,))]
    index = issued.index(label)
    mac = hmac.new(key, ("%d:%d" % (day, index)).encode(), hashlib.sha256).hexdigest()
    return "%04x%s" % (index, mac[:12])


def db_rows(path, sql, args=()):
    con = sqlite3.connect("file:%s?mode=ro" % path, uri=True, timeout=10)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


class Hall:
    """The processes of one test; stop() ends them all."""

    def __init__(self, build, workdir):
        self.build = build
        self.dir = workdir
        self.procs = []
        self.controls = {}

    def prog(self, rel):
        return os.path.join(self.build, rel)

    def start(self, name, args, env=None):
        p = Proc(name, args, self.dir, env)
        self.procs.append(p)
        return p

    def lineproxy(self, name, master, slaves, baud=115200, extra=()):
        ready = os.path.join(self.dir, name + ".ready")
        stats = os.path.join(self.dir, name + ".stats")
        args = [self.prog("tools/lineproxy/lineproxy"), "--master", master, "--baud", str(baud),
                "--ready", ready, "--stats", stats]
        for s in slaves:
            args += ["--slave", s]
        args += list(extra)
        p = self.start(name, args)
        wait_for(lambda: os.path.exists(ready) or not p.alive(), 20, name + " ready")
        if not p.alive():
            raise Failure("%s exited:\n%s" % (name, p.tail()))
        p.stats_path = stats
        return p

    def device(self, kind, name, args):
        sock = os.path.join(self.dir, name + ".sock")
        exe = self.prog("firmware/posix/%s-fw" % kind)
        p = self.start(name, [exe] + args + ["--control", sock])
        p.sock = sock
        return p

    def control(self, name, proc=None):
        if name in self.controls:
            return self.controls[name]
        path = os.path.join(self.dir, name + ".sock")
        c = Control(path)
        self.controls[name] = c
        return c

    def drop_control(self, name):
        c = self.controls.pop(name, None)
        if c:
            c.close()

    def hostd(self, config, db, name="hostd"):
        p = self.start(name, [self.prog("hostd/hostd"), "--config", config, "--db", db,
                              "--log-level", "debug" if os.environ.get("HALLQ_DEBUG") else "info"])
        wait_for(lambda: b"hostd ready" in open(p.log_path, "rb").read() or not p.alive(), 30,
                 "hostd ready")
        if not p.alive():
            raise Failure("hostd exited:\n" + p.tail())
        return p

    def stop(self):
        for c in list(self.controls.values()):
            try:
                c.close()
            except OSError:
                pass
        self.controls = {}
        for p in reversed(self.procs):
            try:
                p.stop()
            except Exception:
                pass
        self.procs = []


def stats_file(path):
    out = {}
    try:
        with open(path) as f:
            for line in f:
                if ":" in line:
                    k, v = line.split(":", 1)
                    out[k.strip()] = int(v.strip())
    except OSError:
        pass
    return out
