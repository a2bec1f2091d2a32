#!/usr/bin/env python3
"""test_hallctl.py — hallctl end to end on a real journal.

Builds a database with tests/eval's eval_fixture from the two days below
(in the demo hall, config/hall.json), then runs hallctl as a supervisor
would: every format for day, week, month and quarter; the CSV read with
Python's csv module, the JSON cross-checked against the CSV and the table
and against figures worked out by hand from the script and
docs/evaluation.md; the table's columns measured with
unicodedata.east_asian_width; the HTML checked for network resources and
loaded in headless Chromium (PDF and DOM); --window; the config recorded in
the database; leave, complaints and leader shifts recorded and counted;
bad inputs refused with one line and nothing written; eval_records; files
that are not hallq databases left untouched; --output never the database
and replaced whole; the report out while another writer holds the database.

usage: test_hallctl.py HALLCTL EVAL_FIXTURE SOURCE_DIR
Python standard library only; TAP output like hall_harness.py.
"""
import csv
import datetime
import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import unicodedata

HALLCTL, FIXTURE, SOURCE = (os.path.abspath(a) for a in sys.argv[1:4])
CONFIG = os.path.join(SOURCE, "config", "hall.json")
CHROMIUM = os.environ.get("HALLQ_CHROMIUM", "/usr/bin/chromium")

# Two workdays, Monday 2026-03-02 and Tuesday 2026-03-03 (week
# 2026-03-02..08, month March, quarter Q1: all over, so final).
SCRIPT = """
day 2026-03-02
08:20 login 1 1001
08:25 login 6 1006
08:40 login 2 1002
08:45 issue company
08:46 issue company
08:50 issue tax
08:55 call_next 1
08:56 start 1
08:57 call_next 6
08:58 start 6
09:00 call_next 2
09:01 start 2
09:13 finish 6
09:14 rate D001 2
09:16 finish 1
09:17 rate A001 1
09:30 finish 2
09:31 rate A002 5
10:00 issue license
10:05 call_next 2
10:06 start 2
10:16 finish 2
10:17 rate B001 4
17:40 close_day
day 2026-03-03
08:28 login 1 1001
08:29 login 2 1002
08:30 login 6 1006
09:00 issue company
09:10 call_next 1
09:11 start 1
09:40 finish 1
09:41 rate A001 3
09:50 issue consult
09:51 call_next 1
09:52 start 1
09:55 finish 1
10:00 pause 2 休息
10:20 resume 2
17:40 close_day
"""

# Worked out by hand (docs/evaluation.md), hours 08:30-11:30 + 14:30-17:30
# = 360 min = 21600 s a day, 2 counted days = 43200 s:
#
# waits (issue -> first call): 03-02 A001 08:45->08:55 600, A002
#   08:46->09:00 840, D001 08:50->08:57 420, B001 10:00->10:05 300;
#   03-03 A001 09:00->09:10 600, G001 09:50->09:51 60.
#   hall: n 6, mean 2820/6 = 470, sorted 60 300 420 600 600 840:
#   p50 = rank ceil(3) = 420, p90 = rank ceil(5.4) = 6th = 840, max 840.
# window 1 (王芳 1001): served A001 (08:56->09:16 = 1200 s, exactly the
#   20-minute standard: not over), A001 on 03-03 (09:11->09:40 = 1740 >
#   1200: over), G001 (180 <= 300); E = (3 - 1)/3; ratings 1 and 3: S = 1;
#   logged in 08:20 and 08:28, both before 08:30: attended 43200, A = 1;
#   weighted = 100 x (0.4 x 2/3 + 0.4 x 1 + 0.2 x 1) = 86.6667;
#   deductions 1 overtime x 0.2 = 0.2; score 86.4667 -> 86.47.
# window 2 (李娜 1002): served A002 (09:01->09:30 = 1740: over), B001
#   (600 <= 720); E = 1/2; ratings 5 and 4: S = 0, 2 dissatisfied; login
#   08:40 on 03-02: late, unattended 08:30-08:40 = 10 min > 5 (grace) and
#   <= 180: 擅自离岗; attended 21000 + 21600 (the pause is attended) =
#   42600, A = 42600/43200 = 0.986111; weighted = 100 x (0.4 x 0.5 + 0 +
#   0.2 x 0.986111) = 39.7222; deductions 0.5 (late) + 2 (离岗) + 2 x 1
#   (ratings) + 0.2 (overtime) = 4.7; score 35.0222 -> 35.02.
# window 6 (杨帆 1006): D001 08:58->09:13 = 900 s, exactly the 15-minute
#   standard: not over; rating 2; signed in 08:25 and 08:30:00 (on time);
#   score 100.
# windows 3..5, 7..13: no login: 2 days of 360 min unattended: 旷工 x 2,
#   A = 0, E = S = 1 (nothing served or rated): 80 - 2 x 5 = 70.
EXPECTED_WEEK = {1: 86.47, 2: 35.02, 6: 100.0, 3: 70.0, 13: 70.0}

checks = 0


class Failure(Exception):
    pass


def check(cond, what):
    """One TAP line, "ok N - what"; a check that fails raises Failure."""
    global checks
    checks += 1
    if not cond:
        raise Failure("check failed: " + what)
    print("ok %d - %s" % (checks, what), flush=True)


def run(*args, db=None, config=None):
    cmd = [HALLCTL] + list(args)
    if db:
        cmd += ["--db", db]
    if config:
        cmd += ["--config", config]
    p = subprocess.run(cmd, capture_output=True, timeout=60)
    return p.returncode, p.stdout, p.stderr.decode("utf-8", "replace")


def report(db, period, date, fmt, *extra):
    rc, out, err = run("report", "--period", period, "--date", date, "--format", fmt,
                       *extra, db=db)
    if rc != 0:
        raise Failure("hallctl report %s %s %s %s: exit %d: %s"
                      % (period, date, fmt, " ".join(extra), rc, err))
    return out


def refused(args, status, what, db, mentions):
    """A bad command: exit status, one line on stderr naming the problem,
    nothing on stdout."""
    rc, out, err = run(*args, db=db)
    lines = err.strip("\n").split("\n")
    check(rc == status and len(lines) == 1 and lines[0].startswith("hallctl: ")
          and mentions in lines[0] and out == b"",
          "%s: exit %d and one line naming %s (%r)" % (what, status, mentions, err.strip()))


# ---- measuring the table ----

def char_width(ch):
    if unicodedata.combining(ch):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def cells_by_column(line):
    """[(display column, char)] of a line."""
    out, col = [], 0
    for ch in line:
        out.append((col, ch))
        col += char_width(ch)
    return out, col


def table_sections(text):
    """{title: (heads, rows)} for each section of the table output, the
    cells cut at the rule line's column spans; checks on the way that every
    line of a section is as wide as the rule and has spaces in its gaps."""
    lines = text.split("\n")
    sections = {}
    for i, line in enumerate(lines):
        if not line.startswith("-") or set(line) - {"-", " "}:
            continue
        title = lines[i - 2]
        spans = [(m.start(), m.end()) for m in re.finditer(r"-+", line)]
        width = len(line)
        block = [lines[i - 1]]
        j = i + 1
        while j < len(lines) and lines[j]:
            block.append(lines[j])
            j += 1
        rows = []
        for row in block:
            chars, w = cells_by_column(row)
            if w != width:
                raise Failure("%s: a line %d columns wide, the rule %d: %r"
                              % (title, w, width, row))
            gaps = set(range(width)) - {c for a, b in spans for c in range(a, b)}
            for col, ch in chars:
                if col in gaps and ch != " ":
                    raise Failure("%s: %r has %r in a gap at column %d" % (title, row, ch, col))
            rows.append(["".join(ch for col, ch in chars if a <= col < b).strip()
                         for a, b in spans])
        sections[title] = (rows[0], rows[1:])
    return sections


def section(sections, prefix):
    for title, body in sections.items():
        if title.startswith(prefix):
            return body
    raise Failure("no section %s" % prefix)


# ---- the checks ----

def check_csv(raw, js, what):
    check(raw.startswith(b"\xef\xbb\xbf"), what + ": CSV starts with the UTF-8 BOM")
    check(raw.count(b"\n") == raw.count(b"\r\n") and raw.endswith(b"\r\n"),
          what + ": CSV lines end with CRLF")
    rows = list(csv.reader(io.StringIO(raw[3:].decode("utf-8"), newline="")))
    head, body = rows[0], rows[1:]
    n = 1 + len(js["services"]) + len(js["windows"]) + len(js["staff"])
    check(head[0] == "kind" and len(body) == n and all(len(r) == len(head) for r in body),
          what + ": CSV has one header and %d rows of %d fields (1 hall + %d services + "
          "%d windows + %d staff)" % (n, len(head), len(js["services"]), len(js["windows"]),
                                      len(js["staff"])))
    return head, body


def csv_by_kind(head, body, kind):
    return {r[1]: dict(zip(head, r)) for r in body if r[0] == kind}


def check_html(path, what, svgs=3):
    html = open(path, encoding="utf-8").read()
    links = re.findall(r"""(?:src|href)\s*=\s*["']?([^"'\s>]*)""", html, re.I)
    check(not any(re.match(r"(?i)(https?:)?//", u) for u in links)
          and "@import" not in html and "url(" not in html,
          what + ": HTML loads nothing from the network")
    check(html.count("<svg") >= svgs and html.count("</svg>") == html.count("<svg"),
          what + ": HTML has %d inline SVG charts (>= %d)" % (html.count("<svg"), svgs))
    return html


def chromium(path, work, what):
    if not os.access(CHROMIUM, os.X_OK):
        print("ok %d - # SKIP %s not installed" % (checks + 1, CHROMIUM))
        return
    pdf = os.path.join(work, "bulletin.pdf")
    base = [CHROMIUM, "--headless", "--disable-gpu", "--no-sandbox", "--no-first-run",
            "--user-data-dir=" + os.path.join(work, "chromium")]
    subprocess.run(base + ["--print-to-pdf=" + pdf, "file://" + path],
                   capture_output=True, timeout=120)
    check(os.path.exists(pdf) and os.path.getsize(pdf) > 1000
          and open(pdf, "rb").read(5) == b"%PDF-", what + ": Chromium prints it to a PDF")
    dom = subprocess.run(base + ["--dump-dom", "file://" + path], capture_output=True,
                         timeout=120).stdout.decode("utf-8", "replace")
    check(dom.count("<table") >= 5 and "<svg" in dom and "窗口工作通报" in dom,
          what + ": Chromium's DOM has the tables, the charts and the title")


def test_reports(db, work):
    for period, date in (("day", "2026-03-02"), ("week", "2026-03-04"),
                         ("month", "2026-03-31"), ("quarter", "2026-02-01")):
        js = json.loads(report(db, period, date, "json"))
        check(js["period"] == period and js["final"] is True,
              "%s: JSON of a final period" % period)
        head, body = check_csv(report(db, period, date, "csv"), js, period)
        sections = table_sections(report(db, period, date, "table").decode("utf-8"))
        check(len(sections) >= 7, "%s: %d table sections, each line as wide as its rule, "
              "columns aligned" % (period, len(sections)))
        out = os.path.join(work, period + ".html")
        report(db, period, date, "html", "--output", out)
        check_html(out, period)

        # the same figures in JSON, CSV and the table
        windows = {w["number"]: w for w in js["windows"]}
        cw = csv_by_kind(head, body, "window")
        heads, rows = section(sections, "【窗口办件与考勤】")
        tw = {int(r[0]): dict(zip(heads, r)) for r in rows}
        check(all(int(cw[str(n)]["办结"]) == w["served"] == int(tw[n]["办结"])
                  for n, w in windows.items()),
              "%s: served per window equal in JSON, CSV and table" % period)
        sheads, srows = section(sections, "【窗口考评得分】")
        ts = {int(r[0]): float(r[sheads.index("得分")]) for r in srows}
        check(all(abs(float(cw[str(n)]["得分"]) - w["score"]["total"]) < 1e-9
                  and abs(ts[n] - w["score"]["total"]) < 1e-9 for n, w in windows.items()),
              "%s: score per window equal in JSON, CSV and table" % period)
        # 03-02 alone: A001 A002 D001 B001; with 03-03: A001 G001 more
        hall = csv_by_kind(head, body, "hall")[""]
        n = 4 if period == "day" else 6
        check(int(hall["取号"]) == js["hall"]["issued"] == n
              and int(hall["办结"]) == js["hall"]["served"] == n,
              "%s: hall issued %d, served %d (JSON and CSV)" % (period, n, n))

    js = json.loads(report(db, "week", "2026-03-08", "json"))
    windows = {w["number"]: w for w in js["windows"]}
    check(all(windows[n]["score"]["total"] == s for n, s in EXPECTED_WEEK.items()),
          "week: scores by hand %s" % EXPECTED_WEEK)
    w2 = windows[2]
    check(w2["score"]["efficiency"] == 0.5 and w2["score"]["satisfaction"] == 0
          and w2["score"]["attendance"] == 0.9861 and w2["score"]["weighted"] == 39.72
          and w2["score"]["deduction_total"] == 4.7 and w2["left_post_days"] == 1
          and w2["sign_in"]["late"] == 1 and w2["attended_s"] == 42600,
          "week: window 2's E 0.5, S 0, A 0.9861, weighted 39.72, deductions 4.7, "
          "1 late, 1 擅自离岗, 42600 s attended")
    wait = js["hall"]["wait"]
    check(wait == {"n": 6, "mean_s": 470, "p50_s": 420, "p90_s": 840, "max_s": 840},
          "week: hall wait n 6, mean 470, p50 420, p90 840, max 840 s")
    check(windows[3]["absent_days"] == 2 and windows[3]["satisfaction_rate"] is None
          and windows[3]["wait"]["mean_s"] is None,
          "week: window 3 two days 旷工, no rate (null), no waits (null)")
    low = [(x["ticket"], x["rating"], x["window"]) for x in js["low_ratings"]]
    check(low == [("A002", 5, 2), ("B001", 4, 2)], "week: low ratings A002 (5) and B001 (4)")


def test_window_filter(db):
    js = json.loads(report(db, "week", "2026-03-02", "json", "--window", "2"))
    check([w["number"] for w in js["windows"]] == [2] and [s["subject"] for s in js["staff"]]
          == ["1002"] and "hall" not in js and all(a["window"] == 2 for a in js["attendance"]),
          "--window 2: JSON keeps window 2, its staff 1002 and its lists")
    rows = list(csv.reader(io.StringIO(
        report(db, "week", "2026-03-02", "csv", "--window", "2")[3:].decode(), newline="")))
    check([r[:2] for r in rows[1:]] == [["window", "2"], ["staff", "1002"]],
          "--window 2: CSV rows window 2 and staff 1002")
    table = report(db, "week", "2026-03-02", "table", "--window", "2").decode()
    sections = table_sections(table)
    heads, rows = section(sections, "【2号窗口得分明细】")
    total = [r for r in rows if r[0] == "得分"]
    check("【业务办件】" not in table and total and total[0][2] == "35.02"
          and [r[0] for r in section(sections, "【窗口办件与考勤】")[1]] == ["2"],
          "--window 2: table has window 2 only and its score worked out (35.02)")


def sql(db, query, *args):
    con = sqlite3.connect(db)
    try:
        rows = con.execute(query, args).fetchall()
        con.commit()
        return rows
    finally:
        con.close()


def test_config_from_db(db, work):
    base = json.loads(report(db, "week", "2026-03-02", "json"))
    rc, out, err = run("report", "--period", "week", "--date", "2026-03-02", "--format",
                       "json", db=db, config=CONFIG)
    check(rc == 0 and json.loads(out)["windows"] == base["windows"],
          "--config FILE gives the same figures as the config recorded in the database")
    bare = os.path.join(work, "bare.db")
    shutil.copy(db, bare)
    sql(bare, "DELETE FROM meta WHERE key IN ('config', 'config_path')")
    refused(["report", "--period", "week", "--date", "2026-03-02", "--format", "json"], 2,
            "no --config and none recorded", bare, "--config")
    # as hostd records it at start
    sql(bare, "INSERT INTO meta(key, value) VALUES ('config', ?), ('config_path', ?)",
        open(CONFIG, encoding="utf-8").read(), CONFIG)
    js = json.loads(report(bare, "week", "2026-03-02", "json"))
    check(js["windows"] == base["windows"], "the config put back in meta is used again")


def test_records(db):
    count = lambda t: sql(db, "SELECT count(*) FROM " + t)[0][0]
    rc, out, err = run("leave", "--window", "3", "--date", "2026-03-03", "--reason", "年假",
                       db=db)
    check(rc == 0 and re.fullmatch(rb"leave \d+ recorded.*\n", out),
          "leave: a whole day recorded (%r)" % out)
    check(sql(db, "SELECT window, day, from_min, to_min, reason FROM leave")
          == [(3, 20260303, 0, 1440, "年假")], "leave: the row in the database")
    rc, out, err = run("leave", "--window", "4", "--date", "2026-03-02", "--to-date",
                       "2026-03-03", "--from", "08:30", "--until", "11:30", "--staff", "1004",
                       db=db)
    check(rc == 0 and sql(db, "SELECT day, from_min, to_min, staff FROM leave WHERE window = 4"
                          " ORDER BY day")
          == [(20260302, 510, 690, "1004"), (20260303, 510, 690, "1004")],
          "leave --to-date: one row a day, 08:30-11:30")
    rc, out, err = run("complaint", "--window", "2", "--date", "2026-03-03", "--time", "10:30",
                       "--text", '态度差, "排队"太久', "--staff", "1002", "--ticket", "A002",
                       db=db)
    m = re.fullmatch(rb"complaint (\d+) recorded\n", out)
    check(rc == 0 and m, "complaint recorded (%r)" % out)
    cid = m.group(1).decode()
    rc, out, err = run("complaint", "--close", cid, "--result", "upheld", "--date",
                       "2026-03-04", "--note", "已约谈", db=db)
    check(rc == 0 and sql(db, "SELECT status, closed_day, minute FROM complaints WHERE id = ?",
                          int(cid)) == [("upheld", 20260304, 630)],
          "complaint --close: upheld on 2026-03-04")
    rc, out, err = run("complaint", "--window", "6", "--date", "2026-03-02", "--text", "热情",
                       "--praise", db=db)
    check(rc == 0 and out.startswith(b"praise ") and sql(
        db, "SELECT kind, minute FROM complaints WHERE window = 6") == [("praise", 540)],
        "complaint --praise recorded, received 09:00 by default on a past day")
    rc, out, err = run("duty", "--window", "1", "--date", "2026-03-02", "--leader", "张主任",
                       "--shift", "am", db=db)
    check(rc == 0 and sql(db, "SELECT day, window, leader, shift FROM duty_shifts")
          == [(20260302, 1, "张主任", "am")], "duty recorded")

    # the next report counts them:
    # window 1: + 0.1 (one shift, a week) = 86.5667 -> 86.57
    # window 2: - 3 (an upheld complaint) = 32.0222 -> 32.02
    # window 3: leave on 03-03 (21600 s): one day 旷工, A = 0 / (43200 -
    #   21600) = 0: 80 - 5 = 75
    # window 4: leave 08:30-11:30 both days: 180 min unattended a day is
    #   擅自离岗 (not more than 180), A = 0: 80 - 2 x 2 = 76
    js = json.loads(report(db, "week", "2026-03-02", "json"))
    w = {x["number"]: x for x in js["windows"]}
    check(w[1]["score"]["total"] == 86.57 and w[1]["score"]["bonus"] == 0.1,
          "report: window 1's shift adds 0.1: 86.57")
    check(w[2]["complaints_upheld"] == 1 and w[2]["score"]["total"] == 32.02,
          "report: window 2's upheld complaint takes 3: 32.02")
    check(w[3]["absent_days"] == 1 and w[3]["leave_s"] == 21600
          and w[3]["score"]["total"] == 75, "report: window 3 on leave a day: 75")
    check(w[4]["left_post_days"] == 2 and w[4]["absent_days"] == 0
          and w[4]["score"]["total"] == 76, "report: window 4 180 min a day is 擅自离岗: 76")
    texts = [c["text"] for c in js["complaints"]]
    check(texts == ["热情", '态度差, "排队"太久'] and len(js["leave"]) == 3
          and js["duty"][0]["leader"] == "张主任", "report lists the complaints (by day), leave, duty")
    table = report(db, "week", "2026-03-02", "table").decode()
    check("张主任" in table and "年假" in table and "属实" in table,
          "the table shows the shift, the leave and the complaint's result")
    table_sections(table)

    # refusals: exit 2 (1 for the database), one line, nothing written
    before = {t: count(t) for t in ("leave", "complaints", "duty_shifts", "eval_records")}
    refused(["report", "--period", "day", "--date", "2026-02-30", "--format", "table"], 2,
            "a date that does not exist", db, "2026-02-30")
    refused(["report", "--period", "day", "--date", "2026-03-03", "--format", "table",
             "--window", "99"], 2, "an unknown window", db, "99")
    refused(["report", "--period", "year", "--date", "2026-03-03", "--format", "table"], 2,
            "a bad period", db, "--period")
    refused(["report", "--period", "day", "--date", "2026-03-03", "--format", "pdf"], 2,
            "a bad format", db, "--format")
    refused(["report", "--period", "day", "--date", "2026-03-03"], 2, "no --format", db,
            "--format")
    refused(["leave", "--window", "3", "--date", "2026-03-03", "--from", "08:30"], 2,
            "--from without --until", db, "--until")
    refused(["leave", "--window", "99", "--date", "2026-03-03"], 2, "leave at an unknown "
            "window", db, "99")
    refused(["complaint", "--close", cid, "--result", "dismissed"], 2,
            "closing a closed complaint", db, cid)
    refused(["duty", "--window", "1", "--date", "2026-03-02", "--leader", "张主任", "--shift",
             "am"], 2, "a duplicate shift", db, "already")
    refused(["duty", "--window", "1", "--date", "2026-03-02", "--leader", "张主任", "--shift",
             "night"], 2, "a bad shift", db, "--shift")
    refused(["report", "--period", "day", "--date", "2026-03-03", "--format", "table",
             "--colour"], 2, "an unknown option", db, "--colour")
    check({t: count(t) for t in before} == before and not sql(
        db, "SELECT 1 FROM eval_records WHERE period = 'day' AND first_day = 20260303"),
        "refused commands wrote nothing")


def test_eval_records(db):
    report(db, "week", "2026-03-02", "json")
    first = sql(db, "SELECT kind, subject, final, served, score, figures FROM eval_records "
                "WHERE period = 'week' AND first_day = 20260302 ORDER BY kind, subject")
    kinds = [r[0] for r in first]
    # staff: 1001, 1002, 1006 who worked, and 1004 named on the leave
    check(len(first) == 1 + 8 + 13 + 4 and kinds.count("window") == 13
          and all(r[2] == 1 for r in first)
          and all((r[4] is not None) == (r[0] == "window") for r in first),
          "eval_records: 26 rows (hall, 8 services, 13 windows, 4 staff), final, "
          "a score for windows only")
    w2 = [r for r in first if r[:2] == ("window", "2")][0]
    check(w2[3] == 2 and abs(w2[4] - 32.0222) < 1e-3
          and json.loads(w2[5])["score"]["total"] == 32.02,
          "eval_records: window 2 served 2, score 32.02, figures its JSON object")
    report(db, "week", "2026-03-06", "table")
    again = sql(db, "SELECT kind, subject, final, served, score, figures FROM eval_records "
                "WHERE period = 'week' AND first_day = 20260302 ORDER BY kind, subject")
    check(again == first, "eval_records: the closed week recomputed gives identical rows")


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def side_files(path):
    return [path + x for x in ("-wal", "-shm", "-journal") if os.path.exists(path + x)]


def test_not_hallq(work):
    """An empty file and another program's SQLite file are refused untouched:
    nothing is created beside them, not one byte changes."""
    empty = os.path.join(work, "empty.db")
    open(empty, "wb").close()
    foreign = os.path.join(work, "foreign.db")
    con = sqlite3.connect(foreign)
    con.execute("CREATE TABLE notes(id INTEGER PRIMARY KEY, text TEXT)")
    con.execute("INSERT INTO notes(text) VALUES ('not hallq')")
    con.commit()
    con.close()
    for path, what in ((empty, "an empty file"), (foreign, "a foreign SQLite file")):
        before = digest(path)
        for args in (["report", "--period", "day", "--date", "2026-03-02", "--format", "json"],
                     ["leave", "--window", "1", "--date", "2026-03-02"]):
            rc, out, err = run(*args, db=path, config=CONFIG)
            lines = err.strip("\n").split("\n")
            check(rc == 1 and len(lines) == 1 and lines[0].startswith("hallctl: ")
                  and "not a hallq database" in lines[0] and "--db" in lines[0]
                  and "hostd another" not in lines[0] and out == b"",
                  "%s: %s refused with one line in hallctl's words (%r)"
                  % (args[0], what, err.strip()))
        check(digest(path) == before and not side_files(path),
              "%s stays byte-identical, no -wal/-shm/-journal made" % what)
    longpath = os.path.join(work, "d" * 5000 + ".db")
    rc, out, err = run("report", "--period", "day", "--date", "2026-03-02", "--format", "json",
                       db=longpath)
    lines = err.strip("\n").split("\n")
    check(rc == 2 and len(lines) == 1 and "longer than" in lines[0] and out == b"",
          "--db longer than the path buffer is refused, not cut (%r)" % err.strip()[:120])


def test_output(db, work):
    """--output is replaced whole, never the database; the report comes out
    even when the records cannot be stored."""
    args = ["report", "--period", "week", "--date", "2026-03-02", "--format", "json"]
    before = digest(db)
    for target, what in ((db, "the database"), (db + "-wal", "its -wal file"),
                         (os.path.join(os.path.dirname(db), ".", os.path.basename(db)),
                          "the database by another name")):
        refused(args + ["--output", target], 2, "--output is " + what, db, "--output")
    link = os.path.join(work, "link.db")
    os.link(db, link)
    refused(args + ["--output", link], 2, "--output a hard link to the database", db,
            "--output")
    os.unlink(link)
    check(digest(db) == before and sql(db, "PRAGMA integrity_check") == [("ok",)],
          "--output at the database refused: the database is intact")
    out = os.path.join(work, "out.json")
    with open(out, "w") as f:
        f.write("old")
    os.chmod(out, 0o640)
    rc, _, err = run(*args, "--output", out, db=db)
    check(rc == 0 and json.load(open(out))["period"] == "week"
          and os.stat(out).st_mode & 0o777 == 0o640
          and not [n for n in os.listdir(work) if n.startswith(".hallctl-")],
          "--output replaces an existing file whole, keeps its mode, leaves no temporary")
    refused(args + ["--output", os.path.join(work, "no", "such", "x.json")], 2,
            "--output in a missing folder", db, "--output")

    # a writer holding the database for ~7 s: the report comes out, the
    # records are not stored (5 s busy timeout), a warning says so, exit 3
    locked = threading.Event()

    def hold():
        con = sqlite3.connect(db, isolation_level=None, timeout=10)
        con.execute("BEGIN IMMEDIATE")
        locked.set()
        time.sleep(7)
        con.execute("ROLLBACK")
        con.close()

    sql(db, "DELETE FROM eval_records WHERE period = 'month'")
    holder = threading.Thread(target=hold)
    holder.start()
    locked.wait(10)
    start = time.monotonic()
    rc, out, err = run("report", "--period", "month", "--date", "2026-03-02", "--format", "json",
                       db=db)
    elapsed = time.monotonic() - start
    holder.join()
    lines = err.strip("\n").split("\n")
    check(rc == 3 and json.loads(out)["period"] == "month" and len(lines) == 1
          and lines[0].startswith("hallctl: warning: ") and "records not stored" in lines[0]
          and elapsed < 6.9,
          "a writer holding the database: the report still comes out, a one-line warning, "
          "exit 3 (%.1f s, %r)" % (elapsed, err.strip()))
    check(sql(db, "SELECT count(*) FROM eval_records WHERE period = 'month'") == [(0,)],
          "... and no records were stored")
    rc, out, err = run("report", "--period", "month", "--date", "2026-03-02", "--format", "json",
                       db=db)
    check(rc == 0 and sql(db, "SELECT count(*) FROM eval_records WHERE period = 'month'")[0][0]
          > 0, "run again without the writer: exit 0, records stored")


def test_record_rules(db, work):
    """Leave ranges are all or nothing; shifts do not overlap; complaints and
    shifts are not dated after today (leave may be)."""
    copy = os.path.join(work, "rules.db")
    shutil.copy(db, copy)
    sql(copy, "CREATE TRIGGER no_third BEFORE INSERT ON leave WHEN NEW.day = 20260311"
        " BEGIN SELECT RAISE(ABORT, 'refused for the test'); END")
    before = sql(copy, "SELECT count(*) FROM leave")
    rc, out, err = run("leave", "--window", "5", "--date", "2026-03-09", "--to-date",
                       "2026-03-13", db=copy)
    check(rc == 1 and out == b"" and sql(copy, "SELECT count(*) FROM leave") == before,
          "leave --to-date: a day the database refuses leaves none of the range (%r)"
          % err.strip())
    refused(["duty", "--window", "1", "--date", "2026-03-02", "--leader", "张主任", "--shift",
             "day"], 2, "a day shift beside the same leader's am", db, "counts once")
    tomorrow = (datetime.date.today() + datetime.timedelta(days=1)).isoformat()
    refused(["complaint", "--window", "2", "--date", tomorrow, "--text", "x"], 2,
            "a complaint received after today", db, "after today")
    refused(["duty", "--window", "2", "--date", tomorrow, "--leader", "张主任"], 2,
            "a shift after today", db, "after today")
    rc, out, err = run("leave", "--window", "2", "--date", tomorrow, db=db)
    check(rc == 0, "leave after today is recorded (approved in advance)")


def main():
    work = tempfile.mkdtemp(prefix="hallq-hallctl-")
    db = os.path.join(work, "hallq.db")
    try:
        script = os.path.join(work, "days.txt")
        with open(script, "w", encoding="utf-8") as f:
            f.write(SCRIPT)
        p = subprocess.run([FIXTURE, "--config", CONFIG, "--db", db, script],
                           capture_output=True, timeout=60)
        check(p.returncode == 0, "eval_fixture builds the two days (%s)"
              % p.stderr.decode().strip())
        missing = os.path.join(work, "none.db")
        refused(["report", "--period", "day", "--date", "2026-03-02", "--format", "table"], 1,
                "a missing database", missing, "none.db")
        check(not os.path.exists(missing), "a missing database is not created")
        rc, out, _ = run("--version")
        check(rc == 0 and out.startswith(b"hallctl"), "--version")
        rc, out, _ = run("--help")
        check(rc == 0 and b"--period day|week|month|quarter" in out, "--help")
        test_reports(db, work)
        chromium(os.path.join(work, "week.html"), work, "week")
        test_window_filter(db)
        test_config_from_db(db, work)
        test_records(db)
        test_eval_records(db)
        test_not_hallq(work)
        test_record_rules(db, work)
        test_output(db, work)
    except Failure as e:
        print("not ok - %s (work folder kept: %s)" % (e, work))
        sys.exit(1)
    shutil.rmtree(work, ignore_errors=True)
    print("1..%d" % checks)


if __name__ == "__main__":
    main()
