/* common/io: the loops across a pipe, short reads at end of file. */
#include <sys/wait.h>

#include <unistd.h>

#include "io.h"
#include "tap.h"

/* io_grow: from nothing to the first size, doubling past it, the same
 * buffer while it fits, and the bytes kept across a move. */
static void
test_grow(void)
{
	size_t cap = 0;
	char *b, *again;

	b = io_grow(NULL, &cap, 10, 16);
	ok(b != NULL && cap == 16, "grow: from nothing, the first size (%zu)",
	    cap);
	memcpy(b, "0123456789", 10);
	again = io_grow(b, &cap, 16, 16);
	ok(again == b && cap == 16, "grow: what fits keeps the buffer");
	b = io_grow(again, &cap, 17, 16);
	ok(b != NULL && cap == 32 && memcmp(b, "0123456789", 10) == 0,
	    "grow: one byte past doubles, the bytes kept (%zu)", cap);
	b = io_grow(b, &cap, 1000, 16);
	ok(b != NULL && cap == 1024, "grow: doubles until it fits (%zu)", cap);
	free(b);
}

int
main(void)
{
	static char big[3 * IO_BUFSZ + 17], back[sizeof(big)];
	int fd[2];
	size_t i;
	pid_t pid;
	int status;

	for (i = 0; i < sizeof(big); i++)
		big[i] = (char)(i * 7);
	if (pipe(fd) < 0)
		return 1;
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		close(fd[0]);
		_exit(io_writeall(fd[1], big, sizeof(big)) == 0 ? 0 : 1);
	}
	close(fd[1]);
	ok(io_readfull(fd[0], back, sizeof(back)) == (ssize_t)sizeof(back),
	    "readfull gathers a write larger than the pipe");
	ok(memcmp(big, back, sizeof(big)) == 0, "bytes intact");
	ok(io_readfull(fd[0], back, 10) == 0, "readfull returns 0 at end of file");
	close(fd[0]);
	/* The reader's view is half the test: the writer must also say it
	 * wrote everything. */
	ok(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0, "writeall in the child returned 0");
	ok(io_writeall(-1, big, 1) < 0, "writeall reports a bad descriptor");
	ok(io_fsync_dir("tests") == 0 && io_fsync_dir("tests/run") == 0,
	    "fsync_dir on a dir and on a file's dir");
	test_grow();
	return tap_done();
}
