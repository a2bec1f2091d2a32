#!/usr/bin/env python3
"""test_tokens_reload.py — hostd reads its API tokens file again on SIGHUP
(systemctl reload hostd), and refuses one that others may read.

- A good new file takes effect for new requests: the old tokens answer
  401, the new 200. A keep-alive connection opened before the reload and
  an event stream opened with an old token stay open: the stream goes on
  delivering events.
- A broken file (bad JSON, an invalid entry, a mode others may read, a
  missing file) changes nothing: the tokens in force still answer 200,
  hostd logs why, and keeps running.
- At start, a tokens file others may read stops hostd with exit 2 and a
  sentence naming the mode.

usage: test_tokens_reload.py BUILD_DIR
"""
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import hall_harness as hh  # noqa: E402

OLD = {"admin": "old-admin-token-0000000001", "display": "old-display-token-00000001",
       "kiosk": "old-kiosk-token-0000000001"}
NEW = {"admin": "new-admin-token-0000000002", "display": "new-display-token-00000002",
       "kiosk": "new-kiosk-token-0000000002"}
ROGUE = {"admin": "rogue-admin-token-00000003"}


def entries(tokens):
    return [{"token": t, "role": r} for r, t in sorted(tokens.items())]


def status(port, token, conn=None):
    """GET /api/v1/state with token; on conn (kept open) when given."""
    c = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request("GET", "/api/v1/state", headers={"Authorization": "Bearer " + token})
    r = c.getresponse()
    r.read()
    if not conn:
        c.close()
    return r.status


def issue(port, token):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request("POST", "/api/v1/tickets", json.dumps({"service": "s0"}),
              {"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    r = c.getresponse()
    body = json.loads(r.read())
    c.close()
    return r.status, body


class Stream:
    """An event stream (GET /api/v1/events) read line by line."""

    def __init__(self, port, token):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.s.sendall(("GET /api/v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s"
                        "\r\nAccept: text/event-stream\r\n\r\n" % token).encode())
        self.buf = b""

    def until(self, needle):
        """Reads until needle appears; what was read, or None if it closed."""
        while needle not in self.buf:
            chunk = self.s.recv(65536)
            if not chunk:
                return None
            self.buf += chunk
        head, _, self.buf = self.buf.partition(needle)
        return head + needle

    def close(self):
        self.s.close()


def reloads(log_path):
    """(tokens taken, tokens refused) so far, from hostd's log."""
    text = open(log_path, "rb").read()
    return (len(re.findall(rb"API tokens? in force", text)),
            text.count(b"the tokens file was not taken"))


def reload(p, want_taken):
    """SIGHUP, then wait until the log shows the reload's outcome."""
    taken, refused = reloads(p.log_path)
    p.p.send_signal(signal.SIGHUP)
    hh.wait_for(lambda: reloads(p.log_path) != (taken, refused), 30, "the reload's log line")
    now = reloads(p.log_path)
    hh.check(now == ((taken + 1, refused) if want_taken else (taken, refused + 1)),
             "the reload was %s" % ("taken" if want_taken else "refused"))


def run(hall, build, work):
    cfg_path = os.path.join(work, "hall.json")
    cfg = hh.hall_config(cfg_path, buses=[], devices=[])
    port = cfg["api"]["port"]
    tokens = os.path.join(work, "tokens.json")
    hostd = hall.prog("hostd/hostd")

    # ---- at start: a file others may read is refused ----
    hh.write_tokens(tokens, entries(OLD), mode=0o644)
    r = subprocess.run([hostd, "--config", cfg_path, "--db", os.path.join(work, "never.db")],
                       capture_output=True, text=True, timeout=30)
    hh.check(r.returncode == 2, "hostd refuses to start on a tokens file mode 0644 (exit %d)"
             % r.returncode)
    hh.check("tokens.json: refused: the tokens file has mode 0644 and others may access it"
             in r.stderr, "... and says why: %s" % r.stderr.strip().splitlines()[-1:])

    hh.write_tokens(tokens, entries(OLD))  # 0600
    p = hall.hostd(cfg_path, os.path.join(work, "hallq.db"))
    hh.check(status(port, OLD["admin"]) == 200, "the old admin token works")
    hh.check(status(port, NEW["admin"]) == 401, "the new admin token does not, yet")
    keep = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    hh.check(status(port, OLD["display"], keep) == 200, "a keep-alive connection is open")
    stream = Stream(port, OLD["display"])
    hh.check(stream.until(b"\r\n\r\n") is not None, "an event stream is open on an old token")
    code, body = issue(port, OLD["kiosk"])
    hh.check(code == 201, "a ticket with the old kiosk token (%d)" % code)
    first = body["ticket"]["number"]
    hh.check(stream.until(first.encode()) is not None, "the stream shows %s" % first)

    # ---- a good new file: new tokens for new requests, nothing dropped ----
    hh.write_tokens(tokens, entries(NEW))
    reload(p, True)
    hh.check(status(port, OLD["admin"]) == 401, "after the reload the old admin token is 401")
    hh.check(status(port, OLD["display"]) == 401, "... and the old display token")
    hh.check(status(port, NEW["admin"]) == 200, "the new admin token is 200")
    hh.check(status(port, NEW["display"], keep) == 200,
             "the keep-alive connection opened before the reload still serves")
    code, body = issue(port, NEW["kiosk"])
    hh.check(code == 201, "a ticket with the new kiosk token (%d)" % code)
    second = body["ticket"]["number"]
    hh.check(stream.until(second.encode()) is not None,
             "the event stream opened with an old token still delivers (%s)" % second)

    # ---- broken files change nothing ----
    def refused(what, write):
        write()
        reload(p, False)
        hh.check(status(port, NEW["admin"]) == 200 and status(port, NEW["display"]) == 200,
                 "%s: the tokens in force still work" % what)
        hh.check(status(port, ROGUE["admin"]) == 401 and status(port, OLD["admin"]) == 401,
                 "%s: no other token is taken" % what)
        hh.check(p.alive(), "%s: hostd runs on" % what)

    def bad_json():
        with open(tokens, "w") as f:
            f.write('{"tokens": [{"token": "rogue-admin-token-00000003", "role": "admin"}')
    refused("bad JSON", bad_json)
    refused("an invalid entry",
            lambda: hh.write_tokens(tokens, entries(ROGUE) + [{"token": "x", "role": "admin"}]))
    refused("mode 0644", lambda: hh.write_tokens(tokens, entries(ROGUE), mode=0o644))
    refused("no file", lambda: os.unlink(tokens))
    log = open(p.log_path, "rb").read().decode("utf-8", "replace")
    hh.check("refused: the tokens file has mode 0644" in log,
             "the log says the mode was refused")
    hh.check("tokens[1]: token: expected 16 to 128 printable characters" in log,
             "the log names the invalid entry")
    hh.check("cannot open the tokens file: No such file or directory" in log,
             "the log says the file is missing")

    # ---- and a good file after the broken ones is taken ----
    hh.write_tokens(tokens, entries(ROGUE))
    reload(p, True)
    hh.check(status(port, ROGUE["admin"]) == 200 and status(port, NEW["admin"]) == 401,
             "a good file after broken ones is taken")
    keep.close()
    stream.close()
    hh.check(p.stop() == 0, "hostd stops cleanly")


if __name__ == "__main__":
    hh.main(run, "hallq-tokens-")
