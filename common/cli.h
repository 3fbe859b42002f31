/*
 * The manners every program shares, as pieces cmd/ calls: start-up (libsodium,
 * no core dumps, EPIPE instead of a silent SIGPIPE death) and the terminal
 * check for binary output.  Printing stays in cmd/.
 */
#ifndef RDBPIPE_CLI_H
#define RDBPIPE_CLI_H

/* Initialises libsodium, disables core dumps (they would hold keys) and
 * ignores SIGPIPE so a closed pipe surfaces as EPIPE on write and ends the
 * program with status 1 and one message; returns 0 or -1. */
int cli_init(char *errstr);

/* Returns -1 with the conventional message when fd is a terminal. */
int cli_binary_out(int fd, char *errstr);

/* The progress mode from --progress/--no-progress: 1 on, 0 off, -1 auto
 * (on when stderr is a terminal). */
int cli_progress_on(int mode);

#endif
