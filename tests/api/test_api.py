#!/usr/bin/env python3
"""test_api.py — hostd's HTTP API over loopback, checked against docs/api.md.

One hostd with a hall of three services (s2 with a daily quota of 2) and
three windows, and a tokens file written here for a kiosk, windows 1 and
2, a display, a supervisor and an admin. The suite drives every endpoint
and every window operation, every authorisation case, bad input (which
must change nothing: the state is read before and after), the engine's
refusals, the server-sent events (live, resumed with Last-Event-ID,
reset), and some robustness (concurrent readers, a half request, SIGTERM
with a stream open).

Every expected value is worked out here from docs/api.md, docs/engine.md
and the config this file writes, never taken from the server's answers.

usage: test_api.py BUILD_DIR
Python 3 standard library only. Prints `ok N - ...`; stops at the first
failure with the request, the status and the body (HALLQ_API_KEEP_GOING=1
reports every failure instead, for diagnosis).
"""
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import hall_harness as hh  # noqa: E402

KEEP_GOING = os.environ.get("HALLQ_API_KEEP_GOING") == "1"
TZ_OFFSET_S = 8 * 3600  # Asia/Shanghai, no daylight saving
TICKET_URL = "http://127.0.0.1:8080/ticket.html?t="
STANDARD_S = 10 * 60  # hall_harness: standard_minutes 10 for every service
BODY_MAX = 16 * 1024

TOKENS = {
    "kiosk": "kiosk-touch-1-apitest-7Jq2vX9p",
    "w1": "window-1-apitest-c3Vb8nQ1zR6t",
    "w2": "window-2-apitest-Yw0eK4hT6uP2",
    "display": "hall-tv-apitest-Hk2Lp9sD4fG7",
    "supervisor": "supervisor-apitest-Zx8Cv5Bn2",
    "admin": "admin-apitest-Tg6Yh3Uj8Ik2Ol5",
}

checks = 0
failures = []
DEFAULT = object()


class Failure(Exception):
    pass


def check(cond, what, detail=""):
    global checks
    checks += 1
    if cond:
        print("ok %d - %s" % (checks, what))
        return True
    msg = "not ok %d - %s" % (checks, what)
    if detail:
        msg += "\n#   " + detail.replace("\n", "\n#   ")
    print(msg)
    sys.stdout.flush()
    if not KEEP_GOING:
        raise Failure("check failed: %s\n%s" % (what, detail))
    failures.append(what)
    return False


def note(text):
    print("# " + text)


# ---------------------------------------------------------------- HTTP


class Resp:
    def __init__(self, method, path, status, headers, raw):
        self.method, self.path, self.status, self.headers, self.raw = (method, path, status,
                                                                       headers, raw)
        self._json = None
        self.json_error = None
        try:
            self._json = json.loads(raw.decode("utf-8")) if raw else None
        except (ValueError, UnicodeDecodeError) as e:
            self.json_error = str(e)

    @property
    def json(self):
        return self._json

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def __str__(self):
        body = self.raw[:600].decode("utf-8", "replace")
        return "%s %s -> %d %s" % (self.method, self.path, self.status, body)


class Api:
    def __init__(self, port):
        self.port = port

    def req(self, method, path, body=None, token=None, ctype="application/json", headers=None):
        """One request on its own connection. body: a dict/list (sent as JSON),
        bytes (sent as is) or None (no body)."""
        hdrs = {}
        if token:
            hdrs["Authorization"] = "Bearer " + token
        data = None
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode("utf-8")
            if ctype:
                hdrs["Content-Type"] = ctype
        if headers:
            hdrs.update(headers)
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
        try:
            conn.request(method, path, body=data, headers=hdrs)
            r = conn.getresponse()
            raw = r.read()
            return Resp(method, path, r.status, r.getheaders(), raw)
        finally:
            conn.close()

    def raw(self, method, path, headers, body):
        """A request on a raw socket that tolerates the server closing early
        (an oversize body). Returns a Resp, or None when no answer came."""
        s = socket.create_connection(("127.0.0.1", self.port), timeout=20)
        head = "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n" % (
            method, path, self.port)
        for k, v in headers.items():
            head += "%s: %s\r\n" % (k, v)
        head += "Content-Length: %d\r\n\r\n" % len(body)
        data = b""
        try:
            try:
                s.sendall(head.encode() + body)
            except (BrokenPipeError, ConnectionResetError):
                pass
            while True:
                try:
                    chunk = s.recv(65536)
                except ConnectionResetError:
                    break
                if not chunk:
                    break
                data += chunk
        finally:
            s.close()
        if b"\r\n\r\n" not in data:
            return None
        head, rest = data.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        hdrs = [tuple(x.strip() for x in ln.split(":", 1)) for ln in lines[1:] if ":" in ln]
        if any(k.lower() == "transfer-encoding" and "chunked" in v.lower() for k, v in hdrs):
            rest = dechunk_all(rest)
        return Resp(method, path, status, hdrs, rest)

    # shorthands
    def get(self, path, token=None, **kw):
        return self.req("GET", path, token=token, **kw)

    def post(self, path, body=None, token=None, **kw):
        return self.req("POST", path, body=body, token=token, **kw)

    def op(self, window, operation, body, token, **kw):
        """A window operation; token None sends none."""
        if body is None:
            body = {}
        return self.post("/api/v1/windows/%d/%s" % (window, operation), body, token, **kw)

    def issue(self, service, cls=None, token=DEFAULT, **kw):
        """An issue; the kiosk's token unless told (None sends none)."""
        body = {"service": service}
        if cls is not None:
            body["class"] = cls
        return self.post("/api/v1/tickets", body, TOKENS["kiosk"] if token is DEFAULT else token,
                         **kw)

    def state(self):
        r = self.get("/api/v1/state", TOKENS["admin"])
        if r.status != 200 or not isinstance(r.json, dict):
            raise Failure("GET /api/v1/state failed: %s" % r)
        return r.json


def dechunk_all(data):
    out = b""
    while data:
        line, _, data = data.partition(b"\r\n")
        size = int(line.split(b";")[0] or b"0", 16)
        if size == 0:
            break
        out += data[:size]
        data = data[size + 2:]
    return out


def expect(r, status, code=None, what=""):
    """Checks the status; for an error, the body {"error": {"code", "message"}}.
    status and code may be tuples of the answers the contract allows."""
    statuses = status if isinstance(status, tuple) else (status,)
    codes = code if isinstance(code, tuple) else (code,)
    label = "%s %s -> %s%s%s" % (r.method, r.path.split("?")[0], " or ".join(map(str, statuses)),
                                 " " + " or ".join(codes) if code else "",
                                 (" (" + what + ")") if what else "")
    ok = r.status in statuses
    status = r.status
    ctype = r.header("Content-Type") or ""
    if ok and status >= 400:
        e = r.json.get("error") if isinstance(r.json, dict) else None
        ok = (isinstance(r.json, dict) and list(r.json.keys()) == ["error"] and
              isinstance(e, dict) and set(e.keys()) == {"code", "message"} and
              isinstance(e["code"], str) and isinstance(e["message"], str) and
              e["message"] != "" and (code is None or e["code"] in codes))
    if ok:
        ok = ctype.split(";")[0].strip() == "application/json" and r.json_error is None
    detail = "expected %s %s, got: %s\nContent-Type: %s" % (statuses, code or "", r, ctype)
    check(ok, label, detail)
    return r.json


def err_code(r):
    try:
        return r.json["error"]["code"]
    except (TypeError, KeyError):
        return None


# ---------------------------------------------------------------- SSE


class Sse:
    """An event stream on a raw socket; a thread parses the events."""

    def __init__(self, port, path="/api/v1/events", token=None, last_id=None):
        self.events = []  # dicts: id, event, data (parsed JSON or the text)
        self.comments = 0
        self.status = None
        self.headers = {}
        self.eof = False
        self.error = None
        self.cond = threading.Condition()
        self.s = socket.create_connection(("127.0.0.1", port), timeout=10)
        req = "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nAccept: text/event-stream\r\n" % (
            path, port)
        if token:
            req += "Authorization: Bearer %s\r\n" % token
        if last_id is not None:
            req += "Last-Event-ID: %s\r\n" % last_id
        self.s.sendall((req + "\r\n").encode())
        self.s.settimeout(None)
        self.t = threading.Thread(target=self._run, daemon=True)
        self.t.start()

    def _recv(self):
        try:
            chunk = self.s.recv(65536)
        except OSError:
            chunk = b""
        return chunk

    def _run(self):
        buf = b""
        try:
            while b"\r\n\r\n" not in buf:
                chunk = self._recv()
                if not chunk:
                    raise EOFError("closed before the headers")
                buf += chunk
            head, buf = buf.split(b"\r\n\r\n", 1)
            lines = head.decode("latin-1").split("\r\n")
            with self.cond:
                self.status = int(lines[0].split()[1])
                for ln in lines[1:]:
                    k, _, v = ln.partition(":")
                    self.headers[k.strip().lower()] = v.strip()
                self.cond.notify_all()
            chunked = "chunked" in self.headers.get("transfer-encoding", "").lower()
            text = b""
            raw = buf
            while True:
                if chunked:
                    while True:  # take every complete chunk in raw
                        if b"\r\n" not in raw:
                            break
                        line, rest = raw.split(b"\r\n", 1)
                        size = int(line.split(b";")[0] or b"0", 16)
                        if size == 0:
                            raise EOFError("last chunk")
                        if len(rest) < size + 2:
                            break
                        text += rest[:size]
                        raw = rest[size + 2:]
                else:
                    text += raw
                    raw = b""
                text = self._parse(text)
                chunk = self._recv()
                if not chunk:
                    break
                raw += chunk
        except EOFError:
            pass
        except Exception as e:  # reported by the waits
            self.error = repr(e)
        with self.cond:
            self.eof = True
            self.cond.notify_all()

    def _parse(self, text):
        """Takes the complete events off text; returns the rest."""
        while True:
            m = re.search(rb"\r?\n\r?\n", text)
            if not m:
                return text
            block, text = text[:m.start()], text[m.end():]
            ev = {}
            data = []
            comment = False
            for ln in block.decode("utf-8").splitlines():
                if ln.startswith(":"):
                    comment = True
                    continue
                k, _, v = ln.partition(":")
                if v.startswith(" "):
                    v = v[1:]
                if k == "data":
                    data.append(v)
                elif k in ("id", "event"):
                    ev[k] = v
            with self.cond:
                if not ev and not data:
                    if comment:
                        self.comments += 1
                    continue
                d = "\n".join(data)
                ev["data_text"] = d
                try:
                    ev["data"] = json.loads(d)
                except ValueError:
                    ev["data"] = None
                ev["lines"] = len(data)
                self.events.append(ev)
                self.cond.notify_all()

    def wait_headers(self, timeout):
        with self.cond:
            self.cond.wait_for(lambda: self.status is not None or self.eof, timeout)
            return self.status

    def wait(self, pred, timeout, start=0):
        """The first event from index start that satisfies pred, or None."""
        end = time.monotonic() + timeout
        with self.cond:
            while True:
                for ev in self.events[start:]:
                    if pred(ev):
                        return ev
                left = end - time.monotonic()
                if left <= 0 or self.eof:
                    return None
                self.cond.wait(left)

    def wait_id(self, event_id, timeout):
        return self.wait(lambda e: e.get("id") == event_id, timeout)

    def snapshot(self):
        with self.cond:
            return list(self.events)

    def wait_eof(self, timeout):
        with self.cond:
            self.cond.wait_for(lambda: self.eof, timeout)
            return self.eof

    def close(self):
        try:
            self.s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.s.close()
        self.t.join(5)


def split_id(event_id):
    """"BOOT-N" -> (BOOT, N), or None."""
    m = re.fullmatch(r"(\d+)-(\d+)", event_id or "")
    return (int(m.group(1)), int(m.group(2))) if m else None


# ---------------------------------------------------------------- the hall


def local_now():
    return time.gmtime(time.time() + TZ_OFFSET_S)


def wait_for_open_hours():
    """The hall is open 00:01-23:59 (hall_harness); a run near midnight
    would see OUTSIDE_HOURS or a new day, so it waits until 00:02."""
    t = local_now()
    minute = t.tm_hour * 60 + t.tm_min
    if minute >= 23 * 60 + 55 or minute < 2:
        wait_s = ((24 * 60 - minute) % (24 * 60) + 2) * 60 - t.tm_sec
        note("near midnight in Asia/Shanghai: waiting %d s for the hall to open" % wait_s)
        time.sleep(wait_s)


def write_hall(work):
    cfg_path = os.path.join(work, "hall.json")
    kport = hh.free_port()  # nothing listens there: kiosk-9 stays offline
    cfg = hh.hall_config(cfg_path, [hh.tcp_bus("lan", kport)],
                         [{"id": "kiosk-9", "type": "kiosk", "bus": "lan", "address": 1,
                           "services": ["s0", "s1"]}],
                         n_services=3, n_windows=3)
    # s2 gets a daily quota of 2; the QR address ends with "?t=" as in config/hall.json
    cfg["services"][2]["daily_quota"] = 2
    cfg["hall"]["ticket_url"] = TICKET_URL
    # the pages: one inside web_dir, one beside it that must stay out of reach
    cfg["api"]["web_dir"] = os.path.join(work, "web")
    os.makedirs(cfg["api"]["web_dir"], exist_ok=True)
    with open(os.path.join(work, "web", "hall.html"), "w", encoding="utf-8") as f:
        f.write("<p>hall</p>\n")
    with open(os.path.join(work, "web-outside.html"), "w", encoding="utf-8") as f:
        f.write("<p>outside web_dir</p>\n")
    with open(cfg_path, "w", encoding="utf-8") as f:
        json.dump(cfg, f, ensure_ascii=False, indent=1)
    tokens = {"tokens": [
        {"token": TOKENS["kiosk"], "role": "kiosk", "name": "触摸取号机 1"},
        {"token": TOKENS["w1"], "role": "window", "window": 1},
        {"token": TOKENS["w2"], "role": "window", "window": 2},
        {"token": TOKENS["display"], "role": "display"},
        {"token": TOKENS["supervisor"], "role": "supervisor"},
        {"token": TOKENS["admin"], "role": "admin", "name": "管理员"},
    ]}
    hh.write_tokens(os.path.join(work, cfg["api"]["tokens_file"]), tokens["tokens"])
    return cfg_path, cfg


def staff_of(w):
    """hall_harness's default staff: window w has staff 1000+w."""
    return str(1000 + w), "%04d" % (1111 * (w % 9 + 1))


class Model:
    """What the windows and services should show, kept by hand."""

    def __init__(self, cfg):
        self.cfg = cfg
        self.windows = {w["number"]: {"state": "logged_out", "staff": None, "current": None,
                                      "held": 0} for w in cfg["windows"]}
        self.names = {w["number"]: w["name"] for w in cfg["windows"]}
        self.services = {s["id"]: s for s in cfg["services"]}


def snapshot(api):
    """The parts of the state bad input must not change."""
    s = api.state()
    return {"services": [(x.get("id"), x.get("waiting"), x.get("issued"), x.get("quota_left"))
                         for x in s.get("services", [])],
            "windows": s.get("windows"),
            "recent_calls": s.get("recent_calls"),
            "event_id": s.get("event_id")}


def unchanged(api, before, what):
    after = snapshot(api)
    check(after == before, "nothing changed after " + what,
          "before: %s\nafter:  %s" % (json.dumps(before, ensure_ascii=False),
                                      json.dumps(after, ensure_ascii=False)))


def check_window(m, w, number, what):
    exp = dict(m.windows[number])
    exp["number"] = number
    exp["name"] = m.names[number]
    got = {k: (w or {}).get(k) for k in exp}
    ok = isinstance(w, dict) and got == exp and isinstance(w.get("waiting"), int)
    check(ok, "window %d %s: %s" % (number, what, exp["state"]),
          "expected %s\ngot      %s" % (json.dumps(exp, ensure_ascii=False),
                                        json.dumps(w, ensure_ascii=False)))


def check_ticket(t, what, **exp):
    got = {k: (t or {}).get(k) for k in exp}
    check(isinstance(t, dict) and got == exp, what,
          "expected %s\ngot      %s" % (json.dumps(exp, ensure_ascii=False),
                                        json.dumps(t, ensure_ascii=False)))


def windows_of(state):
    return {w.get("number"): w for w in state.get("windows", [])}


def services_of(state_or_list):
    lst = state_or_list.get("services", []) if isinstance(state_or_list, dict) else state_or_list
    return {s.get("id"): s for s in lst}


def est_min(ahead, open_windows, busy_windows=0, idle_windows=0):
    """docs/engine.md "Estimates": round(mean x (8 x ahead + busy) / (4 x open)
    / 60), open and busy in half windows (every harness window serves every
    service at level 1: 2 halves each), busy 0 when ahead < idle windows,
    no window open counted as one; halves round up. Exact integers."""
    open_h, busy_h = 2 * open_windows, 2 * busy_windows
    if open_h == 0:
        open_h, busy_h = 2, 0
    if ahead < idle_windows:
        busy_h = 0
    num, den = STANDARD_S * (8 * ahead + busy_h), 4 * open_h * 60
    return (2 * num + den) // (2 * den)


ISO_RE = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00"


def is_iso_today(s, day):
    return isinstance(s, str) and re.fullmatch(ISO_RE, s) is not None and s.startswith(day)


# ---------------------------------------------------------------- the suite


def main():
    build = os.path.abspath(sys.argv[1])
    work = tempfile.mkdtemp(prefix="hallq-api-")
    hall = hh.Hall(build, work)
    ok = False
    try:
        wait_for_open_hours()
        run(hall, work, build)
        ok = not failures
    except (Failure, hh.Failure) as e:
        print("FAILED: %s" % e)
    except Exception:
        import traceback
        traceback.print_exc()
    finally:
        if not ok:
            for p in hall.procs:
                print("---- %s ----\n%s" % (p.name, p.tail(40)))
        hall.stop()
    print("1..%d" % checks)
    if ok:
        shutil.rmtree(work, ignore_errors=True)
        return 0
    if failures:
        print("# %d failed: %s" % (len(failures), "; ".join(failures)))
    print("# work folder kept: " + work)
    return 1


def run(hall, work, build):
    cfg_path, cfg = write_hall(work)
    db = os.path.join(work, "hallq.db")
    t_start = int(time.time())
    hostd = hall.hostd(cfg_path, db)
    api = Api(cfg["api"]["port"])

    def answering():
        try:
            return api.get("/api/v1/state", TOKENS["display"]).status == 200
        except OSError:
            return not hostd.alive() and "exited"
    hh.wait_for(answering, 30, "hostd to answer GET /api/v1/state")
    check(hostd.alive(), "hostd answers GET /api/v1/state")
    # kiosk-9 never answers: its bus marks it offline after a few failed polls,
    # and that is a device event; wait for it so that the checks below, which
    # compare event ids, see a quiet hall
    hh.wait_for(lambda: b"kiosk-9 (address 1) is offline" in open(hostd.log_path, "rb").read(),
                30, "hostd to mark kiosk-9 offline")
    time.sleep(0.2)
    m = Model(cfg)

    day = time.strftime("%Y-%m-%d", local_now())
    test_initial_state(api, m, day, cfg)
    test_auth(api, m)
    test_login(api, m)
    sse = test_sse_live_start(api)
    tickets = test_issue(api, m, day, sse)
    test_ticket_status(api, m, tickets, day)
    test_bad_ticket_input(api)
    test_pages(api)
    test_window_ops(api, m, tickets, sse, day)
    test_bad_window_input(api, m)
    test_transfer_pause(api, m, tickets, sse)
    test_sse_resume(api, m, sse, t_start)
    test_admin_and_late(api, m)
    test_robustness(api, hostd)
    test_shutdown(api, hostd)
    test_bad_tokens_file(build, work, cfg)


def test_initial_state(api, m, day, cfg):
    r = api.get("/api/v1/state", TOKENS["display"])
    s = expect(r, 200, what="display token, fresh hall")
    check(s.get("hall") == cfg["hall"]["name"], "state.hall is the config's hall name",
          str(s.get("hall")))
    check(s.get("day") == day, "state.day is today in the hall's time zone (%s)" % day,
          str(s.get("day")))
    check(is_iso_today(s.get("now"), day), "state.now is ISO 8601 with +08:00", str(s.get("now")))
    wins = windows_of(s)
    check(sorted(wins) == [1, 2, 3], "state lists windows 1, 2, 3", str(sorted(wins)))
    for n in (1, 2, 3):
        check_window(m, wins.get(n), n, "at start")
    check(s.get("recent_calls") == [], "no recent calls at start", str(s.get("recent_calls")))
    devs = s.get("devices")
    check(isinstance(devs, list) and len(devs) == 1 and devs[0].get("id") == "kiosk-9" and
          devs[0].get("type") == "kiosk" and devs[0].get("online") is False,
          "state.devices: the configured kiosk-9, offline (nothing listens on its bus)",
          json.dumps(devs))
    svc = services_of(s)
    check(sorted(svc) == ["s0", "s1", "s2"], "state lists services s0, s1, s2", str(sorted(svc)))
    for i, sid in enumerate(["s0", "s1", "s2"]):
        x = svc.get(sid, {})
        quota = 2 if sid == "s2" else None
        exp = {"id": sid, "name": hh.SERVICE_NAMES[i], "prefix": "ABC"[i], "waiting": 0,
               "issued": 0, "quota": quota, "quota_left": quota, "open": True, "refusal": None}
        got = {k: x.get(k) for k in exp}
        check(got == exp, "service %s at start (quota %s)" % (sid, quota),
              "expected %s\ngot      %s" % (exp, x))
        check(x.get("hours") == [{"start": "00:01", "end": "23:59"}] or
              x.get("hours") == [], "service %s hours are the hall's session" % sid,
              json.dumps(x.get("hours")))
    r = api.get("/api/v1/services", TOKENS["kiosk"])
    sv = expect(r, 200, what="kiosk token")
    check(isinstance(sv, dict) and list(sv.keys()) == ["services"] and
          services_of(sv) == svc, "GET /api/v1/services equals state.services",
          "services: %s\nstate:    %s" % (json.dumps(sv, ensure_ascii=False),
                                          json.dumps(s.get("services"), ensure_ascii=False)))


def test_auth(api, m):
    before = snapshot(api)
    expect(api.get("/api/v1/state"), 401, "UNAUTHORIZED", "no Authorization")
    expect(api.get("/api/v1/services"), 401, "UNAUTHORIZED", "no Authorization")
    expect(api.get("/api/v1/events"), 401, "UNAUTHORIZED", "no Authorization")
    expect(api.get("/api/v1/state", "not-a-token-of-this-hall-x"), 401, "UNAUTHORIZED",
           "unknown token")
    expect(api.get("/api/v1/state", headers={"Authorization": "Basic " + TOKENS["admin"]}),
           401, "UNAUTHORIZED", "not a Bearer token")
    expect(api.get("/api/v1/state", TOKENS["admin"][:-1] + "X"), 401, "UNAUTHORIZED",
           "admin token with its last character changed")
    expect(api.issue("s0", token=None), 401, "UNAUTHORIZED", "issue without a token")
    expect(api.issue("s0", token="not-a-token-of-this-hall-x"), 401, "UNAUTHORIZED",
           "issue with an unknown token")
    expect(api.issue("s0", token=TOKENS["display"]), 403, "FORBIDDEN", "display issues a ticket")
    expect(api.issue("s0", token=TOKENS["w1"]), 403, "FORBIDDEN", "window token issues a ticket")
    expect(api.issue("s0", token=TOKENS["supervisor"]), 403, "FORBIDDEN",
           "supervisor issues a ticket")
    u2, p2 = staff_of(2)
    expect(api.op(2, "login", {"staff": u2, "pin": p2}, TOKENS["w1"]), 403, "FORBIDDEN",
           "window-1 token logs in window 2")
    expect(api.op(2, "call-next", {}, TOKENS["w1"]), 403, "FORBIDDEN",
           "window-1 token operates window 2")
    expect(api.op(1, "call-next", {}, TOKENS["kiosk"]), 403, "FORBIDDEN",
           "kiosk token operates a window")
    expect(api.op(1, "call-next", {}, TOKENS["display"]), 403, "FORBIDDEN",
           "display token operates a window")
    expect(api.op(1, "call-next", {}, TOKENS["supervisor"]), 403, "FORBIDDEN",
           "supervisor operates a window")
    expect(api.op(1, "call-next", {}, None), 401, "UNAUTHORIZED", "window op without a token")
    # every role reads
    for role in ("kiosk", "w1", "w2", "display", "supervisor", "admin"):
        expect(api.get("/api/v1/state", TOKENS[role]), 200, what=role + " reads the state")
    # ?access_token= on GET, not on POST
    expect(api.get("/api/v1/state?access_token=" + TOKENS["display"]), 200,
           what="?access_token= on GET /api/v1/state")
    expect(api.get("/api/v1/services?access_token=" + TOKENS["w2"]), 200,
           what="?access_token= on GET /api/v1/services")
    expect(api.get("/api/v1/state?access_token=not-a-token-of-this-hall-x"), 401,
           "UNAUTHORIZED", "?access_token= with an unknown token")
    expect(api.post("/api/v1/tickets?access_token=" + TOKENS["kiosk"], {"service": "s0"}), 401,
           "UNAUTHORIZED", "?access_token= only, on POST /api/v1/tickets")
    u1, p1 = staff_of(1)
    expect(api.post("/api/v1/windows/1/login?access_token=" + TOKENS["w1"],
                    {"staff": u1, "pin": p1}), 401, "UNAUTHORIZED",
           "?access_token= only, on a window operation")
    unchanged(api, before, "the refused calls of every auth case")


def test_login(api, m):
    u1, p1 = staff_of(1)
    before = snapshot(api)
    expect(api.op(1, "login", {"staff": u1, "pin": "0000"}, TOKENS["w1"]), 409, "WRONG_PIN",
           "right staff, wrong PIN")
    expect(api.op(1, "login", {"staff": "9999", "pin": p1}, TOKENS["w1"]), 409, "WRONG_PIN",
           "unknown staff id")
    u2, p2 = staff_of(2)
    expect(api.op(1, "login", {"staff": u1, "pin": p2}, TOKENS["w1"]), 409, "WRONG_PIN",
           "another staff's PIN")
    expect(api.op(1, "call-next", {}, TOKENS["w1"]), 409, "WINDOW_NOT_LOGGED_IN",
           "call-next on a logged-out window")
    expect(api.op(1, "logout", {}, TOKENS["w1"]), 409, "WINDOW_NOT_LOGGED_IN",
           "logout on a logged-out window")
    unchanged(api, before, "wrong PINs and refused operations on a logged-out window")

    r = api.op(1, "login", {"staff": u1, "pin": p1}, TOKENS["w1"])
    j = expect(r, 200, what="window 1 logs in with staff %s" % u1)
    m.windows[1].update(state="idle", staff=u1)
    check_window(m, j.get("window"), 1, "after login")
    check("ticket" in j and j["ticket"] is None, "login answers ticket null", str(j))
    before = snapshot(api)
    expect(api.op(1, "login", {"staff": u1, "pin": p1}, TOKENS["w1"]), 409, "WINDOW_LOGGED_IN",
           "login twice")
    expect(api.op(1, "call-next", {}, TOKENS["w1"]), 409, "NO_TICKET_WAITING",
           "call-next with every queue empty")
    expect(api.op(1, "recall", {}, TOKENS["w1"]), 409, "NOT_CALLED", "recall with no call")
    expect(api.op(1, "start", {}, TOKENS["w1"]), 409, "NOT_CALLED", "start with no call")
    expect(api.op(1, "resume", {}, TOKENS["w1"]), 409, "WINDOW_NOT_PAUSED",
           "resume a window not paused")
    unchanged(api, before, "refusals on an idle window")
    check_window(m, windows_of(api.state()).get(1), 1, "in the state after login")


def test_sse_live_start(api):
    e0 = api.state().get("event_id")
    check(split_id(e0) is not None, "state.event_id is BOOT-N after the login", str(e0))
    sse = Sse(api.port, token=TOKENS["display"])
    status = sse.wait_headers(3)
    if status is None:
        note("the event stream sent no headers within 3 s of connecting "
             "(EventSource would not fire open)")
        time.sleep(0.5)
    else:
        check(status == 200 and sse.headers.get("content-type", "").startswith(
            "text/event-stream"), "GET /api/v1/events -> 200 text/event-stream",
            "%s %s" % (status, sse.headers))
    sse.start_id = e0
    return sse


def test_issue(api, m, day, sse):
    T = {}
    mark = len(sse.snapshot())
    open1 = 1  # window 1 is logged in and serves every service

    def issue_ok(key, service, cls, token, number, ahead, est, ctype="application/json"):
        r = api.issue(service, cls, token, ctype=ctype)
        j = expect(r, 201, what="%s issues %s%s" % (
            "admin" if token == TOKENS["admin"] else "kiosk", number,
            " (%s)" % cls if cls else ""))
        t = j.get("ticket") if isinstance(j, dict) else None
        idx = int(service[1:])
        check_ticket(t, "ticket %s: number, service, name, class, state, people ahead, wait"
                     % number, number=number, service=service,
                     service_name=hh.SERVICE_NAMES[idx], **{"class": cls or "normal"},
                     state="waiting", people_ahead=ahead, estimated_wait_min=est)
        tok = (t or {}).get("token")
        check(isinstance(tok, str) and re.fullmatch(r"[0-9a-f]{16}", tok) is not None,
              "ticket %s token is 16 hex digits" % number, str(tok))
        check(t.get("status_url") == TICKET_URL + tok,
              "ticket %s status_url is ticket_url followed by the token" % number,
              str(t.get("status_url")))
        check(is_iso_today(t.get("issued_at"), day), "ticket %s issued_at is today, +08:00"
              % number, str(t.get("issued_at")))
        T[key] = t
        return t

    issue_ok("A001", "s0", "normal", TOKENS["kiosk"], "A001", 0, 0)
    issue_ok("A002", "s0", None, TOKENS["kiosk"], "A002", 1, est_min(1, open1))
    issue_ok("B001", "s1", "normal", TOKENS["kiosk"], "B001", 0, 0)
    T["A002_status_early"] = api.get("/api/v1/tickets/" + T["A002"]["token"])
    issue_ok("A003", "s0", "green", TOKENS["admin"], "A003", 0, 0)
    issue_ok("C001", "s2", None, TOKENS["kiosk"], "C001", 0, 0)
    issue_ok("C002", "s2", None, TOKENS["kiosk"], "C002", 1, est_min(1, open1))
    check(len({t["token"] for k, t in T.items() if isinstance(t, dict)}) == 6,
          "six tickets, six different tokens")
    for number in ("A001", "A002", "B001", "A003", "C001", "C002"):
        ev = sse.wait(lambda e: e.get("event") == "ticket" and
                      (e.get("data") or {}).get("number") == number, 10, mark)
        check(ev is not None and ev["data"].get("state") == "waiting",
              "SSE: a ticket event for %s, waiting" % number, str(ev))
        if ev is not None and "token" in ev["data"]:
            note("the ticket event of %s carries the ticket's status token to every "
                 "reader of /api/v1/events" % number)
    ev = sse.wait(lambda e: e.get("event") == "queue" and any(
        x.get("id") == "s2" and x.get("waiting") == 2 and x.get("open") is False
        for x in (e.get("data") or {}).get("services", [])), 10, mark)
    check(ev is not None, "SSE: a queue event with s2 waiting 2, closed (quota)",
          str([e for e in sse.snapshot()[mark:] if e.get("event") == "queue"][-1:]))

    before = snapshot(api)
    expect(api.issue("s2"), 409, "QUOTA_REACHED", "s2's quota of 2 is used up")
    expect(api.issue("s2", "green", TOKENS["admin"]), 409, "QUOTA_REACHED",
           "green channel, quota used up")
    unchanged(api, before, "QUOTA_REACHED")

    s = api.state()
    svc = services_of(s)
    exp = {"s0": (3, 3, None, None, True, None), "s1": (1, 1, None, None, True, None),
           "s2": (2, 2, 2, 0, False, "QUOTA_REACHED")}
    for sid, (waiting, issued, quota, left, is_open, refusal) in exp.items():
        x = svc.get(sid, {})
        got = (x.get("waiting"), x.get("issued"), x.get("quota"), x.get("quota_left"),
               x.get("open"), x.get("refusal"))
        check(got == (waiting, issued, quota, left, is_open, refusal),
              "state.services %s: waiting %d issued %d quota %s left %s open %s refusal %s"
              % (sid, waiting, issued, quota, left, is_open, refusal), json.dumps(x))
    sv = services_of(expect(api.get("/api/v1/services", TOKENS["display"]), 200,
                            what="after the quota"))
    check(sv.get("s2", {}).get("quota_left") == 0 and sv.get("s2", {}).get("open") is False and
          sv.get("s2", {}).get("refusal") == "QUOTA_REACHED" and
          sv.get("s0", {}).get("quota") is None and sv.get("s0", {}).get("quota_left") is None,
          "GET /api/v1/services: s2 quota_left 0, closed by QUOTA_REACHED; s0 no quota",
          json.dumps(sv, ensure_ascii=False))
    w1 = windows_of(s).get(1, {})
    check(w1.get("waiting") == 6, "window 1 (serves every service) has 6 waiting",
          json.dumps(w1, ensure_ascii=False))
    return T


def test_ticket_status(api, m, T, day):
    r = T["A002_status_early"]
    j = expect(r, 200, what="status of A002 without a bearer token")
    t = (j or {}).get("ticket")
    check_ticket(t, "status A002: waiting, 1 ahead, no window", number="A002",
                 service_name=hh.SERVICE_NAMES[0], state="waiting", people_ahead=1,
                 estimated_wait_min=est_min(1, 1), window=None,
                 issued_at=T["A002"]["issued_at"])
    tok = T["A002"]["token"]

    def flip(s, i):
        c = s[i]
        return s[:i] + ("0" if c != "0" else "1") + s[i + 1:]
    for i, what in ((15, "its hash part"), (0, "its id part"), (3, "its id part")):
        forged = flip(tok, i)
        expect(api.get("/api/v1/tickets/" + forged), 404, "NOT_FOUND",
               "token with digit %d (%s) changed" % (i, what))
    expect(api.get("/api/v1/tickets/not-a-ticket-token"), 404, "NOT_FOUND", "garbage token")
    expect(api.get("/api/v1/tickets/" + tok.upper() + "00"), 404, "NOT_FOUND",
           "token too long")
    expect(api.get("/api/v1/tickets/" + tok[:-1]), 404, "NOT_FOUND", "token too short")
    j = expect(api.get("/api/v1/tickets/" + T["A001"]["token"], TOKENS["display"]), 200,
               what="status of A001 with a display token too")
    # the green A003 (issued after it) is called first (docs/engine.md, Dispatch 2)
    check_ticket((j or {}).get("ticket"), "status A001: waiting, the green A003 ahead of it",
                 number="A001", state="waiting", people_ahead=1,
                 estimated_wait_min=est_min(1, 1), window=None)


def test_pages(api):
    r = api.get("/hall.html")
    check(r.status == 200 and r.raw == b"<p>hall</p>\n" and
          (r.header("Content-Type") or "").startswith("text/html"),
          "GET /hall.html serves web_dir/hall.html", str(r))
    r = api.raw("GET", "/", {}, b"")
    check(r is not None and r.status == 302 and r.header("Location") == "/hall.html",
          "GET / redirects to /hall.html", str(r))
    expect(api.get("/../web-outside.html"), 404, "NOT_FOUND", "a page path with ..")
    expect(api.get("/nothing.html"), 404, "NOT_FOUND", "a page web_dir does not have")
    expect(api.post("/hall.html", {}), 405, "METHOD_NOT_ALLOWED", "POST on a page")
    # a request target without its leading slash named a file beside web_dir
    # (web_dir + "-outside.html"); tests/fuzz found it
    for target in ("-outside.html", "hall.html"):
        r = api.raw("GET", target, {}, b"")
        check(r is not None and r.status in (400, 404) and b"outside" not in r.raw,
              "GET %s (no leading slash) serves nothing" % target, str(r))


def test_bad_ticket_input(api):
    before = snapshot(api)
    K = TOKENS["kiosk"]
    cases = [
        (b"{\"service\": \"s0\"", "application/json", 400, "BAD_JSON", "truncated JSON"),
        (b"service=s0", "application/json", 400, "BAD_JSON", "not JSON"),
        (b"[{\"service\": \"s0\"}]", "application/json", 400, "BAD_JSON", "a JSON array"),
        (b"{\"service\": \"s0\"} {\"service\": \"s1\"}", "application/json", 400, "BAD_JSON",
         "a JSON object followed by more"),
        (b"\"s0\"", "application/json", 400, "BAD_JSON", "a JSON string"),
        (b"", "application/json", 400, ("MISSING_FIELD", "BAD_JSON"),
         "an empty body (no service)"),
        ({"service": 5}, "application/json", 400, "BAD_FIELD", "service a number"),
        ({"service": None}, "application/json", 400, "BAD_FIELD", "service null"),
        ({"service": "s0", "class": "vip"}, "application/json", 400, "BAD_FIELD",
         "unknown class"),
        ({"service": "s0", "class": 1}, "application/json", 400, "BAD_FIELD",
         "class a number"),
        ({"service": "s0", "colour": "red"}, "application/json", 400, "UNKNOWN_FIELD",
         "unknown field"),
        ({}, "application/json", 400, "MISSING_FIELD", "no service"),
        ({"class": "green"}, "application/json", 400, "MISSING_FIELD", "class but no service"),
        ({"service": "s9"}, "application/json", 404, "NOT_FOUND", "unknown service"),
        ({"service": "S0"}, "application/json", 404, "NOT_FOUND", "service id in capitals"),
        # the body is JSON text, UTF-8 without NUL; an answer quoting it stays UTF-8
        # (tests/fuzz found answers that did not)
        (b"{\"service\": \"s\xa1\"}", "application/json", 400, "BAD_JSON",
         "a body that is not UTF-8"),
        (b"{\"service\": \"s0\"}\x00{\"colour\": 1}", "application/json", 400, "BAD_JSON",
         "a NUL after the JSON"),
        ({"service": "服务" * 20}, "application/json", 404, "NOT_FOUND",
         "a long unknown service in Chinese, quoted in whole characters"),
        ({"service": "s0", "颜色" * 20: 1}, "application/json", 400, "UNKNOWN_FIELD",
         "a long unknown field in Chinese, quoted in whole characters"),
        ({"service": "s0"}, "text/plain", 415, "NOT_JSON", "Content-Type text/plain"),
        ({"service": "s0"}, "application/x-www-form-urlencoded", 415, "NOT_JSON",
         "Content-Type form"),
    ]
    for body, ctype, status, code, what in cases:
        r = api.post("/api/v1/tickets", body, K, ctype=ctype)
        expect(r, status, code, what)
        if code in ("UNKNOWN_FIELD", "BAD_FIELD") and r.status == status:
            msg = (err_code(r) and r.json["error"]["message"]) or ""
            field = ("颜色" if "颜色" in str(body) else "colour") if code == "UNKNOWN_FIELD" else (
                "class" if "class" in str(body) else "service")
            check(field in msg, "the message of %s names the field \"%s\"" % (code, field), msg)
    # a body over 16 KiB, valid JSON padded with spaces
    big = b"{\"service\": \"s0\"" + b" " * (BODY_MAX + 1 - 17) + b"}"
    assert len(big) == BODY_MAX + 1
    r = api.raw("POST", "/api/v1/tickets", {"Authorization": "Bearer " + K,
                                            "Content-Type": "application/json"}, big)
    check(r is not None, "a 16 KiB + 1 body gets an answer before the connection closes")
    expect(r, 413, "BODY_TOO_LARGE", "16 KiB + 1 byte")
    r = api.raw("POST", "/api/v1/tickets", {"Authorization": "Bearer " + K,
                                            "Content-Type": "application/json"},
                b"{\"service\": \"s0\"" + b" " * 200000 + b"}")
    check(r is not None, "a 200 KB body gets an answer")
    expect(r, 413, "BODY_TOO_LARGE", "200 KB")
    # endpoints and methods
    expect(api.get("/api/v1/nothing", TOKENS["admin"]), 404, "NOT_FOUND", "unknown endpoint")
    expect(api.get("/api/v2/state", TOKENS["admin"]), 404, "NOT_FOUND", "unknown version")
    expect(api.get("/api/v1/tickets", TOKENS["admin"]), 405, "METHOD_NOT_ALLOWED",
           "GET on the issue endpoint")
    expect(api.post("/api/v1/state", {}, TOKENS["admin"]), 405, "METHOD_NOT_ALLOWED",
           "POST on the state")
    expect(api.req("DELETE", "/api/v1/services", token=TOKENS["admin"]), 405,
           "METHOD_NOT_ALLOWED", "DELETE on the services")
    unchanged(api, before, "every bad ticket request")


def test_window_ops(api, m, T, sse, day):
    W = TOKENS["w1"]

    def op_ok(operation, body, ticket_exp, what, token=W, window=1, **kw):
        r = api.op(window, operation, body, token, **kw)
        j = expect(r, 200, what=what)
        check_window(m, (j or {}).get("window"), window, "after " + operation)
        if ticket_exp is None:
            check(isinstance(j, dict) and "ticket" in j and j["ticket"] is None,
                  "%s answers ticket null" % operation, str(j))
        else:
            check_ticket((j or {}).get("ticket"), "%s answers ticket %s %s" % (
                operation, ticket_exp.get("number"), ticket_exp.get("state")), **ticket_exp)
        return j

    # call-next: green first (docs/engine.md, Dispatch 2) -> A003
    mark = len(sse.snapshot())
    m.windows[1].update(state="called", current="A003")
    op_ok("call-next", {}, {"number": "A003", "service": "s0", "class": "green",
                            "state": "called", "window": 1,
                            "service_name": hh.SERVICE_NAMES[0]},
          "call-next calls the green ticket A003 first")
    ev = sse.wait(lambda e: e.get("event") == "call", 10, mark)
    check(ev is not None and isinstance(ev.get("data"), dict) and
          ev["data"].get("ticket") == "A003" and ev["data"].get("window") == 1 and
          ev["data"].get("service") == "s0" and is_iso_today(ev["data"].get("at"), day),
          "SSE: a call event {ticket A003, window 1, service s0, at}",
          "got %s (error %s, eof %s)" % (ev, sse.error, sse.eof))
    s = api.state()
    rc = s.get("recent_calls") or [{}]
    check(rc[0].get("ticket") == "A003" and rc[0].get("window") == 1 and
          rc[0].get("recall") is False and is_iso_today(rc[0].get("at"), day),
          "state.recent_calls[0] is A003 at window 1, not a recall", json.dumps(rc))

    mark = len(sse.snapshot())
    op_ok("recall", {}, {"number": "A003", "state": "called", "window": 1}, "recall A003")
    ev = sse.wait(lambda e: e.get("event") == "recall", 10, mark)
    check(ev is not None and (ev.get("data") or {}).get("ticket") == "A003" and
          ev["data"].get("window") == 1, "SSE: a recall event for A003 at window 1", str(ev))
    rc = api.state().get("recent_calls") or []
    check(len(rc) == 2 and rc[0].get("ticket") == "A003" and rc[0].get("recall") is True and
          rc[1].get("ticket") == "A003" and rc[1].get("recall") is False,
          "state.recent_calls newest first: the recall, then the call", json.dumps(rc))

    before = snapshot(api)
    expect(api.op(1, "logout", {}, W), 409, "WINDOW_BUSY", "logout with a called ticket")
    expect(api.op(1, "call-next", {}, W), 409, "WINDOW_BUSY", "call-next with a called ticket")
    expect(api.op(1, "hold", {}, W), 409, "NOT_SERVING", "hold a ticket only called")
    expect(api.op(1, "pause", {"reason": 1}, W), 409, "WINDOW_BUSY",
           "pause with a called ticket")
    unchanged(api, before, "refusals on a window with a called ticket")

    m.windows[1].update(state="serving")
    op_ok("start", {}, {"number": "A003", "state": "serving", "window": 1}, "start A003")
    m.windows[1].update(state="idle", current=None, held=1)
    op_ok("hold", {}, {"number": "A003", "state": "held"}, "hold A003 (挂起)")
    before = snapshot(api)
    expect(api.op(1, "logout", {}, W), 409, "WINDOW_HOLDS_TICKETS", "logout holding A003")
    expect(api.op(1, "call-back", {"ticket": "A001"}, W), 409, "NOT_HELD_HERE",
           "call-back a ticket not held here")
    expect(api.op(1, "finish", {}, W), 409, "NOT_CALLED", "finish with nothing called")
    unchanged(api, before, "refusals on a window holding a ticket")
    m.windows[1].update(state="serving", current="A003", held=0)
    op_ok("call-back", {}, {"number": "A003", "state": "serving", "window": 1},
          "call-back with no ticket named: the first held here")
    mark = len(sse.snapshot())
    m.windows[1].update(state="idle", current=None)
    op_ok("finish", {}, {"number": "A003", "state": "finished"}, "finish A003")
    ev = sse.wait(lambda e: e.get("event") == "ticket" and
                  (e.get("data") or {}).get("number") == "A003", 10, mark)
    check(ev is not None and ev["data"].get("state") == "finished",
          "SSE: a ticket event for A003 finished", str(ev))
    op_ok("rate", {"ticket": "A003", "rating": 1}, {"number": "A003", "state": "finished"},
          "rate A003 1 (非常满意)")
    before = snapshot(api)
    expect(api.op(1, "rate", {"ticket": "A003", "rating": 2}, W), 409, "ALREADY_RATED",
           "rate A003 twice")
    expect(api.op(1, "rate", {"ticket": "A001", "rating": 2}, W), 409, "NOT_FINISHED",
           "rate a waiting ticket")
    expect(api.op(1, "rate", {"ticket": "A003"}, W), 400, "MISSING_FIELD", "rate without rating")
    expect(api.op(1, "rate", {"ticket": "A003", "rating": "1"}, W), 400, "BAD_FIELD",
           "rating a string")
    unchanged(api, before, "refused ratings")

    # call-next: A001 (normal, longest wait among the heads A001, B001, C001)
    m.windows[1].update(state="called", current="A001")
    op_ok("call-next", {}, {"number": "A001", "state": "called", "window": 1},
          "call-next calls A001, the longest wait")
    j = expect(api.get("/api/v1/tickets/" + T["A001"]["token"]), 200,
               what="status of a called ticket")
    check_ticket((j or {}).get("ticket"), "status A001: called to window 1", number="A001",
                 state="called", window=1)
    m.windows[1].update(state="idle", current=None)
    op_ok("no-show", {}, {"number": "A001", "state": "waiting"},
          "no-show A001: back in line (no_show_requeue_max 1)")
    j = expect(api.get("/api/v1/tickets/" + T["A001"]["token"]), 200,
               what="status of a re-queued no-show")
    check_ticket((j or {}).get("ticket"), "status A001: waiting again, no window",
                 number="A001", state="waiting", window=None)

    before = snapshot(api)
    r = api.op(1, "call-ticket", {"ticket": "A999"}, W)
    expect(r, (404, 409), ("NOT_FOUND", "NO_SUCH_TICKET"), "call-ticket A999, never issued")
    check((r.status, err_code(r)) in ((404, "NOT_FOUND"), (409, "NO_SUCH_TICKET")),
          "call-ticket A999: 404 with NOT_FOUND or 409 with NO_SUCH_TICKET", str(r))
    note("call-ticket A999 answered %d %s (the contract allows 404 NOT_FOUND or 409 "
         "NO_SUCH_TICKET)" % (r.status, err_code(r)))
    expect(api.op(1, "call-ticket", {"ticket": "A003"}, W), 409, "NOT_WAITING",
           "call-ticket a finished ticket")
    expect(api.op(1, "call-ticket", {}, W), 400, "MISSING_FIELD", "call-ticket without ticket")
    expect(api.op(1, "call-ticket", {"ticket": 1}, W), 400, "BAD_FIELD",
           "call-ticket with a number")
    unchanged(api, before, "refused call-tickets")

    mark = len(sse.snapshot())
    m.windows[1].update(state="called", current="B001")
    op_ok("call-ticket", {"ticket": "B001"}, {"number": "B001", "state": "called", "window": 1,
                                              "service": "s1"}, "call-ticket B001")
    ev = sse.wait(lambda e: e.get("event") == "call", 10, mark)
    check(ev is not None and (ev.get("data") or {}).get("ticket") == "B001" and
          ev["data"].get("window") == 1 and ev["data"].get("service") == "s1",
          "SSE: a call event for B001 at window 1", str(ev))


def test_bad_window_input(api, m):
    """Window 1 has B001 called; nothing here may change that."""
    A = TOKENS["admin"]
    before = snapshot(api)
    cases = [
        (99, "call-next", {}, "application/json", 404, "NOT_FOUND", "unknown window 99"),
        (0, "call-next", {}, "application/json", 404, "NOT_FOUND", "window 0"),
        (1, "dance", {}, "application/json", 404, "NOT_FOUND", "unknown operation"),
        (1, "call_next", {}, "application/json", 404, "NOT_FOUND",
         "the engine's name call_next is not the API's"),
        (1, "transfer", b"{\"window\": 2", "application/json", 400, "BAD_JSON", "bad JSON"),
        (1, "transfer", b"[2]", "application/json", 400, "BAD_JSON", "a JSON array"),
        (1, "transfer", {"window": "2"}, "application/json", 400, "BAD_FIELD",
         "window as a string"),
        (1, "transfer", {"service": 2}, "application/json", 400, "BAD_FIELD",
         "service as a number"),
        (1, "transfer", {"window": 2, "colour": 1}, "application/json", 400, "UNKNOWN_FIELD",
         "unknown field"),
        (1, "transfer", {"service": "s9"}, "application/json", 404, "NOT_FOUND",
         "transfer to an unknown service"),
        (1, "transfer", {"window": 99}, "application/json", 404, "NOT_FOUND",
         "transfer to an unknown window"),
        (1, "transfer", {"window": 2}, "text/plain", 415, "NOT_JSON", "Content-Type text/plain"),
        (1, "recall", {"ticket": "B001"}, "application/json", 400, "UNKNOWN_FIELD",
         "recall takes no field"),
        (1, "finish", b"[]", "application/json", 400, "BAD_JSON", "finish with an array"),
        (1, "login", {"staff": "1001"}, "application/json", 400, "MISSING_FIELD",
         "login without pin"),
        (1, "login", {"staff": 1001, "pin": "2222"}, "application/json", 400, "BAD_FIELD",
         "staff as a number"),
        (1, "rate", {"ticket": "A003", "rating": 2, "x": 1}, "application/json", 400,
         "UNKNOWN_FIELD", "rate with an unknown field"),
        # ticket numbers are one or two letters and three digits (tests/fuzz)
        (1, "call-ticket", {"ticket": "ABC001"}, "application/json", 400, "BAD_FIELD",
         "a ticket number with three letters"),
        (1, "call-ticket", {"ticket": "A0001"}, "application/json", 400, "BAD_FIELD",
         "a ticket number with four digits"),
        (1, "call-ticket", {"ticket": "a001"}, "application/json", 400, "BAD_FIELD",
         "a ticket number in small letters"),
    ]
    for n, operation, body, ctype, status, code, what in cases:
        r = api.post("/api/v1/windows/%d/%s" % (n, operation), body, A, ctype=ctype)
        expect(r, status, code, what)
    big = b"{\"window\": 2" + b" " * (BODY_MAX + 1 - 13) + b"}"
    assert len(big) == BODY_MAX + 1
    r = api.raw("POST", "/api/v1/windows/1/transfer",
                {"Authorization": "Bearer " + A, "Content-Type": "application/json"}, big)
    check(r is not None, "an oversize transfer gets an answer")
    expect(r, 413, "BODY_TOO_LARGE", "transfer body of 16 KiB + 1")
    ok_size = b"{\"window\": 2" + b" " * (BODY_MAX - 13) + b"}"
    assert len(ok_size) == BODY_MAX
    expect(api.get("/api/v1/windows/1/call-next", A), 405, "METHOD_NOT_ALLOWED",
           "GET on an operation")
    expect(api.get("/api/v1/windows/1/transfer", A), 405, "METHOD_NOT_ALLOWED",
           "GET on transfer")
    expect(api.req("PUT", "/api/v1/windows/1/finish", body={}, token=A), 405,
           "METHOD_NOT_ALLOWED", "PUT on an operation")
    unchanged(api, before, "every bad window request")
    check_window(m, windows_of(api.state()).get(1), 1, "still has B001 called")
    m.ok_size_body = ok_size


def test_transfer_pause(api, m, T, sse):
    W1, W2 = TOKENS["w1"], TOKENS["w2"]
    # transfer B001 to window 2, with a body of exactly 16 KiB (allowed)
    r = api.post("/api/v1/windows/1/transfer", m.ok_size_body, W1)
    j = expect(r, 200, what="transfer B001 to window 2, a body of exactly 16 KiB")
    m.windows[1].update(state="idle", current=None)
    check_window(m, (j or {}).get("window"), 1, "after the transfer")
    check_ticket((j or {}).get("ticket"), "transfer answers B001 waiting", number="B001",
                 state="waiting")

    u2, p2 = staff_of(2)
    j = expect(api.op(2, "login", {"staff": u2, "pin": p2}, W2), 200,
               what="window 2 logs in with staff %s (its own token)" % u2)
    m.windows[2].update(state="idle", staff=u2)
    check_window(m, (j or {}).get("window"), 2, "after login")
    # B001 was transferred to window 2 by name: it comes first (Dispatch 1)
    j = expect(api.op(2, "call-next", {}, W2), 200, what="window 2 call-next")
    m.windows[2].update(state="called", current="B001")
    check_window(m, (j or {}).get("window"), 2, "after call-next")
    check_ticket((j or {}).get("ticket"), "window 2 calls B001, transferred to it by name",
                 number="B001", state="called", window=2)
    j = expect(api.op(2, "start", {}, W2), 200, what="window 2 starts B001")
    m.windows[2].update(state="serving")
    check_window(m, (j or {}).get("window"), 2, "after start")
    before = snapshot(api)
    expect(api.op(2, "transfer", {"window": 2}, W2), 409, "SAME_PLACE",
           "transfer to the window serving it")
    unchanged(api, before, "SAME_PLACE")
    j = expect(api.op(2, "transfer", {"service": "s0"}, W2), 200,
               what="transfer B001 to service s0")
    m.windows[2].update(state="idle", current=None)
    check_window(m, (j or {}).get("window"), 2, "after the transfer to s0")
    check_ticket((j or {}).get("ticket"), "B001 keeps its number, waits for s0",
                 number="B001", state="waiting", service="s0")

    # pause / resume
    before = snapshot(api)
    expect(api.op(2, "pause", {}, W2), 409, "PAUSE_REASON_REQUIRED", "pause without a reason")
    expect(api.op(2, "pause", {"reason": 0}, W2), 409, "PAUSE_REASON_REQUIRED",
           "pause with reason 0")
    # docs/api.md allows both: a value out of range (400 BAD_FIELD) or the
    # engine's refusal (409 UNKNOWN_PAUSE_REASON)
    expect(api.op(2, "pause", {"reason": 3}, W2), (400, 409), ("BAD_FIELD", "UNKNOWN_PAUSE_REASON"),
           "pause reason 3 (the config has 2)")
    expect(api.op(2, "pause", {"reason": "休息"}, W2), 400, "BAD_FIELD", "reason as text")
    unchanged(api, before, "refused pauses")
    j = expect(api.op(2, "pause", {"reason": 1}, W2), 200, what="pause window 2, reason 1 (休息)")
    m.windows[2].update(state="paused")
    check_window(m, (j or {}).get("window"), 2, "after pause")
    check(isinstance(j, dict) and j.get("ticket") is None, "pause answers ticket null", str(j))
    before = snapshot(api)
    expect(api.op(2, "call-next", {}, W2), 409, "WINDOW_PAUSED", "call-next while paused")
    expect(api.op(2, "pause", {"reason": 2}, W2), 409, "WINDOW_PAUSED", "pause while paused")
    unchanged(api, before, "refusals while paused")
    check_window(m, windows_of(api.state()).get(2), 2, "paused, in the state")
    # resume with an empty body and no Content-Type ("an empty body or {}")
    j = expect(api.post("/api/v1/windows/2/resume", None, W2), 200,
               what="resume with an empty body, no Content-Type")
    m.windows[2].update(state="idle")
    check_window(m, (j or {}).get("window"), 2, "after resume")
    j = expect(api.post("/api/v1/windows/2/logout", b"", W2, ctype="application/json"), 200,
               what="logout with an empty body")
    m.windows[2].update(state="logged_out", staff=None)
    check_window(m, (j or {}).get("window"), 2, "after logout")
    check_window(m, windows_of(api.state()).get(2), 2, "logged out, in the state")


def test_sse_resume(api, m, sse, t_start):
    W1 = TOKENS["w1"]
    s = api.state()
    last_state_id = s.get("event_id")
    ev = sse.wait_id(last_state_id, 10)
    check(ev is not None, "the stream delivered every event up to state.event_id %s"
          % last_state_id, "last seen: %s" % (sse.snapshot()[-1:] or None))
    events = sse.snapshot()
    ids = [split_id(e.get("id")) for e in events]
    check(all(ids), "every event has an id BOOT-N", str([e.get("id") for e in events]))
    boots = {i[0] for i in ids}
    start = split_id(sse.start_id)
    check(len(boots) == 1 and boots == {start[0]}, "one BOOT for every id, the state's",
          str(boots))
    boot = start[0]
    check(t_start - 5 <= boot <= time.time() + 5,
          "BOOT is the second hostd started (%d..now)" % t_start, str(boot))
    ns = [i[1] for i in ids]
    check(ns == list(range(start[1] + 1, start[1] + 1 + len(ns))),
          "the live stream: ids %d.. consecutive, from just after the state's event_id"
          % (start[1] + 1), str(ns))
    check(all(e.get("event") in ("call", "recall", "ticket", "window", "queue", "device")
              and isinstance(e.get("data"), dict) and e.get("lines") == 1 for e in events),
          "every event has a documented name and one data line of a JSON object",
          str([(e.get("event"), e.get("data_text")[:60]) for e in events
               if not isinstance(e.get("data"), dict) or e.get("lines") != 1]))
    last_seen = events[-1]["id"]
    check(last_seen == last_state_id, "the last id delivered equals state.event_id",
          "%s vs %s" % (last_seen, last_state_id))
    sse.close()

    # two operations while disconnected: A002 is next (s0 queue A002, A001, B001)
    expect(api.op(1, "call-next", {}, W1), 200, what="call-next while the stream is away")
    expect(api.op(1, "recall", {}, W1), 200, what="recall while the stream is away")
    m.windows[1].update(state="called", current="A002")
    s2 = api.state()
    target = s2.get("event_id")
    tb, tn = split_id(target) or (0, 0)
    check(tb == boot and tn >= split_id(last_seen)[1] + 2,
          "state.event_id moved on by at least two events", "%s -> %s" % (last_seen, target))
    rc = s2.get("recent_calls") or [{}]
    check(rc[0].get("ticket") == "A002" and rc[0].get("recall") is True and
          rc[1].get("ticket") == "A002" and rc[1].get("recall") is False,
          "recent_calls: A002's recall, then its call", json.dumps(rc))

    again = Sse(api.port, path="/api/v1/events?access_token=" + TOKENS["display"],
                last_id=last_seen)
    got = again.wait_id(target, 10)
    check(got is not None, "resumed with Last-Event-ID %s (?access_token=): up to %s arrive"
          % (last_seen, target), "got %s (error %s, status %s)"
          % ([e.get("id") for e in again.snapshot()], again.error, again.status))
    check(again.status == 200, "the resumed stream answers 200", str(again.status))
    missed = again.snapshot()
    mids = [split_id(e.get("id")) for e in missed]
    n0 = split_id(last_seen)[1]
    check(all(mids) and [i[0] for i in mids] == [boot] * len(mids) and
          [i[1] for i in mids] == list(range(n0 + 1, tn + 1)),
          "the missed events first: ids %d..%d, in order, none twice, none missed" % (n0 + 1, tn),
          str([e.get("id") for e in missed]))
    names = [(e.get("event"), (e.get("data") or {}).get("ticket")) for e in missed]
    check(("call", "A002") in names and ("recall", "A002") in names and
          names.index(("call", "A002")) < names.index(("recall", "A002")),
          "the missed events hold A002's call, then its recall", str(names))
    call = [e for e in missed if e.get("event") == "call"][0]["data"]
    check(call.get("window") == 1 and call.get("service") == "s0",
          "the missed call event names window 1 and service s0", str(call))
    # a live one after the replay
    j = expect(api.op(1, "start", {}, W1), 200, what="start A002 with the resumed stream open")
    m.windows[1].update(state="serving")
    check_window(m, (j or {}).get("window"), 1, "after start")
    s3 = api.state()
    ev = again.wait_id(s3.get("event_id"), 10)
    allev = again.snapshot()
    n_all = [split_id(e.get("id"))[1] for e in allev]
    check(ev is not None and n_all == list(range(n0 + 1, n0 + 1 + len(n_all))),
          "then the live ones, consecutive, no duplicates", str(n_all))
    time.sleep(0.3)
    check(again.snapshot()[-1].get("id") == api.state().get("event_id"),
          "state.event_id equals the last event id delivered",
          "%s vs %s" % (again.snapshot()[-1].get("id"), api.state().get("event_id")))
    again.close()

    # resume from the very id the state names: nothing replayed
    here = api.state().get("event_id")
    quiet = Sse(api.port, token=TOKENS["w1"], last_id=here)
    time.sleep(1.0)
    check(quiet.snapshot() == [] and quiet.status == 200,
          "Last-Event-ID = state.event_id replays nothing",
          str([e.get("id") for e in quiet.snapshot()]))
    quiet.close()

    # another boot's id, and a garbage id: reset
    for bad in ("1-5", "%d-1" % (boot - 1), "garbage"):
        rs = Sse(api.port, token=TOKENS["display"], last_id=bad)
        ev = rs.wait(lambda e: True, 10)
        check(ev is not None and ev.get("event") == "reset" and ev.get("data") == {},
              "Last-Event-ID %s (not this boot) -> a reset event with data {}" % bad,
              "got %s (status %s, error %s)" % (ev, rs.status, rs.error))
        rs.close()
    # a Last-Event-ID of this boot but in the future: also a reset, most reasonably
    rs = Sse(api.port, token=TOKENS["display"], last_id="%d-%d" % (boot, tn + 1000))
    ev = rs.wait(lambda e: True, 3)
    if ev is None or ev.get("event") != "reset":
        note("Last-Event-ID %d-%d (this boot, not yet sent) gave %s (the contract says "
             "nothing; a reset would be the safe answer)" % (boot, tn + 1000, ev))
    rs.close()


def test_admin_and_late(api, m):
    A = TOKENS["admin"]
    u3, p3 = staff_of(3)
    j = expect(api.op(3, "login", {"staff": u3, "pin": p3}, A), 200,
               what="admin logs in window 3 (staff %s)" % u3)
    m.windows[3].update(state="idle", staff=u3)
    check_window(m, (j or {}).get("window"), 3, "after login by admin")
    j = expect(api.op(3, "logout", None, A), 200, what="admin logs out window 3")
    m.windows[3].update(state="logged_out", staff=None)
    check_window(m, (j or {}).get("window"), 3, "after logout by admin")
    j = expect(api.op(1, "finish", {}, A), 200, what="admin finishes A002 at window 1")
    m.windows[1].update(state="idle", current=None)
    check_window(m, (j or {}).get("window"), 1, "after finish by admin")
    check_ticket((j or {}).get("ticket"), "A002 finished", number="A002", state="finished")
    expect(api.op(1, "rate", {"ticket": "A002", "rating": 5}, A), 200,
           what="admin rates A002 5 (非常不满意)")
    # a Content-Type with a charset is still application/json
    r = api.issue("s1", "normal", TOKENS["kiosk"], ctype="application/json; charset=utf-8")
    j = expect(r, 201, what="Content-Type application/json; charset=utf-8")
    check_ticket((j or {}).get("ticket"), "B002: s1 numbering goes on (B001 kept its number)",
                 number="B002", service="s1", state="waiting", people_ahead=0)
    # recent_calls holds at most 10: one call and ten recalls of A001
    # (s0's queue is A001, B001 after the no-show and the transfer)
    j = expect(api.op(1, "call-next", {}, A), 200, what="admin: window 1 calls A001")
    check_ticket((j or {}).get("ticket"), "window 1 calls A001, the re-queued no-show",
                 number="A001", state="called", window=1)
    for _ in range(10):
        if api.op(1, "recall", {}, A).status != 200:
            break
    rc = api.state().get("recent_calls") or []
    check(len(rc) == 10 and all(c.get("ticket") == "A001" and c.get("recall") is True
                                for c in rc[:10]) and
          [c.get("at") for c in rc] == sorted((c.get("at") for c in rc), reverse=True),
          "recent_calls: at most 10, the ten recalls of A001, newest first", json.dumps(rc))
    expect(api.op(1, "finish", {}, A), 200, what="admin: window 1 finishes A001")
    m.windows[1].update(state="idle", current=None)
    # the state agrees with the model for every window
    wins = windows_of(api.state())
    for n in (1, 2, 3):
        check_window(m, wins.get(n), n, "in the final state")


def test_robustness(api, hostd):
    results = [None] * 50
    barrier = threading.Barrier(50)

    def one(i):
        try:
            barrier.wait(10)
            r = api.get("/api/v1/state", TOKENS["display"])
            results[i] = (r.status, isinstance(r.json, dict) and "windows" in r.json)
        except Exception as e:
            results[i] = repr(e)
    threads = [threading.Thread(target=one, args=(i,)) for i in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    bad = [r for r in results if r != (200, True)]
    check(not bad, "50 concurrent GET /api/v1/state all answer 200 with the state",
          "%d bad: %s" % (len(bad), bad[:5]))

    before = snapshot(api)
    # half a request line, then gone
    s = socket.create_connection(("127.0.0.1", api.port), timeout=5)
    s.sendall(b"POST /api/v1/tic")
    s.close()
    # the headers and half the promised body, then gone
    body = b"{\"service\": \"s0\"}"
    s = socket.create_connection(("127.0.0.1", api.port), timeout=5)
    s.sendall(("POST /api/v1/tickets HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
               "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n"
               % (TOKENS["kiosk"], len(body))).encode() + body[:7])
    time.sleep(0.2)
    s.close()
    # headers never finished, connection left open while others are served
    idle = socket.create_connection(("127.0.0.1", api.port), timeout=5)
    idle.sendall(b"GET /api/v1/state HTTP/1.1\r\nHost: x\r\n")
    expect(api.get("/api/v1/state", TOKENS["display"]), 200,
           what="served while another client sits on half a request")
    idle.close()
    time.sleep(0.2)
    check(hostd.alive(), "hostd alive after clients that sent half a request")
    expect(api.get("/api/v1/state", TOKENS["display"]), 200, what="after the half requests")
    unchanged(api, before, "the half requests (no ticket issued)")


def test_shutdown(api, hostd):
    sse = Sse(api.port, token=TOKENS["display"])
    sse.wait_headers(3)
    check(hostd.alive(), "hostd still alive at the end")
    t0 = time.monotonic()
    hostd.p.send_signal(signal.SIGTERM)
    try:
        rc = hostd.p.wait(15)
    except subprocess.TimeoutExpired:
        rc = None
    check(rc == 0, "SIGTERM with an event stream open: hostd exits 0 (in %.1f s)"
          % (time.monotonic() - t0), "exit status %s\n%s" % (rc, hostd.tail(20)))
    check(sse.wait_eof(5), "the open event stream ends when hostd stops")
    sse.close()


def test_bad_tokens_file(build, work, cfg):
    """hostd refuses to start on a bad tokens file, one line per problem."""
    bad_dir = os.path.join(work, "bad")
    os.makedirs(bad_dir, exist_ok=True)
    c = json.loads(json.dumps(cfg))
    c["api"]["port"] = hh.free_port()
    cpath = os.path.join(bad_dir, "hall.json")
    with open(cpath, "w", encoding="utf-8") as f:
        json.dump(c, f, ensure_ascii=False)
    hh.write_tokens(os.path.join(bad_dir, "tokens.json"), [
        {"token": "short", "role": "kiosk"},                       # under 16 characters
        {"token": "window-no-number-123456", "role": "window"},    # window missing
        {"token": "display-with-window-1234", "role": "display", "window": 1},
        {"token": "unknown-role-abcdefghij", "role": "janitor"},
    ])
    try:
        p = subprocess.run([os.path.join(build, "hostd/hostd"), "--config", cpath, "--db",
                            os.path.join(bad_dir, "h.db")], capture_output=True, timeout=20)
        rc, out = p.returncode, (p.stdout + p.stderr).decode("utf-8", "replace")
    except subprocess.TimeoutExpired as e:
        rc, out = None, "still running after 20 s: %s" % e
    check(rc not in (0, None), "hostd refuses a bad tokens file (exit %s)" % rc, out)
    lines = [ln for ln in out.splitlines() if "tokens" in ln]
    check(len(lines) >= 4, "one line per problem of the tokens file (4 problems)", out)


if __name__ == "__main__":
    sys.exit(main())
