#include <signal.h>
#include <sodium.h>
#include <sys/resource.h>
#include <unistd.h>

#include "cli.h"
#include "errstr.h"

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
