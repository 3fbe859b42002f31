/* common/cli: the output options every program shares, the swift-*
 * programs' options parsed as getopt_long hands them over, and the size of
 * standard input. */
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <unistd.h>

#include "cli.h"
#include "swift.h"
#include "tap.h"

/* Parses argv as a swift-* program does, with -l its own option; returns
 * what swift_cli_option said last (-1 for a bad value), 0 when all went
 * well, 2 for an option neither set takes. */
static int
swift_parse(int argc, char **argv, struct swift_cli *o, int *lopt,
    char *e)
{
	static const struct option longopts[] = {
		SWIFT_LONGOPTS,
		{ NULL, 0, NULL, 0 }
	};
	int c, rc;

	swift_cli_init(o);
	*lopt = 0;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, SWIFT_SHORTOPTS "l", longopts,
	    NULL)) != -1) {
		if ((rc = swift_cli_option(o, c, optarg, e)) < 0)
			return -1;
		if (rc > 0)
			continue;
		if (c != 'l')
			return 2;
		*lopt = 1;
	}
	return 0;
}

int
main(void)
{
	char *av[] = { "swift-x", "-c", "box", "--retries=3", "--insecure",
	    "-q", "--no-progress", "-l", "obj", NULL };
	char *bad[] = { "swift-x", "--retries", "101", NULL };
	char *unknown[] = { "swift-x", "-S", "1M", NULL };
	char e[ERRSTR_LEN] = "";
	struct swift_cli so;
	struct cli_out o;
	int fd, l;

	cli_out_init(&o);
	ok(o.verbose == 0 && o.quiet == 0 && o.progress_mode == -1,
	    "defaults: not verbose, not quiet, progress auto");
	ok(cli_out_option(&o, 'v') == 1 && o.verbose == 1, "-v");
	ok(cli_out_option(&o, 'q') == 1 && o.quiet == 1, "-q");
	ok(cli_out_option(&o, CLI_OPT_PROGRESS) == 1 && o.progress_mode == 1,
	    "--progress");
	ok(cli_out_option(&o, CLI_OPT_NO_PROGRESS) == 1 &&
	    o.progress_mode == 0, "--no-progress");
	ok(cli_out_option(&o, 'c') == 0 && cli_out_option(&o, 256) == 0,
	    "other options are not taken");
	o.quiet = 0;
	o.progress_mode = 1;
	ok(cli_out_progress(&o) == 1, "--progress shows progress");
	o.quiet = 1;
	ok(cli_out_progress(&o) == 0, "-q wins over --progress");

	ok(SWIFT_OPT_RETRIES > 255 && SWIFT_OPT_INSECURE > SWIFT_OPT_RETRIES &&
	    CLI_OPT_PROGRESS > SWIFT_OPT_INSECURE &&
	    CLI_OPT_NO_PROGRESS > CLI_OPT_PROGRESS &&
	    CMD_OPT_HELP > CLI_OPT_NO_PROGRESS &&
	    CMD_OPT_VERSION > CMD_OPT_HELP,
	    "the shared option values are distinct, above the programs' own");
	unsetenv("SWIFT_CONTAINER");
	ok(swift_parse(9, av, &so, &l, e) == 0 && optind == 8, "a swift-* "
	    "command line parses, up to its operand");
	ok(strcmp(so.container, "box") == 0 && so.so.retries == 3 &&
	    so.so.insecure == 1 && so.co.quiet == 1 &&
	    so.co.progress_mode == 0 && so.co.verbose == 0 && l == 1,
	    "-c --retries --insecure -q --no-progress, and the program's -l");
	ok(swift_parse(3, bad, &so, &l, e) == -1 &&
	    strcmp(e, "--retries: '101' out of range 0..100") == 0,
	    "--retries 101: %s", e);
	ok(swift_parse(3, unknown, &so, &l, e) == 2,
	    "-S is no shared option");

	/* stdin from a regular file: its size; from /dev/null: 0. */
	fd = open("/proc/self/exe", O_RDONLY);
	dup2(fd, STDIN_FILENO);
	ok(cli_input_size() > 0, "a regular file on stdin has a size");
	close(fd);
	fd = open("/dev/null", O_RDONLY);
	dup2(fd, STDIN_FILENO);
	ok(cli_input_size() == 0, "a device on stdin has none");
	close(fd);
	return tap_done();
}
