#!/usr/bin/env python3
"""ticket_model.py — an independent model of the ticket layout of
docs/escpos.md, written from the document and the ESC/POS command
definitions, not from drivers/escpos/ticket.c. Python's own gb18030 codec
does the Chinese text.

    ticket_model.py OUT.bin FIELD=VALUE...   (see FIELDS)

The golden tickets in tests/golden/ are this model's output; the test
(test_ticket_golden.py) checks that escpos-ticket writes the same bytes.
"""
import sys

ESC, GS, FS = b"\x1b", b"\x1d", b"\x1c"
CAP_M = [0, 14, 26, 42, 62, 84, 106, 122, 152, 180, 213]  # QR byte capacity, level M


def gb(text):
    """Printable ASCII and two-byte GB18030; anything else '?'."""
    out = b""
    for ch in text:
        if " " <= ch <= "~":
            out += ch.encode()
            continue
        try:
            g = ch.encode("gb18030")
        except UnicodeEncodeError:
            g = b"?"
        out += g if len(g) == 2 else b"?"
    return out


def chars_of(g):
    i = 0
    while i < len(g):
        n = 2 if g[i] >= 0x81 else 1
        yield g[i:i + n]
        i += n


def wrapped(text, cols):
    """At most two lines of cols columns; cut with '…' (A1 AD)."""
    chars = list(chars_of(gb(text)))
    lines, cur, used = [], b"", 0
    for c in chars:
        if used + len(c) > cols:
            lines.append(cur)
            cur, used = b"", 0
        cur += c
        used += len(c)
    if cur:
        lines.append(cur)
    if len(lines) > 2:
        last = list(chars_of(lines[1]))
        while sum(len(c) for c in last) + 2 > cols:
            last.pop()
        lines = [lines[0], b"".join(last) + b"\xa1\xad"]
    return b"".join(line + b"\n" for line in lines)


def ticket(f):
    width = int(f.get("width", "58"))
    cols = int(f.get("chars", "0")) or (32 if width == 58 else 48)
    out = ESC + b"@" + FS + b"&" + ESC + b"a\x01"
    if f.get("hall"):
        out += ESC + b"E\x01" + wrapped(f["hall"], cols) + ESC + b"E\x00"
    out += GS + b"!\x22" + f["number"].encode() + b"\n"
    out += GS + b"!\x01" + wrapped(f["service"], cols) + GS + b"!\x00"
    cls = f.get("class", "normal")
    if cls != "normal":
        mark = "【绿色通道】" if cls == "green" else "【预约】"
        out += ESC + b"E\x01" + gb(mark) + b"\n" + ESC + b"E\x00"
    out += ESC + b"a\x00"
    if "ahead" in f:
        out += gb("前面还有 %s 人" % f["ahead"]) + b"\n"
    if "wait" in f:
        out += gb("预计等待 %s 分钟" % f["wait"]) + b"\n"
    out += gb("取号时间 " + f["time"]) + b"\n"
    out += ESC + b"a\x01"
    url = f.get("url", "").encode()
    if url:
        assert len(url) <= CAP_M[10]
        module = 6 if width == 58 else 8
        n = len(url) + 3
        out += GS + b"(k\x04\x00\x31\x41\x32\x00"          # model 2
        out += GS + b"(k\x03\x00\x31\x43" + bytes([module])  # module size
        out += GS + b"(k\x03\x00\x31\x45\x31"               # error correction M
        out += GS + b"(k" + bytes([n & 255, n >> 8]) + b"\x31\x50\x30" + url
        out += GS + b"(k\x03\x00\x31\x51\x30"               # print
    if f.get("footer"):
        out += wrapped(f["footer"], cols)
    out += ESC + b"d\x04" + GS + b"V\x01"
    return out


if __name__ == "__main__":
    fields = dict(a.split("=", 1) for a in sys.argv[2:])
    with open(sys.argv[1], "wb") as fh:
        fh.write(ticket(fields))
