#!/usr/bin/env python3
"""test_fw_port.py — kiosk-fw, window-fw and display-fw from the outside.

The firmware's POSIX port (firmware/posix) as a master and an operator
meet it: mbpoll (an independent Modbus master) reads and writes the
registers over loopback TCP and over a pseudo-terminal pair made by
socat; raw frames built here check what mbpoll cannot send (FC 0x17,
malformed and broadcast requests); the control socket presses keys and
reads back the display text and the printed tickets.

Every expected register value is worked out here by hand from
firmware/proto/proto.h (the constants below are copied from it, not
imported). No check depends on how long anything takes: waits poll
with generous timeouts.

usage: test_fw_port.py cli|tcp|rtu KIOSK_FW WINDOW_FW DISPLAY_FW
Set HALLQ_FW_WRAP (e.g. "valgrind -q --error-exitcode=9") to run the
programs under a wrapper. Python standard library only.
"""
import os
import re
import select
import shlex
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

# From firmware/proto/proto.h.
PROTO_VERSION = 1
KIOSK, WINDOW, DISPLAY = 1, 2, 3
REG_TYPE, REG_PROTO, REG_FW, REG_SERIAL_HI, REG_SERIAL_LO = 0, 1, 2, 3, 4
REG_UPTIME_HI, REG_UPTIME_LO, REG_FLAGS, REG_BOOT = 5, 6, 7, 8
REG_DONE_SEQ, REG_RESULT, REG_PRINTER, REG_BAD, REG_OVERFLOWS = 9, 10, 11, 12, 13
REG_PRINT_ERRORS, REG_STATE, REG_EV_COUNT, REG_EV_FIRST = 14, 15, 16, 17
READ_COUNT = 81
HOST_BOOT, ACK_SEQ, CMD_SEQ, CMD_CODE, CMD_NARGS, CMD_ARGS = 100, 101, 102, 103, 104, 105
HREG_END = 221
FLAG_PRINTER_FAULT, FLAG_FIFO_OVERFLOW, FLAG_PRINTING = 1 << 1, 1 << 2, 1 << 5
PRINTER_OK, PRINTER_PAPER_OUT = 1 << 0, 1 << 2
EV_BUTTON, EV_PRINTED, EV_PRINT_FAILED, EV_PRINTER = 0x01, 0x02, 0x03, 0x04
EV_NEXT, EV_LOGIN = 0x10, 0x18
CMD_SET_SERVICES, CMD_PRINT, CMD_SHOW_TEXT = 1, 2, 3
RESULT_OK = 0
EXC_ILLEGAL_FUNCTION, EXC_ILLEGAL_ADDRESS, EXC_ILLEGAL_VALUE = 1, 2, 3
EXC_GATEWAY_TARGET = 0x0b
SEQ_PRINT = 0x8000

TIMEOUT = 30  # seconds for anything to happen; generous on purpose

checks = 0


class Failure(Exception):
    pass


def check(cond, what):
    global checks
    checks += 1
    if not cond:
        raise Failure("check failed: " + what)
    print("ok %d - %s" % (checks, what), flush=True)


def wait_for(pred, what, timeout=TIMEOUT):
    end = time.monotonic() + timeout
    last = None
    while time.monotonic() < end:
        last = pred()
        if last:
            return last
        time.sleep(0.02)
    raise Failure("timed out waiting for %s (last: %r)" % (what, last))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pack(data):
    """Bytes two to a register, high byte first (proto_pack)."""
    if len(data) % 2:
        data += b"\0"
    return [data[i] << 8 | data[i + 1] for i in range(0, len(data), 2)]


def crc16(data):
    crc = 0xffff
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0xa001 if crc & 1 else crc >> 1
    return struct.pack("<H", crc)


class Procs:
    """Background processes, all stopped by stop_all() (also on a signal)."""

    def __init__(self, work):
        self.work = work
        self.procs = []

    def start(self, name, args, wrap=True):
        prefix = shlex.split(os.environ.get("HALLQ_FW_WRAP", "")) if wrap else []
        log = open(os.path.join(self.work, name + ".log"), "wb")
        p = subprocess.Popen(prefix + args, stdout=log, stderr=subprocess.STDOUT)
        p.name, p.log_path = name, log.name
        log.close()
        self.procs.append(p)
        return p

    def stop(self, p, sig=signal.SIGTERM):
        if p.poll() is None:
            p.send_signal(sig)
            try:
                p.wait(TIMEOUT)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        return p.returncode

    def stop_all(self):
        for p in reversed(self.procs):
            self.stop(p)
        self.procs = []

    def log(self, p):
        with open(p.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")


class Control:
    def __init__(self, path):
        wait_for(lambda: os.path.exists(path), "control socket " + path)
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(TIMEOUT)
        self.s.connect(path)
        self.buf = b""

    def raw(self, line):
        self.s.sendall(line.encode() + b"\n")
        while b"\n" not in self.buf:
            chunk = self.s.recv(65536)
            if not chunk:
                raise Failure("control socket closed")
            self.buf += chunk
        reply, self.buf = self.buf.split(b"\n", 1)
        return reply.decode("utf-8")

    def cmd(self, line):
        reply = self.raw(line)
        if reply != "ok" and not reply.startswith("ok "):
            raise Failure("%r answered %r" % (line, reply))
        return reply[3:]

    def status(self):
        return {k: int(v, 0) for k, v in (kv.split("=") for kv in self.cmd("status").split())}

    def close(self):
        self.s.close()


class Mbpoll:
    """mbpoll as the master: -0 (addresses from 0), -1 (once)."""

    def __init__(self, tcp_port=None, tty=None):
        if tcp_port:
            self.base = ["-m", "tcp", "-p", str(tcp_port)]
            self.target = "127.0.0.1"
        else:
            self.base = ["-m", "rtu", "-b", "115200", "-P", "none"]
            self.target = tty

    def run(self, unit, table, ref, count=None, values=(), timeout_s="2"):
        args = ["mbpoll"] + self.base + ["-a", str(unit), "-0", "-1", "-o", timeout_s,
                                          "-t", str(table), "-r", str(ref)]
        if count is not None:
            args += ["-c", str(count)]
        args.append(self.target)
        args += [str(v) for v in values]
        p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=TIMEOUT)
        regs = {}
        for line in p.stdout.decode().splitlines():
            m = re.match(r"^\[(\d+)\]:\s+(-?\d+)", line)
            if m:
                regs[int(m.group(1))] = int(m.group(2)) & 0xffff
        return p.returncode, regs, p.stderr.decode()

    def read(self, unit, table, ref, count):
        rc, regs, err = self.run(unit, table, ref, count)
        if rc != 0:
            raise Failure("mbpoll read %d at %d (table %d) failed: %s" % (count, ref, table,
                                                                          err.strip()))
        return [regs[ref + i] for i in range(count)]

    def write(self, unit, ref, values):
        rc, _, err = self.run(unit, 4, ref, values=values)
        if rc != 0:
            raise Failure("mbpoll write at %d failed: %s" % (ref, err.strip()))


class RawTcp:
    """A hand-made Modbus TCP master: one connection, PDUs in and out."""

    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        self.tid = 0

    def recv_exact(self, n):
        data = b""
        while len(data) < n:
            chunk = self.s.recv(n - len(data))
            if not chunk:
                raise Failure("the slave closed the connection")
            data += chunk
        return data

    def request(self, unit, pdu):
        self.tid = (self.tid + 1) & 0xffff
        self.s.sendall(struct.pack(">HHHB", self.tid, 0, len(pdu) + 1, unit) + pdu)
        tid, proto, length, runit = struct.unpack(">HHHB", self.recv_exact(7))
        if (tid, proto, runit) != (self.tid, 0, unit):
            raise Failure("reply header %r for request %d unit %d" % ((tid, proto, runit),
                                                                       self.tid, unit))
        return self.recv_exact(length - 1)

    def closed(self):
        """True once the slave has closed this connection."""
        try:
            r, _, _ = select.select([self.s], [], [], 0.05)
            return bool(r) and self.s.recv(1) == b""
        except OSError:
            return True

    def close(self):
        self.s.close()


def read_pdu(addr, count, fc=3):
    return struct.pack(">BHH", fc, addr, count)


def write_read_pdu(raddr, rcount, waddr, values):
    return struct.pack(">BHHHHB", 0x17, raddr, rcount, waddr, len(values),
                       2 * len(values)) + b"".join(struct.pack(">H", v) for v in values)


def regs_of(reply_pdu, fc):
    if reply_pdu[0] != fc:
        raise Failure("FC %02x answered %s" % (fc, reply_pdu.hex()))
    n = reply_pdu[1]
    return list(struct.unpack(">%dH" % (n // 2), reply_pdu[2:2 + n]))


def fw_version(exe):
    out = subprocess.run([exe, "--version"], stdout=subprocess.PIPE, check=True).stdout.decode()
    m = re.search(r"\(hallq\) (\d+)\.(\d+)\.\d+", out)
    return int(m.group(1)) << 8 | int(m.group(2))


def show_text_args(first, lines):
    """SHOW_TEXT arguments (proto.h, enum proto_text_arg) for GB18030 lines."""
    enc = [line.encode("gb18030") for line in lines]
    lens = [len(e) for e in enc] + [0] * (2 - len(enc))
    return [first, len(enc), lens[0], lens[1]] + pack(b"".join(enc))


def print_args(label, button, cls, ahead, wait_min, date, minute, ticket, token, name):
    """PRINT arguments (proto.h, enum proto_print_arg)."""
    name_b = name.encode("gb18030")
    args = pack(label.encode().ljust(6, b"\0"))
    args += [button, cls, ahead, wait_min, date >> 16, date & 0xffff, minute, ticket]
    args += pack(token.encode().ljust(16, b"\0"))
    args += [len(name_b)] + pack(name_b)
    return args


def check_identity(regs, what, dtype, serial, version, printer):
    check(regs[REG_TYPE] == dtype, "%s: DEVICE_TYPE is %d" % (what, dtype))
    check(regs[REG_PROTO] == PROTO_VERSION, "%s: PROTO_VERSION is 1" % what)
    check(regs[REG_FW] == version, "%s: FW_VERSION is %#06x (from --version)" % (what, version))
    check(regs[REG_SERIAL_HI] == serial >> 16 and regs[REG_SERIAL_LO] == serial & 0xffff,
          "%s: SERIAL_HI/LO are %d and %d, serial %d" % (what, serial >> 16, serial & 0xffff,
                                                         serial))
    uptime = regs[REG_UPTIME_HI] << 16 | regs[REG_UPTIME_LO]
    check(regs[REG_UPTIME_HI] == 0 and uptime < 3600, "%s: UPTIME is a fresh boot's" % what)
    check(regs[REG_FLAGS] & (FLAG_PRINTER_FAULT | FLAG_FIFO_OVERFLOW | FLAG_PRINTING) == 0,
          "%s: FLAGS show no fault, overflow or print" % what)
    check(regs[REG_BOOT] != 0, "%s: BOOT_ID is nonzero" % what)
    check(regs[REG_DONE_SEQ] == 0 and regs[REG_RESULT] == 0,
          "%s: no command taken yet (CMD_DONE_SEQ 0, CMD_RESULT 0)" % what)
    check(regs[REG_PRINTER] == printer, "%s: PRINTER is %d" % (what, printer))
    check(regs[REG_BAD] == 0 and regs[REG_OVERFLOWS] == 0 and regs[REG_PRINT_ERRORS] == 0,
          "%s: no bad writes, overflows or print errors" % what)
    check(regs[REG_STATE] == 0, "%s: STATE is 0 (nothing offered / idle)" % what)
    check(regs[REG_EV_COUNT] == 0, "%s: the event FIFO is empty" % what)


# ---------------------------------------------------------------- cli

def test_cli(exes, work):
    kiosk, window, display = exes

    def run(exe, *args):
        p = subprocess.run([exe] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=TIMEOUT)
        return p.returncode, p.stdout.decode(), p.stderr.decode()

    for exe, name in ((kiosk, "kiosk-fw"), (window, "window-fw"), (display, "display-fw")):
        rc, out, _ = run(exe, "--version")
        check(rc == 0 and re.fullmatch(r"%s \(hallq\) \d+\.\d+\.\d+\n" % name, out),
              "%s --version prints its name and version" % name)
        rc, out, _ = run(exe, "--help")
        check(rc == 0 and "--rtu DEVICE" in out and "--tcp HOST:PORT" in out and
              "--control PATH" in out, "%s --help lists the options" % name)
    rc, out, _ = run(kiosk, "--help")
    check("--print-to FILE" in out and "--buttons N" in out, "kiosk-fw --help lists its own")
    rc, out, _ = run(window, "--help")
    check("--buttons" not in out, "window-fw --help has no kiosk options")

    bad = [
        ((kiosk,), "no options"),
        ((kiosk, "--tcp", "127.0.0.1:5020"), "no --unit"),
        ((kiosk, "--tcp", "127.0.0.1:5020", "--unit", "0"), "unit 0"),
        ((kiosk, "--tcp", "127.0.0.1:5020", "--unit", "248"), "unit 248"),
        ((kiosk, "--tcp", "127.0.0.1", "--unit", "1"), "no port"),
        ((kiosk, "--tcp", "127.0.0.1:70000", "--unit", "1"), "port 70000"),
        ((kiosk, "--rtu", "/dev/null", "--unit", "1"), "--rtu without --baud"),
        ((kiosk, "--rtu", "/dev/null", "--baud", "fast", "--unit", "1"), "baud not a number"),
        ((kiosk, "--rtu", "/dev/null", "--baud", "9600", "--parity", "X", "--unit", "1"),
         "parity X"),
        ((kiosk, "--rtu", "/dev/null", "--baud", "9600", "--stop-bits", "3", "--unit", "1"),
         "3 stop bits"),
        ((kiosk, "--rtu", "/dev/null", "--baud", "9600", "--tcp", "127.0.0.1:1", "--unit",
          "1"), "both --rtu and --tcp"),
        ((kiosk, "--tcp", "127.0.0.1:5020", "--unit", "1", "--baud", "9600"),
         "--baud with --tcp"),
        ((kiosk, "--tcp", "127.0.0.1:5020", "--unit", "1", "--buttons", "16"), "16 buttons"),
        ((kiosk, "--tcp", "127.0.0.1:5020", "--unit", "1", "--print-delay-ms", "-1"),
         "a negative print delay"),
        ((kiosk, "--tcp", "127.0.0.1:5020", "--unit", "1", "--ticket-url", "http://h/t?x=a b"),
         "a ticket URL with a space"),
        ((kiosk, "--tcp", "127.0.0.1:5020", "--unit", "1", "--ticket-url", "http://h/" + "x" * 189),
         "a ticket URL of 198 bytes (with the 16-byte token, over QR version 10's 213)"),
        ((kiosk, "--tcp", "127.0.0.1:5020", "--unit", "1", "--paper", "76"), "76 mm paper"),
        ((kiosk, "--tcp", "127.0.0.1:5020", "--unit", "1", "--printer", "lpt1"),
         "a printer spec of no known kind"),
        ((kiosk, "--tcp", "127.0.0.1:5020", "--unit", "1", "--frobnicate"), "an unknown option"),
        ((kiosk, "--tcp", "127.0.0.1:5020", "--unit", "1", "stray"), "a stray argument"),
        ((kiosk, "--tcp", "127.0.0.1:5020", "--unit"), "a missing value"),
        ((window, "--tcp", "127.0.0.1:5020", "--unit", "1", "--buttons", "3"),
         "a kiosk option on window-fw"),
        ((display, "--tcp", "127.0.0.1:5020", "--unit", "1", "--log-level", "loud"),
         "a bad log level"),
    ]
    for args, what in bad:
        rc, out, err = run(*args)
        check(rc == 2 and out == "" and len(err.splitlines()) == 1 and
              err.startswith(os.path.basename(args[0]) + ": "),
              "%s: exit 2 with one line on stderr (%s)" % (what, err.strip()))

    rc, _, err = run(window, "--rtu", os.path.join(work, "no-such-tty"), "--baud", "9600",
                     "--unit", "1")
    check(rc == 1 and "no-such-tty" in err, "a missing serial device: exit 1, named")
    plain = os.path.join(work, "plain-file")
    open(plain, "w").close()
    rc, _, err = run(window, "--tcp", "127.0.0.1:%d" % free_port(), "--unit", "1", "--control",
                     plain)
    check(rc == 1 and "not a socket" in err and os.path.exists(plain),
          "a --control path that is not a socket is refused and left alone")


# ---------------------------------------------------------------- tcp

def test_tcp(exes, work, procs):
    kiosk_exe, window_exe, display_exe = exes
    version = fw_version(kiosk_exe)
    port = free_port()
    unit, serial = 7, 123456789
    out = os.path.join(work, "tickets.txt")
    sock = os.path.join(work, "kiosk.sock")
    kp = procs.start("kiosk", [kiosk_exe, "--tcp", "127.0.0.1:%d" % port, "--unit", str(unit),
                               "--serial", str(serial), "--buttons", "4", "--print-to", out,
                               "--print-delay-ms", "50", "--control", sock,
                               "--log-level", "debug"])
    k = Control(sock)
    mb = Mbpoll(tcp_port=port)

    # Identity and status, FC 04 and FC 03 alike.
    regs = mb.read(unit, 3, 0, 17)
    check_identity(regs, "kiosk (FC 04)", KIOSK, serial, version, PRINTER_OK)
    boot = regs[REG_BOOT]
    hold = mb.read(unit, 4, 0, 17)
    check(hold[:5] == regs[:5] and hold[REG_BOOT] == boot,
          "kiosk: FC 03 reads the same identity and boot id")
    check(k.status()["boot"] == boot, "status on the control socket shows the same boot id")
    check(k.cmd("offered") == "0", "kiosk offers nothing before the host allows buttons")
    check(k.cmd("text") == "暂停取号",
          "kiosk text (GB18030 from the core, UTF-8 here) is 暂停取号")

    # Illegal addresses and functions.
    for table, ref, count, what in ((3, 81, 1, "read at 81"), (4, 90, 1, "read at 90"),
                                    (3, 80, 2, "read across 80..81"),
                                    (4, 221, 1, "read at 221"),
                                    (4, 200, 30, "read across 220..221")):
        rc, _, err = mb.run(unit, table, ref, count)
        check(rc != 0 and "Illegal data address" in err,
              "%s: mbpoll reports Illegal data address" % what)
    rc, _, err = mb.run(unit, 4, 8, values=[1])
    check(rc != 0 and "Illegal data address" in err, "a write at 8 is an illegal address")
    rc, _, err = mb.run(unit, 0, 0, 1)
    check(rc != 0 and "Illegal function" in err, "FC 01 (coils) is an illegal function")

    # SET_SERVICES: host boot, ack 0, seq 1, code, one argument (4 buttons).
    mb.write(unit, HOST_BOOT, [boot, 0, 1, CMD_SET_SERVICES, 1, 0xf])
    done = mb.read(unit, 4, REG_DONE_SEQ, 2)
    check(done == [1, RESULT_OK], "SET_SERVICES taken: CMD_DONE_SEQ 1, CMD_RESULT OK")
    check(k.cmd("offered") == "15", "the kiosk offers buttons 0..3 (mask 15)")
    check(mb.read(unit, 4, HOST_BOOT, 6) == [boot, 0, 1, CMD_SET_SERVICES, 1, 0xf],
          "the host block reads back as written")

    # A press, the FIFO, acknowledgements.
    k.cmd("press 2")
    k.cmd("wait-idle")
    fifo = mb.read(unit, 3, REG_EV_COUNT, 5)
    check(fifo == [1, 1, EV_BUTTON, 0, 2],
          "press 2: one event, seq 1, BUTTON, arg 2 (button 2, class 0): %r" % fifo)
    mb.write(unit, HOST_BOOT, [boot ^ 0x5555 or 1, 1])
    check(mb.read(unit, 3, REG_EV_COUNT, 1) == [1],
          "an ack under another HOST_BOOT leaves the event in the FIFO")
    mb.write(unit, HOST_BOOT, [boot, 1])
    check(mb.read(unit, 3, REG_EV_COUNT, 1) == [0], "ACK_SEQ 1 under BOOT_ID empties the FIFO")
    k.cmd("green")
    k.cmd("press 0")
    k.cmd("press 3")
    k.cmd("wait-idle")
    fifo = mb.read(unit, 3, REG_EV_COUNT, 9)
    check(fifo == [2, 2, EV_BUTTON, 0, 1 << 8 | 0, 3, EV_BUTTON, 0, 3],
          "green, press 0, press 3: seq 2 button 0 class 1 (green), seq 3 button 3: %r" % fifo)
    mb.write(unit, ACK_SEQ, [3])
    check(mb.read(unit, 3, REG_EV_COUNT, 1) == [0], "FC 06 ACK_SEQ 3 empties the FIFO")
    check(k.raw("press 4").startswith("error:"), "press 4 on a 4-button kiosk is refused")

    # A ticket printed: a PRINT command as the host sends it.
    seq = SEQ_PRINT | 2
    args = print_args("A023", 0, 1, 5, 12, 20240501, 9 * 60 + 15, 22, "0123456789abcdef",
                      "企业注册")
    mb.write(unit, HOST_BOOT, [boot, 3, seq, CMD_PRINT, len(args)] + args)
    check(wait_for(lambda: k.cmd("printed") == "1", "the ticket printed"),
          "the PRINT command prints one ticket")
    last = k.cmd("last")
    check(last.startswith("A023 ") and "ahead=5" in last and "wait=12" in last and
          "class=1" in last and "ticket=22" in last and "seq=%d" % seq in last,
          "last: A023 ahead=5 wait=12 class=1 ticket=22 seq=%d (%s)" % (seq, last))
    with open(out, encoding="utf-8") as f:
        text = f.read()
    check(text.startswith("ticket A023\n") and "企业注册" in text and "2024-05-01 09:15" in text
          and "0123456789abcdef" in text and "绿色通道" in text,
          "the print file has the ticket as UTF-8 text (label, service, class, time, token)")
    fifo = wait_for(lambda: (lambda f: f if f[0] >= 1 else None)(
        mb.read(unit, 3, REG_EV_COUNT, 5)), "the PRINTED event")
    check(fifo[2:] == [EV_PRINTED, 0, seq] and fifo[1] == 4,
          "PRINTED (seq 4) reports the print command's seq %d: %r" % (seq, fifo))
    check(mb.read(unit, 4, REG_DONE_SEQ, 2) == [seq, RESULT_OK], "PRINT is CMD_DONE_SEQ, OK")

    # Paper out: the printer bits and the offered buttons follow.
    k.cmd("paper out")
    st = mb.read(unit, 3, REG_FLAGS, 5)
    check(st[REG_PRINTER - REG_FLAGS] & PRINTER_PAPER_OUT and
          not st[REG_PRINTER - REG_FLAGS] & PRINTER_OK and st[0] & FLAG_PRINTER_FAULT,
          "paper out: PRINTER has PAPER_OUT, not OK, and FLAGS a printer fault")
    check(k.cmd("offered") == "0" and k.cmd("text") == "暂停取号",
          "paper out: nothing offered, 暂停取号")
    k.cmd("paper ok")
    check(k.cmd("offered") == "15", "paper back: the buttons are offered again")

    # FC 0x17, by hand: the write comes first, then the read.
    raw = RawTcp(port)
    ev = mb.read(unit, 3, REG_EV_COUNT, 1 + 4 * 16)
    last_seq = ev[1 + 4 * (ev[0] - 1)] if ev[0] else 4
    regs = regs_of(raw.request(unit, write_read_pdu(REG_BOOT, 9, HOST_BOOT,
                                                    [boot, last_seq, 5, CMD_SET_SERVICES, 1,
                                                     0x3])), 0x17)
    check(regs[0] == boot and regs[REG_DONE_SEQ - REG_BOOT] == 5 and
          regs[REG_EV_COUNT - REG_BOOT] == 0,
          "FC 0x17: the ack and command written first, then read: done seq 5, FIFO empty")
    check(k.cmd("offered") == "3", "FC 0x17's SET_SERVICES took effect (mask 3)")
    pdu = raw.request(unit, write_read_pdu(READ_COUNT, 1, HOST_BOOT,
                                           [boot, last_seq, 6, CMD_SET_SERVICES, 1, 0x1]))
    check(pdu == bytes([0x97, EXC_ILLEGAL_ADDRESS]),
          "FC 0x17 reading at 81: ILLEGAL DATA ADDRESS (%s)" % pdu.hex())
    check(mb.read(unit, 4, REG_DONE_SEQ, 1) == [5] and k.cmd("offered") == "3",
          "... and its write part was not applied")
    pdu = raw.request(unit, write_read_pdu(REG_BOOT, 1, 0, [1]))
    check(pdu == bytes([0x97, EXC_ILLEGAL_ADDRESS]), "FC 0x17 writing at 0: ILLEGAL ADDRESS")
    regs = regs_of(raw.request(unit, write_read_pdu(HOST_BOOT, 3, CMD_NARGS, [1])), 0x17)
    check(regs == [boot, last_seq, 5], "FC 0x17 reading the host block it writes")

    # Malformed and unusual requests, by hand.
    check(raw.request(unit, read_pdu(0, 0)) == bytes([0x83, EXC_ILLEGAL_VALUE]),
          "FC 03 of 0 registers: ILLEGAL DATA VALUE")
    check(raw.request(unit, read_pdu(0, 126, 4)) == bytes([0x84, EXC_ILLEGAL_VALUE]),
          "FC 04 of 126 registers: ILLEGAL DATA VALUE")
    check(raw.request(unit, struct.pack(">BHHB", 0x10, HOST_BOOT, 2, 2) + b"\0\1") ==
          bytes([0x90, EXC_ILLEGAL_VALUE]), "FC 16 whose byte count is not 2 x count: ILLEGAL "
          "DATA VALUE")
    check(raw.request(unit, struct.pack(">BHHHHB", 0x17, 8, 1, HOST_BOOT, 2, 2) + b"\0\1") ==
          bytes([0x97, EXC_ILLEGAL_VALUE]), "FC 0x17 whose byte count is not 2 x count: ILLEGAL "
          "DATA VALUE")
    check(raw.request(unit, bytes([0x2b])) == bytes([0xab, EXC_ILLEGAL_FUNCTION]),
          "FC 0x2b: ILLEGAL FUNCTION")
    check(raw.request(unit + 1, read_pdu(0, 1)) == bytes([0x83, EXC_GATEWAY_TARGET]),
          "another unit id over TCP: GATEWAY TARGET FAILED TO RESPOND")
    check(regs_of(raw.request(0xff, read_pdu(0, 1)), 3) == [KIOSK], "unit 0xFF is answered")

    # Several masters at once, and a bad one.
    check(mb.read(unit, 3, 0, 1) == [KIOSK], "mbpoll is served while another master is connected")
    check(regs_of(raw.request(unit, read_pdu(1, 1, 4)), 4) == [PROTO_VERSION],
          "the first master is still served")
    bad = RawTcp(port)
    bad.s.sendall(b"\x00\x01\x00\x00\x00\x09\x07\x10\x00\x64\x00\x7f\xfe" + b"\0" * 3)
    wait_for(bad.closed, "the slave to drop a master sending a torn frame")
    check(True, "a master sending a torn frame is disconnected")
    bad2 = RawTcp(port)
    bad2.s.sendall(b"\xff" * 300)
    wait_for(bad2.closed, "the slave to drop a master sending garbage")
    check(True, "a master sending garbage is disconnected")
    bad.close()
    bad2.close()
    check(regs_of(raw.request(unit, read_pdu(0, 1)), 3) == [KIOSK] and kp.poll() is None,
          "after them the slave still answers")
    check(k.status()["bad_frames"] >= 2, "status counts the bad frames")
    raw.close()

    # The window terminal: identity, a key, SHOW_TEXT in Chinese.
    wport, wunit = free_port(), 12
    wsock = os.path.join(work, "window.sock")
    wp = procs.start("window", [window_exe, "--tcp", "127.0.0.1:%d" % wport, "--unit",
                                str(wunit), "--control", wsock])
    w = Control(wsock)
    wmb = Mbpoll(tcp_port=wport)
    regs = wmb.read(wunit, 3, 0, 17)
    check_identity(regs, "window (default serial)", WINDOW, 2 * 1000000 + wunit, version, 0)
    wboot = regs[REG_BOOT]
    w.cmd("key next")
    w.cmd("wait-idle")
    check(wmb.read(wunit, 3, REG_EV_COUNT, 5) == [1, 1, EV_NEXT, 0, 0],
          "key next: one event, seq 1, NEXT, arg 0")
    lines = ["请A001号到5号窗口", "已呼叫 等候3人"]
    args = show_text_args(0, lines)
    wmb.write(wunit, HOST_BOOT, [wboot, 1, 1, CMD_SHOW_TEXT, len(args)] + args)
    check(wmb.read(wunit, 4, REG_DONE_SEQ, 2) == [1, RESULT_OK] and
          wmb.read(wunit, 3, REG_EV_COUNT, 1) == [0], "SHOW_TEXT taken, the NEXT acknowledged")
    check(w.cmd("text") == "|".join(lines), "text on the control socket: " + "|".join(lines))
    w.cmd("login 1001 2222")
    w.cmd("wait-idle")
    fifo = wmb.read(wunit, 3, REG_EV_COUNT, 5)
    check(fifo == [1, 2, EV_LOGIN, 1001, 2222],
          "login 1001 2222: LOGIN, arg staff 1001 << 16 | PIN 2222: %r" % fifo)
    check(w.raw("key launch").startswith("error:") and w.raw("login 12").startswith("error:")
          and w.raw("type 12x").startswith("error:") and w.raw("").startswith("error:"),
          "bad window commands are refused with error:")

    # The hall display: four lines, SHOW_TEXT at line 3.
    dport, dunit = free_port(), 30
    dsock = os.path.join(work, "display.sock")
    dp = procs.start("display", [display_exe, "--tcp", "127.0.0.1:%d" % dport, "--unit",
                                 str(dunit), "--control", dsock])
    d = Control(dsock)
    dmb = Mbpoll(tcp_port=dport)
    regs = dmb.read(dunit, 3, 0, 17)
    check_identity(regs, "display", DISPLAY, 3 * 1000000 + dunit, version, 0)
    args = show_text_args(2, ["市政务服务中心"])
    dmb.write(dunit, HOST_BOOT, [regs[REG_BOOT], 0, 9, CMD_SHOW_TEXT, len(args)] + args)
    check(d.cmd("text").split("|") == ["", "", "市政务服务中心", ""],
          "display text: line 3 of 4 is 市政务服务中心")

    # Clean stops.
    for p, c, s, what in ((kp, k, sock, "kiosk-fw"), (wp, w, wsock, "window-fw"),
                          (dp, d, dsock, "display-fw")):
        c.close()
        check(procs.stop(p) == 0 and not os.path.exists(s),
              "%s exits 0 on SIGTERM and removes its control socket" % what)


# ---------------------------------------------------------------- rtu

def test_rtu(exes, work, procs):
    _, window_exe, _ = exes
    version = fw_version(window_exe)
    a, b = os.path.join(work, "ttyA"), os.path.join(work, "ttyB")
    procs.start("socat", ["socat", "-d", "-d", "pty,raw,echo=0,link=" + a,
                          "pty,raw,echo=0,link=" + b], wrap=False)
    wait_for(lambda: os.path.exists(a) and os.path.exists(b), "socat's pseudo-terminals")
    unit = 3
    sock = os.path.join(work, "window.sock")
    wp = procs.start("window", [window_exe, "--rtu", a, "--baud", "115200", "--parity", "N",
                                "--data-bits", "8", "--stop-bits", "1", "--rs485", "--unit",
                                str(unit), "--control", sock, "--log-level", "debug"])
    w = Control(sock)
    check("RS-485" in procs.log(wp) and wp.poll() is None,
          "--rs485 on a pseudo-terminal: a warning, and the program goes on")
    mb = Mbpoll(tty=b)
    regs = mb.read(unit, 3, 0, 17)
    check_identity(regs, "window over RTU", WINDOW, 2 * 1000000 + unit, version, 0)
    boot = regs[REG_BOOT]
    check(mb.read(unit, 4, 0, 3) == [WINDOW, PROTO_VERSION, version], "FC 03 over RTU too")

    w.cmd("key next")
    w.cmd("key finish")
    w.cmd("wait-idle")
    fifo = mb.read(unit, 3, REG_EV_COUNT, 9)
    check(fifo == [2, 1, EV_NEXT, 0, 0, 2, EV_NEXT + 4, 0, 0],
          "next, finish: seq 1 NEXT, seq 2 FINISH: %r" % fifo)
    mb.write(unit, HOST_BOOT, [boot, 2])
    check(mb.read(unit, 3, REG_EV_COUNT, 1) == [0], "ACK_SEQ 2 empties the FIFO")
    rc, _, err = mb.run(unit, 3, 81, 1)
    check(rc != 0 and "Illegal data address" in err, "RTU: a read at 81 is an illegal address")
    lines = ["1号窗口 欢迎您", "等候2人"]
    args = show_text_args(0, lines)
    mb.write(unit, HOST_BOOT, [boot, 2, 1, CMD_SHOW_TEXT, len(args)] + args)
    check(w.cmd("text") == "|".join(lines), "RTU: SHOW_TEXT shows " + "|".join(lines))

    # Raw frames on the line: a bad CRC, a broadcast, then a normal request.
    fd = os.open(b, os.O_RDWR | os.O_NOCTTY)
    try:
        def send(frame):
            os.write(fd, frame)

        def recv(n):
            data = b""
            end = time.monotonic() + TIMEOUT
            while len(data) < n and time.monotonic() < end:
                r, _, _ = select.select([fd], [], [], 0.1)
                if r:
                    data += os.read(fd, n - len(data))
            return data

        before = w.status()["bad_frames"]
        frame = bytes([unit]) + read_pdu(0, 1)
        send(frame + b"\x00\x00")
        wait_for(lambda: w.status()["bad_frames"] > before, "the bad CRC counted")
        check(True, "a frame with a bad CRC is dropped and counted")
        args = show_text_args(1, ["广播"])
        pdu = struct.pack(">BHHB", 0x10, HOST_BOOT, 5 + len(args), 2 * (5 + len(args)))
        pdu += b"".join(struct.pack(">H", v) for v in [boot, 2, 2, CMD_SHOW_TEXT, len(args)]
                        + args)
        send(bytes([0]) + pdu + crc16(bytes([0]) + pdu))
        wait_for(lambda: w.cmd("text") == "1号窗口 欢迎您|广播", "the broadcast text")
        check(True, "a broadcast (unit 0) SHOW_TEXT is applied")
        frame = bytes([unit]) + read_pdu(REG_DONE_SEQ, 1)
        send(frame + crc16(frame))
        reply = recv(7)
        body = bytes([unit, 3, 2, 0, 2])
        check(reply == body + crc16(body),
              "the broadcast got no reply: the next reply is the next request's (seq 2): %s"
              % reply.hex())

        # A shared line: requests for other units, their answers (or none),
        # noise; each followed at once by a request for us, in one write.
        ours = bytes([unit]) + read_pdu(REG_TYPE, 1, 4)
        ours += crc16(ours)
        answer = bytes([unit, 4, 2, 0, WINDOW])
        answer += crc16(answer)
        other = bytes([9]) + write_read_pdu(REG_BOOT, 9, HOST_BOOT, [1, 2, 3])
        other += crc16(other)
        other_answer = bytes([9, 0x17, 18]) + bytes(18)
        other_answer += crc16(other_answer)
        other_exc = bytes([9, 0x83, 2])
        other_exc += crc16(other_exc)
        for what, before in (
                ("after a request for unit 9 that nobody answers", other),
                ("after a request for unit 9 and its answer", other + other_answer),
                ("after unit 9's exception answer", other_exc),
                ("after FC 16 for unit 9 and a read for unit 1",
                 bytes([9]) + (lambda p: p + crc16(bytes([9]) + p))(
                     struct.pack(">BHHB", 0x10, 100, 2, 4) + bytes(4))
                 + (lambda f: f + crc16(f))(bytes([1]) + read_pdu(0, 10))),
                ("after noise", b"\x55\xaa\x01")):
            send(before + ours)
            got = recv(len(answer))
            check(got == answer, "a request for us is answered %s (%s)" % (what, got.hex()))
        send(ours[:3])
        send(ours[3:])
        check(recv(len(answer)) == answer, "a request that comes in two pieces is answered")
    finally:
        os.close(fd)

    # mbpoll asking an absent unit, then ours: answered at once (libmodbus
    # 3.1.6's own receive would drop our request as the absent one's answer).
    rc, _, _ = mb.run(9, 3, 0, 1, timeout_s="0.5")
    check(rc != 0, "a request for unit 9 gets no answer")
    check(mb.read(unit, 3, 0, 1) == [WINDOW],
          "the next request for unit %d is answered, the first time" % unit)

    w.close()
    check(procs.stop(wp) == 0 and not os.path.exists(sock),
          "window-fw on RTU exits 0 on SIGTERM and removes its control socket")


def main():
    if len(sys.argv) != 5 or sys.argv[1] not in ("cli", "tcp", "rtu"):
        print("usage: test_fw_port.py cli|tcp|rtu KIOSK_FW WINDOW_FW DISPLAY_FW",
              file=sys.stderr)
        return 2
    exes = [os.path.abspath(a) for a in sys.argv[2:5]]
    work = tempfile.mkdtemp(prefix="hallq-fwport-")
    procs = Procs(work)

    def on_signal(sig, frame):
        raise SystemExit(128 + sig)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    ok = False
    try:
        if sys.argv[1] == "cli":
            test_cli(exes, work)
        elif sys.argv[1] == "tcp":
            test_tcp(exes, work, procs)
        else:
            test_rtu(exes, work, procs)
        ok = True
    except Failure as e:
        print("not ok - %s" % e)
    finally:
        running = list(procs.procs)
        procs.stop_all()
        if not ok:
            for p in running:
                print("---- %s ----\n%s" % (p.name, procs.log(p)[-4000:]))
        shutil.rmtree(work, ignore_errors=True)
    print("1..%d" % checks)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
