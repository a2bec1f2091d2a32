#!/usr/bin/env python3
"""test_web.py — the pages of web/ in a headless Chromium against a real
hostd: a call made through the API shows on hall.html within 1 s, the
hall display fits 1920×1080 and 1080×1920, window.html takes a ticket
from call to finish, ticket.html follows its ticket to 请到 1 号窗口 (and
shows an appointment ticket's slot), and the hall display comes back by
itself after hostd restarts.

usage: test_web.py BUILD_DIR

hostd runs on a hall of soft terminals only (no buses), with a tokens
file written here (docs/api.md: a kiosk, window 1, a display, an admin)
and api.web_dir pointing at the checkout's web/. The browser side is
tests/web/browser.js (playwright-core from npm, installed on demand into
BUILD_DIR/web_node, driving Debian's /usr/bin/chromium); this script
restarts hostd when it asks (a "RESTART-HOSTD" line on its stdout,
answered on its stdin). Screenshots go to BUILD_DIR/web-screenshots/.

Exit 0 when every check passes, 1 when one fails, 77 (ctest's skip) only
when npm cannot reach its registry to install playwright-core.
"""
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(SOURCE, "tests", "integration"))
import hall_harness as hh  # noqa: E402

# playwright-core speaks CDP to Debian 12's chromium (156 when this was
# written); it downloads no browser.
PLAYWRIGHT = "playwright-core@1.65.1"
CHROMIUM = os.environ.get("HALLQ_CHROMIUM", "/usr/bin/chromium")
SKIP = 77


def fail(what):
    print("not ok - %s" % what)
    sys.exit(1)


def npm_reaches_registry():
    try:
        r = subprocess.run(["npm", "ping"], capture_output=True, timeout=60)
        return r.returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def install_playwright(build):
    """Installs playwright-core into BUILD/web_node (once); returns its
    node_modules folder. Exits 77 when npm cannot reach the registry."""
    prefix = os.path.join(build, "web_node")
    modules = os.path.join(prefix, "node_modules")
    want = PLAYWRIGHT.rsplit("@", 1)[1]
    try:
        with open(os.path.join(modules, "playwright-core", "package.json")) as f:
            if json.load(f).get("version") == want:
                return modules
    except (OSError, ValueError):
        pass
    os.makedirs(prefix, exist_ok=True)
    try:
        r = subprocess.run(["npm", "install", "--prefix", prefix, "--no-audit", "--no-fund",
                            "--loglevel=error", PLAYWRIGHT],
                           capture_output=True, text=True, timeout=300)
        out = r.stdout + r.stderr
        ok = r.returncode == 0
    except subprocess.TimeoutExpired:
        out, ok = "npm install timed out", False
    if not ok:
        if not npm_reaches_registry():
            print("1..0 # SKIP npm cannot reach its registry to install %s" % PLAYWRIGHT)
            sys.exit(SKIP)
        fail("npm install %s:\n%s" % (PLAYWRIGHT, out))
    return modules


def get_json(url, token, timeout=2):
    req = urllib.request.Request(url, headers={"Authorization": "Bearer " + token})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return r.status, json.loads(r.read().decode("utf-8"))


def wait_for_api(base, token, timeout=15):
    def answers():
        try:
            status, body = get_json(base + "/api/v1/state", token)
            return status == 200 and "windows" in body
        except (OSError, ValueError, urllib.error.URLError):
            return False
    hh.wait_for(answers, timeout, "GET /api/v1/state to answer", interval=0.1)


def write_hall(work):
    cfg_path = os.path.join(work, "hall.json")
    cfg = hh.hall_config(cfg_path, [], [], n_services=3, n_windows=4)
    cfg["api"]["web_dir"] = os.path.join(SOURCE, "web")
    # s1 takes bookings of 5-minute slots today (an appointment ticket's page)
    cfg["services"][1]["appointment"] = {"mode": "optional", "slot_minutes": 5,
                                         "places_per_slot": 2, "days_ahead": 0,
                                         "close_minutes_before": 0}
    with open(cfg_path, "w", encoding="utf-8") as f:
        json.dump(cfg, f, ensure_ascii=False, indent=1)
    tokens = {
        "kiosk": "kiosk-web-" + secrets.token_hex(8),
        "window": "window-1-" + secrets.token_hex(8),
        "display": "display-web-" + secrets.token_hex(8),
        "admin": "admin-web-" + secrets.token_hex(8),
    }
    entries = [
        {"token": tokens["kiosk"], "role": "kiosk", "name": "网页测试取号"},
        {"token": tokens["window"], "role": "window", "window": 1},
        {"token": tokens["display"], "role": "display"},
        {"token": tokens["admin"], "role": "admin"},
    ]
    hh.write_tokens(os.path.join(work, "tokens.json"), entries)
    return cfg_path, cfg, tokens


def run_browser(hall, modules, base, tokens, shots, cfg_path, db):
    env = dict(os.environ)
    env["NODE_PATH"] = modules
    env["HALLQ_CHROMIUM"] = CHROMIUM
    node = subprocess.Popen(["node", os.path.join(HERE, "browser.js"), base, json.dumps(tokens),
                             shots],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
    restarts = 0
    for line in node.stdout:
        line = line.rstrip("\n")
        if line != "RESTART-HOSTD":
            print(line, flush=True)
            continue
        # the hall page must notice the drop, then come back by itself
        restarts += 1
        answer = "restarted"
        try:
            hall.procs[-1].stop()
            time.sleep(1.5)
            hall.hostd(cfg_path, db, name="hostd-%d" % (restarts + 1))
            wait_for_api(base, tokens["display"])
        except hh.Failure as e:
            print("# hostd restart: %s" % e, flush=True)
            answer = "failed"
        node.stdin.write(answer + "\n")
        node.stdin.flush()
    return node.wait()


def main():
    build = os.path.abspath(sys.argv[1])
    for prog in ("node", "npm"):
        if not shutil.which(prog):
            fail("%s is not installed (scripts/bootstrap installs it)" % prog)
    if not os.access(CHROMIUM, os.X_OK):
        fail("%s is not installed (scripts/bootstrap installs Debian's chromium)" % CHROMIUM)
    modules = install_playwright(build)

    shots = os.path.join(build, "web-screenshots")
    os.makedirs(shots, exist_ok=True)
    work = tempfile.mkdtemp(prefix="hallq-web-")
    hall = hh.Hall(build, work)
    rc = 1
    try:
        cfg_path, cfg, tokens = write_hall(work)
        db = os.path.join(work, "hallq.db")
        hall.hostd(cfg_path, db)
        base = "http://127.0.0.1:%d" % cfg["api"]["port"]
        wait_for_api(base, tokens["display"])
        print("ok - hostd serves GET /api/v1/state at %s" % base, flush=True)
        rc = run_browser(hall, modules, base, tokens, shots, cfg_path, db)
    except hh.Failure as e:
        print("not ok - %s" % e)
        rc = 1
    finally:
        if rc != 0:
            for p in hall.procs:
                print("---- %s ----\n%s" % (p.name, p.tail(40)))
        hall.stop()
    if rc == 0:
        shutil.rmtree(work, ignore_errors=True)
    else:
        print("# hostd logs and config kept in %s" % work)
    sys.exit(0 if rc == 0 else 1)


if __name__ == "__main__":
    main()
