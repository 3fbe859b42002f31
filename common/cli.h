/*
 * The manners every program shares, as pieces cmd/ calls: start-up (libsodium,
 * no core dumps, EPIPE instead of a silent SIGPIPE death) and the terminal
 * check for binary output.  Printing stays in cmd/.
 */
#ifndef RDBPIPE_CLI_H
#define RDBPIPE_CLI_H

#include <stdint.h>

/* Initialises libsodium, disables core dumps (they would hold keys) and
 * ignores SIGPIPE so a closed pipe surfaces as EPIPE on write and ends the
 * program with status 1 and one message; returns 0 or -1. */
int cli_init(char *errstr);

/* Returns -1 with the conventional message when fd is a terminal. */
int cli_binary_out(int fd, char *errstr);

/* The progress mode from --progress/--no-progress: 1 on, 0 off, -1 auto
 * (on when stderr is a terminal). */
int cli_progress_on(int mode);

/* The output options every program takes: -v, -q, --progress and
 * --no-progress (for getopt_long: CLI_OUT_SHORTOPTS, CLI_OUT_LONGOPTS). */
struct cli_out {
	int	verbose;
	int	quiet;
	int	progress_mode;	/* -1 auto, 0 off, 1 on */
};

/* Above the programs' own option values (256...) and below the shared
 * sets' (swift 512..., cmd 1024...). */
enum { CLI_OPT_PROGRESS = 768, CLI_OPT_NO_PROGRESS };
#define CLI_OUT_SHORTOPTS	"vq"
#define CLI_OUT_LONGOPTS \
	{ "verbose", no_argument, NULL, 'v' }, \
	{ "quiet", no_argument, NULL, 'q' }, \
	{ "progress", no_argument, NULL, CLI_OPT_PROGRESS }, \
	{ "no-progress", no_argument, NULL, CLI_OPT_NO_PROGRESS }

/* Not verbose, not quiet, progress when stderr is a terminal. */
void cli_out_init(struct cli_out *o);

/* Takes option c when it is one of these; returns 1 then, else 0. */
int cli_out_option(struct cli_out *o, int c);

/* Whether to show progress: never with -q, else as cli_progress_on. */
int cli_out_progress(const struct cli_out *o);

/* The size of standard input when it is a regular file (for a progress
 * percentage), else 0. */
uint64_t cli_input_size(void);

#endif
