/*
 * The replica side of Redis's replication protocol, as a push engine:
 *
 *   bytes from the master -> repl_feed -> the PSYNC reply (+FULLRESYNC,
 *   +CONTINUE) -> the RDB of a full resync (both "$<len>" and "$EOF:<mark>",
 *   through common/snap's transfer checker) -> the command stream, cut
 *   into whole RESP commands, each counted in the master's offsets
 *
 * What comes out goes through the callbacks of struct repl_cb; what the
 * replica must say back (REPLCONF ACK) goes out through its send callback.
 * No socket here: the program reads the connection and feeds the bytes,
 * so the engine is tested by feeding a recorded exchange in pieces of
 * every size.
 */
#ifndef RDBPIPE_REPL_H
#define RDBPIPE_REPL_H

#include <stddef.h>
#include <stdint.h>

#include "archive.h"
#include "errstr.h"
#include "io.h"
#include "snap.h"

/* The longest command the stream may carry: Redis's own proto-max-bulk-len
 * is 512 MiB per argument; a command longer than this is refused rather
 * than buffered without bound. */
#define REPL_CMD_MAX	(1024ULL * 1024 * 1024)

struct repl_cb {
	/* +FULLRESYNC REPLID OFFSET: a base follows; the stream after it
	 * starts at OFFSET + 1. */
	int	(*fullresync)(void *arg, const char *replid, uint64_t offset,
		    char *errstr);
	/* +CONTINUE [NEWREPLID]: the stream goes on at the offset asked for
	 * (replid is the new id, or the one asked for when none came). */
	int	(*resumed)(void *arg, const char *replid, char *errstr);
	/* The base RDB's bytes, checked, then its end. */
	io_sink_fn rdb;
	int	(*rdb_end)(void *arg, const struct snap_result *r,
		    char *errstr);
	/* One whole command of the stream, as the master sent it, and the
	 * offset of its last byte; keep is 0 for PING and REPLCONF, which
	 * count in the offsets but are not data. */
	int	(*command)(void *arg, const void *buf, size_t len,
		    uint64_t end, int keep, char *errstr);
	/* Bytes for the master (REPLCONF ACK). */
	int	(*send)(void *arg, const void *buf, size_t len, char *errstr);
	void	*arg;
};

enum repl_state { REPL_REPLY, REPL_HEADER, REPL_RDB, REPL_STREAM };

struct repl {
	struct repl_cb	 cb;
	enum repl_state	 state;
	char		 replid[ARCHIVE_REPLID_LEN + 1];
	uint64_t	 offset;	/* the last byte of the stream taken */
	int		 full;		/* the PSYNC became a full resync */
	struct snap_xfer xfer;
	char		 line[256];	/* a reply or header line */
	size_t		 nline;
	/* The command being read. */
	unsigned char	*cmd;
	size_t		 ncmd, capcmd;
	size_t		 pos;		/* parsed up to here */
	uint64_t	 args;		/* arguments still to come */
	int		 inargs;	/* the "*<n>" line was read */
	uint64_t	 skip;		/* bulk bytes (and CRLF) still due */
};

/* Prepares the engine for the reply to "PSYNC replid offset" (replid
 * "?" and offset -1 ask for a full resync; then offset is ignored). */
void repl_init(struct repl *r, const struct repl_cb *cb, const char *replid,
    uint64_t offset);

/* Frees the command buffer. */
void repl_free(struct repl *r);

/* The PSYNC command for a resume from replid at offset + 1 (or "PSYNC ?
 * -1" when replid is NULL) into out; returns 0, or -1 when it does not
 * fit. */
int repl_psync_cmd(char *out, size_t len, const char *replid,
    uint64_t offset);

/* Takes len bytes from the master; returns 0 or -1 (a callback's
 * failure, an error reply, a protocol error). */
int repl_feed(struct repl *r, const void *buf, size_t len, char *errstr);

/* Sends "REPLCONF ACK <offset>" through cb.send; returns 0 or -1. */
int repl_ack(struct repl *r, char *errstr);

#endif
