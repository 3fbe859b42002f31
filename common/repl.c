#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "errstr.h"
#include "repl.h"
#include "snap.h"

/* A RESP framing line ("*<n>" or "$<len>") is never longer than this. */
#define LINE_MAX_RESP	32
/* A command buffer past this size is given back once the command is out. */
#define CMD_KEEP	(1024 * 1024)

static const char getack[] = "*3\r\n$8\r\nREPLCONF\r\n$6\r\nGETACK\r\n";

void
repl_init(struct repl *r, const struct repl_cb *cb, const char *replid,
    uint64_t offset)
{
	memset(r, 0, sizeof(*r));
	r->cb = *cb;
	r->state = REPL_REPLY;
	snprintf(r->replid, sizeof(r->replid), "%s",
	    replid != NULL ? replid : "?");
	r->offset = replid != NULL ? offset : 0;
}

void
repl_free(struct repl *r)
{
	free(r->cmd);
	r->cmd = NULL;
	r->ncmd = r->capcmd = 0;
}

int
repl_psync_cmd(char *out, size_t len, const char *replid, uint64_t offset)
{
	int n;

	if (replid == NULL)
		n = snprintf(out, len, "-1");
	else
		n = snprintf(out, len, "%" PRIu64, offset + 1);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

int
repl_ack(struct repl *r, char *errstr)
{
	char num[24], msg[96];
	int n, k;

	k = snprintf(num, sizeof(num), "%" PRIu64, r->offset);
	n = snprintf(msg, sizeof(msg),
	    "*3\r\n$8\r\nREPLCONF\r\n$3\r\nACK\r\n$%d\r\n%s\r\n", k, num);
	return r->cb.send(r->cb.arg, msg, (size_t)n, errstr);
}

/* Collects a line (CRLF or LF) of a reply or header into r->line, empty
 * lines skipped (the newlines a master sends to keep the link alive while
 * it saves); returns the bytes taken, with *done set once it is whole. */
static ssize_t
take_line(struct repl *r, const unsigned char *p, size_t len, int *done,
    char *errstr)
{
	size_t i;

	*done = 0;
	for (i = 0; i < len; i++) {
		if (p[i] == '\n') {
			if (r->nline > 0 && r->line[r->nline - 1] == '\r')
				r->nline--;
			if (r->nline == 0)
				continue;
			r->line[r->nline] = '\0';
			r->nline = 0;
			*done = 1;
			return (ssize_t)i + 1;
		}
		if (r->nline + 1 >= sizeof(r->line))
			return errstr_set(errstr, "PSYNC: reply line too long");
		r->line[r->nline++] = (char)p[i];
	}
	return (ssize_t)len;
}

/* The reply to PSYNC. */
static int
on_reply(struct repl *r, char *errstr)
{
	const char *l = r->line, *id;
	char *end;
	uint64_t off;

	if (l[0] == '-')
		return errstr_set(errstr, "PSYNC: %s", l + 1);
	if (strncmp(l, "+FULLRESYNC ", 12) == 0) {
		id = l + 12;
		errno = 0;
		off = strtoull(id + ARCHIVE_REPLID_LEN + 1, &end, 10);
		if (strlen(id) < ARCHIVE_REPLID_LEN + 2 ||
		    id[ARCHIVE_REPLID_LEN] != ' ' ||
		    id[ARCHIVE_REPLID_LEN + 1] < '0' ||
		    id[ARCHIVE_REPLID_LEN + 1] > '9' || *end != '\0' ||
		    errno != 0)
			return errstr_set(errstr, "PSYNC: bad reply: %.80s", l);
		memcpy(r->replid, id, ARCHIVE_REPLID_LEN);
		r->replid[ARCHIVE_REPLID_LEN] = '\0';
		if (!archive_replid_ok(r->replid))
			return errstr_set(errstr, "PSYNC: bad reply: %.80s", l);
		r->offset = off;
		r->full = 1;
		r->state = REPL_HEADER;
		return r->cb.fullresync(r->cb.arg, r->replid, off, errstr);
	}
	if (strcmp(l, "+CONTINUE") == 0 || strncmp(l, "+CONTINUE ", 10) == 0) {
		/* Asked before a new id is taken: with one, a continue to
		 * "PSYNC ? -1" would pass as a resume from offset 0. */
		if (!archive_replid_ok(r->replid))
			return errstr_set(errstr, "PSYNC: +CONTINUE to a full "
			    "resync request");
		if (l[9] == ' ') {
			if (!archive_replid_ok(l + 10))
				return errstr_set(errstr, "PSYNC: bad reply: "
				    "%.80s", l);
			snprintf(r->replid, sizeof(r->replid), "%s", l + 10);
		}
		r->state = REPL_STREAM;
		return r->cb.resumed(r->cb.arg, r->replid, errstr);
	}
	return errstr_set(errstr, "PSYNC: unexpected reply: %.80s", l);
}

/* The RDB's bytes; at its end the replica acknowledges at once: a master
 * holds the stream back until that first ACK after a diskless transfer. */
static ssize_t
on_rdb(struct repl *r, const unsigned char *p, size_t len, char *errstr)
{
	struct snap_result res;
	ssize_t n;

	if ((n = snap_xfer_feed(&r->xfer, p, len, errstr)) < 0)
		return -1;
	if (!r->xfer.done)
		return n;
	memset(&res, 0, sizeof(res));
	if (snap_xfer_end(&r->xfer, &res, errstr) < 0 ||
	    r->cb.rdb_end(r->cb.arg, &res, errstr) < 0)
		return -1;
	r->state = REPL_STREAM;
	if (repl_ack(r, errstr) < 0)
		return -1;
	return n;
}

/* Appends len bytes to the command; returns 0 or -1. */
static int
cmd_add(struct repl *r, const unsigned char *p, size_t len, char *errstr)
{
	unsigned char *n;

	if ((n = io_grow(r->cmd, &r->capcmd, r->ncmd + len, 256)) == NULL)
		return errstr_sys(errstr, "replication stream");
	r->cmd = n;
	memcpy(r->cmd + r->ncmd, p, len);
	r->ncmd += len;
	return 0;
}

/* Reads the count of the framing line at r->cmd + r->pos, of sigil. */
static int
frame_count(struct repl *r, char sigil, uint64_t *v, char *errstr)
{
	const char *s = (const char *)r->cmd + r->pos;
	size_t n = r->ncmd - r->pos;
	char *end;

	errno = 0;
	if (n >= 4 && s[0] == sigil && s[1] >= '0' && s[1] <= '9') {
		*v = strtoull(s + 1, &end, 10);
		if (errno == 0 && end == s + n - 2 && end[0] == '\r')
			return 0;
	}
	return errstr_set(errstr, "replication stream: bad framing at "
	    "offset %" PRIu64, r->offset + r->ncmd);
}

/* Whether the command's name (its first argument) is PING or REPLCONF. */
static int
is_control(const struct repl *r)
{
	const unsigned char *p = r->cmd, *end = r->cmd + r->ncmd;
	size_t left;
	int i;

	for (i = 0; i < 2; i++) {
		p = memchr(p, '\n', (size_t)(end - p));
		if (p == NULL)
			return 0;
		p++;
	}
	left = (size_t)(end - p);
	return (left >= 6 && strncasecmp((const char *)p, "PING\r\n", 6) == 0) ||
	    (left >= 10 && strncasecmp((const char *)p, "REPLCONF\r\n", 10) == 0);
}

/* A whole command: out to the callback, counted, GETACK answered. */
static int
cmd_done(struct repl *r, char *errstr)
{
	int ctl = is_control(r), ack;

	if (r->cmd[r->ncmd - 2] != '\r' || r->cmd[r->ncmd - 1] != '\n')
		return errstr_set(errstr, "replication stream: bad framing at "
		    "offset %" PRIu64, r->offset + r->ncmd);
	ack = ctl && r->ncmd >= sizeof(getack) - 1 &&
	    strncasecmp((char *)r->cmd, getack, sizeof(getack) - 1) == 0;
	r->offset += r->ncmd;
	if (r->cb.command(r->cb.arg, r->cmd, r->ncmd, r->offset, !ctl,
	    errstr) < 0)
		return -1;
	r->ncmd = r->pos = 0;
	r->inargs = 0;
	if (r->capcmd > CMD_KEEP) {
		free(r->cmd);
		r->cmd = NULL;
		r->capcmd = 0;
	}
	return ack ? repl_ack(r, errstr) : 0;
}

/* Cuts the stream into commands: "*<n>\r\n", then n times "$<len>\r\n"
 * and len bytes and CRLF.  Returns the bytes taken, or -1. */
static ssize_t
on_stream(struct repl *r, const unsigned char *p, size_t len, char *errstr)
{
	const unsigned char *nl;
	uint64_t v = 0;
	size_t take;

	if (r->skip > 0) {
		take = r->skip < len ? (size_t)r->skip : len;
		if (cmd_add(r, p, take, errstr) < 0)
			return -1;
		r->skip -= take;
		r->pos = r->ncmd;
		if (r->skip == 0 && r->args == 0 && cmd_done(r, errstr) < 0)
			return -1;
		return (ssize_t)take;
	}
	nl = memchr(p, '\n', len);
	take = nl != NULL ? (size_t)(nl - p) + 1 : len;
	if (r->ncmd - r->pos + take > LINE_MAX_RESP)
		return errstr_set(errstr, "replication stream: bad framing at "
		    "offset %" PRIu64, r->offset + r->ncmd);
	if (cmd_add(r, p, take, errstr) < 0)
		return -1;
	if (nl == NULL)
		return (ssize_t)take;
	if (frame_count(r, r->inargs ? '$' : '*', &v, errstr) < 0)
		return -1;
	r->pos = r->ncmd;
	if (!r->inargs) {
		if (v == 0)
			return errstr_set(errstr, "replication stream: empty "
			    "command at offset %" PRIu64, r->offset);
		r->inargs = 1;
		r->args = v;
		return (ssize_t)take;
	}
	if (v > REPL_CMD_MAX || r->ncmd + v > REPL_CMD_MAX)
		return errstr_set(errstr, "replication stream: a command "
		    "longer than %llu bytes at offset %" PRIu64,
		    (unsigned long long)REPL_CMD_MAX, r->offset);
	r->args--;
	r->skip = v + 2;
	return (ssize_t)take;
}

/* A whole line: the reply to PSYNC, or the RDB's header. */
static int
on_line(struct repl *r, char *errstr)
{
	if (r->state == REPL_REPLY)
		return on_reply(r, errstr);
	if (r->line[0] == '-')
		return errstr_set(errstr, "PSYNC: %s", r->line + 1);
	if (snap_xfer_start(&r->xfer, "PSYNC", r->line, r->cb.rdb, r->cb.arg,
	    errstr) < 0)
		return -1;
	r->state = REPL_RDB;
	return 0;
}

int
repl_feed(struct repl *r, const void *buf, size_t len, char *errstr)
{
	const unsigned char *p = buf;
	ssize_t n;
	int done;

	while (len > 0) {
		switch (r->state) {
		case REPL_REPLY:
		case REPL_HEADER:
			if ((n = take_line(r, p, len, &done, errstr)) < 0)
				return -1;
			if (done && on_line(r, errstr) < 0)
				return -1;
			break;
		case REPL_RDB:
			n = on_rdb(r, p, len, errstr);
			break;
		case REPL_STREAM:
			n = on_stream(r, p, len, errstr);
			break;
		default:
			return errstr_set(errstr, "internal error");
		}
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}
