/*
 * The manners every program shares, as pieces cmd/ calls: start-up (libsodium,
 * no core dumps, EPIPE instead of a silent SIGPIPE death), the terminal
 * check for binary output, and the one place for the options programs
 * share: the values of every shared long option, the output options and
 * the swift-* programs' options.  Values (sizes, durations, numbers) are
 * parsed by common/opt; printing (usage, --help, --version) stays in
 * cmd/cmd.h.
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

/* The values of the shared long options, in one list so that no two
 * collide: far above getopt's characters and above the programs' own
 * (256...).  The swift set is SWIFT_LONGOPTS (common/swift.h), the output
 * set CLI_OUT_LONGOPTS (below), --help and --version CMD_LONGOPTS
 * (cmd/cmd.h), which gives the options a program only stores values from
 * CMD_OPT_AUTO on; the packing options' set is cmd/packopt.h's, the
 * connection options' cmd/redisopt.h's. */
enum {
	SWIFT_OPT_RETRIES = 512, SWIFT_OPT_INSECURE,
	CLI_OPT_PROGRESS = 768, CLI_OPT_NO_PROGRESS,
	CMD_OPT_HELP = 1024, CMD_OPT_VERSION,
	PACK_OPT_ZSTD = 1280, PACK_OPT_XZ,
	REDIS_OPT_USER = 1536, REDIS_OPT_PASSFILE,
	CMD_OPT_AUTO = 2048	/* cmd/cmd.h's long-only stored options */
};
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

/* The options every swift-* program takes (struct swift_cli and the
 * getopt_long tables are in common/swift.h). */
struct swift_cli;

/* Sets the defaults: SWIFT_CONTAINER or database_backups, 5 retries. */
void swift_cli_init(struct swift_cli *o);

/* Takes one of the shared options; returns 1 when c was one, 0 when not,
 * -1 with "--retries: why" in errstr for a bad value. */
int swift_cli_option(struct swift_cli *o, int c, const char *arg,
    char *errstr);

#endif
