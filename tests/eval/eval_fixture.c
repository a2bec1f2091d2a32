/*
 * eval_fixture.c — `eval_fixture --config FILE --db FILE SCRIPT`: builds a
 * hallq database from a script of hall events (tests/eval/README.md) with
 * the real engine and store, for hallctl's integration test and by hand.
 *
 * Room: tests/eval. SCRIPT `-` reads standard input. Exit status: 0 built,
 * 1 the script, the config or the database failed (one line on stderr,
 * "SCRIPT:LINE: what" for the script), 2 usage.
 */
#include <stdio.h>
#include <string.h>

#include "config/config.h"
#include "fixture.h"

static int usage(FILE *out, int status)
{
	fprintf(out, "usage: eval_fixture --config FILE --db FILE SCRIPT\n"
		     "  builds the hallq database FILE from SCRIPT (- for standard input):\n"
		     "  each line is applied through the queue engine and journalled as hostd\n"
		     "  does; see tests/eval/README.md for the script language.\n");
	return status;
}

int main(int argc, char **argv)
{
	const char *config_path = NULL, *db_path = NULL, *script_path = NULL;
	struct config_report report = {0};
	char err[1024];

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return usage(stdout, 0);
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
			config_path = argv[++i];
		else if (strcmp(argv[i], "--db") == 0 && i + 1 < argc)
			db_path = argv[++i];
		else if (argv[i][0] == '-' && argv[i][1] && strcmp(argv[i], "-") != 0)
			return usage(stderr, 2);
		else if (!script_path)
			script_path = argv[i];
		else
			return usage(stderr, 2);
	}
	if (!config_path || !db_path || !script_path)
		return usage(stderr, 2);

	struct config *cfg = config_load(config_path, &report);
	if (!cfg) {
		fprintf(stderr, "%s", report.text ? report.text : "the config cannot be read\n");
		config_report_clear(&report);
		return 1;
	}
	config_report_clear(&report);
	bool from_stdin = strcmp(script_path, "-") == 0;
	FILE *script = from_stdin ? stdin : fopen(script_path, "r");
	if (!script) {
		fprintf(stderr, "%s: cannot open the script\n", script_path);
		config_free(cfg);
		return 1;
	}
	int rc =
	    fixture_build(cfg, db_path, script, from_stdin ? "-" : script_path, err, sizeof(err));
	if (!from_stdin)
		fclose(script);
	config_free(cfg);
	if (rc != FIXTURE_OK) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	return 0;
}
