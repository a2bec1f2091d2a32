#!/usr/bin/env python3
"""test_kiosk_escpos.py — the citizen's journey down to the paper: hostd
issues a ticket for a kiosk button, kiosk-fw lays it out as ESC/POS
through drivers/escpos and writes it to its printer (here --printer
file:PATH, the transport that appends the bytes to a file), and the bytes
decode (ticket-render --text) to the ticket hostd issued, with the QR
code zbarimg reads from the picture.

usage: test_kiosk_escpos.py BUILD_DIR
The expected lines are written out here from docs/escpos.md and the
config below.
"""
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import hall_harness as hh  # noqa: E402

check = hh.check


def main():
    hh.main(lambda hall, build, work: run(hall, build, work), "hallq-kiosk-escpos-", 40)


def render(build, path, width, png):
    p = subprocess.run([os.path.join(build, "tools", "ticket-render", "ticket-render"), path,
                        "-o", png, "--width", str(width), "--text"], capture_output=True)
    if p.returncode != 0:
        raise hh.Failure("ticket-render: " + p.stderr.decode())
    return p.stdout.decode("utf-8").splitlines()


def line(text, w=1, h=1, bold=0, align="center"):
    return 'line w=%d h=%d bold=%d underline=0 align=%s "%s"' % (w, h, bold, align, text)


def run(hall, build, work):
    kport = hh.free_port()
    cfg_path = os.path.join(work, "hall.json")
    db = os.path.join(work, "hallq.db")
    hh.hall_config(cfg_path, [hh.tcp_bus("lan", kport)],
                   [{"id": "kiosk-1", "type": "kiosk", "bus": "lan", "address": 1,
                     "services": ["s0", "s1"]}])
    paper = os.path.join(work, "paper.bin")
    url = "http://127.0.0.1:8080/t/"
    hall.device("kiosk", "k1", ["--tcp", "127.0.0.1:%d" % kport, "--unit", "1",
                                "--buttons", "2", "--printer", "file:" + paper,
                                "--paper", "80", "--hall", "测试政务服务中心",
                                "--footer", "过号请重新取号", "--ticket-url", url])
    k1 = hall.control("k1")
    hall.hostd(cfg_path, db)
    hh.wait_for(lambda: k1.cmd("offered").strip() == "3", 20, "the host enabling 2 buttons")
    check(True, "a kiosk with a file printer offers its buttons (the printer answers OK)")
    k1.cmd("press 1")
    hh.wait_for(lambda: k1.cmd("printed").strip() == "1", 20, "the first ticket")
    k1.cmd("green")
    k1.cmd("press 1")
    hh.wait_for(lambda: k1.cmd("printed").strip() == "2", 20, "the second ticket")
    rows = hh.db_rows(db, "SELECT ticket FROM tickets ORDER BY ticket")
    check([r[0] for r in rows] == ["B001", "B002"], "hostd issued B001 and B002")

    items = render(build, paper, 80, os.path.join(work, "paper.png"))
    cut = [i for i, x in enumerate(items) if x == "cut partial"]
    check(len(cut) == 2, "two tickets on the paper, each cut")
    first = items[:cut[0] + 1]
    # s1 is 工商变更 (hall_harness.SERVICE_NAMES[1]), prefix B
    want_head = [line("测试政务服务中心", bold=1), line("B001", 3, 3), line("工商变更", 1, 2),
                 line("前面还有 0 人", align="left")]
    check(first[:4] == want_head, "B001: hall, number at 3x, service, nobody ahead" +
          ("" if first[:4] == want_head else ":\n" + "\n".join(first[:4])))
    check(first[4].startswith('line w=1 h=1 bold=0 underline=0 align=left "预计等待 ') and
          first[5].startswith('line w=1 h=1 bold=0 underline=0 align=left "取号时间 2'),
          "B001: the estimated wait and the issue time")
    t1, t2 = hh.ticket_token(db, "B001"), hh.ticket_token(db, "B002")
    check('qr model=2 module=8 ec=M align=center "%s%s"' % (url, t1) in first,
          "B001: the QR code holds the ticket's status URL, with its token")
    check(line("过号请重新取号") in first and first[-2:] == ["feed 4", "cut partial"],
          "B001: the footer, the feed and the cut")
    second = items[cut[0] + 1:]
    check(line("【绿色通道】", bold=1) in second and line("B002", 3, 3) in second,
          "B002 carries the green channel mark")
    z = subprocess.run(["zbarimg", "--raw", "-q", os.path.join(work, "paper.png")],
                       capture_output=True)
    codes = sorted(z.stdout.decode().split())
    check(codes == sorted([url + t1, url + t2]), "zbarimg reads both QR codes: %s" % codes)
    try:
        k1.cmd("paper out")
        refused = ""
    except hh.Failure as e:
        refused = str(e)
    check("reports its own paper" in refused,
          "paper and cover are not simulated with a real printer")


if __name__ == "__main__":
    main()
