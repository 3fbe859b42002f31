/* common/control: the keyspace sums, the version map, commands and their
 * failures, a server that is not there (INFO fields: test_redis). */
#include <sys/wait.h>
#include <unistd.h>

#include "control.h"
#include "tap.h"

int
main(void)
{
	const char *info = "# Persistence\r\nloading:0\r\naof_rewrites:3\r\n"
	    "# Keyspace\r\ndb0:keys=10,expires=2,avg_ttl=0\r\n"
	    "db3:keys=5,expires=0,avg_ttl=0\r\n";
	const char *t[] = { "true", NULL }, *f[] = { "false", NULL };
	const char *sh[] = { "/bin/sh", "-c", "exit 3", NULL };
	const char *none[] = { "/nonexistent/x", NULL };
	struct server s = { 0 };
	char v[32], e[ERRSTR_LEN], *out = NULL;

	ok(control_info_sum(info, "keys") == 15 &&
	    control_info_sum(info, "expires") == 2, "keys and expires summed");
	ok(control_run(t, e) == 0, "a command that succeeds");
	ok(control_run(f, e) < 0 && strcmp(e, "false: exit status 1") == 0,
	    "a command that fails: %s", e);
	ok(control_run(sh, e) < 0 && strcmp(e, "exit 3: exit status 3") == 0,
	    "a shell command is named by its text: %s", e);
	ok(control_run(none, e) < 0 &&
	    strcmp(e, "/nonexistent/x: exit status 127") == 0,
	    "a missing program: %s", e);
	s.sock = "/nonexistent/redis.sock";
	s.timeout = 1;
	ok(control_reachable(&s, e) == 0 && strcmp(e, "connect "
	    "/nonexistent/redis.sock: No such file or directory") == 0,
	    "a missing socket means down: %s", e);
	s.sock = NULL;
	s.host = "127.0.0.1";
	s.port = 1;
	ok(control_reachable(&s, e) == 0 && strcmp(e, "connect "
	    "127.0.0.1:1: Connection refused") == 0,
	    "a refused connection means down: %s", e);
	ok(control_info(&s, "server", &out, e) < 0 && strcmp(e, "connect "
	    "127.0.0.1:1: Connection refused") == 0,
	    "INFO on a server that is not there: %s", e);
	ok(control_binary_version(v, sizeof(v), e) == 0 &&
	    strncmp(v, "Redis server v=7.", 17) == 0,
	    "redis-server --version: %s", v);
	/* The drop the default start and redis-check-rdb make. */
	if (geteuid() == 0) {
		pid_t pid;
		int st;

		ok(control_set_user(&s, 65534, 65534, e) == 0 && s.run_drop,
		    "as root, a drop to nobody is planned");
		if ((pid = fork()) == 0)
			_exit(control_drop(&s) == 0 && getuid() == 65534 &&
			    geteuid() == 65534 && getgid() == 65534 &&
			    setuid(0) < 0 ? 0 : 1);
		ok(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
		    WEXITSTATUS(st) == 0, "the child runs as nobody, for good");
		ok(control_set_user(&s, 0, 0, e) == 0 && !s.run_drop,
		    "to root: no drop");
	} else {
		ok(control_set_user(&s, 65534, 65534, e) == 0 && !s.run_drop,
		    "not root: no drop");
	}
	return tap_done();
}
