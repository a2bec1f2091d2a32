/*
 * options.c — the command line of lineproxy.
 *
 * Room: tools/lineproxy. Options are "--name VALUE" or "--name=VALUE"; a
 * bad one is reported in one line that names it, and the program exits 2.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lineproxy.h"

enum opt_id {
	OPT_MASTER,
	OPT_SLAVE,
	OPT_BAUD,
	OPT_BITS,
	OPT_CORRUPT,
	OPT_DROP,
	OPT_DELAY,
	OPT_SEED,
	OPT_STATS,
	OPT_READY,
	OPT_ECHO,
	OPT_NO_ECHO,
	OPT_VERBOSE,
	OPT_SELFTEST,
	OPT_FRAMES,
	OPT_HELP,
	OPT_VERSION,
};

struct opt {
	const char *name;
	enum opt_id id;
	bool has_arg;
};

static const struct opt opts[] = {
    {"master", OPT_MASTER, true},     {"slave", OPT_SLAVE, true},
    {"baud", OPT_BAUD, true},         {"bits-per-char", OPT_BITS, true},
    {"corrupt", OPT_CORRUPT, true},   {"drop", OPT_DROP, true},
    {"delay", OPT_DELAY, true},       {"seed", OPT_SEED, true},
    {"stats", OPT_STATS, true},       {"ready", OPT_READY, true},
    {"echo-slaves", OPT_ECHO, false}, {"no-echo-slaves", OPT_NO_ECHO, false},
    {"verbose", OPT_VERBOSE, false},  {"selftest-pacing", OPT_SELFTEST, false},
    {"frames", OPT_FRAMES, true},     {"help", OPT_HELP, false},
    {"version", OPT_VERSION, false},
};

static void usage(void)
{
	printf("usage: lineproxy --master PATH --slave PATH [--slave PATH ...] --baud N\n"
	       "                 [--bits-per-char 11] [--corrupt P] [--drop P] [--delay P:MS]\n"
	       "                 [--seed N] [--no-echo-slaves] [--stats FILE] [--ready FILE]\n"
	       "                 [--verbose]\n"
	       "       lineproxy --selftest-pacing [--baud 115200] [--bits-per-char 11]\n"
	       "                 [--frames 120]\n"
	       "       lineproxy --help | --version\n"
	       "\n"
	       "An RS-485 multi-drop line over pseudo-terminals: PATH becomes a symlink to a\n"
	       "pseudo-terminal for the Modbus master (--master) and for each slave (--slave).\n"
	       "A frame the master sends reaches every slave; a frame a slave sends reaches\n"
	       "the master and the other slaves. Frames are paced as on the real line, one\n"
	       "at a time, and delivered when their last byte would arrive.\n"
	       "\n"
	       "options:\n"
	       "  --baud N               line speed in bits per second\n"
	       "  --bits-per-char N      bits a character takes on the line (default 11)\n"
	       "  --corrupt P            flip one bit in a frame with probability P (0..1)\n"
	       "  --drop P               lose a frame with probability P; it still takes the line\n"
	       "  --delay P:MS           deliver a frame MS milliseconds late with probability P\n"
	       "  --seed N               seed of the fault draws (default 1: runs repeat)\n"
	       "  --echo-slaves          a slave's frame reaches the other slaves (default)\n"
	       "  --no-echo-slaves       a slave's frame reaches the master only\n"
	       "  --stats FILE           write the counters to FILE on SIGUSR1 and at exit\n"
	       "  --ready FILE           create FILE once every PATH exists\n"
	       "  --verbose              log every frame and every open and close on stderr\n"
	       "  --selftest-pacing      measure delivery times against the line's, and exit\n"
	       "  --frames N             frames the self-test sends (default 120)\n"
	       "\n"
	       "SIGINT, SIGTERM: remove the PATHs and the ready file, exit 0.\n");
}

static int bad(const char *name, const char *expected, const char *got)
{
	fprintf(stderr, "lineproxy: --%s: expected %s, got \"%s\"\n", name, expected, got);
	return 2;
}

static bool parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return false;
	*out = v;
	return true;
}

static bool parse_double(const char *s, double min, double max, double *out)
{
	char *end;
	double v;

	if (*s == '\0')
		return false;
	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || *end != '\0' || !isfinite(v) || v < min || v > max)
		return false;
	*out = v;
	return true;
}

/* "P:MS": a probability, a colon, milliseconds. */
static bool parse_delay(const char *s, struct lp_config *cfg)
{
	char p[64];
	const char *colon = strchr(s, ':');
	double ms;

	if (colon == NULL || (size_t)(colon - s) >= sizeof(p))
		return false;
	memcpy(p, s, (size_t)(colon - s));
	p[colon - s] = '\0';
	if (!parse_double(p, 0, 1, &cfg->delay_p) || !parse_double(colon + 1, 0, 60000, &ms))
		return false;
	cfg->delay_ns = (int64_t)(ms * 1e6 + 0.5);
	return true;
}

static const struct opt *find_opt(const char *arg, const char **value)
{
	const char *eq = strchr(arg, '=');
	size_t len = eq != NULL ? (size_t)(eq - arg) : strlen(arg);

	*value = eq != NULL ? eq + 1 : NULL;
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		if (strlen(opts[i].name) == len && strncmp(opts[i].name, arg, len) == 0)
			return &opts[i];
	return NULL;
}

/* Applies one option with its value; returns LP_OPTIONS_RUN, or the exit
 * status when the program should stop (0 after --help, 2 when bad). */
static int apply(struct lp_config *cfg, const struct opt *o, const char *v)
{
	uint64_t u;

	switch (o->id) {
	case OPT_MASTER:
		cfg->master_path = v;
		break;
	case OPT_SLAVE:
		if (cfg->n_slaves == LP_SLAVES_MAX)
			return bad(o->name, "at most 247 slaves", v);
		cfg->slave_paths[cfg->n_slaves++] = v;
		break;
	case OPT_BAUD:
		if (!parse_u64(v, 50, 10000000, &u))
			return bad(o->name, "bits per second from 50 to 10000000", v);
		cfg->baud = (uint32_t)u;
		break;
	case OPT_BITS:
		if (!parse_u64(v, 5, 16, &u))
			return bad(o->name, "bits a character from 5 to 16", v);
		cfg->bits_per_char = (uint32_t)u;
		break;
	case OPT_CORRUPT:
		if (!parse_double(v, 0, 1, &cfg->corrupt_p))
			return bad(o->name, "a probability from 0 to 1", v);
		break;
	case OPT_DROP:
		if (!parse_double(v, 0, 1, &cfg->drop_p))
			return bad(o->name, "a probability from 0 to 1", v);
		break;
	case OPT_DELAY:
		if (!parse_delay(v, cfg))
			return bad(o->name, "P:MS, a probability from 0 to 1 and milliseconds", v);
		break;
	case OPT_SEED:
		if (!parse_u64(v, 0, UINT64_MAX, &u))
			return bad(o->name, "a whole number", v);
		cfg->seed = u;
		break;
	case OPT_STATS:
		cfg->stats_path = v;
		break;
	case OPT_READY:
		cfg->ready_path = v;
		break;
	case OPT_ECHO:
	case OPT_NO_ECHO:
		cfg->echo_slaves = o->id == OPT_ECHO;
		break;
	case OPT_VERBOSE:
		cfg->verbose = true;
		break;
	case OPT_SELFTEST:
		cfg->selftest = true;
		break;
	case OPT_FRAMES:
		if (!parse_u64(v, 1, 100000, &u))
			return bad(o->name, "a number of frames from 1 to 100000", v);
		cfg->selftest_frames = (uint32_t)u;
		break;
	case OPT_HELP:
		usage();
		return 0;
	case OPT_VERSION:
		printf("lineproxy (hallq) %s\n", HALLQ_VERSION);
		return 0;
	}
	return LP_OPTIONS_RUN;
}

/* No path twice: two ends on one symlink would replace each other. */
static int check_paths(const struct lp_config *cfg)
{
	for (size_t i = 0; i < cfg->n_slaves; i++) {
		if (strcmp(cfg->slave_paths[i], cfg->master_path) == 0)
			return bad("slave", "a path other than --master's", cfg->slave_paths[i]);
		for (size_t j = 0; j < i; j++)
			if (strcmp(cfg->slave_paths[i], cfg->slave_paths[j]) == 0)
				return bad("slave", "each slave on a path of its own",
					   cfg->slave_paths[i]);
	}
	return LP_OPTIONS_RUN;
}

/*
 * Fills cfg from argv. Returns LP_OPTIONS_RUN when the program should run,
 * otherwise the exit status (0 after --help or --version, 2 after a bad
 * option, which has been reported).
 */
int lp_options_parse(int argc, char **argv, struct lp_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->bits_per_char = 11;
	cfg->seed = 1;
	cfg->echo_slaves = true;
	cfg->selftest_frames = 120;
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i], *value;
		const struct opt *o;
		int rc;

		if (strncmp(arg, "--", 2) != 0 || (o = find_opt(arg + 2, &value)) == NULL) {
			fprintf(stderr, "lineproxy: unknown option %s (see --help)\n", arg);
			return 2;
		}
		if (o->has_arg && value == NULL) {
			if (i + 1 == argc) {
				fprintf(stderr, "lineproxy: --%s needs a value\n", o->name);
				return 2;
			}
			value = argv[++i];
		} else if (!o->has_arg && value != NULL) {
			fprintf(stderr, "lineproxy: --%s takes no value\n", o->name);
			return 2;
		}
		rc = apply(cfg, o, value);
		if (rc != LP_OPTIONS_RUN)
			return rc;
	}
	if (cfg->selftest) {
		if (cfg->baud == 0)
			cfg->baud = 115200;
		return LP_OPTIONS_RUN;
	}
	if (cfg->master_path == NULL) {
		fprintf(stderr, "lineproxy: --master is missing (see --help)\n");
		return 2;
	}
	if (cfg->n_slaves == 0) {
		fprintf(stderr, "lineproxy: --slave is missing (see --help)\n");
		return 2;
	}
	if (cfg->baud == 0) {
		fprintf(stderr, "lineproxy: --baud is missing (see --help)\n");
		return 2;
	}
	return check_paths(cfg);
}
