#!/usr/bin/env python3
"""Start a server and time it to its first successful response.

    start_probe.py PORT PATH [--cwd DIR] -- COMMAND [ARGS...]

Starts COMMAND (output discarded), then sends `GET PATH` to 127.0.0.1:PORT
every millisecond until one is answered 200. Prints "PID MILLISECONDS" (from
just before the process was started to the first 200) and exits, leaving
the server running. Timing it here, rather than with a curl loop, keeps the
resolution at about a millisecond: a curl per attempt costs more than a
fast server takes to start.
"""
import socket
import subprocess
import sys
import time


def answered(port, path):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
            head = s.recv(64)
            return head.split(b" ")[1:2] == [b"200"]
    except OSError:
        return False


def main():
    args = sys.argv[1:]
    sep = args.index("--")
    port, path = int(args[0]), args[1]
    cwd = args[args.index("--cwd") + 1] if "--cwd" in args[:sep] else None
    command = args[sep + 1:]
    t0 = time.monotonic()
    proc = subprocess.Popen(command, cwd=cwd, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = t0 + 60
    while time.monotonic() < deadline:
        if answered(port, path):
            print(proc.pid, round((time.monotonic() - t0) * 1000))
            return
        if proc.poll() is not None:
            sys.exit(f"{command[0]} exited with {proc.returncode} before answering")
        time.sleep(0.001)
    proc.kill()
    sys.exit(f"{command[0]} did not answer {path} within 60 s")


main()
