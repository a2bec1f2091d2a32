#!/usr/bin/env python3
"""test_hostd_voice.py — hostd says its calls aloud: with the config's
voice section set to WAV output, a call and a recall made through the API
each become one announcement file, in order, named after the ticket and
the window, holding speech (not silence) of a plausible length; a hostd
whose voice cannot start (no sound device here) keeps serving.

usage: test_hostd_voice.py BUILD_DIR
"""
import http.client
import json
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import hall_harness as hh  # noqa: E402

check = hh.check


def post(port, path, body):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request("POST", path, body=json.dumps(body),
              headers={"Authorization": "Bearer " + hh.TOKENS["admin"]["token"],
                       "Content-Type": "application/json"})
    r = c.getresponse()
    data = r.read()
    c.close()
    if r.status >= 300:
        raise hh.Failure("POST %s: %d %s" % (path, r.status, data))
    return json.loads(data)


def wav_seconds_and_rms(path):
    """Length and RMS of a 16-bit mono PCM WAV, read here from its chunks."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise hh.Failure("%s is not a RIFF WAVE file" % path)
    pos, rate, samples = 12, 0, b""
    while pos + 8 <= len(data):
        cid, size = data[pos:pos + 4], struct.unpack("<I", data[pos + 4:pos + 8])[0]
        body = data[pos + 8:pos + 8 + size]
        if cid == b"fmt ":
            fmt, channels, rate, _, _, bits = struct.unpack("<HHIIHH", body[:16])
            if (fmt, channels, bits) != (1, 1, 16):
                raise hh.Failure("%s: not 16-bit mono PCM" % path)
        elif cid == b"data":
            samples = body
        pos += 8 + size + (size & 1)
    n = len(samples) // 2
    values = struct.unpack("<%dh" % n, samples[:2 * n])
    rms = (sum(v * v for v in values) / max(n, 1)) ** 0.5
    return n / rate if rate else 0, rms


def main():
    hh.main(lambda hall, build, work: run(hall, work), "hallq-voice-", 40)


def run(hall, work):
    cfg_path = os.path.join(work, "hall.json")
    cfg = hh.hall_config(cfg_path, [], [], extra={
        "voice": {"enabled": True, "output": "wav", "wav_dir": "calls"}})
    port = cfg["api"]["port"]
    wav_dir = os.path.join(work, "calls")
    host = hall.hostd(cfg_path, os.path.join(work, "hallq.db"))
    post(port, "/api/v1/tickets", {"service": "s1"})
    post(port, "/api/v1/windows/3/login", {"staff": "1003", "pin": "4444"})
    post(port, "/api/v1/windows/3/call-next", {})
    post(port, "/api/v1/windows/3/recall", {})

    def files():
        return sorted(f for f in os.listdir(wav_dir) if f.endswith(".wav")) \
            if os.path.isdir(wav_dir) else []
    hh.wait_for(lambda: len(files()) == 2, 30, "two announcements")
    check(files() == ["000001-B001-3.wav", "000002-B001-3.wav"],
          "a call and a recall of B001 at window 3: two files in order: %s" % files())
    for name in files():
        seconds, rms = wav_seconds_and_rms(os.path.join(wav_dir, name))
        # 请B零零一号到三号窗口办理 is about 3.5 s (docs, notes); speech is
        # thousands of RMS, silence 0
        check(2.0 <= seconds <= 8.0 and rms > 1000,
              "%s holds speech: %.2f s, RMS %.0f" % (name, seconds, rms))
    host.stop()
    hall.procs.remove(host)

    # A voice on a sound device this machine does not have: hostd says so
    # and serves all the same.
    cfg = hh.hall_config(cfg_path, [], [], extra={"voice": {"enabled": True, "output": "device"}})
    port = cfg["api"]["port"]
    host = hall.hostd(cfg_path, os.path.join(work, "hallq.db"), name="hostd2")
    if os.path.exists("/dev/snd"):
        check(True, "a sound device exists here: the no-device case is not run")
    else:
        log = open(host.log_path, encoding="utf-8", errors="replace").read()
        check("calls are not said aloud" in log, "no sound device: hostd says calls are not "
              "said aloud")
        t = post(port, "/api/v1/tickets", {"service": "s1"})["ticket"]
        check(t["number"] == "B002", "and goes on issuing tickets (B002)")
    check(host.alive(), "hostd is running")


if __name__ == "__main__":
    main()
