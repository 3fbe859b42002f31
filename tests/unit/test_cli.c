/* common/cli: the output options every program shares, and the size of
 * standard input. */
#include <fcntl.h>
#include <unistd.h>

#include "cli.h"
#include "tap.h"

int
main(void)
{
	struct cli_out o;
	int fd;

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
