/*
 * Controlling a local redis-server for rdb-install: talk to it (hiredis, a
 * fresh short connection per question), stop it, start it, and wait, with
 * short polling, until it is down or up and loaded.
 *
 * Starting and stopping go through a systemd or SysV service, through
 * commands the administrator gives (/bin/sh -c), or by default through
 * SHUTDOWN on the connection and `redis-server CONF` started detached.
 */
#ifndef RDBPIPE_CONTROL_H
#define RDBPIPE_CONTROL_H

#include <stdint.h>
#include <sys/types.h>

#include "errstr.h"

struct tls_ctx;

struct server {
	/* Where it listens: the socket when set, else host and port. */
	const char	*sock;
	const char	*host;
	int		 port;
	int		 tls_port;	/* the config's tls-port; 0: none */
	struct tls_ctx	*tls;		/* TLS to host:port; NULL: plain */
	const char	*user;		/* NULL: the default user */
	const char	*pass;		/* NULL: no AUTH; never printed */
	/* How it is controlled. */
	const char	*service;	/* systemctl/service NAME */
	const char	*start_cmd;	/* /bin/sh -c */
	const char	*stop_cmd;
	const char	*conf;		/* for the default `redis-server CONF` */
	const char	*pidfile;	/* may be NULL */
	double		 timeout;	/* seconds for each wait */
	pid_t		 child;		/* the default start's process */
	/* Whom the default start and redis-check-rdb run as (control_set_user);
	 * run_drop 0: as we are. */
	int		 run_drop;
	uid_t		 run_uid;
	gid_t		 run_gid;
	gid_t		*run_groups;
	int		 run_ngroups;
};

/* Makes the default start and control_drop run as uid:gid (with uid's
 * supplementary groups) when we are root and uid is not; returns 0 or
 * -1. */
int control_set_user(struct server *s, uid_t uid, gid_t gid, char *errstr);

/* In a child before exec: setgroups, setgid, setuid to the user of
 * control_set_user (async-signal-safe); returns 0 or -1 with errno. */
int control_drop(const struct server *s);

/* Asks whether it answers: returns 1 when a connection (and AUTH) works,
 * 0 when the connection is refused or the socket is missing, -1 on any
 * other failure. */
int control_reachable(struct server *s, char *errstr);

/* control_reachable, control_command and control_info each make a fresh
 * connection through common/redis (redis_connect, redis_cmd_as,
 * redis_info_as); their failures name the server: "CMD on NAME: why". */

/* Sends one command (argv style); returns 0 when the reply is not an
 * error, copying a status or string reply into out (may be NULL); -1 with
 * "CMD: reply" otherwise. */
int control_command(struct server *s, char *out, size_t outlen, char *errstr,
    int argc, const char **argv);

/* INFO SECTION into malloc'd *out (read it with redis_info_field and
 * redis_info_u64); returns 0 or -1. */
int control_info(struct server *s, const char *section, char **out,
    char *errstr);

/* Sums FIELD= ("keys", "expires") over the db lines of INFO keyspace. */
uint64_t control_info_sum(const char *info, const char *field);

/* The first line of `redis-server --version` on PATH ("Redis server
 * v=7.0.15 ..." or Valkey's) into buf; returns 0 or -1.  rdbver reads
 * it. */
int control_binary_version(char *buf, size_t len, char *errstr);

/* Runs argv, stdin from /dev/null and stdout onto stderr, and waits;
 * returns 0 when it exits 0, else -1 with "NAME: exit status N". */
int control_run(const char **argv, char *errstr);

/* Stops it the configured way and waits until it is down; returns 0 or
 * -1. */
int control_stop(struct server *s, char *errstr);

/* Starts it the configured way and waits until it is up and loaded;
 * returns 0 or -1. */
int control_start(struct server *s, char *errstr);

/* Waits until it answers and INFO says loading:0; returns 0 or -1. */
int control_wait_up(struct server *s, char *errstr);

/* Waits until connections are refused and the pidfile is gone (without a
 * pidfile: until pid, when > 0, has exited); returns 0 or -1. */
int control_wait_down(struct server *s, pid_t pid, char *errstr);

#endif
