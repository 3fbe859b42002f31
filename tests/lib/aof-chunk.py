#!/usr/bin/env python3
"""Writes one chunk of the continuous archive as aof-archive does
(ARCHIVE.md, "Chunk plaintext"), for the suites that test the restore
side without the archiver.

    aof-chunk.py REPLID START OUT < SPEC

SPEC holds one command a line: "SECONDS ARG...", SECONDS a unix time, the
arguments split on blanks.  OUT receives the plaintext: each command as the
master sends it (a RESP multibulk), preceded by "#TS:SECONDS\\r\\n" whenever
its second differs from the last annotation written (and before the first
command), and the trailer "#rdbpipe:REPLID:START-END\\r\\n" last.  END is
START plus the commands' bytes minus one (the stream's offsets count the
commands, not the annotations) and is printed on stdout.
"""
import sys


def resp(args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a.encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: aof-chunk.py REPLID START OUT < SPEC")
    replid, start, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    body, stream, last = b"", 0, None
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        ts, args = int(words[0]), words[1:]
        if ts != last:
            body += b"#TS:%d\r\n" % ts
            last = ts
        cmd = resp(args)
        body += cmd
        stream += len(cmd)
    if stream == 0:
        sys.exit("aof-chunk.py: no command")
    end = start + stream - 1
    body += b"#rdbpipe:%s:%020d-%020d\r\n" % (replid.encode(), start, end)
    with open(path, "wb") as f:
        f.write(body)
    print(end)


main()
