/*
 * test_eval_basics.c — hostd/eval's calendar and database edges: periods
 * (period.c), eval_open() on files that are not for it, and the
 * supervisors' records (db.c) refused with a sentence when an argument is
 * wrong, nothing written then.
 *
 * Every expected value is worked out by hand (the arithmetic is next to
 * it). The database is a real schema-5 file made by the store
 * (store_open); the test reads it back with SQLite directly, independently
 * of what eval says. The figures of eval_compute() are tested on fixture
 * days in test_eval_days.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "config/config.h"
#include "eval/eval.h"
#include "store/store.h"

/* ---- the calendar ---- */

static void test_period_names(void **state)
{
	(void)state;
	static const char *const names[] = {"day", "week", "month", "quarter"};

	for (int p = 0; p < EVAL_PERIOD_COUNT; p++) {
		assert_string_equal(eval_period_name(p), names[p]);
		assert_int_equal(eval_period_parse(names[p]), p);
	}
	assert_int_equal(eval_period_parse("year"), -1);
	assert_int_equal(eval_period_parse("Day"), -1);
	assert_int_equal(eval_period_parse(""), -1);
	assert_int_equal(eval_period_parse(NULL), -1);
}

static void test_day_valid(void **state)
{
	(void)state;
	assert_true(eval_day_valid(20261130));
	assert_true(eval_day_valid(20240229));  /* 2024 divisible by 4 */
	assert_true(eval_day_valid(20000229));  /* 2000 divisible by 400 */
	assert_false(eval_day_valid(19000229)); /* 1900 by 100, not 400 */
	assert_false(eval_day_valid(20230229));
	assert_false(eval_day_valid(20261131)); /* November has 30 */
	assert_false(eval_day_valid(20261301));
	assert_false(eval_day_valid(20261100));
	assert_false(eval_day_valid(20260001));
	assert_false(eval_day_valid(0));
	assert_false(eval_day_valid(-20261130));
	assert_true(eval_day_valid(99991231));
	assert_true(eval_day_valid(10101)); /* 0001-01-01 */
}

static void test_day_add(void **state)
{
	(void)state;
	assert_int_equal(eval_day_add(20261130, 1), 20261201);
	assert_int_equal(eval_day_add(20261231, 1), 20270101);
	assert_int_equal(eval_day_add(20270101, -1), 20261231);
	assert_int_equal(eval_day_add(20240228, 1), 20240229);
	assert_int_equal(eval_day_add(20230228, 1), 20230301);
	assert_int_equal(eval_day_add(20240301, -1), 20240229);
	assert_int_equal(eval_day_add(20000101, 366), 20010101); /* 2000 is leap */
	assert_int_equal(eval_day_add(20230101, 365), 20240101);
	assert_int_equal(eval_day_add(20261130, 0), 20261130);
	assert_int_equal(eval_day_add(20261131, 1), -1); /* not a day */
	assert_int_equal(eval_day_add(99991231, 1), -1); /* off the calendar */
}

static void test_day_wday_and_diff(void **state)
{
	(void)state;
	assert_int_equal(eval_day_wday(19700101), 4); /* a Thursday */
	assert_int_equal(eval_day_wday(20261130), 1); /* Monday */
	assert_int_equal(eval_day_wday(20270101), 5); /* Friday */
	assert_int_equal(eval_day_wday(20000101), 6); /* Saturday */
	assert_int_equal(eval_day_wday(20240229), 4);
	assert_int_equal(eval_day_wday(10101), 1); /* 0001-01-01, proleptic */
	assert_int_equal(eval_day_wday(20261131), -1);

	assert_int_equal(eval_day_diff(20261130, 20261201), 1);
	assert_int_equal(eval_day_diff(20261201, 20261130), -1);
	assert_int_equal(eval_day_diff(20240101, 20250101), 366);
	assert_int_equal(eval_day_diff(20230101, 20240101), 365);
	assert_int_equal(eval_day_diff(20240201, 20240301), 29);
	assert_int_equal(eval_day_diff(20261130, 20261130), 0);
}

static void test_day_parse(void **state)
{
	(void)state;
	static const char *const bad[] = {
	    "2026-11-31",  "2026-2-03",  "20261130",   "2026/11/30", "2026-11-30 ",
	    " 2026-11-30", "",           "abcd-ef-gh", "2023-02-29", "+026-11-30",
	    "2026-13-01",  "2026-00-10", "0000-01-01", "2026-11-3x", "2026--1-30",
	};

	assert_int_equal(eval_day_parse("2026-11-30"), 20261130);
	assert_int_equal(eval_day_parse("2024-02-29"), 20240229);
	assert_int_equal(eval_day_parse("0001-01-01"), 10101);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(eval_day_parse(bad[i]), -1);
	assert_int_equal(eval_day_parse(NULL), -1);
}

static void check_range(int period, int32_t day, int32_t first, int32_t last)
{
	int32_t f = 0, l = 0;

	eval_period_range(period, day, &f, &l);
	assert_int_equal(f, first);
	assert_int_equal(l, last);
}

static void test_period_range(void **state)
{
	(void)state;
	check_range(EVAL_DAY, 20261130, 20261130, 20261130);
	/* weeks run Monday to Sunday */
	check_range(EVAL_WEEK, 20261130, 20261130, 20261206); /* a Monday */
	check_range(EVAL_WEEK, 20261203, 20261130, 20261206); /* the Thursday */
	check_range(EVAL_WEEK, 20261206, 20261130, 20261206); /* the Sunday */
	check_range(EVAL_WEEK, 20261201, 20261130, 20261206); /* across a month end */
	check_range(EVAL_WEEK, 20270101, 20261228, 20270103); /* across a year end */
	check_range(EVAL_WEEK, 20240301, 20240226, 20240303); /* across 29 February */
	/* months */
	check_range(EVAL_MONTH, 20240215, 20240201, 20240229);
	check_range(EVAL_MONTH, 20230215, 20230201, 20230228);
	check_range(EVAL_MONTH, 20261130, 20261101, 20261130);
	check_range(EVAL_MONTH, 20261231, 20261201, 20261231);
	/* quarters */
	check_range(EVAL_QUARTER, 20260215, 20260101, 20260331);
	check_range(EVAL_QUARTER, 20260401, 20260401, 20260630);
	check_range(EVAL_QUARTER, 20260930, 20260701, 20260930);
	check_range(EVAL_QUARTER, 20261115, 20261001, 20261231);
	/* nothing for a day that is not one, or an unknown period */
	check_range(EVAL_MONTH, 20261131, -1, -1);
	check_range(EVAL_PERIOD_COUNT, 20261130, -1, -1);
}

static void test_wait_buckets_and_errors(void **state)
{
	(void)state;
	static const int64_t limits[] = {300, 600, 900, 1800, 3600, 7200};

	for (int i = 0; i < EVAL_WAIT_BUCKETS - 1; i++)
		assert_int_equal(eval_wait_bucket_limits_s[i], limits[i]);
	for (int e = EVAL_ERR_LOCALE; e <= EVAL_OK; e++)
		for (int f = EVAL_ERR_LOCALE; f < e; f++)
			assert_string_not_equal(eval_strerror(e), eval_strerror(f));
}

/* ---- the database ---- */

/* "Today" for the records that cannot be dated after it: the records
 * below are of November 2026, closed up to 2026-12-02. */
#define TODAY 20261231

struct fixture {
	char dir[64];
	char path[96];
	struct config *cfg;
	struct eval *ev;
	char err[512];
};

static void exec_sql(const char *path, const char *sql)
{
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static int count_rows(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *q = NULL;
	int n = -1;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK);
	if (sqlite3_step(q) == SQLITE_ROW)
		n = sqlite3_column_int(q, 0);
	sqlite3_finalize(q);
	sqlite3_close(db);
	return n;
}

static int setup_files(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct config_report report = {0};

	snprintf(f->dir, sizeof(f->dir), "/tmp/hallq-eval-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/hallq.db", f->dir);
	f->cfg = config_load(HALLQ_SOURCE_DIR "/config/hall.json", &report);
	config_report_clear(&report);
	if (!f->cfg)
		return -1;
	*state = f;
	return 0;
}

static int teardown_files(void **state)
{
	struct fixture *f = *state;
	static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
	char file[128];

	eval_close(f->ev);
	config_free(f->cfg);
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		snprintf(file, sizeof(file), "%s%s", f->path, suffixes[i]);
		unlink(file);
	}
	rmdir(f->dir);
	free(f);
	return 0;
}

/* A schema-5 hallq database made by the store, with one journalled event
 * naming window 42 (not in the config) and staff 2001 (not in it either),
 * opened with eval_open(). */
static int setup_db(void **state)
{
	struct store *st = NULL;
	char err[256];

	if (setup_files(state) != 0)
		return -1;
	struct fixture *f = *state;
	if (store_open(f->path, &st, err, sizeof(err)) != STORE_OK)
		return -1;
	store_close(st);
	exec_sql(f->path, "INSERT INTO events(day, at, minute, wday, op, window, staff, source)"
			  " VALUES (20261130, 1796000000, 510, 1, 'login', 42, '2001', 'test')");
	return eval_open(f->path, f->cfg, &f->ev, f->err, sizeof(f->err)) == EVAL_OK ? 0 : -1;
}

static void test_open_missing_file(void **state)
{
	struct fixture *f = *state;
	struct eval *ev = (struct eval *)&ev; /* must become NULL */

	assert_int_equal(eval_open(f->path, f->cfg, &ev, f->err, sizeof(f->err)), EVAL_ERR_IO);
	assert_null(ev);
	assert_non_null(strstr(f->err, f->path));
	assert_int_equal(access(f->path, F_OK), -1); /* not created */
}

static void test_open_not_sqlite(void **state)
{
	struct fixture *f = *state;
	struct eval *ev = NULL;
	FILE *out = fopen(f->path, "w");

	assert_non_null(out);
	for (int i = 0; i < 100; i++)
		fputs("this is a text file, not a database\n", out);
	fclose(out);
	assert_int_equal(eval_open(f->path, f->cfg, &ev, f->err, sizeof(f->err)),
			 EVAL_ERR_NOT_HALLQ);
	assert_null(ev);
	assert_non_null(strstr(f->err, f->path));
	assert_non_null(strstr(f->err, "not a hallq database"));
}

static void test_open_other_sqlite(void **state)
{
	struct fixture *f = *state;
	struct eval *ev = NULL;

	exec_sql(f->path, "CREATE TABLE t(x); PRAGMA user_version = 5;");
	assert_int_equal(eval_open(f->path, f->cfg, &ev, f->err, sizeof(f->err)),
			 EVAL_ERR_NOT_HALLQ);
	assert_null(ev);
	assert_non_null(strstr(f->err, f->path));
	assert_non_null(strstr(f->err, "application_id 0"));
}

static void test_open_schema_4(void **state)
{
	struct fixture *f = *state;
	struct eval *ev = NULL;

	/* 0x48414C51 = 1212238929: hallq's, but at schema 4 */
	exec_sql(f->path, "PRAGMA application_id = 1212238929; PRAGMA user_version = 4;"
			  " CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);");
	assert_int_equal(eval_open(f->path, f->cfg, &ev, f->err, sizeof(f->err)),
			 EVAL_ERR_NOT_HALLQ);
	assert_null(ev);
	assert_non_null(strstr(f->err, f->path));
	assert_non_null(strstr(f->err, "schema 4"));
	/* left as it was */
	assert_int_equal(count_rows(f->path, "PRAGMA user_version"), 4);
}

static void test_open_schema_5(void **state)
{
	struct fixture *f = *state;

	assert_non_null(f->ev); /* setup_db opened it */
}

/* ---- leave ---- */

static int count_leave(const struct fixture *f)
{
	return count_rows(f->path, "SELECT count(*) FROM leave");
}

/* The call is refused as a bad argument with a sentence; nothing written. */
#define assert_refused(call, f, count)                                                             \
	do {                                                                                       \
		int before_ = count(f);                                                            \
		(f)->err[0] = '\0';                                                                \
		assert_int_equal((call), EVAL_ERR_BAD_ARGUMENT);                                   \
		assert_true(strlen((f)->err) > 10);                                                \
		assert_int_equal(count(f), before_);                                               \
	} while (0)

static struct eval_leave good_leave(void)
{
	return (struct eval_leave){.window = 1, .day = 20261130, .from_min = 0, .to_min = 1440};
}

static void test_leave_refused(void **state)
{
	struct fixture *f = *state;
	struct eval_leave l;
	int64_t id = -7;

	l = good_leave(), l.window = 99; /* in neither the config nor the journal */
	assert_refused(eval_add_leave(f->ev, &l, &id, f->err, sizeof(f->err)), f, count_leave);
	assert_non_null(strstr(f->err, "window 99"));
	l = good_leave(), l.window = 0;
	assert_refused(eval_add_leave(f->ev, &l, &id, f->err, sizeof(f->err)), f, count_leave);
	l = good_leave(), l.day = 20261131;
	assert_refused(eval_add_leave(f->ev, &l, &id, f->err, sizeof(f->err)), f, count_leave);
	l = good_leave(), l.from_min = 600, l.to_min = 600; /* from < to */
	assert_refused(eval_add_leave(f->ev, &l, &id, f->err, sizeof(f->err)), f, count_leave);
	l = good_leave(), l.from_min = 700, l.to_min = 600;
	assert_refused(eval_add_leave(f->ev, &l, &id, f->err, sizeof(f->err)), f, count_leave);
	l = good_leave(), l.to_min = 1441;
	assert_refused(eval_add_leave(f->ev, &l, &id, f->err, sizeof(f->err)), f, count_leave);
	l = good_leave(), l.from_min = -1;
	assert_refused(eval_add_leave(f->ev, &l, &id, f->err, sizeof(f->err)), f, count_leave);
	l = good_leave();
	snprintf(l.staff, sizeof(l.staff), "9999"); /* nobody of that id */
	assert_refused(eval_add_leave(f->ev, &l, &id, f->err, sizeof(f->err)), f, count_leave);
	l = good_leave();
	snprintf(l.reason, sizeof(l.reason), "sick \xff\xfe"); /* not UTF-8 */
	assert_refused(eval_add_leave(f->ev, &l, &id, f->err, sizeof(f->err)), f, count_leave);
	l = good_leave();
	snprintf(l.reason, sizeof(l.reason), "\xe5\xb9"); /* a cut 3-byte character */
	assert_refused(eval_add_leave(f->ev, &l, &id, f->err, sizeof(f->err)), f, count_leave);
	l = good_leave();
	snprintf(l.reason, sizeof(l.reason), "\xc0\xaf"); /* overlong '/' */
	assert_refused(eval_add_leave(f->ev, &l, &id, f->err, sizeof(f->err)), f, count_leave);
	l = good_leave();
	memset(l.reason, 'x', sizeof(l.reason)); /* 512 bytes, no room for the end */
	assert_refused(eval_add_leave(f->ev, &l, &id, f->err, sizeof(f->err)), f, count_leave);
	assert_int_equal(id, -7); /* untouched */
}

static void test_leave_added(void **state)
{
	struct fixture *f = *state;
	struct eval_leave l = good_leave();
	int64_t id = 0, id2 = 0;

	snprintf(l.staff, sizeof(l.staff), "1001");
	memset(l.reason, 'x', sizeof(l.reason) - 1); /* 511 bytes: the most */
	l.reason[sizeof(l.reason) - 1] = '\0';
	assert_int_equal(eval_add_leave(f->ev, &l, &id, f->err, sizeof(f->err)), EVAL_OK);
	assert_true(id > 0);
	/* a window and staff member only the journal knows; half a day */
	l = (struct eval_leave){.window = 42, .day = 20261201, .from_min = 870, .to_min = 1440};
	snprintf(l.staff, sizeof(l.staff), "2001");
	snprintf(l.reason, sizeof(l.reason), "事假");
	assert_int_equal(eval_add_leave(f->ev, &l, &id2, f->err, sizeof(f->err)), EVAL_OK);
	assert_true(id2 > id);
	assert_int_equal(count_leave(f), 2);
	assert_int_equal(count_rows(f->path, "SELECT count(*) FROM leave WHERE window = 42 AND"
					     " staff = '2001' AND day = 20261201 AND from_min = 870"
					     " AND to_min = 1440 AND reason = '事假'"),
			 1);
	assert_int_equal(count_rows(f->path, "SELECT count(*) FROM leave WHERE window = 1 AND"
					     " staff = '1001' AND length(reason) = 511"),
			 1);
}

/* ---- complaints ---- */

static int count_complaints(const struct fixture *f)
{
	return count_rows(f->path, "SELECT count(*) FROM complaints");
}

static struct eval_complaint good_complaint(void)
{
	struct eval_complaint c = {
	    .kind = "complaint", .day = 20261130, .minute = 600, .window = 3};

	snprintf(c.text, sizeof(c.text), "窗口人员态度生硬");
	return c;
}

static void test_complaint_refused(void **state)
{
	struct fixture *f = *state;
	struct eval_complaint c;
	int64_t id = -7;

	c = good_complaint();
	snprintf(c.kind, sizeof(c.kind), "comment");
	assert_refused(eval_add_complaint(f->ev, &c, TODAY, &id, f->err, sizeof(f->err)), f,
		       count_complaints);
	c = good_complaint(), c.day = 20260229;
	assert_refused(eval_add_complaint(f->ev, &c, TODAY, &id, f->err, sizeof(f->err)), f,
		       count_complaints);
	c = good_complaint(), c.minute = 1440;
	assert_refused(eval_add_complaint(f->ev, &c, TODAY, &id, f->err, sizeof(f->err)), f,
		       count_complaints);
	c = good_complaint(), c.minute = -1;
	assert_refused(eval_add_complaint(f->ev, &c, TODAY, &id, f->err, sizeof(f->err)), f,
		       count_complaints);
	c = good_complaint(), c.window = 14;
	assert_refused(eval_add_complaint(f->ev, &c, TODAY, &id, f->err, sizeof(f->err)), f,
		       count_complaints);
	c = good_complaint(), c.text[0] = '\0';
	assert_refused(eval_add_complaint(f->ev, &c, TODAY, &id, f->err, sizeof(f->err)), f,
		       count_complaints);
	c = good_complaint();
	snprintf(c.text, sizeof(c.text), "bad \x80 byte");
	assert_refused(eval_add_complaint(f->ev, &c, TODAY, &id, f->err, sizeof(f->err)), f,
		       count_complaints);
	c = good_complaint();
	snprintf(c.text, sizeof(c.text), "\xed\xa0\x80"); /* a UTF-16 surrogate */
	assert_refused(eval_add_complaint(f->ev, &c, TODAY, &id, f->err, sizeof(f->err)), f,
		       count_complaints);
	static const char *const tickets[] = {"a023", "A23", "ABC023", "A0234", "023", "A 23"};
	for (size_t i = 0; i < sizeof(tickets) / sizeof(tickets[0]); i++) {
		c = good_complaint();
		snprintf(c.ticket, sizeof(c.ticket), "%s", tickets[i]);
		assert_refused(eval_add_complaint(f->ev, &c, TODAY, &id, f->err, sizeof(f->err)), f,
			       count_complaints);
	}
	c = good_complaint();
	snprintf(c.staff, sizeof(c.staff), "1x");
	assert_refused(eval_add_complaint(f->ev, &c, TODAY, &id, f->err, sizeof(f->err)), f,
		       count_complaints);
	assert_int_equal(id, -7);
}

static void test_complaint_and_praise(void **state)
{
	struct fixture *f = *state;
	struct eval_complaint c = good_complaint();
	int64_t complaint = 0, praise = 0;

	snprintf(c.staff, sizeof(c.staff), "1003");
	snprintf(c.ticket, sizeof(c.ticket), "AB023");
	snprintf(c.status, sizeof(c.status), "upheld"); /* not read: a complaint starts open */
	assert_int_equal(eval_add_complaint(f->ev, &c, TODAY, &complaint, f->err, sizeof(f->err)),
			 EVAL_OK);
	c = good_complaint();
	snprintf(c.kind, sizeof(c.kind), "praise");
	snprintf(c.text, sizeof(c.text), "耐心细致");
	assert_int_equal(eval_add_complaint(f->ev, &c, TODAY, &praise, f->err, sizeof(f->err)),
			 EVAL_OK);
	assert_true(complaint > 0 && praise > complaint);
	assert_int_equal(count_rows(f->path, "SELECT count(*) FROM complaints WHERE kind ="
					     " 'complaint' AND status = 'open' AND closed_day IS"
					     " NULL AND staff = '1003' AND ticket = 'AB023'"
					     " AND minute = 600 AND window = 3"),
			 1);
	/* praise is closed at once, on the day received */
	assert_int_equal(count_rows(f->path, "SELECT count(*) FROM complaints WHERE kind ="
					     " 'praise' AND status = 'closed' AND closed_day ="
					     " 20261130 AND staff IS NULL AND ticket IS NULL"),
			 1);
}

static int count_open(const struct fixture *f)
{
	return count_rows(f->path, "SELECT count(*) FROM complaints WHERE status = 'open'");
}

static void test_close_complaint(void **state)
{
	struct fixture *f = *state;
	struct eval_complaint c = good_complaint();
	int64_t id = 0, praise = 0;

	assert_int_equal(eval_add_complaint(f->ev, &c, TODAY, &id, f->err, sizeof(f->err)),
			 EVAL_OK);
	snprintf(c.kind, sizeof(c.kind), "praise");
	assert_int_equal(eval_add_complaint(f->ev, &c, TODAY, &praise, f->err, sizeof(f->err)),
			 EVAL_OK);

	f->err[0] = '\0';
	assert_int_equal(eval_close_complaint(f->ev, id + 100, "upheld", 20261201, TODAY, NULL,
					      f->err, sizeof(f->err)),
			 EVAL_ERR_NOT_FOUND);
	assert_true(strlen(f->err) > 10);
	assert_refused(
	    eval_close_complaint(f->ev, id, "maybe", 20261201, TODAY, NULL, f->err, sizeof(f->err)),
	    f, count_open);
	assert_refused(
	    eval_close_complaint(f->ev, id, "open", 20261201, TODAY, NULL, f->err, sizeof(f->err)),
	    f, count_open);
	assert_refused(
	    eval_close_complaint(f->ev, id, NULL, 20261201, TODAY, NULL, f->err, sizeof(f->err)), f,
	    count_open);
	assert_refused(eval_close_complaint(f->ev, id, "upheld", 20261129, TODAY, NULL, f->err,
					    sizeof(f->err)),
		       f, count_open); /* before the day received */
	assert_refused(eval_close_complaint(f->ev, id, "upheld", 20261232, TODAY, NULL, f->err,
					    sizeof(f->err)),
		       f, count_open);
	assert_refused(eval_close_complaint(f->ev, id, "upheld", 20261201, TODAY, "\xff", f->err,
					    sizeof(f->err)),
		       f, count_open);
	assert_refused(eval_close_complaint(f->ev, praise, "dismissed", 20261201, TODAY, NULL,
					    f->err, sizeof(f->err)),
		       f, count_open); /* praise is not closed */

	/* the day received is fine */
	assert_int_equal(eval_close_complaint(f->ev, id, "upheld", 20261130, TODAY, "核实属实",
					      f->err, sizeof(f->err)),
			 EVAL_OK);
	assert_int_equal(count_rows(f->path, "SELECT count(*) FROM complaints WHERE status ="
					     " 'upheld' AND closed_day = 20261130 AND note ="
					     " '核实属实'"),
			 1);
	/* once closed, never again */
	f->err[0] = '\0';
	assert_int_equal(eval_close_complaint(f->ev, id, "dismissed", 20261202, TODAY, NULL, f->err,
					      sizeof(f->err)),
			 EVAL_ERR_BAD_ARGUMENT);
	assert_non_null(strstr(f->err, "already closed"));
	assert_int_equal(count_rows(f->path, "SELECT count(*) FROM complaints WHERE status ="
					     " 'upheld' AND closed_day = 20261130"),
			 1);
}

/* ---- leader shifts ---- */

static int count_duty(const struct fixture *f)
{
	return count_rows(f->path, "SELECT count(*) FROM duty_shifts");
}

static struct eval_duty good_duty(void)
{
	struct eval_duty d = {.day = 20261130, .window = 5, .shift = "am"};

	snprintf(d.leader, sizeof(d.leader), "张局长");
	return d;
}

static void test_duty(void **state)
{
	struct fixture *f = *state;
	struct eval_duty d;
	int64_t id = 0, id2 = 0;

	d = good_duty();
	snprintf(d.shift, sizeof(d.shift), "night");
	assert_refused(eval_add_duty(f->ev, &d, TODAY, &id, f->err, sizeof(f->err)), f, count_duty);
	d = good_duty(), d.leader[0] = '\0';
	assert_refused(eval_add_duty(f->ev, &d, TODAY, &id, f->err, sizeof(f->err)), f, count_duty);
	d = good_duty(), d.window = 99;
	assert_refused(eval_add_duty(f->ev, &d, TODAY, &id, f->err, sizeof(f->err)), f, count_duty);
	d = good_duty(), d.day = 2026113;
	assert_refused(eval_add_duty(f->ev, &d, TODAY, &id, f->err, sizeof(f->err)), f, count_duty);
	d = good_duty();
	snprintf(d.leader, sizeof(d.leader), "\xe5\xbc");
	assert_refused(eval_add_duty(f->ev, &d, TODAY, &id, f->err, sizeof(f->err)), f, count_duty);

	d = good_duty();
	assert_int_equal(eval_add_duty(f->ev, &d, TODAY, &id, f->err, sizeof(f->err)), EVAL_OK);
	snprintf(d.shift, sizeof(d.shift), "pm"); /* another shift the same day */
	assert_int_equal(eval_add_duty(f->ev, &d, TODAY, &id2, f->err, sizeof(f->err)), EVAL_OK);
	assert_true(id > 0 && id2 > id);
	d = good_duty();
	f->err[0] = '\0';
	assert_int_equal(eval_add_duty(f->ev, &d, TODAY, &id, f->err, sizeof(f->err)),
			 EVAL_ERR_DUPLICATE);
	assert_non_null(strstr(f->err, "already recorded"));
	assert_int_equal(count_duty(f), 2);

	/* a day shift would count a third time beside the am and pm: refused */
	snprintf(d.shift, sizeof(d.shift), "day");
	f->err[0] = '\0';
	assert_int_equal(eval_add_duty(f->ev, &d, TODAY, &id, f->err, sizeof(f->err)),
			 EVAL_ERR_DUPLICATE);
	assert_non_null(strstr(f->err, "counts once"));
	assert_int_equal(count_duty(f), 2);
	/* ... and the other way: another leader's day, then their am or pm */
	snprintf(d.leader, sizeof(d.leader), "李主任");
	assert_int_equal(eval_add_duty(f->ev, &d, TODAY, &id, f->err, sizeof(f->err)), EVAL_OK);
	snprintf(d.shift, sizeof(d.shift), "pm");
	f->err[0] = '\0';
	assert_int_equal(eval_add_duty(f->ev, &d, TODAY, &id, f->err, sizeof(f->err)),
			 EVAL_ERR_DUPLICATE);
	assert_non_null(strstr(f->err, "day shift"));
	assert_int_equal(count_duty(f), 3);
	/* the same leader's day at another window, or on another day, is fine */
	d = good_duty(), d.window = 6;
	snprintf(d.shift, sizeof(d.shift), "day");
	assert_int_equal(eval_add_duty(f->ev, &d, TODAY, &id, f->err, sizeof(f->err)), EVAL_OK);
	d = good_duty(), d.day = 20261201;
	snprintf(d.shift, sizeof(d.shift), "day");
	assert_int_equal(eval_add_duty(f->ev, &d, TODAY, &id, f->err, sizeof(f->err)), EVAL_OK);
	assert_int_equal(count_duty(f), 5);

	/* a shift after today is refused: it records what happened; today is fine */
	d = good_duty(), d.day = 20261202;
	assert_refused(eval_add_duty(f->ev, &d, 20261201, &id, f->err, sizeof(f->err)), f,
		       count_duty);
	assert_non_null(strstr(f->err, "after today"));
	assert_int_equal(eval_add_duty(f->ev, &d, 20261202, &id, f->err, sizeof(f->err)), EVAL_OK);
	assert_int_equal(count_duty(f), 6);
}

static void test_records_not_after_today(void **state)
{
	struct fixture *f = *state;
	struct eval_complaint c = good_complaint(); /* received 2026-11-30 */
	int64_t id = 0, other = 0;

	/* received after today: refused; on today: fine */
	assert_refused(eval_add_complaint(f->ev, &c, 20261129, &id, f->err, sizeof(f->err)), f,
		       count_complaints);
	assert_non_null(strstr(f->err, "after today"));
	assert_int_equal(eval_add_complaint(f->ev, &c, 20261130, &id, f->err, sizeof(f->err)),
			 EVAL_OK);
	/* closed after today: refused, still open; closed today: fine */
	assert_refused(eval_close_complaint(f->ev, id, "upheld", 20261202, 20261201, NULL, f->err,
					    sizeof(f->err)),
		       f, count_open);
	assert_non_null(strstr(f->err, "after today"));
	assert_int_equal(eval_close_complaint(f->ev, id, "upheld", 20261201, 20261201, NULL, f->err,
					      sizeof(f->err)),
			 EVAL_OK);
	/* leave is approved in advance: a year ahead is fine */
	struct eval_leave l = good_leave();
	l.day = 20271130;
	assert_int_equal(eval_add_leave(f->ev, &l, &other, f->err, sizeof(f->err)), EVAL_OK);
	/* today itself must be a date */
	c = good_complaint();
	assert_refused(eval_add_complaint(f->ev, &c, 2026113, &id, f->err, sizeof(f->err)), f,
		       count_complaints);
}

static void test_leave_days(void **state)
{
	struct fixture *f = *state;
	struct eval_leave l = good_leave(); /* window 1, whole days */
	int64_t first = 0, last = 0;

	/* 2026-11-30 to 2026-12-03: four rows, one a day, ids in order */
	assert_int_equal(
	    eval_add_leave_days(f->ev, &l, 20261203, &first, &last, f->err, sizeof(f->err)),
	    EVAL_OK);
	assert_int_equal(last - first, 3);
	assert_int_equal(count_rows(f->path, "SELECT count(*) FROM leave WHERE window = 1 AND"
					     " day IN (20261130, 20261201, 20261202, 20261203)"),
			 4);
	/* a last day before the first, or more than EVAL_MAX_LEAVE_DAYS days */
	assert_refused(
	    eval_add_leave_days(f->ev, &l, 20261129, &first, &last, f->err, sizeof(f->err)), f,
	    count_leave);
	assert_refused(eval_add_leave_days(f->ev, &l, eval_day_add(l.day, EVAL_MAX_LEAVE_DAYS),
					   &first, &last, f->err, sizeof(f->err)),
		       f, count_leave);
	/* all or nothing: a row the database refuses on the third day leaves
	 * none of the range (a trigger stands in for a failing disk) */
	exec_sql(f->path, "CREATE TRIGGER no_third BEFORE INSERT ON leave WHEN NEW.day = 20261206"
			  " BEGIN SELECT RAISE(ABORT, 'refused for the test'); END;");
	l.day = 20261204;
	f->err[0] = '\0';
	assert_int_equal(
	    eval_add_leave_days(f->ev, &l, 20261207, &first, &last, f->err, sizeof(f->err)),
	    EVAL_ERR_IO);
	assert_non_null(strstr(f->err, "refused for the test"));
	assert_int_equal(count_leave(f), 4);
	assert_int_equal(count_rows(f->path, "SELECT count(*) FROM leave WHERE day >= 20261204"),
			 0);
	/* the database is usable afterwards (no transaction left open) */
	l.day = 20261210;
	assert_int_equal(
	    eval_add_leave_days(f->ev, &l, 20261211, &first, &last, f->err, sizeof(f->err)),
	    EVAL_OK);
	assert_int_equal(count_leave(f), 6);
}

/* A window and a staff member that only the journal knows are looked for
 * in the year before the record's day (a bounded search), not the whole
 * journal. */
static void test_journal_lookback(void **state)
{
	struct fixture *f = *state;
	struct eval_leave l = {.window = 42, .day = 20271130, .from_min = 0, .to_min = 1440};
	int64_t id = 0;

	/* the journal's login at window 42 by 2001 is of 2026-11-30: 365 days
	 * before 2027-11-30, within the 366 looked back */
	assert_int_equal(eval_add_leave(f->ev, &l, &id, f->err, sizeof(f->err)), EVAL_OK);
	l.day = 20271202; /* 367 days after it: not found */
	assert_refused(eval_add_leave(f->ev, &l, &id, f->err, sizeof(f->err)), f, count_leave);
	assert_non_null(strstr(f->err, "window 42"));
	/* a window hostd has a row for in its windows table is known whatever
	 * the day */
	exec_sql(f->path, "INSERT INTO windows(number, day, state, held) VALUES (42, 20261130,"
			  " 'closed', 0)");
	assert_int_equal(eval_add_leave(f->ev, &l, &id, f->err, sizeof(f->err)), EVAL_OK);
	/* staff 2001: the journal's login, within the year */
	l = good_leave();
	snprintf(l.staff, sizeof(l.staff), "2001");
	assert_int_equal(eval_add_leave(f->ev, &l, &id, f->err, sizeof(f->err)), EVAL_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_period_names),
	    cmocka_unit_test(test_day_valid),
	    cmocka_unit_test(test_day_add),
	    cmocka_unit_test(test_day_wday_and_diff),
	    cmocka_unit_test(test_day_parse),
	    cmocka_unit_test(test_period_range),
	    cmocka_unit_test(test_wait_buckets_and_errors),
	    cmocka_unit_test_setup_teardown(test_open_missing_file, setup_files, teardown_files),
	    cmocka_unit_test_setup_teardown(test_open_not_sqlite, setup_files, teardown_files),
	    cmocka_unit_test_setup_teardown(test_open_other_sqlite, setup_files, teardown_files),
	    cmocka_unit_test_setup_teardown(test_open_schema_4, setup_files, teardown_files),
	    cmocka_unit_test_setup_teardown(test_open_schema_5, setup_db, teardown_files),
	    cmocka_unit_test_setup_teardown(test_leave_refused, setup_db, teardown_files),
	    cmocka_unit_test_setup_teardown(test_leave_added, setup_db, teardown_files),
	    cmocka_unit_test_setup_teardown(test_complaint_refused, setup_db, teardown_files),
	    cmocka_unit_test_setup_teardown(test_complaint_and_praise, setup_db, teardown_files),
	    cmocka_unit_test_setup_teardown(test_close_complaint, setup_db, teardown_files),
	    cmocka_unit_test_setup_teardown(test_duty, setup_db, teardown_files),
	    cmocka_unit_test_setup_teardown(test_records_not_after_today, setup_db, teardown_files),
	    cmocka_unit_test_setup_teardown(test_leave_days, setup_db, teardown_files),
	    cmocka_unit_test_setup_teardown(test_journal_lookback, setup_db, teardown_files),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
