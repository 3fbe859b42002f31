/* cmd/cmd.h's option table: the getopt_long tables it makes from a
 * program's rows, what it stores itself and what it hands back. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "../../cmd/cmd.h"
#include "tap.h"

static const char *prog = "test_cmd";

static void
usage(FILE *f)
{
	fprintf(f, "usage: test_cmd\n");
}

enum { OPT_N = 256 };

int
main(void)
{
	char *av[] = { "x", "-c", "conf", "--own", "me", "--dry-run", "-n",
	    "7", "-ly", "--number=8", "-v", "rest", NULL };
	const char *conf = NULL, *owner = NULL;
	int dry = 0, longfmt = 0, y = 0, c, got[8], n = 0;
	const struct cmd_opt rows[] = {
		CMD_STR("config", 'c', &conf),
		CMD_STR("owner", 0, &owner),
		CMD_FLAG("dry-run", 0, &dry),
		CMD_ARG("number", 'n'),
		CMD_FLAG("long", 'l', &longfmt),
		CMD_NOARG("other", OPT_N),
		CMD_FLAG(NULL, 'y', &y),
		CMD_SET(cmd_out_set),
		CMD_SET(cmd_std_set),
		CMD_END
	};
	struct cmd_getopt g;
	size_t i;

	cmd_getopt_init(&g, rows, "01");
	ok(strcmp(g.so, "01c:n:lyvq") == 0, "short options: %s", g.so);
	for (i = 0; g.lo[i].name != NULL; i++)
		;
	ok(i == 12, "long options: %zu (the short-only row has none)", i);
	ok(strcmp(g.lo[6].name, "verbose") == 0 && g.lo[6].val == 'v' &&
	    strcmp(g.lo[11].name, "version") == 0 &&
	    g.lo[11].val == CMD_OPT_VERSION, "the sets stand where their rows "
	    "do");
	ok(g.lo[1].val == CMD_OPT_AUTO + 1 && g.lo[2].val == CMD_OPT_AUTO + 2 &&
	    g.lo[1].has_arg == required_argument &&
	    g.lo[2].has_arg == no_argument, "long-only stored options get "
	    "values of their own");
	ok(CMD_OPT_AUTO > CMD_OPT_VERSION, "above the shared values");

	optind = 1;
	opterr = 0;
	while ((c = cmd_getopt(&g, 12, av)) != -1 && n < 8)
		if (c != 0)
			got[n++] = c;
	ok(conf != NULL && strcmp(conf, "conf") == 0 && owner != NULL &&
	    strcmp(owner, "me") == 0, "strings stored, an abbreviation too");
	ok(dry == 1 && longfmt == 1 && y == 1, "flags set, a short-only one "
	    "too");
	ok(n == 3 && got[0] == 'n' && got[1] == 'n' && got[2] == 'v',
	    "the others come back: -n 7, --number=8, -v");
	ok(optind == 11 && strcmp(av[optind], "rest") == 0, "up to the "
	    "operand");
	return tap_done();
}
