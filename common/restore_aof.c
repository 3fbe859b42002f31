/*
 * rdb-install --aof-dir: staging a Redis 7 AOF dir (a manifest, one RDB
 * base, incr files) next to the data, checked as an RDB is and then as a
 * whole by the target server's own redis-check-aof.  The step machine
 * that installs it is common/restore.c's.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "aofman.h"
#include "conf.h"
#include "io.h"
#include "restoreint.h"

/* Opens name in the source dir sfd: a regular file, never through a
 * symlink; returns the fd with its size in *size, or -1. */
static int
open_src(int sfd, const char *src, const char *name, uint64_t *size,
    char *errstr)
{
	struct stat st;
	int fd;

	fd = openat(sfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return errstr_sys(errstr, "%s/%s", src, name);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return errstr_set(errstr, "%s/%s: not a regular file", src,
		    name);
	}
	*size = (uint64_t)st.st_size;
	return fd;
}

/* Whether name is one of the manifest's files. */
static int
listed(const struct aofman *m, const char *name)
{
	int i;

	if (strcmp(name, m->base.name) == 0)
		return 1;
	for (i = 0; i < m->nincr; i++)
		if (strcmp(name, m->incr[i].name) == 0)
			return 1;
	return 0;
}

/* Finds the one *.manifest in the source dir and reads it into m; every
 * other entry must be a file it lists.  Returns 0 or -1. */
static int
read_manifest(int sfd, const char *src, struct aofman *m, char *errstr)
{
	static char text[AOFMAN_MAX_SIZE + 1];
	char name[NAME_MAX + 1] = "", e[ERRSTR_LEN];
	struct dirent *d;
	uint64_t size;
	ssize_t n;
	DIR *dp;
	int fd;

	if ((fd = dup(sfd)) < 0 || (dp = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return errstr_sys(errstr, "%s", src);
	}
	while ((d = readdir(dp)) != NULL) {
		size_t len = strlen(d->d_name);

		if (len <= 9 || strcmp(d->d_name + len - 9, ".manifest") != 0)
			continue;
		if (name[0] != '\0') {
			errstr_set(errstr, "%s: two manifests, %s and %s", src,
			    name, d->d_name);
			closedir(dp);
			return -1;
		}
		snprintf(name, sizeof(name), "%s", d->d_name);
	}
	if (name[0] == '\0') {
		closedir(dp);
		return errstr_set(errstr, "%s: no manifest (*.manifest): not "
		    "an AOF dir", src);
	}
	if ((fd = open_src(sfd, src, name, &size, errstr)) < 0) {
		closedir(dp);
		return -1;
	}
	n = io_readfull(fd, text, sizeof(text));
	close(fd);
	if (n < 0) {
		closedir(dp);
		return errstr_sys(errstr, "read %s/%s", src, name);
	}
	if (aofman_parse(text, (size_t)n, m, e) < 0) {
		closedir(dp);
		return errstr_set(errstr, "%s/%s: %s", src, name, e);
	}
	rewinddir(dp);
	while ((d = readdir(dp)) != NULL)
		if (strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") !=
		    0 && strcmp(d->d_name, name) != 0 && !listed(m, d->d_name)) {
			errstr_set(errstr, "%s/%s: not in the manifest %s", src,
			    d->d_name, name);
			closedir(dp);
			return -1;
		}
	closedir(dp);
	return 0;
}

/* With the AOF off, the config is edited to load the AOF dir once: its
 * appendonly line must be there to edit.  Returns 0 or -1. */
static int
check_conf(struct restore *in, char *errstr)
{
	struct conf c;
	int found;

	if (in->aof)
		return 0;
	if (conf_load(&c, in->conf, errstr) < 0)
		return -1;
	found = conf_last(&c, "appendonly") != NULL;
	conf_free(&c);
	if (!found)
		return errstr_set(errstr, "config %s: no appendonly line (the "
		    "AOF dir is loaded with it set to yes once): add "
		    "'appendonly no'", in->conf);
	return 0;
}

/* Makes the staging dir (mode 0700, the server's user's) and moves the
 * staged base into it under name; returns its fd, or -1. */
static int
stage_dir(struct restore *in, const char *name, char *errstr)
{
	char file[NAME_MAX + 1], hex[17];
	int fd, i, made = -1;

	memcpy(file, in->staged, sizeof(file));
	for (i = 0; i < 8 && made < 0; i++) {
		if (io_random_hex(hex, 8) < 0)
			break;
		snprintf(in->staged, sizeof(in->staged), "%s%s",
		    STAGED_PREFIX, hex);
		if ((made = mkdirat(in->dfd, in->staged, 0700)) < 0 &&
		    errno != EEXIST)
			break;
	}
	if (made < 0 || (fd = openat(in->dfd, in->staged,
	    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		errstr_sys(errstr, "stage in %s", in->dir);
		unlinkat(in->dfd, file, 0);
		in->staged[0] = '\0';
		return -1;
	}
	if ((in->do_chown && fchown(fd, in->uid, in->gid) < 0) ||
	    renameat(in->dfd, file, fd, name) < 0) {
		errstr_sys(errstr, "stage %s/%s/%s", in->dir, in->staged,
		    name);
		unlinkat(in->dfd, file, 0);
		close(fd);
		return -1;
	}
	return fd;
}

/* Writes buf, or copies the source file sfd/from when buf is NULL, into
 * a new file dfd/name (mode 0600, the server's user's), fsynced; returns
 * 0 or -1. */
static int
stage_file(struct restore *in, int dfd, const char *name, int sfd,
    const char *src, const char *from, const char *buf, char *errstr)
{
	struct io_fdsink out;
	static char path[PATH_MAX + 2 * NAME_MAX + 8];
	char e[ERRSTR_LEN];
	uint64_t size;
	int fd, rc;

	snprintf(path, sizeof(path), "%s/%s/%s", in->dir, in->staged, name);
	out.name = path;
	out.fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (out.fd < 0)
		return errstr_sys(errstr, "create %s", path);
	if (in->do_chown && fchown(out.fd, in->uid, in->gid) < 0)
		rc = errstr_sys(errstr, "chown %s", path);
	else if (buf != NULL)
		rc = io_writeall(out.fd, buf, strlen(buf)) < 0 ?
		    errstr_sys(errstr, "write %s", path) : 0;
	else if ((fd = open_src(sfd, src, from, &size, errstr)) < 0)
		rc = -1;
	else {
		snprintf(path, sizeof(path), "%s/%s", src, from);
		rc = io_pump(fd, path, io_sink_fd, &out, NULL, e) < 0 ?
		    errstr_set(errstr, "%s", e) : 0;
		close(fd);
	}
	if (rc == 0 && fsync(out.fd) < 0)
		rc = errstr_sys(errstr, "fsync %s", out.name);
	if (close(out.fd) < 0 && rc == 0)
		rc = errstr_sys(errstr, "close %s", out.name);
	return rc;
}

/* Runs the target's redis-check-aof on the staged manifest; its verdict
 * is redis-check-rdb's for the base, else the "AOF analyzed" line of the
 * file it stopped at.  Returns 0 or -1 (also when it is not installed:
 * nothing else checks the incr files). */
static int
check_aof_tool(struct restore *in, const char *manifest, char *errstr)
{
	static char out[65536], path[PATH_MAX + 2 * NAME_MAX + 32];
	char tool[PATH_MAX];
	const char *why = NULL;
	char *p, *q;
	int st;

	snprintf(path, sizeof(path), "%s/%s/%s", in->dir, in->staged,
	    manifest);
	restore_checker_path(in, "check-aof", tool, sizeof(tool));
	if (restore_run_checker(in, tool, path, out, sizeof(out), &st,
	    errstr) < 0)
		return -1;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 127)
		return errstr_set(errstr, "%s: not installed: the AOF cannot "
		    "be checked (install the server's redis-check-aof)", tool);
	if ((p = strstr(out, "--- RDB ERROR DETECTED ---\n")) != NULL)
		why = p + strlen("--- RDB ERROR DETECTED ---\n");
	for (p = out; why == NULL && (p = strstr(p, "AOF analyzed: ")) !=
	    NULL; p++)
		if (strstr(p + 1, "AOF analyzed: ") == NULL)
			why = p + strlen("AOF analyzed: ");
	if (why == NULL)
		return errstr_set(errstr, "redis-check-aof rejects the AOF "
		    "(status %d)", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	if ((q = strchr(why, '\n')) != NULL)
		*q = '\0';
	return errstr_set(errstr, "redis-check-aof rejects the AOF: %s", why);
}

/* Stages the incr files and the manifest into the staging dir dfd and
 * fsyncs it; returns 0 or -1. */
static int
stage_rest(struct restore *in, int dfd, int sfd, const char *src,
    const struct aofman *m, const struct aofman *t, char *errstr)
{
	char text[AOFMAN_MAX_INCR * (NAME_MAX + 64) + 256];
	char manifest[NAME_MAX + 16];
	int i;

	for (i = 0; i < m->nincr; i++)
		if (stage_file(in, dfd, t->incr[i].name, sfd, src,
		    m->incr[i].name, NULL, errstr) < 0)
			return -1;
	snprintf(manifest, sizeof(manifest), "%s.manifest", in->aoffile);
	if (aofman_format(t, text, sizeof(text), errstr) < 0 ||
	    stage_file(in, dfd, manifest, -1, src, NULL, text, errstr) < 0)
		return -1;
	if (fsync(dfd) < 0 || fsync(in->dfd) < 0)
		return errstr_sys(errstr, "fsync %s/%s", in->dir, in->staged);
	return check_aof_tool(in, manifest, errstr);
}

int
restore_stage_aofdir(struct restore *in, const char *src,
    struct progress *pr, char *errstr)
{
	struct aofman m, t;
	char path[PATH_MAX];
	uint64_t size;
	int sfd, fd, dfd, i, rc = -1;

	in->aofin = 1;
	if ((sfd = open(src, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return errstr_sys(errstr, "%s", src);
	if (read_manifest(sfd, src, &m, errstr) < 0 ||
	    aofman_rename(&m, in->aoffile, &t, errstr) < 0 ||
	    check_conf(in, errstr) < 0)
		goto out;
	/* The sizes (the whole is checked against the free space, and the
	 * server's AOF against them once it is up). */
	for (i = 0, in->aof_total_size = 0; i < m.nincr; i++) {
		if ((fd = open_src(sfd, src, m.incr[i].name, &size,
		    errstr)) < 0)
			goto out;
		close(fd);
		in->aof_total_size += size;
	}
	if ((fd = open_src(sfd, src, m.base.name, &in->aof_base_size,
	    errstr)) < 0)
		goto out;
	in->aof_total_size += in->aof_base_size;
	snprintf(path, sizeof(path), "%s/%s", src, m.base.name);
	rc = restore_stage(in, fd, path, in->aof_total_size, pr, errstr);
	close(fd);
	if (rc < 0)
		goto out;
	if ((dfd = stage_dir(in, t.base.name, errstr)) < 0) {
		rc = -1;
		goto out;
	}
	rc = stage_rest(in, dfd, sfd, src, &m, &t, errstr);
	close(dfd);
	if (rc < 0) {
		restore_rm_at(in->dfd, in->staged, 0, path);
		in->staged[0] = '\0';
	}
out:
	close(sfd);
	return rc;
}
