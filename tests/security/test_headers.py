#!/usr/bin/env python3
"""test_headers.py — what hostd tells browsers (docs/security.md): the
pages come with a Content-Security-Policy that allows only the hall
server's own files, are never framed, send no Referer (their address
carries an API token), and no answer lets a browser guess its type; a
page outside the web folder is not served.

usage: test_headers.py BUILD_DIR SOURCE_DIR
"""
import http.client
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import hall_harness as hh  # noqa: E402

SOURCE = os.path.abspath(sys.argv.pop(2)) if len(sys.argv) > 2 else None
CSP = ("default-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; "
       "frame-ancestors 'none'")


def get(port, path, token=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request("GET", path, headers={"Authorization": "Bearer " + token} if token else {})
    r = c.getresponse()
    body = r.read()
    headers = {k.lower(): v for k, v in r.getheaders()}
    c.close()
    return r.status, headers, body


def run(hall, build, work):
    cfg_path = os.path.join(work, "hall.json")
    cfg = hh.hall_config(cfg_path, buses=[], devices=[])
    cfg["api"]["web_dir"] = os.path.join(SOURCE, "web")
    with open(cfg_path, "w", encoding="utf-8") as f:
        json.dump(cfg, f, ensure_ascii=False)
    hall.hostd(cfg_path, os.path.join(work, "hallq.db"))
    port = cfg["api"]["port"]

    for page in ("hall.html", "window.html", "ticket.html", "js/common.js", "css/common.css"):
        status, h, _ = get(port, "/" + page)
        hh.check(status == 200, "%s is served (%d)" % (page, status))
        hh.check(h.get("content-security-policy") == CSP, "%s: the CSP (%r)"
                 % (page, h.get("content-security-policy")))
        hh.check(h.get("x-frame-options") == "DENY", "%s: never framed" % page)
        hh.check(h.get("referrer-policy") == "no-referrer", "%s: no Referer" % page)
        hh.check(h.get("x-content-type-options") == "nosniff", "%s: nosniff" % page)

    status, h, _ = get(port, "/api/v1/state", hh.TOKENS["display"]["token"])
    hh.check(status == 200 and h.get("x-content-type-options") == "nosniff",
             "an API answer: nosniff (%d)" % status)
    status, h, _ = get(port, "/api/v1/state")
    hh.check(status == 401 and h.get("x-content-type-options") == "nosniff",
             "an API refusal: nosniff (%d)" % status)
    for path in ("/../README.md", "/js/../../README.md", "/%2e%2e/README.md", "//etc/passwd"):
        status, _, body = get(port, path)
        hh.check(status == 404 and b"hallq" not in body, "%s is not served (%d)" % (path, status))


if __name__ == "__main__":
    hh.main(run, "hallq-headers-")
