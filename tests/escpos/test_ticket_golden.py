#!/usr/bin/env python3
"""test_ticket_golden.py — escpos-ticket against the golden tickets and
against the independent layout model (ticket_model.py), and its answers
to bad input.

usage: test_ticket_golden.py BUILD_DIR
"""
import os
import random
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import ticket_model  # noqa: E402

GOLDEN = os.path.join(HERE, "..", "golden")
checks = 0


def check(cond, what):
    global checks
    checks += 1
    if not cond:
        print("not ok %d - %s" % (checks, what))
        sys.exit(1)
    print("ok %d - %s" % (checks, what))


def run(exe, args):
    p = subprocess.run([exe] + args + ["-o", "-"], capture_output=True)
    return p.returncode, p.stdout, p.stderr.decode("utf-8", "replace")


def args_of(f):
    """escpos-ticket options for a model field dict."""
    a = ["--number", f["number"], "--service", f["service"], "--time", f["time"]]
    for key, opt in (("hall", "--hall"), ("ahead", "--ahead"), ("wait", "--wait-min"),
                     ("class", "--class"), ("url", "--url"), ("footer", "--footer"),
                     ("width", "--width"), ("chars", "--chars")):
        if key in f:
            a += [opt, f[key]]
    return a


def main():
    exe = os.path.join(os.path.abspath(sys.argv[1]), "tools", "escpos-ticket", "escpos-ticket")

    # The golden tickets: the model wrote them; the program writes the same.
    golden = {
        "ticket-58.bin": {"hall": "市政务服务中心", "number": "A023", "service": "企业注册登记",
                          "ahead": "5", "wait": "12", "time": "2026-11-28 09:05",
                          "url": "http://hall.example.cn/t/A023", "footer": "过号请重新取号",
                          "width": "58"},
        "ticket-80-green.bin": {"hall": "市政务服务中心", "number": "B107",
                                "service": "不动产登记 (二手房转移)", "class": "green",
                                "ahead": "0", "wait": "0", "time": "2026-11-28 14:30",
                                "url": "http://hall.example.cn/t/B107",
                                "footer": "过号请重新取号，谢谢合作", "width": "80"},
    }
    for name, f in golden.items():
        with open(os.path.join(GOLDEN, name), "rb") as fh:
            want = fh.read()
        check(ticket_model.ticket(f) == want, "%s is the model's ticket" % name)
        rc, got, err = run(exe, args_of(f))
        check(rc == 0 and got == want, "escpos-ticket writes %s byte for byte" % name)
    # The decoder (ticket-render --text) reads the golden tickets back into
    # the fields they were made from; zbarimg reads the QR off the picture.
    render = os.path.join(os.path.abspath(sys.argv[1]), "tools", "ticket-render",
                          "ticket-render")
    for name, f in golden.items():
        def line(text, w=1, h=1, bold=0, align="center"):
            return 'line w=%d h=%d bold=%d underline=0 align=%s "%s"' % (w, h, bold, align, text)
        module = 6 if f["width"] == "58" else 8
        want = [line(f["hall"], bold=1), line(f["number"], 3, 3), line(f["service"], 1, 2)]
        if f.get("class") == "green":
            want.append(line("【绿色通道】", bold=1))
        want += [line("前面还有 %s 人" % f["ahead"], align="left"),
                 line("预计等待 %s 分钟" % f["wait"], align="left"),
                 line("取号时间 " + f["time"], align="left"),
                 'qr model=2 module=%d ec=M align=center "%s"' % (module, f["url"]),
                 line(f["footer"]), "feed 4", "cut partial"]
        png = os.path.join(os.environ.get("TMPDIR", "/tmp"), "golden-%d-%s.png" % (os.getpid(),
                                                                                 name))
        p = subprocess.run([render, os.path.join(GOLDEN, name), "-o", png, "--width",
                            f["width"], "--text"], capture_output=True)
        got = p.stdout.decode("utf-8").splitlines()
        check(p.returncode == 0 and got == want,
              "%s decodes back to its fields%s" % (name, "" if got == want else
                                                   ":\n" + "\n".join(got)))
        z = subprocess.run(["zbarimg", "--raw", "-q", png], capture_output=True)
        os.unlink(png)
        check(z.stdout.decode().strip() == f["url"], "zbarimg reads %s's QR: %s" % (name, f["url"]))

    # Hand-checked pieces of the 58 mm golden ticket.
    with open(os.path.join(GOLDEN, "ticket-58.bin"), "rb") as fh:
        g58 = fh.read()
    check(g58.startswith(b"\x1b\x40\x1c\x26"), "a ticket starts with ESC @ and FS &")
    check(b"\x1d\x21\x22A023\n" in g58, "the number at three times width and height")
    check("企业注册登记".encode("gb18030") in g58, "the service in GB18030")
    check(g58.endswith(b"\x1b\x64\x04\x1d\x56\x01"), "a ticket ends with a feed and GS V 1")
    url = b"http://hall.example.cn/t/A023"
    store = b"\x1d(k" + bytes([len(url) + 3, 0]) + b"1P0" + url
    check(store in g58, "the QR data stored with GS ( k fn 80, pL = len + 3")

    # The model and the program agree on tickets made at random.
    rnd = random.Random(20261128)
    pieces = ["社保", "医保", "不动产", "登记", "公积金", "提取", "A", "b", " ", "(", "－", "😀",
              "\x1b", "𠀀", "Ω", "…", "123", "办理", "服务中心"]
    for i in range(300):
        def text(n):
            return "".join(rnd.choice(pieces) for _ in range(rnd.randint(1, n)))
        f = {"number": rnd.choice(["A", "B", "Z"]) + "%03d" % rnd.randint(0, 999),
             "service": text(30), "time": "2026-%02d-%02d %02d:%02d" % (
                 rnd.randint(1, 12), rnd.randint(1, 28), rnd.randint(0, 23), rnd.randint(0, 59)),
             "width": rnd.choice(["58", "80"])}
        if rnd.random() < 0.7:
            f["hall"] = text(20)
        if rnd.random() < 0.7:
            f["footer"] = text(40)
        if rnd.random() < 0.8:
            f["ahead"] = str(rnd.randint(0, 500))
            f["wait"] = str(rnd.randint(0, 300))
        if rnd.random() < 0.5:
            f["class"] = rnd.choice(["normal", "green", "appointment"])
        if rnd.random() < 0.3:
            f["chars"] = str(rnd.randint(24, 72))
        if rnd.random() < 0.8:
            f["url"] = "http://h.cn/t?x=" + "q" * rnd.randint(0, 190)
        rc, got, err = run(exe, args_of(f))
        if rc != 0 or got != ticket_model.ticket(f):
            check(False, "random ticket %d agrees with the model: %r (rc %d, %s)" %
                  (i, f, rc, err))
    check(True, "300 random tickets: the program and the model write the same bytes")

    base = ["--number", "A001", "--time", "2026-11-28 09:00"]
    # An over-long service name: printed on two lines, cut with …, said on stderr.
    rc, got, err = run(exe, base + ["--service", "企业" * 40])
    check(rc == 0 and b"\xa1\xad\n" in got and "cut" in err,
          "an over-long service name is cut with … and reported")
    # An empty hall name: no hall line, no bold hall block.
    rc, got, err = run(exe, base + ["--service", "社保", "--hall", ""])
    check(rc == 0 and got.startswith(b"\x1b\x40\x1c\x26\x1b\x61\x01\x1d\x21\x22"),
          "an empty hall name prints no hall line")
    # A URL too long for QR version 10 at level M (213 bytes).
    rc213, _, _ = run(exe, base + ["--service", "社保", "--url", "http://" + "x" * 206])
    check(rc213 == 0, "a URL of exactly 213 bytes fits the QR code")
    rc214, got, err = run(exe, base + ["--service", "社保", "--url", "http://" + "x" * 207])
    check(rc214 == 1 and got == b"" and "214 bytes" in err and "at most 213" in err,
          "a 214-byte URL is refused with a clear message and no bytes")
    # Bytes that are not UTF-8, and an ESC inside a name: '?', never raw.
    bad = os.fsdecode(b"\xe4\xbd\x20\xff\x1b@")
    rc, got, err = run(exe, base + ["--service", bad])
    check(rc == 0 and b"\x1d\x21\x01?? ??@\n" in got and "became '?'" in err,
          "bad UTF-8 and ESC in a name are printed as '?' and reported")
    # Field errors: each a clear message and exit status 1 or 2.
    for extra, want_rc, words in (
            (["--service", ""], 1, "service name is empty"),
            (["--service", "x", "--width", "76"], 2, "58 or 80"),
            (["--service", "x", "--class", "vip"], 2, "normal, green or appointment"),
            (["--service", "x", "--ahead", "-3"], 2, "--ahead"),
            (["--service", "x", "--time", "2026-13-01 09:00"], 1, "date or time")):
        rc, got, err = run(exe, base + extra)
        check(rc == want_rc and got == b"" and words in err,
              "%s: exit %d, \"%s\"" % (" ".join(extra), want_rc, words))
    rc, got, err = run(exe, ["--number", "A-1", "--service", "x", "--time", "2026-11-28 09:00"])
    check(rc == 1 and "letters and digits" in err, "a number with a dash is refused")
    print("1..%d" % checks)


if __name__ == "__main__":
    main()
