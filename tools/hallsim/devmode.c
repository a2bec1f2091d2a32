/*
 * devmode.c — device mode's run (devmode.h): the work folder, the
 * database check, the derived config and the programs (rig.c), the day
 * (drive.c), everything stopped, the day's report (hallctl).
 *
 * Room: tools/hallsim. The database is opened through hostd/store only to
 * check that it holds no journal yet (as fast mode does), and closed
 * before hostd opens it; hostd alone writes it.
 */
#define _DEFAULT_SOURCE /* localtime_r, mkdtemp */
#include "devmode.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "attach.h"
#include "drive.h"
#include "store/store.h"

enum {
	EXIT_FAILED = 1,
	EXIT_USAGE = 2,
	LEAD_S = 3,
	ATTACH_TIMEOUT_S = 75
}; /* hostd retries an offline device at most every 30 s */

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static int64_t local_time(int32_t day, int minute)
{
	struct tm tm = {.tm_year = day / 10000 - 1900,
			.tm_mon = day / 100 % 100 - 1,
			.tm_mday = day % 100,
			.tm_hour = minute / 60,
			.tm_min = minute % 60,
			.tm_isdst = -1};

	return (int64_t)mktime(&tm);
}

/* The database must hold no journal yet: hostd writes the day anew. */
static int check_db(const char *path)
{
	char err[512];
	struct store *st = NULL;
	int32_t last = 0;

	if (store_open(path, &st, err, sizeof(err)) != STORE_OK) {
		fprintf(stderr, "hallsim: %s\n", err);
		return EXIT_FAILED;
	}
	int rc = store_last_day(st, &last);
	store_close(st);
	if (rc != STORE_OK || last != 0) {
		fprintf(stderr,
			"hallsim: %s: already holds a journal%s; device mode plays a day into a "
			"new database: give a new file\n",
			path, rc == STORE_OK ? "" : " (or cannot be read)");
		return EXIT_FAILED;
	}
	return 0;
}

/* The token of a role (and window, for "window") from the tokens file. */
static bool find_token(const char *tokens_file, const char *role, int window, char *out,
		       size_t size)
{
	FILE *f = fopen(tokens_file, "r");
	char buf[65536];
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
	bool found = false;
	cJSON *t;

	if (f)
		fclose(f);
	buf[n] = 0;
	cJSON *root = cJSON_Parse(buf);
	cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(root, "tokens"))
	{
		const char *r = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(t, "role"));
		const char *v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(t, "token"));
		cJSON *w = cJSON_GetObjectItemCaseSensitive(t, "window");
		if (!found && r && v && strcmp(r, role) == 0 &&
		    (!window || (cJSON_IsNumber(w) && w->valueint == window))) {
			snprintf(out, size, "%s", v);
			found = true;
		}
	}
	cJSON_Delete(root);
	return found;
}

static void print_urls(const struct devmode_options *o, const struct config *cfg, int port)
{
	char token[256];

	if (find_token(cfg->api.tokens_file, "display", 0, token, sizeof(token)))
		printf("hallsim: hall display: http://127.0.0.1:%d/hall.html?token=%s\n", port,
		       token);
	if (!o->human_window)
		return;
	if (find_token(cfg->api.tokens_file, "window", o->human_window, token, sizeof(token)))
		printf("hallsim: window %d is yours (no simulated terminal): "
		       "http://127.0.0.1:%d/window.html?token=%s&window=%d\n",
		       o->human_window, port, token, o->human_window);
	else
		printf("hallsim: window %d has no simulated terminal, and %s has no window token "
		       "for it\n",
		       o->human_window, cfg->api.tokens_file);
}

static int make_dirs(const struct devmode_options *o, char *work, size_t work_size, char *tickets,
		     size_t tickets_size)
{
	if (o->work_dir) {
		snprintf(work, work_size, "%s", o->work_dir);
		if (mkdir(work, 0755) != 0 && errno != EEXIST) {
			fprintf(stderr, "hallsim: cannot create %s: %s\n", work, strerror(errno));
			return EXIT_FAILED;
		}
	} else {
		const char *tmp = getenv("TMPDIR");
		snprintf(work, work_size, "%s/hallsim-XXXXXX", tmp && *tmp ? tmp : "/tmp");
		if (!mkdtemp(work)) {
			fprintf(stderr, "hallsim: cannot create a work folder: %s\n",
				strerror(errno));
			return EXIT_FAILED;
		}
	}
	if (o->tickets_dir)
		snprintf(tickets, tickets_size, "%s", o->tickets_dir);
	else if ((size_t)snprintf(tickets, tickets_size, "%s/tickets", work) >= tickets_size) {
		fprintf(stderr, "hallsim: %s: too long a path\n", work);
		return EXIT_FAILED;
	}
	if (mkdir(tickets, 0755) != 0 && errno != EEXIST) {
		fprintf(stderr, "hallsim: cannot create %s: %s\n", tickets, strerror(errno));
		return EXIT_FAILED;
	}
	return 0;
}

static void hhmm(int64_t t, char *out, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	localtime_r(&tt, &tm);
	snprintf(out, size, "%02d:%02d", tm.tm_hour, tm.tm_min);
}

/* --prepare: the derived config, and how to run hostd on it. */
static int prepare(const struct devmode_options *o, const struct config *cfg, struct rig *rig,
		   struct rig_options *ro, char *err, size_t err_size)
{
	if (rig_write_config(rig, ro, cfg, err, err_size) != 0) {
		fprintf(stderr, "hallsim: %s\n", err);
		return EXIT_FAILED;
	}
	printf("hallsim: wrote %s; run hostd on it, for example\n"
	       "  %s --config %s --db DB [--clock-start 'YYYY-MM-DD HH:MM:SS' --clock-speed N]\n"
	       "then play the hall on it with\n"
	       "  hallsim --devices --attach --config %s --work %s --db DB [--speed N]\n",
	       rig->config_path, o->prog.hostd, rig->config_path, o->config_path, o->work_dir);
	return 0;
}

/* --attach: hostd runs on the prepared config; its clock is the day's. */
static int attach(struct devmode_options *o, const struct config *cfg, struct rig *rig,
		  struct drive_options *dr, char *err, size_t err_size)
{
	struct attach_clock clk;
	char token[256];

	if (!find_token(cfg->api.tokens_file, "display", 0, token, sizeof(token))) {
		snprintf(err, err_size, "%s: no display token to read hostd's state with",
			 cfg->api.tokens_file);
		return -1;
	}
	if (attach_hostd(rig->api_port, token, o->speed, ATTACH_TIMEOUT_S, &clk, err, err_size) !=
	    0)
		return -1;
	time_t t = (time_t)clk.sim_s;
	struct tm tm;
	localtime_r(&t, &tm);
	o->date = clk.day;
	o->from_min = tm.tm_hour * 60 + tm.tm_min;
	if (o->until_min >= 0 && o->until_min <= o->from_min) {
		snprintf(err, err_size, "hostd's clock is at %02d:%02d already, past --until",
			 tm.tm_hour, tm.tm_min);
		return -1;
	}
	dr->day = clk.day;
	dr->start_s = clk.sim_s;
	/* "now" is whole seconds: the reading was half a second in, on average */
	dr->origin = clk.real_s - 0.5 / o->speed;
	return 0;
}

int devmode_run(const struct devmode_options *opts, const struct config *cfg)
{
	struct devmode_options copy = *opts, *o = &copy;
	char work[RIG_PATH_SIZE - 64], tickets[RIG_PATH_SIZE - 64], seen[RIG_PATH_SIZE];
	char start[64], date[32], err[2048], when[16];
	struct rig *rig = calloc(1, sizeof(*rig));
	struct rig_options ro = {.prog = o->prog,
				 .db_path = o->db_path,
				 .kiosks = o->kiosks,
				 .human_window = o->human_window,
				 .api_port = o->api_port,
				 .speed = o->speed,
				 .lead_s = LEAD_S};
	struct drive_options dr = {.cfg = cfg,
				   .seed = o->seed,
				   .day = o->date,
				   .speed = o->speed,
				   .quiet = o->quiet,
				   .stop = &stop_flag};
	struct drive_summary sum;
	int status = EXIT_FAILED;
	bool ran = false; /* the day was played: there is something to report */

	if (!rig) {
		fprintf(stderr, "hallsim: out of memory\n");
		return EXIT_FAILED;
	}
	snprintf(date, sizeof(date), "%04d-%02d-%02d", (int)(o->date / 10000),
		 (int)(o->date / 100 % 100), (int)(o->date % 100));
	snprintf(start, sizeof(start), "%s %02d:%02d:00", date, o->from_min / 60, o->from_min % 60);
	if (make_dirs(o, work, sizeof(work), tickets, sizeof(tickets)) != 0 ||
	    (!o->prepare && !o->attach && check_db(o->db_path) != 0))
		goto done;
	ro.work_dir = work;
	ro.tickets_dir = tickets;
	ro.clock_start = start;
	if (o->prepare) {
		status = prepare(o, cfg, rig, &ro, err, sizeof(err));
		goto done;
	}
	if (o->attach) {
		if (rig_load_config(rig, &ro, cfg, err, sizeof(err)) != 0) {
			fprintf(stderr, "hallsim: %s\n", err);
			goto done;
		}
		o->human_window = 0; /* the window the prepared config left to a person */
		for (int w = 0; w < cfg->hall.n_windows && !o->human_window; w++)
			if (!rig->terminal_sock[w][0])
				o->human_window = cfg->hall.windows[w].number;
	} else if (rig_write_config(rig, &ro, cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "hallsim: %s\n", err);
		goto done;
	}

	struct sigaction sa = {.sa_handler = on_signal};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (o->attach)
		printf("hallsim: device mode attached to hostd on port %d (%s), at %gx, seed %llu; "
		       "work folder %s\n",
		       rig->api_port, rig->config_path, o->speed, (unsigned long long)o->seed,
		       work);
	else
		printf("hallsim: device mode: %s from %02d:%02d at %gx, seed %llu; work folder "
		       "%s\n",
		       date, o->from_min / 60, o->from_min % 60, o->speed,
		       (unsigned long long)o->seed, work);
	print_urls(o, cfg, rig->api_port);
	printf("hallsim: tickets are saved as pictures in %s\n", tickets);
	fflush(stdout);
	if (rig_start_devices(rig, &ro, cfg, err, sizeof(err)) != 0 ||
	    (o->attach ? attach(o, cfg, rig, &dr, err, sizeof(err))
		       : rig_start_hostd(rig, &ro, err, sizeof(err))) != 0) {
		fprintf(stderr, "hallsim: %s\n", err);
		goto stop;
	}
	if (o->attach)
		snprintf(date, sizeof(date), "%04d-%02d-%02d", (int)(o->date / 10000),
			 (int)(o->date / 100 % 100), (int)(o->date % 100));
	int terms = 0;
	for (int w = 0; w < cfg->hall.n_windows; w++)
		terms += rig->terminal_sock[w][0] != 0;
	printf("hallsim: hostd %s; %d window terminal%s on RS-485 (lineproxy), %d kios%s and "
	       "the hall display on Modbus TCP; Ctrl-C ends the day early\n",
	       o->attach ? "attached, its devices online" : "ready", terms, terms == 1 ? "" : "s",
	       rig->n_kiosks, rig->n_kiosks == 1 ? "k" : "ks");
	if (o->attach)
		printf("hallsim: hostd's clock: %s %02d:%02d\n", date, o->from_min / 60,
		       o->from_min % 60);
	fflush(stdout);

	model_default_params(&dr.params);
	dr.params.load = o->load;
	if (!o->attach) {
		dr.day = o->date;
		dr.start_s = local_time(o->date, o->from_min);
		dr.origin = rig->origin;
	}
	if (o->until_min >= 0) {
		dr.until_s = local_time(o->date, o->until_min);
	} else {
		int last = cfg->hall.hours.n_sessions
			       ? cfg->hall.hours.sessions[cfg->hall.hours.n_sessions - 1].end_min
			       : 18 * 60;
		dr.until_s = local_time(o->date, last) + dr.params.overtime_max_s + 600;
	}
	dr.rig = rig;
	snprintf(seen, sizeof(seen), "%s/seen.tsv", work);
	dr.seen_path = seen;
	status = drive_run(&dr, &sum, err, sizeof(err)) == 0 ? 0 : EXIT_FAILED;
	ran = true;
	if (status != 0)
		fprintf(stderr, "hallsim: %s\n", err);
	hhmm(sum.ended_s, when, sizeof(when));
	printf("hallsim: stopped at %s (%s): %d citizens came, %d tickets printed, %d refused, "
	       "%d calls, %d served, %d no-shows, %d ratings; %d key%s not taken as planned\n",
	       when,
	       stop_flag      ? "signal"
	       : sum.day_over ? "the day is over"
	       : status       ? "failure"
			      : "--until",
	       sum.citizens, sum.printed, sum.refused, sum.calls, sum.finished, sum.no_shows,
	       sum.ratings, sum.problems, sum.problems == 1 ? "" : "s");
stop:
	rig_stop(rig);
	if (ran && strcmp(o->report, "none") != 0 && !o->db_path) {
		printf("hallsim: no --db given: no report (hallctl report --period day --date %s "
		       "--db DB --config %s)\n",
		       date, rig->config_path);
	} else if (ran && strcmp(o->report, "none") != 0) {
		printf("hallsim: the day's report (hallctl report --period day --date %s):\n",
		       date);
		if (rig_report(rig, &ro, date, o->report) != 0) {
			fprintf(stderr, "hallsim: hallctl report failed\n");
			status = EXIT_FAILED;
		}
	}
done:
	free(rig);
	return status;
}
