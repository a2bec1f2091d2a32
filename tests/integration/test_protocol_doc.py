#!/usr/bin/env python3
"""test_protocol_doc.py — docs/protocol.md against firmware/proto/proto.h.

Checks that the protocol page says what the header says:

- every constant of proto.h (#define PROTO_VERSION and every enumerator)
  is named in one of the page's value tables (first header cell address,
  value, type, bit, state, result, code, key, arg or exception) in a row
  whose first cell holds its value, and no such row gives it another;
- every `PROTO_...` name in backticks on the page exists in the header;
- every worked frame (lines "RTU> ..", "RTU< ..", "TCP> ..", "TCP< .." in
  fenced blocks) is well formed: CRC-16/MODBUS (computed here), MBAP
  length, byte and register counts, exceptions, and each reply matches
  the request before it;
- the "GB18030: text = bytes" line is the text's GB18030 encoding, and
  those bytes are in a frame;
- the timing table agrees with the frame-length formula.

usage: test_protocol_doc.py PROJECT_SOURCE_DIR
Python standard library only.
"""
import os
import re
import sys

VALUE_TABLES = {"address", "value", "type", "bit", "state", "result", "code", "key", "arg",
                "exception"}

checks = 0
failures = []


def check(cond, what):
    global checks
    checks += 1
    if cond:
        print("ok %d - %s" % (checks, what))
    else:
        print("not ok %d - %s" % (checks, what))
        failures.append(what)
    return cond


# ------------------------------------------------------------ CRC-16/MODBUS

def crc16_modbus(data):
    """CRC-16/MODBUS: reflected polynomial 0xA001, initial value 0xFFFF."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            if crc & 1:
                crc = (crc >> 1) ^ 0xA001
            else:
                crc >>= 1
    return crc


# ------------------------------------------------------------ the header

def evaluate(expr, known):
    """An enum initializer: integers, names already defined, + - * / << | ( )."""
    def name(m):
        if m.group(0) not in known:
            raise ValueError("unknown name %s in %r" % (m.group(0), expr))
        return str(known[m.group(0)])

    text = re.sub(r"\b[A-Za-z_]\w*\b", name, expr.strip())
    text = re.sub(r"\b(0[xX][0-9a-fA-F]+|\d+)[uUlL]*\b", r"\1", text)
    if not re.fullmatch(r"[0-9a-fA-FxX()+\-*/<>| \t\n]+", text):
        raise ValueError("cannot evaluate %r" % expr)
    text = text.replace("/", "//")  # C integer division
    return int(eval(text, {"__builtins__": {}}, {}))  # digits and operators only


def parse_header(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    text = re.sub(r"//[^\n]*", " ", text)
    consts = {}
    for m in re.finditer(r"^\s*#define\s+(PROTO_\w+)\s+(.+)$", text, re.M):
        consts[m.group(1)] = evaluate(m.group(2), consts)
    for m in re.finditer(r"\benum\b[^{};]*\{(.*?)\}\s*;", text, re.S):
        nxt = 0
        for item in m.group(1).split(","):
            item = item.strip()
            if not item:
                continue
            im = re.fullmatch(r"([A-Za-z_]\w*)\s*(?:=\s*(.+))?", item, re.S)
            if not im:
                raise ValueError("cannot parse enumerator %r" % item)
            value = evaluate(im.group(2), consts) if im.group(2) else nxt
            consts[im.group(1)] = value
            nxt = value + 1
    return consts


# ------------------------------------------------------------ the page

def split_row(line):
    cells = re.split(r"(?<!\\)\|", line.strip())
    return [c.strip() for c in cells[1:-1]]


def tables(text):
    """Yields (header cells, [(line number, row cells)]) for each table."""
    lines = text.split("\n")
    i = 0
    in_fence = False
    while i < len(lines):
        if lines[i].startswith("```"):
            in_fence = not in_fence
            i += 1
            continue
        if (not in_fence and lines[i].startswith("|") and i + 1 < len(lines)
                and re.fullmatch(r"\|(\s*:?-+:?\s*\|)+", lines[i + 1].strip())):
            header = split_row(lines[i])
            rows = []
            i += 2
            while i < len(lines) and lines[i].startswith("|"):
                rows.append((i + 1, split_row(lines[i])))
                i += 1
            yield header, rows
        else:
            i += 1


def fenced_lines(text):
    """(line number, line) of every line inside a fenced block."""
    out = []
    in_fence = False
    for n, line in enumerate(text.split("\n"), 1):
        if line.startswith("```"):
            in_fence = not in_fence
            continue
        if in_fence:
            out.append((n, line))
    return out


def first_number(cell):
    m = re.match(r"`?\s*(0[xX][0-9a-fA-F]+|\d+)", cell)
    if not m:
        return None
    return int(m.group(1), 0)


def check_constants(doc, consts):
    documented = {}
    for header, rows in tables(doc):
        if not header or header[0].lower() not in VALUE_TABLES:
            continue
        for n, cells in rows:
            names = re.findall(r"`(PROTO_[A-Z0-9_]+)`", " | ".join(cells))
            value = first_number(cells[0]) if cells else None
            if not names or value is None:
                continue
            name = names[0]
            if name not in consts:
                continue  # reported by the name check below
            if not check(consts[name] == value,
                         "line %d: %s is %d in the table (proto.h: %d)" % (n, name, value,
                                                                          consts[name])):
                continue
            documented.setdefault(name, n)
    for name in sorted(consts, key=lambda k: (k.split("_")[1], consts[k], k)):
        if name in documented:
            check(True, "%s = %d is in the tables (line %d)" % (name, consts[name],
                                                              documented[name]))
        else:
            check(False, "%s = %d is in no table row of docs/protocol.md" % (name, consts[name]))
    for name in sorted(set(re.findall(r"`(PROTO_[A-Z0-9_]+)`", doc))):
        if name not in consts:
            check(False, "docs/protocol.md names `%s`, which proto.h does not define" % name)
    for group in ("PROTO_REG_", "PROTO_HREG_", "PROTO_EV_", "PROTO_CMD_"):
        n = sum(1 for k in consts if k.startswith(group))
        check(n > 0, "proto.h has %d %s* constants, all checked above" % (n, group))


# ------------------------------------------------------------ frames

def regs_of(data):
    return [data[i] << 8 | data[i + 1] for i in range(0, len(data) - 1, 2)]


def check_pdu(pdu, request, what):
    """Structure of one PDU; returns a short description for pairing, or None."""
    if not check(len(pdu) >= 2 and len(pdu) <= 253, "%s: PDU of %d bytes" % (what, len(pdu))):
        return None
    fc = pdu[0]
    if fc & 0x80:
        ok = (not request and len(pdu) == 2 and fc & 0x7F in (0x03, 0x04, 0x06, 0x10, 0x17)
              and pdu[1] in (1, 2, 3))
        check(ok, "%s: exception %02x to FC %02x is a 2-byte reply with code 01..03"
              % (what, pdu[1], fc & 0x7F))
        return ("exception", fc & 0x7F) if ok else None
    if fc in (0x03, 0x04):
        if request:
            ok = len(pdu) == 5
            n = pdu[3] << 8 | pdu[4] if ok else 0
            check(ok and 1 <= n <= 125, "%s: FC %02x request reads 1..125 registers" % (what, fc))
            return ("read", fc, n)
        ok = len(pdu) == 2 + pdu[1] and pdu[1] % 2 == 0
        check(ok, "%s: FC %02x reply's byte count %d matches its %d data bytes"
              % (what, fc, pdu[1], len(pdu) - 2))
        return ("read", fc, pdu[1] // 2)
    if fc == 0x06:
        check(len(pdu) == 5, "%s: FC 06 is 5 bytes" % what)
        return ("echo", fc, pdu)
    if fc == 0x10:
        if request:
            n = pdu[3] << 8 | pdu[4]
            ok = len(pdu) == 6 + pdu[5] and pdu[5] == 2 * n and 1 <= n <= 123
            check(ok, "%s: FC 16 request writes %d registers with byte count %d and %d "
                  "data bytes" % (what, n, pdu[5], len(pdu) - 6))
            return ("echo", fc, pdu[:5])
        check(len(pdu) == 5, "%s: FC 16 reply is 5 bytes" % what)
        return ("echo", fc, pdu)
    if fc == 0x17:
        if request:
            rn = pdu[3] << 8 | pdu[4]
            wn = pdu[7] << 8 | pdu[8]
            ok = (len(pdu) == 10 + pdu[9] and pdu[9] == 2 * wn and 1 <= rn <= 125
                  and 1 <= wn <= 121)
            check(ok, "%s: FC 17 request reads %d, writes %d registers, byte count %d, %d "
                  "data bytes" % (what, rn, wn, pdu[9], len(pdu) - 10))
            return ("read", fc, rn)
        ok = len(pdu) == 2 + pdu[1] and pdu[1] % 2 == 0
        check(ok, "%s: FC 17 reply's byte count %d matches its %d data bytes"
              % (what, pdu[1], len(pdu) - 2))
        return ("read", fc, pdu[1] // 2)
    check(False, "%s: function code %02x is not one the protocol uses" % (what, fc))
    return None


def check_command(pdu, consts, what):
    """A write from HOST_BOOT that carries a command: NARGS and the layout add up."""
    if pdu[0] == 0x17:
        addr, data = pdu[5] << 8 | pdu[6], pdu[10:]
    elif pdu[0] == 0x10:
        addr, data = pdu[1] << 8 | pdu[2], pdu[6:]
    else:
        return
    regs = regs_of(data)
    if addr != consts["PROTO_HREG_HOST_BOOT"] or len(regs) < 5:
        return
    seq, code, nargs, args = regs[2], regs[3], regs[4], regs[5:]
    check(nargs == len(args), "%s: CMD_NARGS %d = the %d argument registers written"
          % (what, nargs, len(args)))
    check(seq != 0, "%s: CMD_SEQ is nonzero" % what)
    codes = {v: k for k, v in consts.items() if k.startswith("PROTO_CMD_") and
             k != "PROTO_CMD_MAX_ARGS"}
    check(code in codes, "%s: CMD_CODE %d is a command" % (what, code))
    if code == consts.get("PROTO_CMD_SHOW_TEXT") and len(args) >= 4:
        first, count, l0, l1 = args[:4]
        ok = count in (1, 2) and (count == 2 or l1 == 0)
        ok = ok and len(args) == consts["PROTO_TEXT_BYTES"] + (l0 + l1 + 1) // 2
        check(ok, "%s: SHOW_TEXT line %d, %d line(s) of %d and %d bytes in %d arguments"
              % (what, first, count, l0, l1, len(args)))
    if code == consts.get("PROTO_CMD_PRINT"):
        check(seq & consts["PROTO_SEQ_PRINT"], "%s: PRINT's seq %#06x has the 0x8000 bit"
              % (what, seq))
        nl = consts["PROTO_PRINT_NAME_LEN"]
        ok = len(args) > nl and len(args) == consts["PROTO_PRINT_NAME"] + (args[nl] + 1) // 2
        check(ok, "%s: PRINT's arguments match its name length" % what)
    if code == consts.get("PROTO_CMD_SET_SERVICES"):
        check(len(args) == 1, "%s: SET_SERVICES has 1 argument" % what)


def check_frames(doc, consts):
    frames = []
    for n, line in fenced_lines(doc):
        if not re.match(r"^(RTU|TCP)\s*[<>]", line):
            continue
        m = re.fullmatch(r"(RTU|TCP)([<>]) ((?:[0-9A-F]{2} )*[0-9A-F]{2})", line.rstrip())
        if not check(m, "line %d: a frame line is \"RTU> \" or \"TCP< \" and hex bytes" % n):
            continue
        frames.append((n, m.group(1), m.group(2) == ">", bytes.fromhex(m.group(3))))
    check(sum(1 for f in frames if f[1] == "RTU") >= 8, "at least 8 RTU frames on the page")
    check(sum(1 for f in frames if f[1] == "TCP") >= 2, "at least 2 TCP frames on the page")

    pdus = {"RTU": [], "TCP": []}
    last = None  # the request before, (line, kind, unit, description)
    for n, kind, request, data in frames:
        what = "line %d (%s%s)" % (n, kind, ">" if request else "<")
        if kind == "RTU":
            if not check(len(data) >= 4, "%s: at least 4 bytes" % what):
                continue
            crc = crc16_modbus(data[:-2])
            check(data[-2] == crc & 0xFF and data[-1] == crc >> 8,
                  "%s: CRC %02X %02X is CRC-16/MODBUS %02X %02X" % (what, data[-2], data[-1],
                                                                  crc & 0xFF, crc >> 8))
            unit, pdu = data[0], data[1:-2]
            check(1 <= unit <= 247, "%s: unit %d is 1..247" % (what, unit))
        else:
            if not check(len(data) >= 8, "%s: at least 8 bytes" % what):
                continue
            check(data[2:4] == b"\0\0", "%s: MBAP protocol id 0" % what)
            length = data[4] << 8 | data[5]
            check(length == len(data) - 6, "%s: MBAP length %d = the %d bytes after it"
                  % (what, length, len(data) - 6))
            unit, pdu = data[6], data[7:]
        desc = check_pdu(pdu, request, what)
        pdus[kind].append(pdu)
        if request:
            check_command(pdu, consts, what)
            last = (n, kind, unit, desc, data[:2])
            continue
        if not check(last is not None and last[1] == kind,
                     "%s: a reply follows its request" % what):
            continue
        _, _, runit, rdesc, tid = last
        check(unit == runit, "%s: reply from unit %d to a request for unit %d"
              % (what, unit, runit))
        if kind == "TCP":
            check(data[:2] == tid, "%s: the transaction id is echoed" % what)
        if desc and rdesc:
            if desc[0] == "exception":
                ok = desc[1] == rdesc[1]
            elif desc[0] == "read":
                ok = rdesc[0] == "read" and desc[1:] == rdesc[1:]
            else:
                ok = rdesc[0] == "echo" and desc == rdesc
            check(ok, "%s: the reply answers line %d's request" % (what, last[0]))
        last = None
    for pdu in pdus["TCP"]:
        check(pdu in pdus["RTU"], "TCP PDU %s is also a worked RTU frame's PDU" % pdu.hex())
    return [f[3] for f in frames]


def check_text(doc, frames):
    found = 0
    for n, line in fenced_lines(doc):
        m = re.fullmatch(r"GB18030:\s*(\S+)\s*=\s*((?:[0-9A-F]{2}\s*)+)", line.strip())
        if not m:
            continue
        found += 1
        data = bytes.fromhex(m.group(2))
        check(m.group(1).encode("gb18030") == data,
              "line %d: GB18030 of %s is %s" % (n, m.group(1), data.hex(" ").upper()))
        check(any(data in f for f in frames), "line %d: those bytes are sent in a frame" % n)
    check(found >= 1, "the page has a GB18030: example")


def check_timing(doc):
    rows_checked = 0
    for header, rows in tables(doc):
        h = [c.lower() for c in header]
        if "request bytes" not in h or "reply bytes" not in h:
            continue
        iw, ir = h.index("written"), h.index("read")
        irq, irp = h.index("request bytes"), h.index("reply bytes")
        bauds = [(i, int(re.match(r"(\d+) baud", c).group(1))) for i, c in enumerate(h)
                 if re.match(r"\d+ baud", c)]
        for n, cells in rows:
            w, r = int(cells[iw]), int(cells[ir])
            req, rep = 13 + 2 * w, 5 + 2 * r
            check(int(cells[irq]) == req and int(cells[irp]) == rep,
                  "line %d: %d written, %d read: %d + %d bytes" % (n, w, r, req, rep))
            for i, baud in bauds:
                char_us = 11e6 / baud
                t35 = 1750.0 if baud > 19200 else 3.5 * char_us
                ms = ((req + rep) * char_us + 2 * t35) / 1000
                check(abs(float(cells[i]) - ms) < 0.006,
                      "line %d: %d baud: %s ms (computed %.3f)" % (n, baud, cells[i], ms))
            rows_checked += 1
    check(rows_checked >= 3, "the timing table has rows (%d)" % rows_checked)


def main():
    if len(sys.argv) != 2:
        print("usage: test_protocol_doc.py PROJECT_SOURCE_DIR", file=sys.stderr)
        return 2
    root = sys.argv[1]
    consts = parse_header(os.path.join(root, "firmware", "proto", "proto.h"))
    with open(os.path.join(root, "docs", "protocol.md"), encoding="utf-8") as f:
        doc = f.read()
    check(crc16_modbus(b"123456789") == 0x4B37, "CRC-16/MODBUS of \"123456789\" is 0x4B37")
    check(len(consts) > 100, "proto.h: %d constants" % len(consts))
    check_constants(doc, consts)
    frames = check_frames(doc, consts)
    check_text(doc, frames)
    check_timing(doc)
    print("1..%d" % checks)
    if failures:
        print("%d of %d checks failed" % (len(failures), checks), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
