#!/usr/bin/env python3
"""test_kiosk_usb.py — the product path to paper with the libusb
transport: hostd issues a ticket over Modbus TCP, kiosk-fw lays it out
as ESC/POS (drivers/escpos) and sends it through libusb to a USB
receipt printer 0416:5011 that tests/escpos_usb/usbmock.c mocks with
umockdev (its "serve" scenario runs kiosk-fw under umockdev-wrapper).

The printer is driven through files in its directory: paper.bin gets
every byte it took, status holds its answers to DLE EOT 1, 2, 4, and
unplug, while it exists, makes it vanish in the middle of the next
ticket (it comes back when the file goes).

usage: test_kiosk_usb.py BUILD_DIR
The expected lines and bits are written out here from docs/escpos.md,
firmware/proto/proto.h and the config below.
"""
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import hall_harness as hh  # noqa: E402

# PROTO_PRINTER_* (firmware/proto/proto.h)
OK, NEAR_END, PAPER_OUT, OFFLINE = 0x01, 0x02, 0x04, 0x10
URL = "http://127.0.0.1:8080/t/"
HALL = "测试政务服务中心"
FOOTER = "过号请重新取号"
SERVICE = hh.SERVICE_NAMES[1]  # s1, 工商变更, prefix B: button 1
STATUS_POLL_S = 2  # kiosk-fw reads the printer's status every 2 s

check = hh.check


def main():
    hh.main(lambda hall, build, work: run(hall, build, work), "hallq-kiosk-usb-", 60)


def line(text, w=1, h=1, bold=0, align="center"):
    return 'line w=%d h=%d bold=%d underline=0 align=%s "%s"' % (w, h, bold, align, text)


class Printer:
    """The mocked printer's directory (usbmock serve DIR)."""

    def __init__(self, path):
        self.dir = path
        os.mkdir(path)
        self.paper = os.path.join(path, "paper.bin")

    def set_status(self, text):
        # whole or not at all: the mock reads it at every status question
        tmp = os.path.join(self.dir, "status.tmp")
        with open(tmp, "w") as f:
            f.write(text + "\n")
        os.rename(tmp, os.path.join(self.dir, "status"))

    def unplug(self, on):
        path = os.path.join(self.dir, "unplug")
        if on:
            open(path, "w").close()
        else:
            os.remove(path)

    def size(self):
        return os.path.getsize(self.paper) if os.path.exists(self.paper) else 0

    def since(self, offset):
        with open(self.paper, "rb") as f:
            f.seek(offset)
            return f.read()


def decode(build, data, png):
    """ticket-render --text of data; the lines, and the picture in png."""
    path = png[:-4] + ".bin"
    with open(path, "wb") as f:
        f.write(data)
    p = subprocess.run([os.path.join(build, "tools", "ticket-render", "ticket-render"), path,
                        "-o", png, "--width", "58", "--text"], capture_output=True)
    if p.returncode != 0:
        raise hh.Failure("ticket-render: " + p.stderr.decode())
    return p.stdout.decode("utf-8").splitlines()


def check_ticket(build, work, data, number, ahead):
    """The bytes of one ticket decode to its lines, and zbarimg reads its QR
    (the status URL: URL and the ticket's token, docs/api.md)."""
    png = os.path.join(work, number + ".png")
    token = hh.ticket_token(os.path.join(work, "hallq.db"), number)
    items = decode(build, data, png)
    want_head = [line(HALL, bold=1), line(number, 3, 3), line(SERVICE, 1, 2),
                 line("前面还有 %d 人" % ahead, align="left")]
    want_tail = ['qr model=2 module=6 ec=M align=center "%s%s"' % (URL, token),
                 line(FOOTER), "feed 4", "cut partial"]
    shown = "\n".join(items)
    check(items[:4] == want_head,
          "%s: hall bold, number at 3x, service at 2x high, %d ahead%s" %
          (number, ahead, "" if items[:4] == want_head else ":\n" + shown))
    check(len(items) == 10 and
          items[4].startswith(line("预计等待 ", align="left")[:-1]) and
          items[4].endswith(' 分钟"') and
          items[5].startswith(line("取号时间 2", align="left")[:-1]),
          "%s: then the estimated wait and the issue time%s" %
          (number, "" if len(items) == 10 else ":\n" + shown))
    check(items[6:] == want_tail,
          "%s: QR (model 2, 6-dot modules on 58 mm, EC M) of %s%s, footer, feed 4, "
          "partial cut%s" % (number, URL, token, "" if items[6:] == want_tail else
                             ":\n" + shown))
    z = subprocess.run(["zbarimg", "--raw", "-q", png], capture_output=True)
    codes = z.stdout.decode().split()
    check(codes == [URL + token], "%s: zbarimg reads %s%s from the picture: %s" %
          (number, URL, token, codes))


def printer_statuses(hostd):
    """The PRINTER values hostd logged for kiosk-1, in order."""
    with open(hostd.log_path, "rb") as f:
        text = f.read().decode("utf-8", "replace")
    return [int(v, 16) for v in re.findall(r"kiosk kiosk-1: printer status ([0-9a-f]{4})", text)]


def log_has(proc, text):
    with open(proc.log_path, "rb") as f:
        return text.encode() in f.read()


def states(db):
    return hh.db_rows(db, "SELECT ticket, state FROM tickets ORDER BY ticket")


def run(hall, build, work):
    kport = hh.free_port()
    cfg_path = os.path.join(work, "hall.json")
    db = os.path.join(work, "hallq.db")
    hh.hall_config(cfg_path, [hh.tcp_bus("lan", kport)],
                   [{"id": "kiosk-1", "type": "kiosk", "bus": "lan", "address": 1,
                     "services": ["s0", "s1"]}])
    printer = Printer(os.path.join(work, "printer"))
    sock = os.path.join(work, "k1.sock")
    kiosk = hall.start("k1", [
        hall.prog("tests/escpos_usbmock"), "serve", printer.dir, "--",
        hall.prog("firmware/posix/kiosk-fw"), "--tcp", "127.0.0.1:%d" % kport, "--unit", "1",
        "--buttons", "2", "--printer", "usb:0416:5011", "--paper", "58", "--hall", HALL,
        "--footer", FOOTER, "--ticket-url", URL, "--control", sock])
    k1 = hall.control("k1")
    hostd = hall.hostd(cfg_path, db)

    # a. the printer answers 12 12 12 (no status file yet): buttons 0 and 1
    hh.wait_for(lambda: k1.cmd("offered").strip() == "3", 30, "the kiosk offering 2 buttons")
    check(True, "with the USB printer answering 12 12 12 the kiosk offers both buttons")

    # b. a ticket through libusb
    start = printer.size()
    k1.cmd("press 1")
    hh.wait_for(lambda: k1.cmd("printed").strip() == "1", 20, "B001 printed")
    check(states(db) == [("B001", "waiting")], "hostd issued B001 for button 1")
    check_ticket(build, work, printer.since(start), "B001", 0)

    # c. paper out: DLE EOT 2 bit 5 and DLE EOT 4 bits 5, 6
    printer.set_status("12 32 72")
    hh.wait_for(lambda: k1.cmd("offered").strip() == "0", 3 * STATUS_POLL_S + 2,
                "the kiosk withdrawing its buttons at paper out")
    check(True, "paper out (12 32 72): the kiosk offers no button")
    hh.wait_for(lambda: any(s & PAPER_OUT for s in printer_statuses(hostd)), 10,
                "hostd logging PAPER_OUT")
    check(printer_statuses(hostd)[-1] == PAPER_OUT,
          "hostd logs kiosk-1's printer status PAPER_OUT (0004): %s" %
          ["%04x" % s for s in printer_statuses(hostd)])
    printer.set_status("12 12 1e")
    hh.wait_for(lambda: k1.cmd("offered").strip() == "3", 3 * STATUS_POLL_S + 2,
                "the buttons back at paper near its end")
    check(True, "paper near its end (12 12 1e): both buttons offered again")
    hh.wait_for(lambda: printer_statuses(hostd)[-1] == OK | NEAR_END, 10,
                "hostd logging OK | NEAR_END")
    check(True, "hostd logs kiosk-1's printer status OK | NEAR_END (0003)")

    # d. the printer vanishes in the middle of B002, and comes back
    printer.unplug(True)
    start = printer.size()
    k1.cmd("press 1")
    hh.wait_for(lambda: log_has(hostd, "kiosk kiosk-1: a print failed"), 20,
                "hostd hearing PRINT_FAILED")
    check(True, "unplugged mid-job: the kiosk reports PRINT_FAILED to hostd")
    hh.wait_for(lambda: ("B002", "cancelled") in states(db), 10, "B002 cancelled")
    check(states(db) == [("B001", "waiting"), ("B002", "cancelled")],
          "hostd cancelled B002, the ticket nobody holds: %s" % states(db))
    check(k1.cmd("printed").strip() == "1", "B002 is not counted as printed")
    check(k1.cmd("offered").strip() == "0", "the printer gone: the kiosk offers no button")
    taken = printer.since(start)
    check(b"\x1b\x40" in taken and b"B002" in taken and b"\x1d\x56\x01" not in taken,
          "the printer took the start of B002 (%d bytes), not its cut" % len(taken))
    time.sleep(STATUS_POLL_S + 1)  # a status poll or more while it is away
    check(k1.cmd("offered").strip() == "0", "still no button while the printer is away")
    printer.unplug(False)
    hh.wait_for(lambda: k1.cmd("offered").strip() == "3", 10,
                "the kiosk finding the printer again")
    check(True, "plugged back in: the kiosk reopens it and offers both buttons")
    start = printer.size()
    k1.cmd("press 1")
    hh.wait_for(lambda: k1.cmd("printed").strip() == "2", 20, "B003 printed")
    check(states(db) == [("B001", "waiting"), ("B002", "cancelled"), ("B003", "waiting")],
          "hostd issued B003: %s" % states(db))
    # B001 still waits in service s1; B002 was cancelled
    check_ticket(build, work, printer.since(start), "B003", 1)

    # e. everyone still there, and the mock saw nothing wrong
    check(hostd.alive(), "hostd still running")
    check(kiosk.alive(), "kiosk-fw (under the mock) still running")
    check(not log_has(kiosk, "usbmock: FAIL"),
          "the mock saw no request outside the printer interface")
    hall.drop_control("k1")
    rc = kiosk.stop()
    check(rc == 0, "SIGTERM reaches kiosk-fw through the mock; both end with status 0 (%s)"
          % rc)
    check(not os.path.exists(sock), "kiosk-fw removed its control socket on the way out")


if __name__ == "__main__":
    main()
