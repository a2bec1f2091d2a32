/*
 * main.c — hostd: wiring only. Parse options, load the hall config, open
 * the store, start the core, bus and API threads, say "ready" (to systemd
 * too), wait for SIGINT/SIGTERM, reload the API tokens on SIGHUP, close
 * everything.
 *
 * Room: hostd. Only main() exits the process. The signal mask is set
 * before any thread starts so that only this thread receives the signals.
 *
 * Exit status: 0 after a clean stop or a good --check-config, 1 when the
 * database or the system fails, 2 for a bad config or bad options.
 */
#define _DEFAULT_SOURCE /* realpath */

#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "api/api.h"
#include "config/config.h"
#include "core/core.h"
#include "devices/devices.h"
#include "log/log.h"
#include "service/service.h"
#include "store/store.h"
#include "voice.h"

enum {
	EXIT_FAILED = 1,
	EXIT_BAD_CONFIG = 2,
	CORE_QUEUE_CAPACITY = 1024, /* requests waiting for the core */
};

struct options {
	const char *config_path;
	const char *db_path;
	const char *check_path;
	enum log_level level;
	enum log_sink sink;
	/* a simulated clock (hallsim): local start time, speed, real origin */
	const char *clock_start;
	double clock_speed;
	double clock_origin;
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: hostd --config FILE [--db FILE] [--log-level LEVEL] [--syslog]\n"
		"             [--clock-start 'YYYY-MM-DD HH:MM:SS' [--clock-speed N]\n"
		"              [--clock-origin EPOCH]]\n"
		"       hostd --check-config FILE\n"
		"\n"
		"hallq's host daemon: issues tickets, dispatches them to windows and\n"
		"records every wait and handling time.\n"
		"\n"
		"  -c, --config FILE        the hall configuration (see docs/config.md)\n"
		"  -d, --db FILE            the SQLite database, created if missing\n"
		"                           (default: $STATE_DIRECTORY/hallq.db, else ./hallq.db)\n"
		"  -C, --check-config FILE  check FILE, print \"FILE: ok\" or every error, exit\n"
		"  -l, --log-level LEVEL    error, warn, info (default) or debug\n"
		"  -s, --syslog             log to syslog instead of stderr\n"
		"      --clock-start TIME   simulate: the hall's clock starts at this local time\n"
		"      --clock-speed N      ... and runs N times as fast (1-3600, default 1)\n"
		"      --clock-origin EPOCH ... from this real time (epoch seconds; default: now)\n"
		"  -h, --help               show this help\n"
		"  -V, --version            show the version\n"
		"\n"
		"Signals: SIGTERM or SIGINT stop hostd; SIGHUP reads the API tokens file again.\n"
		"Exit status: 0 stopped cleanly or config ok, 1 failure, 2 bad config, tokens\n"
		"file or options.\n");
}

/* Returns -1 to go on, or the exit status for main(). */
static int parse_options(int argc, char **argv, struct options *opt)
{
	static const struct option longs[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"db", required_argument, NULL, 'd'},
	    {"check-config", required_argument, NULL, 'C'},
	    {"log-level", required_argument, NULL, 'l'},
	    {"syslog", no_argument, NULL, 's'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {"clock-start", required_argument, NULL, 'T'},
	    {"clock-speed", required_argument, NULL, 'S'},
	    {"clock-origin", required_argument, NULL, 'O'},
	    {NULL, 0, NULL, 0},
	};
	int ch, level;

	while ((ch = getopt_long(argc, argv, "c:d:C:l:shV", longs, NULL)) != -1) {
		switch (ch) {
		case 'c':
			opt->config_path = optarg;
			break;
		case 'd':
			opt->db_path = optarg;
			break;
		case 'C':
			opt->check_path = optarg;
			break;
		case 'l':
			level = log_level_parse(optarg);
			if (level < 0) {
				fprintf(stderr,
					"hostd: --log-level: expected error, warn, info or debug, "
					"found \"%s\"\n",
					optarg);
				return EXIT_BAD_CONFIG;
			}
			opt->level = (enum log_level)level;
			break;
		case 's':
			opt->sink = LOG_SINK_SYSLOG;
			break;
		case 'T':
			opt->clock_start = optarg;
			break;
		case 'S':
		case 'O': {
			char *end = NULL;
			errno = 0;
			double v = strtod(optarg, &end);
			bool speed = ch == 'S';
			if (errno || end == optarg || *end ||
			    !(speed ? v >= 1 && v <= 3600 : v > 0)) {
				fprintf(stderr, "hostd: --%s: expected %s, found \"%s\"\n",
					speed ? "clock-speed" : "clock-origin",
					speed ? "a number from 1 to 3600" : "epoch seconds",
					optarg);
				return EXIT_BAD_CONFIG;
			}
			*(speed ? &opt->clock_speed : &opt->clock_origin) = v;
			break;
		}
		case 'h':
			usage(stdout);
			return EXIT_SUCCESS;
		case 'V':
			printf("hostd (hallq) %s\n", HALLQ_VERSION);
			return EXIT_SUCCESS;
		default:
			usage(stderr);
			return EXIT_BAD_CONFIG;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "hostd: unexpected argument \"%s\"\n", argv[optind]);
		usage(stderr);
		return EXIT_BAD_CONFIG;
	}
	if ((opt->clock_speed || opt->clock_origin) && !opt->clock_start) {
		fprintf(stderr, "hostd: --clock-speed and --clock-origin need --clock-start\n");
		return EXIT_BAD_CONFIG;
	}
	if (!opt->check_path && !opt->config_path) {
		fprintf(stderr, "hostd: --config FILE is required (try config/hall.json)\n");
		usage(stderr);
		return EXIT_BAD_CONFIG;
	}
	return -1;
}

static int check_config(const char *path)
{
	struct config_report report = {0};
	struct config *cfg = config_load(path, &report);
	int status = EXIT_SUCCESS;

	if (cfg) {
		printf("%s: ok\n", path);
	} else {
		fputs(report.text ? report.text : "", stdout);
		fprintf(stderr, "%s: %d error%s\n", path, report.n_errors,
			report.n_errors == 1 ? "" : "s");
		status = EXIT_BAD_CONFIG;
	}
	config_free(cfg);
	config_report_clear(&report);
	return status;
}

static const char *default_db_path(char *buf, size_t size)
{
	const char *dir = getenv("STATE_DIRECTORY"); /* systemd's StateDirectory= */

	if (dir && *dir && !strchr(dir, ':')) {
		snprintf(buf, size, "%s/hallq.db", dir);
		return buf;
	}
	return "hallq.db";
}

/* ---- what the API asks of the devices ---- */

struct wiring {
	const struct config *cfg;
	struct devices *devices;
	struct api *api;
};

static const char *device_type_name(enum config_device_type t)
{
	switch (t) {
	case CONFIG_DEVICE_KIOSK:
		return "kiosk";
	case CONFIG_DEVICE_WINDOW_TERMINAL:
		return "window_terminal";
	default:
		return "hall_display";
	}
}

static bool fill_device(const struct wiring *w, int i, struct api_device *out)
{
	memset(out, 0, sizeof(*out));
	snprintf(out->id, sizeof(out->id), "%s", w->cfg->devices[i].id);
	out->type = device_type_name(w->cfg->devices[i].type);
	return devices_status(w->devices, i, &out->online, &out->printer);
}

static int list_devices(void *arg, struct api_device *out, int max)
{
	const struct wiring *w = arg;
	int n = 0;

	for (int i = 0; i < w->cfg->n_devices && n < max; i++)
		if (fill_device(w, i, &out[n]))
			n++;
	return n;
}

static void device_changed(void *arg, int i)
{
	const struct wiring *w = arg;
	struct api_device d;

	if (w->api && fill_device(w, i, &d))
		api_device_changed(w->api, &d);
}

/* The day's last calls, newest first, for the API's recent calls. */
struct restoring {
	struct api *api;
	int32_t day;
};

static int restore_api_call(void *arg, const struct store_call *c)
{
	const struct restoring *r = arg;

	api_restore_call(r->api, r->day, c->ticket, c->service, c->window, c->at_s, c->recall);
	return 0;
}

/* ---- calls said aloud ---- */

struct caller {
	const struct config *cfg;
	struct voice *voice;
};

/* A core observer: each call and recall is queued for the voice. */
static void announce(void *arg, const struct core_change *ch)
{
	const struct caller *c = arg;
	const struct core_request *r = ch->req;
	char label[8];

	if (!r)
		return; /* the store started or stopped failing */
	enum engine_op op = r->cmd.op;
	if (op != ENGINE_OP_CALL_NEXT && op != ENGINE_OP_CALL_TICKET && op != ENGINE_OP_CALL_BACK &&
	    op != ENGINE_OP_RECALL)
		return;
	if (r->res.ticket == ENGINE_NO_TICKET || r->res.window < 0)
		return;
	voice_announce(c->voice, engine_ticket_label(&r->ticket, label),
		       c->cfg->hall.windows[r->res.window].number, op == ENGINE_OP_RECALL);
}

/* The voice the config asks for; a voice that cannot start is logged and
 * the hall goes on without it. NULL only when the config has none. */
static struct voice *start_voice(const struct config *cfg)
{
	struct voice_conf vc = {.enabled = cfg->voice.enabled,
				.output = cfg->voice.output == CONFIG_VOICE_WAV ? VOICE_OUT_WAV
										: VOICE_OUT_DEVICE,
				.repeat = cfg->voice.repeat,
				.rate = cfg->voice.rate};
	char err[512];

	if (!cfg->voice.enabled)
		return NULL;
	snprintf(vc.wav_dir, sizeof(vc.wav_dir), "%s", cfg->voice.wav_dir);
	if (vc.output == VOICE_OUT_WAV && mkdir(vc.wav_dir, 0755) != 0 && errno != EEXIST)
		log_warn("voice: cannot make %s: %s", vc.wav_dir, strerror(errno));
	struct voice *v = voice_new(&vc, err, (int)sizeof(err));
	if (!v)
		log_error("%s; calls are not said aloud", err);
	else
		log_info("voice: calls are said aloud (%s)",
			 vc.output == VOICE_OUT_WAV ? vc.wav_dir : "sound device");
	return v;
}

/*
 * Blocks until SIGINT or SIGTERM and returns it. On SIGHUP, reads the API
 * tokens file again: a bad file is logged and the old tokens stay.
 */
static int wait_for_stop(const sigset_t *signals, struct api *api)
{
	char err[2048];
	int sig = 0;

	for (;;) {
		if (sigwait(signals, &sig) != 0)
			continue;
		if (sig != SIGHUP)
			return sig;
		log_info("SIGHUP received: reading the API tokens again");
		if (api_reload_tokens(api, err, (int)sizeof(err)) != 0) {
			log_error("the tokens file was not taken, the old tokens stay in force:");
			for (char *save = NULL, *line = strtok_r(err, "\n", &save); line;
			     line = strtok_r(NULL, "\n", &save))
				log_error("%s", line);
			service_status("serving; the last tokens reload failed (see the log)");
		} else {
			service_status("serving; tokens reloaded");
		}
	}
}

/* "YYYY-MM-DD HH:MM[:SS]" (or with a T) in the local time zone; false if
 * it is not such a time that exists. */
static bool parse_local_time(const char *text, int64_t *out)
{
	int y, mo, d, h, mi, sec = 0, n = -1;
	char sep = 0;
	size_t len = strlen(text);

	if (!(sscanf(text, "%4d-%2d-%2d%c%2d:%2d:%2d%n", &y, &mo, &d, &sep, &h, &mi, &sec, &n) ==
		  7 &&
	      n == (int)len)) {
		sec = 0, n = -1;
		if (!(sscanf(text, "%4d-%2d-%2d%c%2d:%2d%n", &y, &mo, &d, &sep, &h, &mi, &n) == 6 &&
		      n == (int)len))
			return false;
	}
	if (sep != ' ' && sep != 'T')
		return false;
	struct tm tm = {.tm_year = y - 1900,
			.tm_mon = mo - 1,
			.tm_mday = d,
			.tm_hour = h,
			.tm_min = mi,
			.tm_sec = sec,
			.tm_isdst = -1};
	time_t t = mktime(&tm);
	if (t == (time_t)-1 || tm.tm_year != y - 1900 || tm.tm_mon != mo - 1 || tm.tm_mday != d ||
	    tm.tm_hour != h || tm.tm_min != mi || tm.tm_sec != sec)
		return false;
	*out = (int64_t)t;
	return true;
}

int main(int argc, char **argv)
{
	struct options opt = {.level = LOG_LEVEL_INFO, .sink = log_default_sink()};
	struct config_report report = {0};
	struct config *cfg = NULL;
	struct store *st = NULL;
	struct core *core = NULL;
	struct devices *devices = NULL;
	struct api *api = NULL;
	struct voice *voice = NULL;
	struct caller calls = {0};
	struct wiring wiring = {0};
	struct service_watchdog watchdog = {0};
	char db_buf[CONFIG_PATH_SIZE + 16], err[512];
	sigset_t stop;
	int status = parse_options(argc, argv, &opt);

	if (status >= 0)
		return status;
	if (opt.check_path)
		return check_config(opt.check_path);

	log_init("hostd", opt.level, opt.sink);
	/* Before any thread: stop signals are taken by sigwait() alone. Their
	 * action is made the default first: a shell starts a background job
	 * with SIGINT ignored, and sigwait() on an ignored signal may never
	 * see it (POSIX leaves it unspecified; seen here under load). Blocked
	 * in every thread, the default action never runs. */
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGHUP); /* not a stop: the tokens are read again */
	pthread_sigmask(SIG_BLOCK, &stop, NULL);

	cfg = config_load(opt.config_path, &report);
	if (!cfg) {
		fputs(report.text ? report.text : "", stderr);
		log_error("%s: %d error%s, not starting", opt.config_path, report.n_errors,
			  report.n_errors == 1 ? "" : "s");
		status = EXIT_BAD_CONFIG;
		goto out;
	}
	/* The business day, hours and numbering follow the hall's time zone. */
	setenv("TZ", cfg->timezone, 1);
	tzset();
	struct core_clock clock = core_system_clock;
	struct core_scaled_clock scaled = {0};
	if (opt.clock_start) {
		if (!parse_local_time(opt.clock_start, &scaled.start_s)) {
			log_error("--clock-start: expected a local time YYYY-MM-DD HH:MM[:SS] that "
				  "exists in %s, found \"%s\"",
				  cfg->timezone, opt.clock_start);
			status = EXIT_BAD_CONFIG;
			goto out;
		}
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		scaled.origin_s = opt.clock_origin ? opt.clock_origin
						   : (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
		scaled.speed = opt.clock_speed ? opt.clock_speed : 1;
		clock = core_scaled_clock(&scaled);
		log_info("simulated clock: %s at real time %.3f, %g times as fast", opt.clock_start,
			 scaled.origin_s, scaled.speed);
	}
	const char *db_path = opt.db_path ? opt.db_path : default_db_path(db_buf, sizeof(db_buf));
	int rc = store_open(db_path, &st, err, sizeof(err));
	if (rc != STORE_OK) {
		log_error("%s", err);
		status = EXIT_FAILED;
		goto out;
	}
	/* A database hostd cannot write now (locked by another process, the
	 * disk full) would refuse every ticket: say so and do not start. */
	rc = store_check_write(st, (int64_t)time(NULL));
	if (rc != STORE_OK) {
		log_error("%s: cannot write the database: %s [%s]", db_path, store_strerror(rc),
			  store_last_error(st));
		status = EXIT_FAILED;
		goto out;
	}
	/* Reports (hallctl) read the config the hall runs with from here. */
	char abs_config[PATH_MAX];
	char *public_config = config_public_source(cfg); /* no PINs in the database */
	if (!public_config || store_put_meta(st, "config", public_config) != STORE_OK ||
	    store_put_meta(st, "config_path",
			   realpath(opt.config_path, abs_config) ? abs_config : opt.config_path) !=
		STORE_OK)
		log_warn("%s: cannot record the config in the database", db_path);
	free(public_config);
	/* Read before the core starts: from then on only its thread uses the store. */
	log_info("hall \"%s\": %d services, %d windows, %d devices; database %s (schema %d)",
		 cfg->hall.name, cfg->hall.n_services, cfg->hall.n_windows, cfg->n_devices, db_path,
		 store_schema_version(st));
	core = core_new(&cfg->hall, st, &clock, CORE_QUEUE_CAPACITY, err, (int)sizeof(err));
	if (!core) {
		log_error("%s: %s", db_path, err);
		status = EXIT_FAILED;
		goto out;
	}
	/* Before the core starts: it reads what the store says of each device. */
	devices = devices_new(cfg, core, st, err, (int)sizeof(err));
	if (!devices) {
		log_error("%s", err);
		status = EXIT_FAILED;
		goto out;
	}
	/* The API follows the core from its first command on. */
	wiring = (struct wiring){cfg, devices, NULL};
	struct api_hooks hooks = {list_devices, &wiring};
	api = api_new(cfg, core, &hooks, err, (int)sizeof(err));
	if (!api) {
		log_error("%s", err);
		status = EXIT_BAD_CONFIG;
		goto out;
	}
	wiring.api = api;
	struct restoring restoring = {api, engine_day(core_engine(core))};
	if (store_recent_calls(st, restoring.day, API_RECENT_CALLS, restore_api_call, &restoring) !=
	    STORE_OK)
		log_warn("%s: cannot read the day's last calls: %s", db_path, store_last_error(st));
	devices_listen(devices, device_changed, &wiring);
	voice = start_voice(cfg);
	calls = (struct caller){cfg, voice};
	if (voice && core_observe(core, announce, &calls) != 0)
		log_error("voice: cannot follow the core; calls are not said aloud");
	/* systemd's watchdog is pinged from the core's loop: a hung core stops it. */
	watchdog.period_ms = service_watchdog_period_ms();
	if (watchdog.period_ms > 0) {
		int tick_ms = watchdog.period_ms < 1000 ? watchdog.period_ms : 1000;
		if (core_on_tick(core, service_watchdog_tick, &watchdog, tick_ms) != 0)
			log_error("systemd watchdog: cannot follow the core");
		else
			log_info("systemd watchdog: pinged every %d ms from the core",
				 watchdog.period_ms);
	}
	if (core_start(core) != CORE_OK || devices_start(devices) != 0) {
		log_error("cannot start the core and bus threads");
		status = EXIT_FAILED;
		goto out;
	}
	if (api_start(api, err, (int)sizeof(err)) != 0) {
		log_error("%s", err);
		status = EXIT_FAILED;
		goto out;
	}

	printf("hostd ready: hall \"%s\", database %s\n", cfg->hall.name, db_path);
	fflush(stdout);
	char ready[CONFIG_TEXT_SIZE + 2 * CONFIG_PATH_SIZE + 64];
	snprintf(ready, sizeof(ready), "serving hall \"%s\" on %s port %d, database %s",
		 cfg->hall.name, cfg->api.bind, cfg->api.port, db_path);
	service_ready(ready);

	int sig = wait_for_stop(&stop, api);
	service_stopping();
	log_info("%s received, stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");
	status = EXIT_SUCCESS;
out:
	api_stop(api);         /* its handlers wait on the core: no more requests */
	devices_free(devices); /* the bus threads wait on the core: they stop first */
	core_free(core);       /* answers what it took, then stops */
	api_free(api);         /* after the core: its observer and the devices' listener */
	voice_free(voice);     /* after the core: its observer queues to the voice */
	store_close(st);
	config_free(cfg);
	config_report_clear(&report);
	if (status == EXIT_SUCCESS)
		log_info("stopped");
	return status;
}
