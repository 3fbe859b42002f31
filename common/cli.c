#include <signal.h>
#include <sodium.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "errstr.h"
#include "opt.h"
#include "swift.h"

int
cli_init(char *errstr)
{
	struct rlimit rl = { 0, 0 };

	if (sodium_init() < 0)
		return errstr_set(errstr, "libsodium: initialisation failed");
	if (setrlimit(RLIMIT_CORE, &rl) < 0)
		return errstr_sys(errstr, "setrlimit");
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

int
cli_binary_out(int fd, char *errstr)
{
	if (isatty(fd))
		return errstr_set(errstr,
		    "refusing to write binary data to a terminal");
	return 0;
}

int
cli_progress_on(int mode)
{
	if (mode >= 0)
		return mode;
	return isatty(STDERR_FILENO);
}

void
cli_out_init(struct cli_out *o)
{
	o->verbose = 0;
	o->quiet = 0;
	o->progress_mode = -1;
}

int
cli_out_option(struct cli_out *o, int c)
{
	switch (c) {
	case 'v':
		o->verbose = 1;
		return 1;
	case 'q':
		o->quiet = 1;
		return 1;
	case CLI_OPT_PROGRESS:
	case CLI_OPT_NO_PROGRESS:
		o->progress_mode = c == CLI_OPT_PROGRESS;
		return 1;
	default:
		return 0;
	}
}

int
cli_out_progress(const struct cli_out *o)
{
	return o->quiet ? 0 : cli_progress_on(o->progress_mode);
}

uint64_t
cli_input_size(void)
{
	struct stat st;

	if (fstat(STDIN_FILENO, &st) == 0 && S_ISREG(st.st_mode))
		return (uint64_t)st.st_size;
	return 0;
}

void
swift_cli_init(struct swift_cli *o)
{
	memset(o, 0, sizeof(*o));
	o->container = swift_default_container();
	cli_out_init(&o->co);
	o->so.retries = SWIFT_DEFAULT_RETRIES;
}

int
swift_cli_option(struct swift_cli *o, int c, const char *arg, char *errstr)
{
	long l;

	if (cli_out_option(&o->co, c))
		return 1;
	switch (c) {
	case 'c':
		o->container = arg;
		return 1;
	case SWIFT_OPT_RETRIES:
		if (opt_long(arg, 0, 100, &l, errstr) < 0) {
			char why[ERRSTR_LEN];

			memcpy(why, errstr, sizeof(why));
			return errstr_set(errstr, "--retries: %s", why);
		}
		o->so.retries = (int)l;
		return 1;
	case SWIFT_OPT_INSECURE:
		o->so.insecure = 1;
		return 1;
	default:
		return 0;
	}
}
