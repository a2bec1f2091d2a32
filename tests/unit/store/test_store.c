/*
 * test_store.c — hostd/store/store.c: a new database is created in WAL
 * mode at the current schema; reopening keeps it; a newer schema, another
 * program's SQLite database and a file that is not SQLite are refused
 * without being changed.
 *
 * The test reads and writes the files with SQLite directly to set up and
 * to check, independently of the store's own reports.
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

#include "store/store.h"

struct fixture {
	char dir[64];
	char path[96];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/hallq-store-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/hallq.db", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char file[128];
	static const char *const suffixes[] = {"", "-wal", "-shm"};

	for (int i = 0; i < 3; i++) {
		snprintf(file, sizeof(file), "%s%s", f->path, suffixes[i]);
		unlink(file);
	}
	rmdir(f->dir);
	free(f);
	return 0;
}

static int pragma(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *stmt = NULL;
	int value = -1;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL), SQLITE_OK);
	if (sqlite3_step(stmt) == SQLITE_ROW)
		value = sqlite3_column_int(stmt, 0);
	sqlite3_finalize(stmt);
	sqlite3_close(db);
	return value;
}

static void exec(const char *path, const char *sql)
{
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static void test_create_then_reopen(void **state)
{
	struct fixture *f = *state;
	struct store *st = NULL;
	char err[256];

	assert_int_equal(store_open(f->path, &st, err, sizeof(err)), STORE_OK);
	assert_non_null(st);
	assert_int_equal(store_schema_version(st), STORE_SCHEMA_VERSION);
	assert_string_equal(store_journal_mode(st), "wal");
	store_close(st);

	assert_int_equal(pragma(f->path, "PRAGMA application_id"), 0x48414C51);
	assert_int_equal(pragma(f->path, "PRAGMA user_version"), 6);
	assert_int_equal(pragma(f->path, "SELECT count(*) FROM meta WHERE key = 'created_by'"), 1);

	/* Reopening migrates nothing and keeps what is there. */
	exec(f->path, "INSERT INTO meta(key, value) VALUES ('probe', 'kept')");
	assert_int_equal(store_open(f->path, &st, err, sizeof(err)), STORE_OK);
	store_close(st);
	assert_int_equal(pragma(f->path, "SELECT count(*) FROM meta WHERE value = 'kept'"), 1);
}

/* A version-1 database, as the first release wrote it, is brought up to
 * date in place and keeps its data. */
static void test_migrates_version_1(void **state)
{
	struct fixture *f = *state;
	struct store *st = NULL;
	char err[256];

	exec(f->path, "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;"
		      "INSERT INTO meta VALUES ('created_by', 'hallq 0.0.1');"
		      "PRAGMA application_id = 1212238929; PRAGMA user_version = 1;");
	assert_int_equal(store_open(f->path, &st, err, sizeof(err)), STORE_OK);
	assert_int_equal(store_schema_version(st), 6);
	store_close(st);
	assert_int_equal(pragma(f->path, "SELECT count(*) FROM meta WHERE value = 'hallq 0.0.1'"),
			 1);
	assert_int_equal(pragma(f->path, "SELECT count(*) FROM sqlite_schema WHERE name IN"
					 " ('events', 'tickets', 'windows', 'devices', 'prints',"
					 " 'secrets', 'leave', 'bookings')"),
			 8);
}

static int collect_device(void *arg, const struct store_device *d)
{
	struct store_device *out = arg;
	int i = 0;

	while (out[i].id[0])
		i++;
	out[i] = *d;
	return 0;
}

static int collect_print(void *arg, const struct store_print *p)
{
	struct store_print *out = arg;
	int i = 0;

	while (out[i].device[0])
		i++;
	out[i] = *p;
	return 0;
}

/* A device row is replaced whole; prints owed are kept until deleted. */
static void test_devices_round_trip(void **state)
{
	struct fixture *f = *state;
	struct store *st = NULL;
	char err[256];
	struct store_device got[4];
	struct store_print owed[4];

	assert_int_equal(store_open(f->path, &st, err, sizeof(err)), STORE_OK);
	struct store_device k = {.id = "kiosk-1", .boot = 0x1a2b, .seq = 7};
	struct store_device w = {.id = "terminal-5", .boot = 9, .seq = 32767};
	assert_int_equal(store_put_device(st, &k), STORE_OK);
	assert_int_equal(store_put_device(st, &w), STORE_OK);
	k.seq = 8;
	assert_int_equal(store_put_device(st, &k), STORE_OK);
	memset(got, 0, sizeof(got));
	assert_int_equal(store_devices(st, collect_device, got), STORE_OK);
	assert_string_equal(got[0].id, "kiosk-1");
	assert_int_equal(got[0].boot, 0x1a2b);
	assert_int_equal(got[0].seq, 8);
	assert_string_equal(got[1].id, "terminal-5");
	assert_int_equal(got[1].seq, 32767);
	assert_string_equal(got[2].id, "");

	struct store_print p1 = {.device = "kiosk-1",
				 .seq = 0x8007,
				 .boot = 0x1a2b,
				 .day = 20261128,
				 .ticket = "A023",
				 .people_ahead = 5,
				 .wait_min = 12};
	struct store_print p2 = p1;
	p2.seq = 0x8008;
	snprintf(p2.ticket, sizeof(p2.ticket), "B001");
	assert_int_equal(store_put_print(st, &p1), STORE_OK);
	assert_int_equal(store_put_print(st, &p2), STORE_OK);
	assert_int_equal(store_delete_print(st, "kiosk-1", 0x8007), STORE_OK);
	assert_int_equal(store_delete_print(st, "kiosk-2", 0x8008), STORE_OK); /* none */
	memset(owed, 0, sizeof(owed));
	assert_int_equal(store_prints(st, collect_print, owed), STORE_OK);
	assert_string_equal(owed[0].device, "kiosk-1");
	assert_int_equal(owed[0].seq, 0x8008);
	assert_int_equal(owed[0].boot, 0x1a2b);
	assert_int_equal(owed[0].day, 20261128);
	assert_string_equal(owed[0].ticket, "B001");
	assert_int_equal(owed[0].people_ahead, 5);
	assert_int_equal(owed[0].wait_min, 12);
	assert_string_equal(owed[1].device, "");

	/* A new day forgets the prints owed on the days before it. */
	struct store_print p3 = p1;
	p3.seq = 0x8009;
	p3.day = 20261130;
	assert_int_equal(store_put_print(st, &p3), STORE_OK);
	assert_int_equal(store_prune_prints(st, 20261128), STORE_OK); /* none before 28th */
	memset(owed, 0, sizeof(owed));
	assert_int_equal(store_prints(st, collect_print, owed), STORE_OK);
	assert_int_equal(owed[0].seq, 0x8008);
	assert_int_equal(owed[1].seq, 0x8009);
	assert_int_equal(store_prune_prints(st, 20261130), STORE_OK);
	memset(owed, 0, sizeof(owed));
	assert_int_equal(store_prints(st, collect_print, owed), STORE_OK);
	assert_int_equal(owed[0].seq, 0x8009);
	assert_int_equal(owed[0].day, 20261130);
	assert_string_equal(owed[1].device, "");
	store_close(st);
}

/* A secret is made once (random, the length asked) and read back the same,
 * also after a reopen; another name is another secret. */
static void test_secret_kept(void **state)
{
	struct fixture *f = *state;
	struct store *st = NULL;
	char err[256];
	uint8_t a[32], b[32], c[32], zero[32] = {0};

	assert_int_equal(store_open(f->path, &st, err, sizeof(err)), STORE_OK);
	assert_int_equal(store_secret(st, "k", a, sizeof(a)), STORE_OK);
	assert_memory_not_equal(a, zero, sizeof(a)); /* 2^-256 to fail by chance */
	assert_int_equal(store_secret(st, "other", c, sizeof(c)), STORE_OK);
	assert_memory_not_equal(a, c, sizeof(a));
	store_close(st);
	assert_int_equal(store_open(f->path, &st, err, sizeof(err)), STORE_OK);
	assert_int_equal(store_secret(st, "k", b, sizeof(b)), STORE_OK);
	assert_memory_equal(a, b, sizeof(a));
	store_close(st);
	assert_int_equal(pragma(f->path, "SELECT count(*) FROM secrets"), 2);
}

static void test_meta_replaced(void **state)
{
	struct fixture *f = *state;
	struct store *st = NULL;
	char err[256];

	assert_int_equal(store_open(f->path, &st, err, sizeof(err)), STORE_OK);
	assert_int_equal(store_put_meta(st, "config", "{\"a\": 1}"), STORE_OK);
	assert_int_equal(store_put_meta(st, "config", "{\"b\": 2}"), STORE_OK);
	store_close(st);
	assert_int_equal(pragma(f->path, "SELECT count(*) FROM meta WHERE key = 'config'"), 1);
	assert_int_equal(
	    pragma(f->path,
		   "SELECT count(*) FROM meta WHERE key = 'config' AND value = '{\"b\": 2}'"),
	    1);
	/* schema 5: the evaluation's tables are there */
	assert_int_equal(pragma(f->path, "SELECT count(*) FROM sqlite_schema WHERE name IN "
					 "('leave', 'complaints', 'duty_shifts', 'eval_records')"),
			 4);
}

static void test_newer_schema_refused(void **state)
{
	struct fixture *f = *state;
	struct store *st = NULL;
	char err[256];

	assert_int_equal(store_open(f->path, &st, err, sizeof(err)), STORE_OK);
	store_close(st);
	exec(f->path, "PRAGMA user_version = 99");

	assert_int_equal(store_open(f->path, &st, err, sizeof(err)), STORE_ERR_TOO_NEW);
	assert_null(st);
	assert_non_null(strstr(err, "schema version 99 is newer than this hostd knows (6)"));
	assert_non_null(strstr(err, f->path));
	assert_int_equal(pragma(f->path, "PRAGMA user_version"), 99);
}

static void test_foreign_database_refused(void **state)
{
	struct fixture *f = *state;
	struct store *st = NULL;
	char err[256];

	exec(f->path, "CREATE TABLE accounts(id INTEGER)");
	assert_int_equal(store_open(f->path, &st, err, sizeof(err)), STORE_ERR_NOT_HALLQ);
	assert_null(st);
	assert_non_null(strstr(err, "not a hallq database"));
	assert_int_equal(pragma(f->path, "SELECT count(*) FROM sqlite_schema"), 1);
	assert_int_equal(pragma(f->path, "PRAGMA user_version"), 0);
}

static void test_not_sqlite_refused(void **state)
{
	struct fixture *f = *state;
	struct store *st = NULL;
	char err[256];
	FILE *out = fopen(f->path, "w");

	assert_non_null(out);
	fputs("this is a text file, not a database, and it is long enough to have a header\n", out);
	fclose(out);
	assert_int_equal(store_open(f->path, &st, err, sizeof(err)), STORE_ERR_NOT_HALLQ);
	assert_null(st);
	assert_non_null(strstr(err, "not an SQLite file"));
}

static void test_unwritable_folder(void **state)
{
	struct store *st = NULL;
	char err[256];
	(void)state;

	assert_true(store_open("/nonexistent-dir/hallq.db", &st, err, sizeof(err)) < 0);
	assert_null(st);
	assert_non_null(strstr(err, "/nonexistent-dir/hallq.db: cannot open"));
}

static void test_strerror_names_every_error(void **state)
{
	(void)state;
	for (int e = STORE_ERR_READONLY; e <= STORE_OK; e++)
		assert_string_not_equal(store_strerror(e), "unknown store error");
	assert_string_equal(store_strerror(-100), "unknown store error");
	assert_string_equal(store_error_name(STORE_ERR_FULL), "DISK_FULL");
	assert_string_equal(store_error_name(STORE_ERR_BUSY), "LOCKED");
	assert_string_equal(store_error_name(STORE_ERR_READONLY), "READ_ONLY");
	assert_string_equal(store_error_name(STORE_ERR_IO), "IO_ERROR");
}

/* The check write works on a free database, names a lock held by another
 * connection, and works again once it goes. */
static void test_check_write(void **state)
{
	struct fixture *f = *state;
	struct store *st = NULL;
	sqlite3 *other = NULL;
	char err[256];

	assert_int_equal(store_open(f->path, &st, err, sizeof(err)), STORE_OK);
	assert_int_equal(store_busy_timeout(st), STORE_BUSY_TIMEOUT_MS);
	assert_int_equal(store_check_write(st, 1796000000), STORE_OK);
	assert_int_equal(pragma(f->path, "SELECT value FROM meta WHERE key = 'write_checked_at'"),
			 1796000000);
	store_set_busy_timeout(st, 50);
	assert_int_equal(sqlite3_open(f->path, &other), SQLITE_OK);
	assert_int_equal(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(store_check_write(st, 1796000060), STORE_ERR_BUSY);
	assert_non_null(strstr(store_last_error(st), "locked"));
	assert_int_equal(sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(other);
	assert_int_equal(store_check_write(st, 1796000120), STORE_OK);
	assert_int_equal(pragma(f->path, "SELECT value FROM meta WHERE key = 'write_checked_at'"),
			 1796000120);
	store_close(st);
}

struct calls {
	int n;
	struct store_call c[8];
};

static int collect_call(void *arg, const struct store_call *c)
{
	struct calls *out = arg;

	out->c[out->n++] = *c;
	return out->n == 8;
}

/* The day's last calls, newest first, with the ticket's service now and
 * recalls marked; other days and other operations are not calls. */
static void test_recent_calls(void **state)
{
	struct fixture *f = *state;
	struct store *st = NULL;
	char err[256];
	struct calls got = {0};

	assert_int_equal(store_open(f->path, &st, err, sizeof(err)), STORE_OK);
	exec(f->path,
	     "INSERT INTO events(day, at, minute, wday, op, window, ticket, source) VALUES"
	     " (20261127, 100, 540, 5, 'call_next', 1, 'A009', 't'),"
	     " (20261130, 200, 541, 1, 'issue', NULL, 'A001', 'k'),"
	     " (20261130, 300, 542, 1, 'call_next', 2, 'A001', 't'),"
	     " (20261130, 400, 543, 1, 'start', 2, 'A001', 't'),"
	     " (20261130, 500, 544, 1, 'call_ticket', 3, 'B001', 't'),"
	     " (20261130, 600, 545, 1, 'recall', 3, 'B001', 't'),"
	     " (20261130, 700, 546, 1, 'call_back', 1, 'C001', 't');"
	     "INSERT INTO tickets(day, ticket, issued_service, service, class, state, issued_at,"
	     " hold_s, recalls, no_shows, transfers, called_specifically) VALUES"
	     " (20261130, 'A001', 'company', 'tax', 'normal', 'serving', 200, 0, 0, 0, 1, 0),"
	     " (20261130, 'B001', 'tax', 'tax', 'normal', 'called', 400, 0, 1, 0, 0, 1);");
	assert_int_equal(store_recent_calls(st, 20261130, 3, collect_call, &got), STORE_OK);
	assert_int_equal(got.n, 3);
	assert_string_equal(got.c[0].ticket, "C001");
	assert_int_equal(got.c[0].window, 1);
	assert_string_equal(got.c[0].service, ""); /* no tickets row */
	assert_false(got.c[0].recall);
	assert_string_equal(got.c[1].ticket, "B001");
	assert_int_equal(got.c[1].window, 3);
	assert_true(got.c[1].recall);
	assert_int_equal(got.c[1].at_s, 600);
	assert_string_equal(got.c[2].ticket, "B001");
	assert_false(got.c[2].recall);
	memset(&got, 0, sizeof(got));
	assert_int_equal(store_recent_calls(st, 20261130, 10, collect_call, &got), STORE_OK);
	assert_int_equal(got.n, 4);
	assert_string_equal(got.c[3].ticket, "A001");
	assert_string_equal(got.c[3].service, "tax"); /* transferred: its service now */
	memset(&got, 0, sizeof(got));
	assert_int_equal(store_recent_calls(st, 20261201, 10, collect_call, &got), STORE_OK);
	assert_int_equal(got.n, 0);
	store_close(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_create_then_reopen, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_migrates_version_1, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_devices_round_trip, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_secret_kept, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_meta_replaced, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_newer_schema_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_foreign_database_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_not_sqlite_refused, setup, teardown),
	    cmocka_unit_test(test_unwritable_folder),
	    cmocka_unit_test(test_strerror_names_every_error),
	    cmocka_unit_test_setup_teardown(test_check_write, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_recent_calls, setup, teardown),
	};
	return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
