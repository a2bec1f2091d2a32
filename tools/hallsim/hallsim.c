/*
 * hallsim.c — the simulated hall's program: options, the config, the
 * database, one line per simulated day.
 *
 * Room: tools/hallsim. Wiring only: the models are in model.c, the loop
 * in sim.c; the hall comes from hostd/config, the journal goes through
 * hostd/store (never SQLite itself). Fast mode: the engine and the store
 * in-process, in virtual time; device mode (devmode.c): hostd and the
 * device programs driven through their control sockets at an
 * accelerated clock (tools/hallsim/README.md).
 */
#define _DEFAULT_SOURCE /* localtime_r, realpath */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config/config.h"
#include "devmode.h"
#include "replay.h"
#include "sim.h"
#include "store/store.h"

enum { EXIT_FAILED = 1, EXIT_USAGE = 2, MAX_DAYS = 3660 };

/* Where device mode finds the programs: the build tree, as CMake says. */
#ifndef HALLSIM_HOSTD
#define HALLSIM_HOSTD      "hostd"
#define HALLSIM_LINEPROXY  "lineproxy"
#define HALLSIM_KIOSK_FW   "kiosk-fw"
#define HALLSIM_WINDOW_FW  "window-fw"
#define HALLSIM_DISPLAY_FW "display-fw"
#define HALLSIM_HALLCTL    "hallctl"
#endif

/* Long options of device mode without a short form. */
enum {
	OPT_SPEED = 256,
	OPT_FROM,
	OPT_UNTIL,
	OPT_WORK,
	OPT_TICKETS,
	OPT_KIOSKS,
	OPT_HUMAN_WINDOW,
	OPT_API_PORT,
	OPT_REPORT,
	OPT_HOSTD,
	OPT_LINEPROXY,
	OPT_KIOSK_FW,
	OPT_WINDOW_FW,
	OPT_DISPLAY_FW,
	OPT_HALLCTL,
	OPT_PREPARE,
	OPT_ATTACH,
};

struct options {
	bool fast;
	bool devices;
	struct devmode_options dev;
	const char *config_path;
	const char *db_path;
	uint64_t seed;
	int32_t date; /* yyyymmdd, 0: the next workday */
	int days;
	double load;
	bool quiet;
	bool verify;
};

static void usage(FILE *out)
{
	fputs(
	    "usage: hallsim --fast --config FILE --db FILE [--seed N] [--date YYYY-MM-DD]\n"
	    "               [--days N] [--load FACTOR] [--quiet] [--verify]\n"
	    "       hallsim --devices --config FILE --db FILE [--seed N] [--date YYYY-MM-DD]\n"
	    "               [--speed N] [--from HH:MM] [--until HH:MM] [--work DIR]\n"
	    "               [--tickets DIR] [--kiosks N] [--human-window N] [--api-port N]\n"
	    "               [--load FACTOR] [--report FORMAT|none] [--quiet] [--hostd PATH]\n"
	    "               [--lineproxy PATH] [--kiosk-fw PATH] [--window-fw PATH]\n"
	    "               [--display-fw PATH] [--hallctl PATH]\n"
	    "       hallsim --devices --prepare --config FILE --work DIR [--kiosks N]\n"
	    "               [--human-window N] [--api-port N] [--tickets DIR]\n"
	    "       hallsim --devices --attach --config FILE --work DIR [--db FILE] [--seed N]\n"
	    "               [--speed N] [--until HH:MM] [--load FACTOR] [--report FORMAT|none]\n"
	    "               [--tickets DIR] [--quiet] [program paths]\n"
	    "\n"
	    "Simulates citizens and window staff in the hall of a config (tools/hallsim/\n"
	    "README.md): fast mode writes the database hostd would have written; device\n"
	    "mode runs hostd and the device programs and presses their keys.\n"
	    "\n"
	    "  -f, --fast               fast mode: the engine and the store in-process, in\n"
	    "                           virtual time\n"
	    "  -x, --devices            device mode: hostd, lineproxy, kiosk-fw, window-fw and\n"
	    "                           display-fw started and driven through their control\n"
	    "                           sockets at an accelerated clock; the day's report at\n"
	    "                           the end or on Ctrl-C\n"
	    "  -c, --config FILE        the hall's config (hall.json)\n"
	    "  -d, --db FILE            the database to write: a new file, or one without a\n"
	    "                           journal yet\n"
	    "  -s, --seed N             the random seed, 0 .. 2^64-1 (default 1); the same seed,\n"
	    "                           date and options give the same journal\n"
	    "  -D, --date YYYY-MM-DD    the first day (default: the next workday after today,\n"
	    "                           in the hall's time zone; device mode: the last one\n"
	    "                           before today)\n"
	    "  -n, --days N             calendar days to simulate, 1 .. 3660 (default 1); days\n"
	    "                           that are not workdays are closed\n"
	    "  -l, --load FACTOR        the offered load on the windows, 0.05 .. 1.5 (default "
	    "0.8)\n"
	    "  -q, --quiet              no line per day\n"
	    "  -v, --verify             afterwards, replay each day from the database as hostd\n"
	    "                           restores it and check it gives the state simulated\n"
	    "Device mode:\n"
	    "      --speed N            the clock runs N times as fast as real time, 1 .. 3600\n"
	    "                           (default 60)\n"
	    "      --from HH:MM         the clock starts then (default 08:00); citizens due\n"
	    "                           before do not come\n"
	    "      --until HH:MM        stop then (default: when the staff are gone after the\n"
	    "                           last session, at the latest 100 minutes after it)\n"
	    "      --work DIR           the derived config, the logs, the control sockets and\n"
	    "                           seen.tsv (default: a new folder in $TMPDIR or /tmp)\n"
	    "      --tickets DIR        the printed tickets as PNG (default WORK/tickets)\n"
	    "      --kiosks N           kiosks, 1 .. 8 (default 2)\n"
	    "      --human-window N     no simulated terminal or staff at window N: a person\n"
	    "                           uses the soft terminal (window.html)\n"
	    "      --api-port N         hostd's API port (default: the config's; 0: a free one)\n"
	    "      --report FORMAT      the day's report: table (default), csv, json, html, or\n"
	    "                           none\n"
	    "      --prepare            write the derived config WORK/hall.json, print the hostd\n"
	    "                           command that runs it, and exit\n"
	    "      --attach             hostd already runs on WORK/hall.json (from --prepare):\n"
	    "                           start the devices, follow hostd's clock (--speed must\n"
	    "                           be its --clock-speed, default 1 here) from now on;\n"
	    "                           hostd is left running; the report needs --db\n"
	    "      --hostd, --lineproxy, --kiosk-fw, --window-fw, --display-fw, --hallctl PATH\n"
	    "                           the programs (default: those of this build tree)\n"
	    "  -h, --help               show this help\n"
	    "  -V, --version            show the version\n"
	    "\n"
	    "Exit status: 0 done, 1 failure (database, simulation, a program), 2 bad options\n"
	    "or config.\n",
	    out);
}

static bool parse_u64(const char *text, uint64_t *out)
{
	char *end;

	if (!*text || *text == '-' || *text == '+' || *text == ' ')
		return false;
	errno = 0;
	unsigned long long v = strtoull(text, &end, 10);
	if (errno || *end)
		return false;
	*out = (uint64_t)v;
	return true;
}

static bool parse_date(const char *text, int32_t *out)
{
	static const int days_in[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int y, m, d, n = 0;

	if (strlen(text) != 10 || sscanf(text, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 || n != 10 ||
	    text[4] != '-' || text[7] != '-')
		return false;
	if (y < 1970 || y > 9999 || m < 1 || m > 12 || d < 1)
		return false;
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (d > days_in[m - 1] + (m == 2 && leap))
		return false;
	*out = y * 10000 + m * 100 + d;
	return true;
}

static bool parse_hhmm(const char *text, int *minute)
{
	int h, m, n = 0;

	if (sscanf(text, "%2d:%2d%n", &h, &m, &n) != 2 || text[n] || h < 0 || h > 23 || m < 0 ||
	    m > 59)
		return false;
	*minute = h * 60 + m;
	return true;
}

/* A device mode option; false (after a line on stderr) when it is bad. */
static bool parse_device_option(int ch, const char *v, struct devmode_options *d)
{
	uint64_t n;
	char *end;

	switch (ch) {
	case OPT_SPEED:
		errno = 0;
		d->speed = strtod(v, &end);
		if (errno || end == v || *end || !(d->speed >= 1 && d->speed <= 3600)) {
			fprintf(stderr, "hallsim: --speed: expected 1 .. 3600, found \"%s\"\n", v);
			return false;
		}
		return true;
	case OPT_FROM:
	case OPT_UNTIL:
		if (!parse_hhmm(v, ch == OPT_FROM ? &d->from_min : &d->until_min)) {
			fprintf(stderr, "hallsim: --%s: expected a time HH:MM, found \"%s\"\n",
				ch == OPT_FROM ? "from" : "until", v);
			return false;
		}
		return true;
	case OPT_KIOSKS:
	case OPT_HUMAN_WINDOW:
	case OPT_API_PORT: {
		static const struct {
			const char *name;
			uint64_t lo, hi;
		} r[] = {{"kiosks", 1, RIG_MAX_KIOSKS},
			 {"human-window", 1, 100000},
			 {"api-port", 0, 65535}};
		int i = ch - OPT_KIOSKS;
		if (!parse_u64(v, &n) || n < r[i].lo || n > r[i].hi) {
			fprintf(
			    stderr, "hallsim: --%s: expected a number %llu .. %llu, found \"%s\"\n",
			    r[i].name, (unsigned long long)r[i].lo, (unsigned long long)r[i].hi, v);
			return false;
		}
		*(ch == OPT_KIOSKS         ? &d->kiosks
		  : ch == OPT_HUMAN_WINDOW ? &d->human_window
					   : &d->api_port) = (int)n;
		return true;
	}
	case OPT_REPORT:
		if (strcmp(v, "table") && strcmp(v, "csv") && strcmp(v, "json") &&
		    strcmp(v, "html") && strcmp(v, "none")) {
			fprintf(stderr,
				"hallsim: --report: expected table, csv, json, html or none, found "
				"\"%s\"\n",
				v);
			return false;
		}
		d->report = v;
		return true;
	case OPT_WORK:
		d->work_dir = v;
		return true;
	case OPT_TICKETS:
		d->tickets_dir = v;
		return true;
	case OPT_HOSTD:
		d->prog.hostd = v;
		return true;
	case OPT_LINEPROXY:
		d->prog.lineproxy = v;
		return true;
	case OPT_KIOSK_FW:
		d->prog.kiosk_fw = v;
		return true;
	case OPT_WINDOW_FW:
		d->prog.window_fw = v;
		return true;
	case OPT_DISPLAY_FW:
		d->prog.display_fw = v;
		return true;
	case OPT_HALLCTL:
		d->prog.hallctl = v;
		return true;
	case OPT_PREPARE:
		d->prepare = true;
		return true;
	case OPT_ATTACH:
		d->attach = true;
		return true;
	}
	return false;
}

/* Returns -1 to go on, or the exit status for main(). */
static int parse_options(int argc, char **argv, struct options *opt)
{
	static const struct option longs[] = {
	    {"fast", no_argument, NULL, 'f'},
	    {"config", required_argument, NULL, 'c'},
	    {"db", required_argument, NULL, 'd'},
	    {"seed", required_argument, NULL, 's'},
	    {"date", required_argument, NULL, 'D'},
	    {"days", required_argument, NULL, 'n'},
	    {"load", required_argument, NULL, 'l'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"verify", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {"devices", no_argument, NULL, 'x'},
	    {"speed", required_argument, NULL, OPT_SPEED},
	    {"from", required_argument, NULL, OPT_FROM},
	    {"until", required_argument, NULL, OPT_UNTIL},
	    {"work", required_argument, NULL, OPT_WORK},
	    {"tickets", required_argument, NULL, OPT_TICKETS},
	    {"kiosks", required_argument, NULL, OPT_KIOSKS},
	    {"human-window", required_argument, NULL, OPT_HUMAN_WINDOW},
	    {"api-port", required_argument, NULL, OPT_API_PORT},
	    {"report", required_argument, NULL, OPT_REPORT},
	    {"hostd", required_argument, NULL, OPT_HOSTD},
	    {"lineproxy", required_argument, NULL, OPT_LINEPROXY},
	    {"kiosk-fw", required_argument, NULL, OPT_KIOSK_FW},
	    {"window-fw", required_argument, NULL, OPT_WINDOW_FW},
	    {"display-fw", required_argument, NULL, OPT_DISPLAY_FW},
	    {"hallctl", required_argument, NULL, OPT_HALLCTL},
	    {"prepare", no_argument, NULL, OPT_PREPARE},
	    {"attach", no_argument, NULL, OPT_ATTACH},
	    {NULL, 0, NULL, 0},
	};
	bool device_option = false, speed_given = false, date_given = false, from_given = false;
	bool layout_given = false; /* --kiosks, --human-window, --api-port */
	uint64_t n;
	char *end;
	int ch;

	while ((ch = getopt_long(argc, argv, "fxc:d:s:D:n:l:qvhV", longs, NULL)) != -1) {
		if (ch >= OPT_SPEED) {
			if (!parse_device_option(ch, optarg, &opt->dev))
				return EXIT_USAGE;
			device_option = true;
			speed_given = speed_given || ch == OPT_SPEED;
			from_given = from_given || ch == OPT_FROM;
			layout_given = layout_given || ch == OPT_KIOSKS || ch == OPT_HUMAN_WINDOW ||
				       ch == OPT_API_PORT;
			continue;
		}
		switch (ch) {
		case 'f':
			opt->fast = true;
			break;
		case 'x':
			opt->devices = true;
			break;
		case 'c':
			opt->config_path = optarg;
			break;
		case 'd':
			opt->db_path = optarg;
			break;
		case 's':
			if (!parse_u64(optarg, &opt->seed)) {
				fprintf(stderr,
					"hallsim: --seed: expected a number 0 .. 2^64-1, "
					"found \"%s\"\n",
					optarg);
				return EXIT_USAGE;
			}
			break;
		case 'D':
			date_given = true;
			if (!parse_date(optarg, &opt->date)) {
				fprintf(stderr,
					"hallsim: --date: expected a date YYYY-MM-DD, "
					"found \"%s\"\n",
					optarg);
				return EXIT_USAGE;
			}
			break;
		case 'n':
			if (!parse_u64(optarg, &n) || n < 1 || n > MAX_DAYS) {
				fprintf(
				    stderr,
				    "hallsim: --days: expected a number 1 .. %d, found \"%s\"\n",
				    MAX_DAYS, optarg);
				return EXIT_USAGE;
			}
			opt->days = (int)n;
			break;
		case 'l':
			errno = 0;
			opt->load = strtod(optarg, &end);
			if (errno || end == optarg || *end ||
			    !(opt->load >= 0.05 && opt->load <= 1.5)) {
				fprintf(stderr,
					"hallsim: --load: expected a factor 0.05 .. 1.5, found "
					"\"%s\"\n",
					optarg);
				return EXIT_USAGE;
			}
			break;
		case 'q':
			opt->quiet = true;
			break;
		case 'v':
			opt->verify = true;
			break;
		case 'h':
			usage(stdout);
			return EXIT_SUCCESS;
		case 'V':
			printf("hallsim (hallq) %s\n", HALLQ_VERSION);
			return EXIT_SUCCESS;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "hallsim: unexpected argument \"%s\"\n", argv[optind]);
		return EXIT_USAGE;
	}
	if (opt->fast == opt->devices) {
		fprintf(stderr, "hallsim: give --fast or --devices (one of them)\n");
		return EXIT_USAGE;
	}
	if (opt->fast && device_option) {
		fprintf(stderr, "hallsim: --speed, --from, --until, --work, --tickets, --kiosks, "
				"--human-window, --api-port, --report and the program paths are "
				"device mode's (--devices)\n");
		return EXIT_USAGE;
	}
	if (opt->devices && (opt->days != 1 || opt->verify)) {
		fprintf(stderr, "hallsim: --days and --verify are fast mode's; device mode plays "
				"one day\n");
		return EXIT_USAGE;
	}
	if (opt->devices && opt->dev.until_min >= 0 && opt->dev.until_min <= opt->dev.from_min) {
		fprintf(stderr, "hallsim: --until must come after --from\n");
		return EXIT_USAGE;
	}
	if (opt->dev.prepare || opt->dev.attach) {
		const char *mode = opt->dev.prepare ? "--prepare" : "--attach";
		if (opt->dev.prepare && opt->dev.attach) {
			fprintf(stderr, "hallsim: give --prepare or --attach, not both\n");
			return EXIT_USAGE;
		}
		if (!opt->config_path || !opt->dev.work_dir) {
			fprintf(stderr, "hallsim: %s needs --config FILE and --work DIR\n", mode);
			return EXIT_USAGE;
		}
		if (opt->dev.attach && (date_given || from_given || layout_given)) {
			fprintf(stderr,
				"hallsim: --attach takes the day and the time from hostd's clock, "
				"and the kiosks, windows and port from WORK/hall.json: --date, "
				"--from, --kiosks, --human-window and --api-port are not its\n");
			return EXIT_USAGE;
		}
		if (opt->dev.prepare && opt->db_path) {
			fprintf(stderr,
				"hallsim: --prepare writes no database: give --db to hostd\n");
			return EXIT_USAGE;
		}
		if (opt->dev.attach && !speed_given)
			opt->dev.speed = 1; /* hostd's clock is real time unless told */
		return -1;
	}
	if (!opt->config_path || !opt->db_path) {
		fprintf(stderr, "hallsim: %s needs --config FILE and --db FILE\n",
			opt->fast ? "--fast" : "--devices");
		return EXIT_USAGE;
	}
	return -1;
}

static int32_t day_of(const struct tm *tm)
{
	return (int32_t)((tm->tm_year + 1900) * 10000 + (tm->tm_mon + 1) * 100 + tm->tm_mday);
}

/* The calendar day `plus` days after day, and its weekday. */
static int32_t add_days(int32_t day, int plus, int *wday)
{
	struct tm tm = {.tm_year = day / 10000 - 1900,
			.tm_mon = day / 100 % 100 - 1,
			.tm_mday = day % 100 + plus,
			.tm_hour = 12, /* clear of any DST step at midnight */
			.tm_isdst = -1};

	mktime(&tm);
	if (wday)
		*wday = tm.tm_wday;
	return day_of(&tm);
}

/* The first workday after today (step 1) or the last one before today
 * (step -1), local time. */
static int32_t near_workday(const struct engine_hall *hall, int step)
{
	time_t now = time(NULL);
	struct tm tm;
	int wday;

	localtime_r(&now, &tm);
	int32_t today = day_of(&tm);
	for (int k = 1; k <= 7; k++) {
		int32_t day = add_days(today, k * step, &wday);
		if (hall->hours.workdays & (1u << wday))
			return day;
	}
	return add_days(today, step, NULL);
}

static const char *const wday_names[7] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

static void print_day(const struct sim_day_summary *d)
{
	printf("%04d-%02d-%02d %s ", (int)(d->day / 10000), (int)(d->day / 100 % 100),
	       (int)(d->day % 100), wday_names[d->wday]);
	if (!d->workday) {
		printf("closed\n");
		return;
	}
	printf("issued=%d served=%d no_shows=%d expired=%d refused=%d mean_wait_s=%.0f\n",
	       d->issued, d->finished, d->no_shows, d->expired, d->refused, d->mean_wait_s);
}

static double seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Opens the database and records the config in it, as hostd does. */
static int open_store(const struct options *opt, const struct config *cfg, struct store **st)
{
	char err[512], abs_config[PATH_MAX];
	int32_t last = 0;
	int rc = store_open(opt->db_path, st, err, sizeof(err));

	if (rc != STORE_OK) {
		fprintf(stderr, "hallsim: %s\n", err);
		return EXIT_FAILED;
	}
	rc = store_last_day(*st, &last);
	if (rc != STORE_OK || last != 0) {
		if (rc != STORE_OK)
			fprintf(stderr, "hallsim: %s: cannot read the journal: %s\n", opt->db_path,
				store_strerror(rc));
		else
			fprintf(stderr,
				"hallsim: %s: already holds a journal (up to day %d); hallsim "
				"writes a new one: give a new file\n",
				opt->db_path, (int)last);
		return EXIT_FAILED;
	}
	if (store_put_meta(*st, "config", cfg->source) != STORE_OK ||
	    store_put_meta(*st, "config_path",
			   realpath(opt->config_path, abs_config) ? abs_config
								  : opt->config_path) != STORE_OK) {
		fprintf(stderr, "hallsim: %s: cannot record the config in the database\n",
			opt->db_path);
		return EXIT_FAILED;
	}
	return EXIT_SUCCESS;
}

/* Each day replayed from the journal gives the digest the simulation had. */
static int verify(const struct config *cfg, struct store *st, const int32_t *days,
		  const uint64_t *digests, int n)
{
	char err[256];
	uint64_t digest;

	for (int k = 0; k < n; k++) {
		if (replay_day(st, &cfg->hall, days[k], &digest, err, sizeof(err)) != 0) {
			fprintf(stderr, "hallsim: verify: %s\n", err);
			return EXIT_FAILED;
		}
		if (digest != digests[k]) {
			fprintf(stderr,
				"hallsim: verify: day %d replays to another state than the one "
				"simulated\n",
				(int)days[k]);
			return EXIT_FAILED;
		}
	}
	printf("hallsim: verify: %d day%s replayed from the journal to the state simulated\n", n,
	       n == 1 ? "" : "s");
	return EXIT_SUCCESS;
}

static int simulate(const struct options *opt, const struct config *cfg, struct store *st)
{
	int32_t days[MAX_DAYS];
	uint64_t digests[MAX_DAYS];
	const char *staff[ENGINE_MAX_WINDOWS];
	struct sim_config sc = {.hall = &cfg->hall, .seed = opt->seed, .store = st};
	struct sim_day_summary sum;
	long tickets = 0;
	int workdays = 0, rc = 0;
	double t0 = seconds();

	model_default_params(&sc.params);
	sc.params.load = opt->load;
	for (int w = 0; w < cfg->hall.n_windows && w < cfg->n_staff; w++)
		staff[w] = cfg->staff[w].id;
	sc.staff = staff;
	sc.n_staff = cfg->n_staff < cfg->hall.n_windows ? cfg->n_staff : cfg->hall.n_windows;
	struct sim *s = sim_new(&sc);
	if (!s) {
		fprintf(stderr, "hallsim: out of memory\n");
		return EXIT_FAILED;
	}
	for (int k = 0; k < opt->days && rc == 0; k++) {
		days[k] = add_days(opt->date, k, NULL);
		rc = sim_run_day(s, days[k], &sum);
		if (rc == 0) {
			digests[k] = sum.digest;
			tickets += sum.issued;
			workdays += sum.workday;
			if (!opt->quiet)
				print_day(&sum);
		}
	}
	if (rc == 0)
		rc = sim_finish(s);
	if (rc != 0) {
		fprintf(stderr, "hallsim: %s\n", sim_error(s));
		sim_free(s);
		return EXIT_FAILED;
	}
	sim_free(s);
	printf("hallsim: %d day%s (%d workday%s), %ld tickets, seed %llu, in %.2f s\n", opt->days,
	       opt->days == 1 ? "" : "s", workdays, workdays == 1 ? "" : "s", tickets,
	       (unsigned long long)opt->seed, seconds() - t0);
	return opt->verify ? verify(cfg, st, days, digests, opt->days) : EXIT_SUCCESS;
}

int main(int argc, char **argv)
{
	struct options opt = {
	    .seed = 1,
	    .days = 1,
	    .load = 0.8,
	    .dev = {.speed = 60,
		    .from_min = 8 * 60,
		    .until_min = -1,
		    .kiosks = 2,
		    .api_port = -1,
		    .report = "table",
		    .prog = {HALLSIM_HOSTD, HALLSIM_LINEPROXY, HALLSIM_KIOSK_FW, HALLSIM_WINDOW_FW,
			     HALLSIM_DISPLAY_FW, HALLSIM_HALLCTL}}};
	struct config_report report = {0};
	struct config *cfg = NULL;
	struct store *st = NULL;
	int status = parse_options(argc, argv, &opt);

	if (status >= 0)
		return status;
	cfg = config_load(opt.config_path, &report);
	if (!cfg) {
		fputs(report.text ? report.text : "", stderr);
		fprintf(stderr, "hallsim: %s: %d error%s\n", opt.config_path, report.n_errors,
			report.n_errors == 1 ? "" : "s");
		config_report_clear(&report);
		return EXIT_USAGE;
	}
	/* The business day, hours and numbering follow the hall's time zone. */
	setenv("TZ", cfg->timezone, 1);
	tzset();
	if (!opt.date)
		/* device mode: a day hallctl, which reads the real clock, can
		 * report in full */
		opt.date = near_workday(&cfg->hall, opt.devices ? -1 : 1);
	if (opt.devices) {
		opt.dev.config_path = opt.config_path;
		opt.dev.db_path = opt.db_path;
		opt.dev.seed = opt.seed;
		opt.dev.date = opt.date;
		opt.dev.load = opt.load;
		opt.dev.quiet = opt.quiet;
		status = devmode_run(&opt.dev, cfg);
		config_free(cfg);
		return status;
	}
	status = open_store(&opt, cfg, &st);
	if (status == EXIT_SUCCESS)
		status = simulate(&opt, cfg, st);
	store_close(st);
	config_free(cfg);
	return status;
}
