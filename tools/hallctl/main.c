/*
 * hallctl — the supervisors' tool: evaluation reports (窗口工作通报,
 * 《行政审批简报》) and the records the evaluation needs besides the
 * journal: approved leave, complaints and praise, leader-on-duty shifts.
 *
 *   hallctl report --period day|week|month|quarter --date YYYY-MM-DD
 *                  --format table|csv|json|html [--window N] [--output FILE]
 *   hallctl leave --window N --date YYYY-MM-DD [--to-date YYYY-MM-DD]
 *                 [--from HH:MM --until HH:MM] [--staff ID] [--reason TEXT]
 *   hallctl complaint --window N --date YYYY-MM-DD [--time HH:MM] --text TEXT
 *                     [--staff ID] [--ticket A023] [--praise]
 *   hallctl complaint --close ID --result upheld|dismissed [--date D] [--note TEXT]
 *   hallctl duty --window N --date YYYY-MM-DD --leader NAME [--shift am|pm|day]
 *
 * Every command takes --db FILE (default as hostd: $STATE_DIRECTORY/hallq.db,
 * else ./hallq.db) and --config FILE (default: the config hostd recorded
 * in the database). The work is hostd/eval's (eval.h); this file reads the
 * command line, opens the database and the config, and reports. Exit
 * status: 0 done, 1 the database or the system failed, 2 bad usage or a
 * refused record (nothing written), 3 the report was written but its
 * records could not be stored in eval_records. docs/evaluation.md is the
 * spec; tools/hallctl/README.md the manual.
 */
#define _XOPEN_SOURCE 700 /* realpath */

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config/config.h"
#include "eval/eval.h"
#include "eval/eval_meta.h"
#include "store/store.h"

enum {
	EXIT_FAILED = 1,
	EXIT_USAGE = 2,
	EXIT_NOT_STORED = 3, /* the report is out, its eval_records rows are not */
	DEFAULT_COMPLAINT_MIN = 9 * 60,
	MAX_LEAVE_DAYS = EVAL_MAX_LEAVE_DAYS,
};

/* ---- options ---- */

enum opt {
	O_PERIOD,
	O_DATE,
	O_FORMAT,
	O_WINDOW,
	O_DB,
	O_CONFIG,
	O_OUTPUT,
	O_TO_DATE,
	O_FROM,
	O_UNTIL,
	O_STAFF,
	O_REASON,
	O_TIME,
	O_TEXT,
	O_TICKET,
	O_PRAISE,
	O_CLOSE,
	O_RESULT,
	O_NOTE,
	O_LEADER,
	O_SHIFT,
	O_COUNT
};

static const char *const opt_names[O_COUNT] = {
    "period",  "date",   "format", "window", "db",     "config", "output",
    "to-date", "from",   "until",  "staff",  "reason", "time",   "text",
    "ticket",  "praise", "close",  "result", "note",   "leader", "shift"};

#define BIT(o) (1u << (o))
#define COMMON (BIT(O_DB) | BIT(O_CONFIG))

struct command {
	const char *name;
	unsigned allowed; /* BIT(opt) of the options it takes */
	int (*run)(const char *const *opt);
};

static int run_report(const char *const *opt);
static int run_leave(const char *const *opt);
static int run_complaint(const char *const *opt);
static int run_duty(const char *const *opt);

static const struct command commands[] = {
    {"report", COMMON | BIT(O_PERIOD) | BIT(O_DATE) | BIT(O_FORMAT) | BIT(O_WINDOW) | BIT(O_OUTPUT),
     run_report},
    {"leave",
     COMMON | BIT(O_WINDOW) | BIT(O_DATE) | BIT(O_TO_DATE) | BIT(O_FROM) | BIT(O_UNTIL) |
	 BIT(O_STAFF) | BIT(O_REASON),
     run_leave},
    {"complaint",
     COMMON | BIT(O_WINDOW) | BIT(O_DATE) | BIT(O_TIME) | BIT(O_TEXT) | BIT(O_STAFF) |
	 BIT(O_TICKET) | BIT(O_PRAISE) | BIT(O_CLOSE) | BIT(O_RESULT) | BIT(O_NOTE),
     run_complaint},
    {"duty", COMMON | BIT(O_WINDOW) | BIT(O_DATE) | BIT(O_LEADER) | BIT(O_SHIFT), run_duty},
};

static void usage(FILE *f)
{
	fputs("usage: hallctl report --period day|week|month|quarter --date YYYY-MM-DD\n"
	      "                      --format table|csv|json|html [--window N] [--output FILE]\n"
	      "       hallctl leave --window N --date YYYY-MM-DD [--to-date YYYY-MM-DD]\n"
	      "                     [--from HH:MM --until HH:MM] [--staff ID] [--reason TEXT]\n"
	      "       hallctl complaint --window N --date YYYY-MM-DD [--time HH:MM] --text TEXT\n"
	      "                         [--staff ID] [--ticket A023] [--praise]\n"
	      "       hallctl complaint --close ID --result upheld|dismissed [--date YYYY-MM-DD]\n"
	      "                         [--note TEXT]\n"
	      "       hallctl duty --window N --date YYYY-MM-DD --leader NAME [--shift am|pm|day]\n"
	      "       hallctl --help | --version\n"
	      "\n"
	      "Every command also takes:\n"
	      "  --db FILE      the hallq database (default: $STATE_DIRECTORY/hallq.db, else\n"
	      "                 ./hallq.db); it must exist: hostd creates it\n"
	      "  --config FILE  the hall config (default: the one hostd last started with,\n"
	      "                 as recorded in the database)\n"
	      "\n"
	      "report computes the period holding the date (a week runs Monday to Sunday),\n"
	      "writes it to stdout or --output (a new file put in place whole; never the\n"
	      "database), then stores its records in eval_records. leave is whole days\n"
	      "unless --from and --until are given; --to-date records one row a day, all\n"
	      "or none. complaint --time defaults to now when --date is today, else 09:00;\n"
	      "complaints, their closing and shifts cannot be dated after today, leave can.\n"
	      "duty --shift defaults to day. docs/evaluation.md defines every figure.\n"
	      "\n"
	      "Exit status: 0 done, 1 database or system failure, 2 bad usage or a refused\n"
	      "record (nothing written), 3 the report was written but its records were not\n"
	      "stored in eval_records (a warning says why; run it again later).\n",
	      f);
}

/* One line on stderr, "hallctl: ...", and the exit status to return. */
static int fail(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(int status, const char *fmt, ...)
{
	va_list ap;

	fputs("hallctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return status;
}

static int find_opt(const char *name, size_t len)
{
	for (int i = 0; i < O_COUNT; i++)
		if (strlen(opt_names[i]) == len && strncmp(opt_names[i], name, len) == 0)
			return i;
	return -1;
}

/* Fills opt[] from argv (after the command name); "--name value" or
 * "--name=value"; --praise takes no value and is set to "". Returns -1 to
 * go on, or an exit status (0 after --help). */
static int parse_args(const struct command *cmd, int argc, char **argv, const char **opt)
{
	for (int i = 0; i < argc; i++) {
		const char *arg = argv[i];
		if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
			usage(stdout);
			return 0;
		}
		if (strncmp(arg, "--", 2) != 0)
			return fail(EXIT_USAGE, "%s: unexpected argument \"%s\"", cmd->name, arg);
		const char *eq = strchr(arg + 2, '=');
		size_t len = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
		int o = find_opt(arg + 2, len);
		if (o < 0 || !(cmd->allowed & BIT(o)))
			return fail(EXIT_USAGE, "%s: unknown option %.*s (see hallctl --help)",
				    cmd->name, (int)len + 2, arg);
		if (opt[o])
			return fail(EXIT_USAGE, "--%s is given twice", opt_names[o]);
		if (o == O_PRAISE) {
			if (eq)
				return fail(EXIT_USAGE, "--praise takes no value");
			opt[o] = "";
		} else if (eq) {
			opt[o] = eq + 1;
		} else if (i + 1 < argc) {
			opt[o] = argv[++i];
		} else {
			return fail(EXIT_USAGE, "--%s needs a value", opt_names[o]);
		}
	}
	return -1;
}

static int need(const char *const *opt, int o, const char *cmd)
{
	if (opt[o])
		return 0;
	return fail(EXIT_USAGE, "%s: --%s is required (see hallctl --help)", cmd, opt_names[o]);
}

static int parse_day(const char *const *opt, int o, int32_t *day)
{
	*day = eval_day_parse(opt[o]);
	if (*day > 0)
		return 0;
	return fail(EXIT_USAGE, "--%s: expected a date YYYY-MM-DD, found \"%s\"", opt_names[o],
		    opt[o]);
}

static int parse_number(const char *const *opt, int o, long max, long *out)
{
	const char *s = opt[o];
	char *end;

	errno = 0;
	*out = s[0] >= '0' && s[0] <= '9' ? strtol(s, &end, 10) : -1;
	if (*out >= 1 && *out <= max && !errno && !*end)
		return 0;
	return fail(EXIT_USAGE, "--%s: expected a number from 1 to %ld, found \"%s\"", opt_names[o],
		    max, s);
}

/* "HH:MM" into minutes since midnight, up to max (1440 allows 24:00). */
static int parse_clock(const char *const *opt, int o, int max, int *min)
{
	const char *s = opt[o];
	bool ok = strlen(s) == 5 && s[2] == ':';

	for (int i = 0; ok && i < 5; i++)
		ok = i == 2 || (s[i] >= '0' && s[i] <= '9');
	if (ok) {
		int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
		*min = h * 60 + m;
		ok = m < 60 && *min <= max;
	}
	if (ok)
		return 0;
	return fail(EXIT_USAGE, "--%s: expected a time HH:MM (00:00 to %02d:%02d), found \"%s\"",
		    opt_names[o], max / 60, max % 60, s);
}

/* Copies a text option into a fixed field, refusing what does not fit. */
static int copy_text(const char *const *opt, int o, char *out, size_t size)
{
	const char *s = opt[o] ? opt[o] : "";

	if (strlen(s) < size) {
		memcpy(out, s, strlen(s) + 1);
		return 0;
	}
	return fail(EXIT_USAGE, "--%s: longer than %zu bytes", opt_names[o], size - 1);
}

static int32_t today(void)
{
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	return (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
}

static void fmt_day(int32_t day, char out[16])
{
	snprintf(out, 16, "%04d-%02d-%02d", (int)(day / 10000), (int)(day / 100 % 100),
		 (int)(day % 100));
}

/* ---- the database and the config ---- */

struct session {
	char db_path[CONFIG_PATH_SIZE];
	struct config *cfg;
	struct eval *ev;
};

static void session_close(struct session *s)
{
	eval_close(s->ev);
	config_free(s->cfg);
	memset(s, 0, sizeof(*s));
}

static int resolve_db(const char *const *opt, struct session *s)
{
	const char *dir = getenv("STATE_DIRECTORY"); /* systemd's StateDirectory=, as hostd */
	struct stat st;

	int n;

	if (opt[O_DB])
		n = snprintf(s->db_path, sizeof(s->db_path), "%s", opt[O_DB]);
	else if (dir && *dir && !strchr(dir, ':'))
		n = snprintf(s->db_path, sizeof(s->db_path), "%s/hallq.db", dir);
	else
		n = snprintf(s->db_path, sizeof(s->db_path), "hallq.db");
	if (n < 0 || (size_t)n >= sizeof(s->db_path))
		return fail(EXIT_USAGE,
			    "%s: the database path is longer than %zu bytes; give a shorter --db "
			    "path",
			    opt[O_DB] ? "--db" : "$STATE_DIRECTORY", sizeof(s->db_path) - 1);
	if (stat(s->db_path, &st) != 0)
		return fail(EXIT_FAILED,
			    "%s: no such database (%s); hostd creates it, give --db FILE",
			    s->db_path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return fail(EXIT_FAILED, "%s: not a database file", s->db_path);
	return 0;
}

/* Checks read-only that the file is a hallq database (an empty file or
 * another program's SQLite file is refused untouched), then opens it with
 * the store only when its schema is older than this hallq's, to migrate
 * it. */
static int check_and_migrate(struct session *s)
{
	struct store *st = NULL;
	char err[512];
	int app_id = 0, version = 0;
	int rc = eval_meta_identify(s->db_path, &app_id, &version, err, sizeof(err));

	if (rc == EVAL_ERR_NOT_HALLQ)
		return fail(EXIT_FAILED, "%s; give --db the database hostd writes", err);
	if (rc != EVAL_OK)
		return fail(EXIT_FAILED, "%s", err);
	if (app_id != STORE_APPLICATION_ID) {
		struct stat file;
		if (stat(s->db_path, &file) == 0 && file.st_size == 0)
			return fail(
			    EXIT_FAILED,
			    "%s: not a hallq database (an empty file); give --db the database "
			    "hostd writes",
			    s->db_path);
		return fail(EXIT_FAILED,
			    "%s: not a hallq database (application_id %d); give --db the database "
			    "hostd writes",
			    s->db_path, app_id);
	}
	if (version > STORE_SCHEMA_VERSION)
		return fail(
		    EXIT_FAILED,
		    "%s: a hallq database of schema %d, newer than this hallctl knows (%d); "
		    "use the hallctl of the hallq that wrote it",
		    s->db_path, version, STORE_SCHEMA_VERSION);
	if (version == STORE_SCHEMA_VERSION)
		return 0;
	rc = store_open(s->db_path, &st, err, sizeof(err));
	if (rc != STORE_OK)
		return fail(EXIT_FAILED, "%s", err);
	store_close(st);
	return 0;
}

static int config_failed(struct config_report *rep, const char *what)
{
	fputs(rep->text ? rep->text : "", stderr);
	fail(EXIT_USAGE, "%s: %d error%s in the config", what, rep->n_errors,
	     rep->n_errors == 1 ? "" : "s");
	config_report_clear(rep);
	return EXIT_USAGE;
}

/* The config recorded in the database's meta table, as hostd left it. */
static int load_recorded_config(struct session *s)
{
	struct config_report rep = {0};
	char *text = NULL, *path = NULL, err[512];
	int rc = eval_meta_get(s->db_path, "config", &text, err, sizeof(err));

	if (rc == EVAL_OK)
		rc = eval_meta_get(s->db_path, "config_path", &path, err, sizeof(err));
	if (rc != EVAL_OK) {
		free(text);
		return fail(EXIT_FAILED, "%s", err);
	}
	if (text) {
		char *dir_copy = strdup(path ? path : "./hall.json");
		const char *label = path ? path : "the database's recorded config";
		s->cfg = dir_copy ? config_parse(label, text, strlen(text), dirname(dir_copy), &rep)
				  : NULL;
		free(dir_copy);
	} else if (path) {
		s->cfg = config_load(path, &rep);
	}
	free(text);
	if (s->cfg) {
		free(path);
		config_report_clear(&rep);
		return 0;
	}
	if (rep.n_errors) {
		int status = config_failed(&rep, path);
		free(path);
		return status;
	}
	free(path);
	return fail(EXIT_USAGE,
		    "%s: no config recorded in the database (hostd records it when it starts); "
		    "pass --config FILE",
		    s->db_path);
}

/* Everything a command needs: the database (existing, migrated), the
 * config, TZ set to the hall's, the evaluation open. */
static int session_open(const char *const *opt, struct session *s)
{
	char err[512];
	int rc = resolve_db(opt, s);

	if (!rc)
		rc = check_and_migrate(s);
	if (!rc && opt[O_CONFIG]) {
		struct config_report rep = {0};
		s->cfg = config_load(opt[O_CONFIG], &rep);
		rc = s->cfg ? 0 : config_failed(&rep, opt[O_CONFIG]);
		config_report_clear(&rep);
	} else if (!rc) {
		rc = load_recorded_config(s);
	}
	if (rc)
		return rc;
	if (s->cfg->timezone[0])
		setenv("TZ", s->cfg->timezone, 1);
	tzset();
	if (eval_open(s->db_path, s->cfg, &s->ev, err, sizeof(err)) != EVAL_OK)
		return fail(EXIT_FAILED, "%s", err);
	return 0;
}

/* The exit status of an eval_error: the caller's fault (2) or not (1). */
static int status_of(int rc)
{
	return rc == EVAL_ERR_BAD_ARGUMENT || rc == EVAL_ERR_NOT_FOUND || rc == EVAL_ERR_DUPLICATE
		   ? EXIT_USAGE
		   : EXIT_FAILED;
}

static int eval_failed(int rc, const char *err)
{
	return fail(status_of(rc), "%s", err[0] ? err : eval_strerror(rc));
}

/* ---- report ---- */

static bool report_has_window(const struct eval_report *r, int number)
{
	for (int i = 0; i < r->n_windows; i++)
		if (r->windows[i].number == number)
			return true;
	return false;
}

/* The absolute path a (maybe not yet existing) file will have: realpath
 * of it, else of its folder joined with its name. false when the folder
 * cannot be resolved. */
static bool canonical_path(const char *path, char out[PATH_MAX])
{
	char copy[PATH_MAX], dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	const char *name = slash ? slash + 1 : path;

	if (realpath(path, out))
		return true;
	if (strlen(path) >= sizeof(copy) || !*name)
		return false;
	strcpy(copy, path);
	if (!realpath(dirname(copy), dir))
		return false;
	return snprintf(out, PATH_MAX, "%s/%s", strcmp(dir, "/") ? dir : "", name) < PATH_MAX;
}

/* Refuses an --output that is the database or one of its side files
 * (-wal, -shm, -journal), by name or, when it exists, by inode. */
static int check_output(const char *output, const char *db_path)
{
	static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
	char out[PATH_MAX], db[PATH_MAX], side[PATH_MAX + 16];
	struct stat so, sd;
	bool out_exists = stat(output, &so) == 0;

	if (!canonical_path(output, out))
		return fail(EXIT_USAGE, "--output: cannot write %s: no such folder", output);
	if (!realpath(db_path, db))
		return fail(EXIT_FAILED, "%s: %s", db_path, strerror(errno));
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		snprintf(side, sizeof(side), "%s%s", db, suffixes[i]);
		bool same = strcmp(out, side) == 0;
		if (!same && out_exists && stat(side, &sd) == 0)
			same = so.st_dev == sd.st_dev && so.st_ino == sd.st_ino;
		if (same)
			return fail(EXIT_USAGE,
				    "--output %s is the database%s%s; give another file for the "
				    "report",
				    output, *suffixes[i] ? "'s " : "", suffixes[i]);
	}
	return 0;
}

static const char *render_failure(int rc)
{
	return rc == EVAL_ERR_NOMEM    ? "out of memory"
	       : rc == EVAL_ERR_LOCALE ? eval_strerror(rc)
				       : strerror(errno);
}

/* Writes the report into a new file in the folder of --output and renames
 * it over --output, so that a failure leaves whatever was there as it
 * was: only the new file is removed on failure. A path that exists and is
 * not a regular file (/dev/null, a pipe) is written directly. */
static int write_output(const char *output, const struct eval_report *r, const struct config *cfg,
			int format, int window)
{
	char target[PATH_MAX], tmp[PATH_MAX + 16], dir[PATH_MAX];
	struct stat st;
	bool exists = stat(output, &st) == 0;
	FILE *out;
	int rc;

	if (exists && !S_ISREG(st.st_mode)) {
		if (!(out = fopen(output, "w")))
			return fail(EXIT_FAILED, "--output: cannot write %s: %s", output,
				    strerror(errno));
		rc = eval_render(out, r, cfg, format, window);
		if (fclose(out) != 0 && rc == EVAL_OK)
			rc = EVAL_ERR_IO;
		if (rc == EVAL_OK)
			return 0;
		return fail(EXIT_FAILED, "cannot write the report to %s: %s", output,
			    render_failure(rc));
	}
	if (!canonical_path(output, target))
		return fail(EXIT_USAGE, "--output: cannot write %s: no such folder", output);
	snprintf(dir, sizeof(dir), "%s", target);
	snprintf(tmp, sizeof(tmp), "%s/.hallctl-XXXXXX", dirname(dir));
	int fd = mkstemp(tmp);
	if (fd < 0)
		return fail(EXIT_FAILED, "--output: cannot write in the folder of %s: %s", output,
			    strerror(errno));
	mode_t mask = umask(0);
	umask(mask);
	/* the mode of the file replaced, else a new file's (a nicety: the
	 * report is right without it) */
	(void)fchmod(fd, exists ? st.st_mode & 07777 : 0666 & ~mask);
	if (!(out = fdopen(fd, "w"))) {
		close(fd);
		unlink(tmp);
		return fail(EXIT_FAILED, "--output: cannot write %s: %s", tmp, strerror(errno));
	}
	rc = eval_render(out, r, cfg, format, window);
	if (rc == EVAL_OK && (fflush(out) != 0 || fsync(fileno(out)) != 0))
		rc = EVAL_ERR_IO;
	if (fclose(out) != 0 && rc == EVAL_OK)
		rc = EVAL_ERR_IO;
	if (rc == EVAL_OK && rename(tmp, target) != 0)
		rc = EVAL_ERR_IO;
	if (rc == EVAL_OK)
		return 0;
	int saved = errno;
	unlink(tmp); /* ours; never the file the user had */
	errno = saved;
	return fail(EXIT_FAILED, "cannot write the report to %s: %s", output, render_failure(rc));
}

static int write_report(const char *const *opt, const struct eval_report *r,
			const struct config *cfg, int format, int window)
{
	if (opt[O_OUTPUT])
		return write_output(opt[O_OUTPUT], r, cfg, format, window);
	int rc = eval_render(stdout, r, cfg, format, window);
	if (rc == EVAL_OK)
		return 0;
	return fail(EXIT_FAILED, "cannot write the report to stdout: %s", render_failure(rc));
}

static int run_report(const char *const *opt)
{
	struct session s = {0};
	struct eval_report *r = NULL;
	int32_t day;
	long window = 0;
	char err[512] = "";
	int rc, period, format;

	if ((rc = need(opt, O_PERIOD, "report")) || (rc = need(opt, O_DATE, "report")) ||
	    (rc = need(opt, O_FORMAT, "report")))
		return rc;
	period = eval_period_parse(opt[O_PERIOD]);
	if (period < 0)
		return fail(EXIT_USAGE,
			    "--period: expected day, week, month or quarter, found \"%s\"",
			    opt[O_PERIOD]);
	format = eval_format_parse(opt[O_FORMAT]);
	if (format < 0)
		return fail(EXIT_USAGE, "--format: expected table, csv, json or html, found \"%s\"",
			    opt[O_FORMAT]);
	if ((rc = parse_day(opt, O_DATE, &day)) ||
	    (opt[O_WINDOW] && (rc = parse_number(opt, O_WINDOW, 99999, &window))))
		return rc;
	if ((rc = session_open(opt, &s)) ||
	    (opt[O_OUTPUT] && (rc = check_output(opt[O_OUTPUT], s.db_path))))
		goto done;
	rc = eval_compute(s.ev, period, day, (int64_t)time(NULL), &r, err, sizeof(err));
	if (rc != EVAL_OK) {
		rc = eval_failed(rc, err);
		goto done;
	}
	if (window > 0 && !report_has_window(r, (int)window)) {
		rc = fail(EXIT_USAGE,
			  "--window: window %ld is neither in the config nor in the journal",
			  window);
		goto done;
	}
	/* the report first: a database too busy to take the records must not
	 * keep the supervisor from the report */
	if ((rc = write_report(opt, r, s.cfg, format, (int)window)))
		goto done;
	if (fflush(stdout) != 0) {
		rc = fail(EXIT_FAILED, "cannot write to stdout: %s", strerror(errno));
		goto done;
	}
	if (eval_save(s.ev, r, err, sizeof(err)) != EVAL_OK) {
		fprintf(stderr,
			"hallctl: warning: the report's records not stored in eval_records: %s; "
			"the report is complete, run it again later to store them\n",
			err);
		rc = EXIT_NOT_STORED;
	}
done:
	eval_report_free(r);
	session_close(&s);
	return rc;
}

/* ---- leave ---- */

static int run_leave(const char *const *opt)
{
	struct session s = {0};
	struct eval_leave l = {.from_min = 0, .to_min = 24 * 60};
	int32_t first, last;
	int64_t id = 0, first_id = 0;
	long window;
	char err[512] = "", from[16], to[16];
	int rc, days;

	if ((rc = need(opt, O_WINDOW, "leave")) || (rc = need(opt, O_DATE, "leave")) ||
	    (rc = parse_number(opt, O_WINDOW, 99999, &window)) ||
	    (rc = parse_day(opt, O_DATE, &first)))
		return rc;
	last = first;
	if (opt[O_TO_DATE] && (rc = parse_day(opt, O_TO_DATE, &last)))
		return rc;
	days = eval_day_diff(first, last) + 1;
	if (days < 1 || days > MAX_LEAVE_DAYS)
		return fail(EXIT_USAGE,
			    "--to-date: expected a date from --date up to %d days later, "
			    "found \"%s\"",
			    MAX_LEAVE_DAYS - 1, opt[O_TO_DATE]);
	if (!opt[O_FROM] != !opt[O_UNTIL])
		return fail(EXIT_USAGE, "--from and --until go together: give both or neither "
					"(neither is the whole day)");
	if (opt[O_FROM] && ((rc = parse_clock(opt, O_FROM, 24 * 60 - 1, &l.from_min)) ||
			    (rc = parse_clock(opt, O_UNTIL, 24 * 60, &l.to_min))))
		return rc;
	if (l.from_min >= l.to_min)
		return fail(EXIT_USAGE, "--until %s is not after --from %s", opt[O_UNTIL],
			    opt[O_FROM]);
	if ((rc = copy_text(opt, O_STAFF, l.staff, sizeof(l.staff))) ||
	    (rc = copy_text(opt, O_REASON, l.reason, sizeof(l.reason))))
		return rc;
	l.window = (int)window;
	if ((rc = session_open(opt, &s)))
		goto done;
	l.day = first;
	rc = eval_add_leave_days(s.ev, &l, last, &first_id, &id, err, sizeof(err));
	if (rc != EVAL_OK) { /* every day or none */
		rc = eval_failed(rc, err);
		goto done;
	}
	fmt_day(first, from);
	fmt_day(last, to);
	if (days == 1)
		printf("leave %lld recorded (window %ld, %s)\n", (long long)id, window, from);
	else
		printf("leave %lld-%lld recorded (window %ld, %s to %s, %d days)\n",
		       (long long)first_id, (long long)id, window, from, to, days);
done:
	session_close(&s);
	return rc;
}

/* ---- complaint ---- */

static int close_complaint(const char *const *opt)
{
	static const int add_only[] = {O_WINDOW, O_TIME, O_TEXT, O_STAFF, O_TICKET, O_PRAISE};
	struct session s = {0};
	char note[EVAL_TEXT_SIZE], err[512] = "";
	int32_t day = 0;
	long id;
	int rc;

	for (size_t i = 0; i < sizeof(add_only) / sizeof(add_only[0]); i++)
		if (opt[add_only[i]])
			return fail(EXIT_USAGE, "complaint --close takes no --%s",
				    opt_names[add_only[i]]);
	if ((rc = need(opt, O_RESULT, "complaint --close")) ||
	    (rc = parse_number(opt, O_CLOSE, 2147483647L, &id)))
		return rc;
	if (strcmp(opt[O_RESULT], "upheld") != 0 && strcmp(opt[O_RESULT], "dismissed") != 0)
		return fail(EXIT_USAGE, "--result: expected upheld or dismissed, found \"%s\"",
			    opt[O_RESULT]);
	if ((opt[O_DATE] && (rc = parse_day(opt, O_DATE, &day))) ||
	    (rc = copy_text(opt, O_NOTE, note, sizeof(note))))
		return rc;
	if ((rc = session_open(opt, &s)))
		goto done;
	if (!day)
		day = today(); /* in the hall's time zone, set by session_open */
	rc = eval_close_complaint(s.ev, id, opt[O_RESULT], day, today(), note, err, sizeof(err));
	if (rc != EVAL_OK) {
		rc = eval_failed(rc, err);
		goto done;
	}
	printf("complaint %ld closed: %s\n", id, opt[O_RESULT]);
done:
	session_close(&s);
	return rc;
}

static int add_complaint(const char *const *opt)
{
	struct session s = {0};
	struct eval_complaint c = {.minute = -1};
	int64_t id = 0;
	long window;
	char err[512] = "";
	int rc;

	if (opt[O_RESULT] || opt[O_NOTE])
		return fail(EXIT_USAGE, "--%s goes with --close ID",
			    opt[O_RESULT] ? "result" : "note");
	if ((rc = need(opt, O_WINDOW, "complaint")) || (rc = need(opt, O_DATE, "complaint")) ||
	    (rc = need(opt, O_TEXT, "complaint")) ||
	    (rc = parse_number(opt, O_WINDOW, 99999, &window)) ||
	    (rc = parse_day(opt, O_DATE, &c.day)) ||
	    (opt[O_TIME] && (rc = parse_clock(opt, O_TIME, 24 * 60 - 1, &c.minute))) ||
	    (rc = copy_text(opt, O_TEXT, c.text, sizeof(c.text))) ||
	    (rc = copy_text(opt, O_STAFF, c.staff, sizeof(c.staff))) ||
	    (rc = copy_text(opt, O_TICKET, c.ticket, sizeof(c.ticket))))
		return rc;
	c.window = (int)window;
	snprintf(c.kind, sizeof(c.kind), "%s", opt[O_PRAISE] ? "praise" : "complaint");
	if ((rc = session_open(opt, &s)))
		goto done;
	if (c.minute < 0) { /* now when received today, else 09:00 */
		time_t now = time(NULL);
		struct tm tm;
		localtime_r(&now, &tm);
		c.minute = c.day == today() ? tm.tm_hour * 60 + tm.tm_min : DEFAULT_COMPLAINT_MIN;
	}
	rc = eval_add_complaint(s.ev, &c, today(), &id, err, sizeof(err));
	if (rc != EVAL_OK) {
		rc = eval_failed(rc, err);
		goto done;
	}
	printf("%s %lld recorded\n", c.kind, (long long)id);
done:
	session_close(&s);
	return rc;
}

static int run_complaint(const char *const *opt)
{
	return opt[O_CLOSE] ? close_complaint(opt) : add_complaint(opt);
}

/* ---- duty ---- */

static int run_duty(const char *const *opt)
{
	struct session s = {0};
	struct eval_duty d = {0};
	int64_t id = 0;
	long window;
	char err[512] = "";
	const char *shift = opt[O_SHIFT] ? opt[O_SHIFT] : "day";
	int rc;

	if ((rc = need(opt, O_WINDOW, "duty")) || (rc = need(opt, O_DATE, "duty")) ||
	    (rc = need(opt, O_LEADER, "duty")) ||
	    (rc = parse_number(opt, O_WINDOW, 99999, &window)) ||
	    (rc = parse_day(opt, O_DATE, &d.day)) ||
	    (rc = copy_text(opt, O_LEADER, d.leader, sizeof(d.leader))))
		return rc;
	if (strcmp(shift, "am") != 0 && strcmp(shift, "pm") != 0 && strcmp(shift, "day") != 0)
		return fail(EXIT_USAGE, "--shift: expected am, pm or day, found \"%s\"", shift);
	if (!d.leader[0])
		return fail(EXIT_USAGE, "--leader: give the leader's name");
	snprintf(d.shift, sizeof(d.shift), "%s", shift);
	d.window = (int)window;
	if ((rc = session_open(opt, &s)))
		goto done;
	rc = eval_add_duty(s.ev, &d, today(), &id, err, sizeof(err));
	if (rc != EVAL_OK) { /* a duplicate or overlapping shift: the library's sentence */
		rc = eval_failed(rc, err);
		goto done;
	}
	printf("duty %lld recorded\n", (long long)id);
done:
	session_close(&s);
	return rc;
}

int main(int argc, char **argv)
{
	const char *opt[O_COUNT] = {0};

	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0) {
		printf("hallctl (hallq) %s\n", HALLQ_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[1], commands[i].name) != 0)
			continue;
		int rc = parse_args(&commands[i], argc - 2, argv + 2, opt);
		if (rc >= 0)
			return rc;
		rc = commands[i].run(opt);
		if (fflush(stdout) != 0)
			return fail(EXIT_FAILED, "cannot write to stdout: %s", strerror(errno));
		return rc;
	}
	return fail(EXIT_USAGE, "unknown command \"%s\": expected report, leave, complaint or duty",
		    argv[1]);
}
