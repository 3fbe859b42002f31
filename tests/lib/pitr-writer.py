#!/usr/bin/env python3
"""The point-in-time tests' client and oracle.

  write --sock S --log F --seconds N [--start K]
        writes numbered keys at a steady rate for N seconds: SELECT across
        three databases, SET, SET ... EX, EXPIRE, DEL of an earlier key,
        MULTI/EXEC and a Lua script, logging each op once its reply is in.
  expect --log F --time T
        prints what a server restored to unix second T must hold
  dump --sock S
        prints what a server holds, in the same form

A restore to T keeps every write whose #TS second is <= T.  The archiver
stamps a command with the second it read it, a little after the client
sent it, so a write near a second's end could read as the next second and
the oracle would be ambiguous.  The writer therefore writes only in the
first 0.6 s of a second, and never in a second that is a multiple of 4:
a test restores to T with (T + 1) % 4 == 0 (quiet_times below), and the
archiver then has over a second of slack.
"""
import argparse
import socket
import sys
import time

DBS = 3
LUA = "redis.call('SET', KEYS[1], ARGV[1]); return 1"


class Conn:
    """A plain RESP client: the tests have no python redis module."""

    def __init__(self, sock):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.connect(sock)
        self.buf = b""

    def send(self, *args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        self.s.sendall(b"".join(out))

    def line(self):
        while b"\r\n" not in self.buf:
            more = self.s.recv(65536)
            if not more:
                raise ConnectionError("server closed the connection")
            self.buf += more
        ln, self.buf = self.buf.split(b"\r\n", 1)
        return ln

    def reply(self):
        ln = self.line()
        kind, rest = ln[:1], ln[1:]
        if kind == b"-":
            raise RuntimeError(rest.decode())
        if kind in (b"+", b":"):
            return rest.decode()
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            while len(self.buf) < n + 2:
                more = self.s.recv(65536)
                if not more:
                    raise ConnectionError("server closed the connection")
                self.buf += more
            v, self.buf = self.buf[:n], self.buf[n + 2:]
            return v.decode()
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self.reply() for _ in range(n)]
        raise RuntimeError("bad reply %r" % ln)

    def cmd(self, *args):
        self.send(*args)
        return self.reply()


def quiet(sec):
    return sec % 4 == 0


def wait_slot():
    """Sleeps until the first 0.6 s of a second that is not quiet."""
    while True:
        now = time.time()
        sec, frac = int(now), now % 1
        if not quiet(sec) and frac < 0.6:
            return sec
        time.sleep(1 - frac + 0.01)


def op(c, n, log):
    """One numbered write; returns the log lines once it took effect."""
    db, key, val = n % DBS, "k:%d" % n, "v:%d" % n
    kind = n % 6
    sec = wait_slot()
    c.cmd("SELECT", db)
    if kind == 0:
        c.cmd("SET", key, val)
        lines = ["SET %d %s %s 0" % (db, key, val)]
    elif kind == 1:
        c.cmd("SET", key, val, "EX", 100000)
        lines = ["SET %d %s %s 1" % (db, key, val)]
    elif kind == 2:
        c.send("MULTI")
        c.send("SET", key, val)
        c.send("SET", key + ":m", val)
        c.send("EXEC")
        for _ in range(3):
            c.reply()
        if c.reply() is None:
            raise RuntimeError("EXEC aborted")
        lines = ["SET %d %s %s 0" % (db, key, val),
                 "SET %d %s:m %s 0" % (db, key, val)]
    elif kind == 3:
        c.cmd("EVAL", LUA, 1, key, val)
        lines = ["SET %d %s %s 0" % (db, key, val)]
    elif kind == 4:
        c.cmd("SET", key, val)
        c.cmd("EXPIRE", key, 100000)
        lines = ["SET %d %s %s 1" % (db, key, val)]
    else:
        # The key written 3 ops ago lives in this op's database.
        c.cmd("DEL", "k:%d" % (n - 3))
        c.cmd("SET", key, val)
        lines = ["DEL %d k:%d" % (db, n - 3), "SET %d %s %s 0" % (db, key, val)]
    done = time.time()
    if int(done) != sec or done % 1 >= 0.9:
        sys.exit("pitr-writer: op %d took from second %d to %.3f: the "
                 "machine is too slow for an exact oracle" % (n, sec, done))
    for ln in lines:
        log.write("%d %s\n" % (sec, ln))
    log.flush()


def write(a):
    c = Conn(a.sock)
    end = time.time() + a.seconds
    n = a.start
    with open(a.log, "a") as log:
        while time.time() < end:
            op(c, n, log)
            n += 1
            time.sleep(a.pause)
    print(n)


def expect(a):
    state = {}
    with open(a.log) as f:
        for ln in f:
            p = ln.split()
            if int(p[0]) > a.time:
                continue
            if p[1] == "SET":
                state[(int(p[2]), p[3])] = (p[4], p[5])
            else:
                state.pop((int(p[2]), p[3]), None)
    for (db, key), (val, ttl) in sorted(state.items()):
        print("%d %s %s %s" % (db, key, val, ttl))


def dump(a):
    c = Conn(a.sock)
    out = []
    for db in range(DBS):
        c.cmd("SELECT", db)
        cur = "0"
        while True:
            cur, keys = c.cmd("SCAN", cur, "COUNT", 1000)
            for k in keys:
                ttl = int(c.cmd("TTL", k))
                out.append((db, k, c.cmd("GET", k), 1 if ttl > 0 else 0))
            if cur == "0":
                break
    for db, key, val, ttl in sorted(out):
        print("%d %s %s %d" % (db, key, val, ttl))


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="verb", required=True)
    w = sub.add_parser("write")
    w.add_argument("--sock", required=True)
    w.add_argument("--log", required=True)
    w.add_argument("--seconds", type=float, required=True)
    w.add_argument("--start", type=int, default=0)
    w.add_argument("--pause", type=float, default=0.02)
    e = sub.add_parser("expect")
    e.add_argument("--log", required=True)
    e.add_argument("--time", type=int, required=True)
    d = sub.add_parser("dump")
    d.add_argument("--sock", required=True)
    a = ap.parse_args()
    {"write": write, "expect": expect, "dump": dump}[a.verb](a)


if __name__ == "__main__":
    main()
