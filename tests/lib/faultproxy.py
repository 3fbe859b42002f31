#!/usr/bin/python3
"""A loopback HTTP/1.1 proxy that injects faults between a client and Swift.

    faultproxy.py --upstream HOST:PORT --rules FILE --log FILE --port-file FILE

It listens on a free port of 127.0.0.1 (written to --port-file once it
listens) and passes requests through unchanged, Host header included
(tempauth builds the storage URL from it, so a client that authenticated
through this proxy stays behind it).  Keep-alive, Expect: 100-continue and
request bodies with Content-Length or chunked transfer encoding all pass.

Rules
-----
The rules file is read again for every request; one rule a line:

    ID ACTION [ARG] [KEY=VALUE]...

ID is a unique number (swift_fault in tests/lib/swift.bash assigns it); a
rule fires for the next `count` requests that match it, then it is used up
and requests pass through again.  The first rule that matches and is not
used up fires.  Actions:

    status CODE        answer CODE (e.g. 503, 500, 408, 429, 401) instead of
                       passing the request on; the request body is read and
                       thrown away first (or, with Expect: 100-continue, not
                       asked for: the connection is closed after the answer)
    drop-response N    pass the request on, then close the connection after
                       N bytes of the response body (0: right after the
                       response headers); a body of N bytes or less passes
    drop-request N     pass the request on but close both connections after
                       N bytes of the request body, before any response; a
                       body of N bytes or less passes
    (N counts the body as sent, chunk-size lines included when chunked)
    drop-reply         pass the request on and let Swift act on it, then
                       close the connection before any of the answer
                       reaches the client: a reply lost after the fact
    delay S            pass the request on and hold Swift's answer S
                       seconds (a slow reply); its log line is written
                       after the wait, so the log shows replies in order

Keys (all optional):

    count=N            how many requests the rule fires for: 1 by default,
                       `forever` (or 0) for no limit
    method=M           only requests with this method (GET, PUT, HEAD, ...)
    path=REGEX         only requests whose raw request target (the path as
                       sent, percent-encoded, with its ?query) matches REGEX
                       (Python re.search; no spaces in it)
    retry-after=S      with status: add "Retry-After: S" to the answer
    retry-after-date=S with status: add a Retry-After holding the HTTP-date
                       S seconds from now
    body=FILE          with status: answer FILE's bytes as the body, typed
                       application/json (a cluster's /info that says what
                       the test Swift cannot be made to say)
    header=N:V[,N:V]   with status: add these response headers (a hostile
                       server's X-Auth-Token, X-Storage-Url, ...)

Examples:

    1 status 503 count=2 method=PUT path=/c_segments/
    2 status 429 retry-after=1 method=GET
    3 drop-response 100000 method=GET path=/c/obj$
    4 drop-request 65536 method=PUT
    5 status 503 count=forever method=PUT       (Swift refusing every write)
    6 status 401 method=PUT path=/c/            (an expired token)

Request log
-----------
One line per request, written before the client gets the end of the
response (so a test can read it as soon as its client is done):

    METHOD TARGET STATUS range=R if-match=E [fault=ID]

STATUS is the status the client got, or DROP when the connection was cut
(drop-response, drop-request, drop-reply); R and E are the Range and If-Match request
headers or "-"; fault=ID names the rule that fired.
"""
import argparse
import email.utils
import os
import re
import socket
import socketserver
import sys
import threading
import time

BUF = 65536

REASONS = {200: 'OK', 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden',
           404: 'Not Found', 408: 'Request Timeout', 409: 'Conflict',
           429: 'Too Many Requests', 500: 'Internal Server Error',
           502: 'Bad Gateway', 503: 'Service Unavailable',
           504: 'Gateway Timeout', 507: 'Insufficient Storage'}


class Dropped(Exception):
    """The fault proxy cut the connection on purpose."""


class Closed(Exception):
    """The peer closed the connection."""


class Reader:
    """Buffered reads from a socket: lines for heads, counted bytes for
    bodies."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b''

    def fill(self):
        data = self.sock.recv(BUF)
        if not data:
            raise Closed()
        self.buf += data

    def line(self):
        while b'\n' not in self.buf:
            if len(self.buf) > 65536:
                raise Closed()
            self.fill()
        i = self.buf.index(b'\n') + 1
        out, self.buf = self.buf[:i], self.buf[i:]
        return out

    def some(self, n):
        """Up to n bytes (at least one)."""
        if not self.buf:
            self.fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def head(self):
        """The start line and header lines of a message, raw."""
        lines = [self.line()]
        while lines[0] in (b'\r\n', b'\n'):  # stray CRLF between messages
            lines = [self.line()]
        while lines[-1] not in (b'\r\n', b'\n'):
            lines.append(self.line())
        return lines


def header(lines, name):
    name = name.lower().encode()
    for line in lines[1:]:
        k, _, v = line.partition(b':')
        if k.strip().lower() == name:
            return v.strip().decode('latin1')
    return None


class Budget:
    """Bytes of a body that may still pass; the connection is cut when
    the body is longer (None: no limit)."""

    def __init__(self, n):
        self.left = n

    def take(self, data):
        if self.left is None:
            return data, False
        if len(data) > self.left:
            data, self.left = data[:self.left], 0
            return data, True
        self.left -= len(data)
        return data, False


def copy_body(reader, out, lines, is_request, status=None, method=None,
              budget=None):
    """Copies one message body from reader to out (a socket, or None to
    throw it away), following its framing.  Returns False when the body
    runs until the connection closes.  Raises Dropped once the budget is
    spent."""
    budget = budget or Budget(None)

    def send(data):
        data, stop = budget.take(data)
        if out is not None and data:
            out.sendall(data)
        if stop:
            raise Dropped()

    if not is_request and (method == 'HEAD' or status in (204, 304) or
                           100 <= status < 200):
        return True
    te = (header(lines, 'Transfer-Encoding') or '').lower()
    if 'chunked' in te:
        while True:
            size_line = reader.line()
            send(size_line)
            size = int(size_line.split(b';')[0].strip() or b'0', 16)
            if size == 0:
                while True:  # trailers up to the blank line
                    t = reader.line()
                    send(t)
                    if t in (b'\r\n', b'\n'):
                        return True
            left = size + 2  # the data and its CRLF
            while left:
                data = reader.some(left)
                left -= len(data)
                send(data)
    length = header(lines, 'Content-Length')
    if length is not None:
        left = int(length)
        while left:
            data = reader.some(min(left, BUF))
            left -= len(data)
            send(data)
        return True
    if is_request:
        return True
    while True:  # a response delimited by the end of the connection
        try:
            data = reader.some(BUF)
        except Closed:
            return False
        send(data)


def will_cut(lines, status, method, budget):
    """Whether a response body will outrun the budget: its status and
    length say so before any of it is relayed."""
    if budget.left is None or method == 'HEAD' or status in (204, 304):
        return False
    length = header(lines, 'Content-Length')
    return length is None or int(length) > budget.left


def shut(sock, how):
    try:
        sock.shutdown(how)
    except OSError:
        pass


def linger_close(sock):
    """Ends a connection whose client may still be sending: a close with
    unread data would reset the connection and could destroy the answer
    before the client has read it."""
    shut(sock, socket.SHUT_WR)
    sock.settimeout(2)
    try:
        while sock.recv(BUF):
            pass
    except OSError:
        pass


class Rules:
    def __init__(self, path):
        self.path = path
        self.used = {}
        self.lock = threading.Lock()

    def match(self, method, target):
        """The rule that fires for this request, counted as used, or
        None."""
        try:
            with open(self.path) as f:
                lines = f.read().splitlines()
        except FileNotFoundError:
            return None
        with self.lock:
            for line in lines:
                parts = line.split()
                if len(parts) < 2:
                    continue
                rule = {'id': parts[0], 'action': parts[1], 'count': '1'}
                rest = parts[2:]
                if rest and '=' not in rest[0]:
                    rule['arg'] = rest.pop(0)
                for kv in rest:
                    k, _, v = kv.partition('=')
                    rule[k] = v
                if 'method' in rule and rule['method'] != method:
                    continue
                if 'path' in rule and not re.search(rule['path'], target):
                    continue
                count = rule['count']
                forever = count in ('forever', '0')
                used = self.used.get(rule['id'], 0)
                if not forever and used >= int(count):
                    continue
                self.used[rule['id']] = used + 1
                return rule
        return None


class Handler(socketserver.BaseRequestHandler):
    def setup(self):
        self.up = None
        self.upr = None

    def upstream(self):
        if self.up is None:
            self.up = socket.create_connection(self.server.upstream)
            self.up.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.upr = Reader(self.up)
        return self.up

    def close_upstream(self):
        if self.up is not None:
            self.up.close()
        self.up = self.upr = None

    def log(self, method, target, status, lines, rule):
        line = '%s %s %s range=%s if-match=%s' % (
            method, target, status,
            (header(lines, 'Range') or '-').replace(' ', ''),
            (header(lines, 'If-Match') or '-').replace(' ', ''))
        if rule:
            line += ' fault=%s' % rule['id']
        self.server.write_log(line)

    def handle(self):
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        client = Reader(self.request)
        try:
            while self.one(client):
                pass
        except (Closed, Dropped, OSError):
            pass
        finally:
            self.close_upstream()

    def answer(self, client, lines, method, target, rule):
        """Answers with the rule's status instead of Swift."""
        code = int(rule.get('arg', '503'))
        expect = (header(lines, 'Expect') or '').lower() == '100-continue'
        if not expect:
            copy_body(client, None, lines, True)
        body = ('fault proxy: rule %s\n' % rule['id']).encode()
        ctype = 'text/plain'
        if 'body' in rule:
            with open(rule['body'], 'rb') as f:
                body = f.read()
            ctype = 'application/json'
        head = 'HTTP/1.1 %d %s\r\nContent-Type: %s\r\n' \
            'Content-Length: %d\r\n' % (code, REASONS.get(code, 'Fault'),
                                        ctype, len(body))
        if 'retry-after' in rule:
            head += 'Retry-After: %s\r\n' % rule['retry-after']
        if 'retry-after-date' in rule:
            head += 'Retry-After: %s\r\n' % email.utils.formatdate(
                time.time() + float(rule['retry-after-date']), usegmt=True)
        for h in filter(None, rule.get('header', '').split(',')):
            name, _, value = h.partition(':')
            head += '%s: %s\r\n' % (name, value)
        if expect:
            head += 'Connection: close\r\n'
        self.log(method, target, code, lines, rule)
        self.request.sendall(head.encode() + b'\r\n' + body)
        if expect:
            # The body was never asked for.
            linger_close(self.request)
            return False
        return True

    def send_body(self, client, lines, budget, state):
        """Thread body: the request body to Swift.  Swift may answer
        before it has read all of it (a 401, a 413): the response is read
        meanwhile by the handler's thread."""
        try:
            copy_body(client, self.up, lines, True, budget=budget)
        except Dropped:
            state['dropped'] = True
            shut(self.up, socket.SHUT_RDWR)
        except (Closed, OSError):
            # The client went away (Swift then sees a short body), or Swift
            # stopped reading (its answer is already on the way).
            state['broken'] = True
            shut(self.up, socket.SHUT_WR)

    def one(self, client):
        """Relays one request and its response; False when the client
        connection is done."""
        try:
            lines = client.head()
        except Closed:
            return False
        start = lines[0].decode('latin1').split()
        if len(start) != 3:
            return False
        method, target, version = start
        rule = self.server.rules.match(method, target)
        action = rule['action'] if rule else None
        if action == 'status':
            return self.answer(client, lines, method, target, rule)
        up = self.upstream()
        upr = self.upr
        up.sendall(b''.join(lines))
        expect = (header(lines, 'Expect') or '').lower() == '100-continue'
        budget = Budget(int(rule.get('arg', '0'))
                        if action == 'drop-request' else None)
        state = {}
        sender = None
        try:
            if expect:
                rlines = upr.head()
                if int(rlines[0].split()[1]) == 100:
                    self.request.sendall(b''.join(rlines))
                    rlines = None
            else:
                rlines = None
            if rlines is None:
                sender = threading.Thread(target=self.send_body, args=(
                    client, lines, budget, state), daemon=True)
                sender.start()
                rlines = upr.head()
            status = int(rlines[0].split()[1])
            while 100 <= status < 200:  # interim responses pass through
                self.request.sendall(b''.join(rlines))
                rlines = upr.head()
                status = int(rlines[0].split()[1])
        except (Closed, OSError):
            if state.get('dropped'):
                self.log(method, target, 'DROP', lines, rule)
            self.close_upstream()
            shut(self.request, socket.SHUT_RDWR)
            return False
        if action == 'delay':
            time.sleep(float(rule.get('arg', '1')))
        if action == 'drop-reply':
            # Swift has acted on the request: its whole answer is read
            # (a bulk delete works while it streams its report), and the
            # client never hears of it.
            if sender is not None:
                sender.join(2)
            try:
                copy_body(upr, None, rlines, False, status=status,
                          method=method)
            except (Closed, OSError):
                pass
            self.log(method, target, 'DROP', lines, rule)
            self.close_upstream()
            shut(self.request, socket.SHUT_RDWR)
            return False
        resp_budget = Budget(int(rule.get('arg', '0'))
                             if action == 'drop-response' else None)
        # The log line goes first: a test reads the log as soon as its
        # client is done, which may be before this thread gets to run.
        self.log(method, target, 'DROP' if will_cut(
            rlines, status, method, resp_budget) else status, lines, rule)
        self.request.sendall(b''.join(rlines))
        try:
            keep = copy_body(upr, self.request, rlines, False,
                             status=status, method=method,
                             budget=resp_budget)
        except Dropped:
            self.close_upstream()
            shut(self.request, socket.SHUT_RDWR)
            return False
        if sender is not None:
            sender.join(2)
            if sender.is_alive() or state:
                # Swift answered before the whole body came: the rest of
                # it is still in the connection.
                self.close_upstream()
                linger_close(self.request)
                return False
        conn = (header(rlines, 'Connection') or '').lower()
        if not keep or conn == 'close' or version == 'HTTP/1.0' or \
                rlines[0].startswith(b'HTTP/1.0'):
            self.close_upstream()
            return False
        return True


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, upstream, rules, log):
        super().__init__(('127.0.0.1', 0), Handler)
        host, port = upstream.rsplit(':', 1)
        self.upstream = (host, int(port))
        self.rules = Rules(rules)
        self.log_lock = threading.Lock()
        self.log_path = log

    def write_log(self, line):
        with self.log_lock:
            with open(self.log_path, 'a') as f:
                f.write(line + '\n')


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--upstream', required=True)
    ap.add_argument('--rules', required=True)
    ap.add_argument('--log', required=True)
    ap.add_argument('--port-file', required=True)
    args = ap.parse_args()
    server = Server(args.upstream, args.rules, args.log)
    tmp = args.port_file + '.tmp'
    with open(tmp, 'w') as f:
        f.write('%d\n' % server.server_address[1])
    os.rename(tmp, args.port_file)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    sys.exit(0)


if __name__ == '__main__':
    main()
