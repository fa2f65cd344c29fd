#!/usr/bin/env python3
"""Runs a command in a pseudo-terminal of a given width, answering what it shows.

Usage: drive.py SPEC_JSON, where SPEC_JSON is {"argv": [...], "cwd": "...", "columns": 80,
"steps": [["regex to wait for", "keys to send"], ...]}. Prints one JSON object: the exit code
(negative: killed by that signal) and everything the terminal received (latin-1 decoded).
"""
import json
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
import fcntl
import time

spec = json.loads(sys.argv[1])
master, slave = pty.openpty()
fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, spec.get("columns", 80), 0, 0))
env = dict(os.environ, TERM="xterm")
proc = subprocess.Popen(
    spec["argv"], cwd=spec["cwd"], stdin=slave, stdout=slave, stderr=slave, env=env,
    start_new_session=True, preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0),
)
os.close(slave)
seen = b""
timeout = spec.get("timeout", 30)


def read(until):
    global seen
    deadline = time.time() + timeout
    while time.time() < deadline:
        if until is not None and re.search(until.encode(), seen):
            return True
        ready, _, _ = select.select([master], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                return until is None
            if not chunk:
                return until is None
            seen += chunk
        elif until is None and proc.poll() is not None:
            # drain what is left
            continue
    return False


ok = True
for expect, send in spec["steps"]:
    if not read(expect):
        ok = False
        break
    time.sleep(0.1)
    os.write(master, send.encode())
read(None)
try:
    code = proc.wait(timeout=10)
except subprocess.TimeoutExpired:
    proc.kill()
    code = proc.wait()
print(json.dumps({"ok": ok, "exit": code, "output": seen.decode("latin-1")}))
