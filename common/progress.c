#include <stdio.h>

#include "progress.h"

static double
elapsed(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) +
	    (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

void
progress_fmt_bytes(char *buf, size_t len, uint64_t n)
{
	static const char *unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)n;
	int i = 0;

	while (v >= 1024 && i < 4) {
		v /= 1024;
		i++;
	}
	if (i == 0)
		snprintf(buf, len, "%llu B", (unsigned long long)n);
	else
		snprintf(buf, len, "%.1f %s", v, unit[i]);
}

static void
draw(struct progress *p, const struct timespec *now, int final)
{
	char b[32], r[32], pct[16] = "";
	double t = elapsed(&p->start, now);
	unsigned long s = (unsigned long)t;

	progress_fmt_bytes(b, sizeof(b), p->bytes);
	progress_fmt_bytes(r, sizeof(r),
	    t > 0 ? (uint64_t)((double)p->bytes / t) : 0);
	if (p->total > 0)
		snprintf(pct, sizeof(pct), "  %3d%%",
		    (int)(100.0 * (double)p->bytes / (double)p->total));
	fprintf(stderr, "\r%s: %s  %s/s  %lu:%02lu%s\033[K%s", p->prog, b, r,
	    s / 60, s % 60, pct, final ? "\n" : "");
	p->drawn = 1;
}

void
progress_init(struct progress *p, const char *prog, int on, uint64_t total)
{
	p->on = on;
	p->prog = prog;
	p->bytes = 0;
	p->total = total;
	p->drawn = 0;
	clock_gettime(CLOCK_MONOTONIC, &p->start);
	p->last = p->start;
}

void
progress_add(struct progress *p, uint64_t n)
{
	struct timespec now;

	p->bytes += n;
	if (!p->on)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (elapsed(&p->last, &now) < 0.25)
		return;
	p->last = now;
	draw(p, &now, 0);
}

void
progress_end(struct progress *p)
{
	struct timespec now;

	if (!p->on)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	draw(p, &now, 1);
}
