"""faults_common.py — what the fault tests share: a small file system
mounted for the database (and always unmounted), a filler that takes all
its space, the API over loopback, an event stream, and the kiosk's
printed tickets read back from its --print-to file.

The tests run as root (CI does): a file system that cannot be mounted is
a failure, never a skip. Python standard library only; the processes
come from tests/integration/hall_harness.py.
"""
import errno
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import hall_harness as hh  # noqa: E402

Failure = hh.Failure


class SmallFs:
    """A file system of size_kib KiB mounted at DIR/mnt: an ext4 image on a
    loop device (HALLQ_FAULTS_FS=ext4, the default: what a hall's disk is)
    or a tmpfs (HALLQ_FAULTS_FS=tmpfs). unmount() is safe to repeat, and
    runs at exit and on SIGTERM too."""

    def __init__(self, work, size_kib, kind=None, options=None):
        self.kind = kind or os.environ.get("HALLQ_FAULTS_FS", "ext4")
        self.dir = os.path.join(work, "mnt")
        self.image = os.path.join(work, "fs.img")
        self.options = options
        self.mounted = False
        os.makedirs(self.dir, exist_ok=True)
        if os.geteuid() != 0:
            raise Failure("the fault tests mount a small file system and must run as root "
                          "(CI does)")
        if self.kind == "tmpfs":
            self.cmd = ["mount", "-t", "tmpfs", "-o", "size=%dk,mode=0755" % size_kib, "tmpfs",
                        self.dir]
        elif self.kind == "ext4":
            with open(self.image, "wb") as f:
                f.truncate(size_kib * 1024)
            run_or_fail(["mkfs.ext4", "-q", "-F", "-m", "0", self.image])
            self.cmd = ["mount", "-t", "ext4", "-o", "loop" + (",%s" % options if options else ""),
                        self.image, self.dir]
        else:
            raise Failure("HALLQ_FAULTS_FS: expected ext4 or tmpfs, found %r" % self.kind)
        self.mount()
        _mounted.append(self)
        print("# %s of %d KiB mounted at %s" % (self.kind, size_kib, self.dir), flush=True)

    def mount(self):
        """Mounts it (again, after unmount(): the same image, for ext4)."""
        run_or_fail(self.cmd)
        self.mounted = True

    def path(self, name):
        return os.path.join(self.dir, name)

    def remount(self, mode):
        run_or_fail(["mount", "-o", "remount,%s" % mode, self.dir])

    def free_kib(self):
        st = os.statvfs(self.dir)
        return st.f_bavail * st.f_frsize // 1024

    def read_only(self):
        """True when a file cannot be made there for EROFS (an ext4 turned
        read-only by an error still says rw to statvfs: emergency_ro)."""
        probe = self.path(".write-probe")
        try:
            with open(probe, "w"):
                pass
        except OSError as e:
            if e.errno == errno.EROFS:
                return True
            raise
        os.remove(probe)
        return False

    def trigger_error(self):
        """ext4 only: the kernel's own error path (as for a failing disk);
        mounted errors=remount-ro, the file system turns read-only at once
        under whoever has files open on it."""
        dev = run_or_fail(["findmnt", "-n", "-o", "SOURCE", self.dir]).stdout.strip()
        with open("/sys/fs/ext4/%s/trigger_fs_error" % os.path.basename(dev), "w") as f:
            f.write("hallq test: the disk failed")

    def check(self):
        """ext4, unmounted: e2fsck -fy; its exit status (0 clean, 1 fixed)."""
        return subprocess.run(["e2fsck", "-f", "-y", self.image], capture_output=True).returncode

    def unmount(self, final=True):
        if not self.mounted:
            return
        self.mounted = False
        if subprocess.run(["umount", self.dir], capture_output=True).returncode != 0:
            # something still has a file open: detach it now, it goes when closed
            subprocess.run(["umount", "-l", self.dir], capture_output=True)
            print("# %s was busy: unmounted lazily" % self.dir, flush=True)
        if final:
            try:
                os.remove(self.image)
            except OSError:
                pass


_mounted = []


def _unmount_all(*_):
    for fs in _mounted:
        fs.unmount()


def _on_signal(sig, frame):
    _unmount_all()
    signal.signal(sig, signal.SIG_DFL)
    os.kill(os.getpid(), sig)


import atexit  # noqa: E402

atexit.register(_unmount_all)
signal.signal(signal.SIGTERM, _on_signal)


def run_or_fail(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise Failure("%s failed (exit %d): %s" % (" ".join(cmd), r.returncode,
                                                   (r.stderr or r.stdout).strip()))
    return r


def fill(path):
    """Writes path until the file system has no room left; returns the
    bytes written. The last write is a single byte, so not even a partial
    block is left."""
    written = 0
    with open(path, "wb", buffering=0) as f:
        for chunk in (1 << 16, 4096, 1):
            block = b"\xa5" * chunk
            while True:
                try:
                    written += f.write(block)
                except OSError as e:
                    if e.errno not in (errno.ENOSPC, errno.EDQUOT):
                        raise
                    break
        try:
            os.fsync(f.fileno())
        except OSError as e:
            if e.errno != errno.ENOSPC:
                raise
    return written


class Api:
    """hostd's API over loopback: request() returns (status, parsed body)."""

    def __init__(self, port, token):
        self.port = port
        self.token = token

    def request(self, method, path, body=None, token=None):
        con = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Authorization": "Bearer " + (token or self.token)}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        con.request(method, path, body=data, headers=headers)
        r = con.getresponse()
        raw = r.read()
        con.close()
        try:
            return r.status, json.loads(raw) if raw else None
        except ValueError:
            return r.status, raw

    def state(self):
        status, body = self.request("GET", "/api/v1/state")
        if status != 200:
            raise Failure("GET /api/v1/state answered %d: %r" % (status, body))
        return body

    def issue(self, service):
        return self.request("POST", "/api/v1/tickets", {"service": service})

    def window(self, number, op, body=None):
        return self.request("POST", "/api/v1/windows/%d/%s" % (number, op), body or {})


class EventStream:
    """GET /api/v1/events on a socket; a thread keeps the events, each a
    dict with id, event and data (parsed JSON)."""

    def __init__(self, port, token):
        self.events = []
        self.lock = threading.Lock()
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.sock.sendall(("GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                           "Authorization: Bearer %s\r\nAccept: text/event-stream\r\n\r\n"
                           % token).encode())
        self.sock.settimeout(None)
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        buf = b""
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return
                buf += chunk
                while b"\n\n" in buf:
                    block, buf = buf.split(b"\n\n", 1)
                    ev = {}
                    for line in block.decode("utf-8", "replace").splitlines():
                        if line.startswith("event: "):
                            ev["event"] = line[7:]
                        elif line.startswith("data: "):
                            try:
                                ev["data"] = json.loads(line[6:])
                            except ValueError:
                                ev["data"] = line[6:]
                        elif line.startswith("id: "):
                            ev["id"] = line[4:]
                    if "event" in ev:
                        with self.lock:
                            self.events.append(ev)
        except OSError:
            return

    def named(self, name):
        with self.lock:
            return [e for e in self.events if e.get("event") == name]

    def close(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()


def printed_tickets(path):
    """The tickets a kiosk's --print-to file holds, in order: dicts of its
    lines (ticket, seq, date, ...), firmware/posix/README.md's format."""
    out = []
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        return out
    for block in text.split("\n\n"):
        t = {}
        for line in block.splitlines():
            if line.startswith("ticket "):
                t["ticket"] = line[7:].strip()
            elif ":" in line:
                k, v = line.split(":", 1)
                t[k.strip()] = v.strip()
        if "ticket" in t:
            out.append(t)
    return out


def labels(path):
    return [t["ticket"] for t in printed_tickets(path)]


def log_text(proc):
    with open(proc.log_path, encoding="utf-8", errors="replace") as f:
        return f.read()


def stay(pred, seconds, what, interval=0.05):
    """Checks that pred() holds all along for `seconds` (nothing changes
    while it must not)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        value = pred()
        if not value:
            raise Failure("no longer true: %s (got %r)" % (what, value))
        time.sleep(interval)
    return True
