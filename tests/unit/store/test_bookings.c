/*
 * test_bookings.c — hostd/store/bookings.c: the bookings table of schema
 * 6. Rows written are read back whole; each count counts what its comment
 * says and nothing else; the day close turns exactly the bookings it
 * should into no-shows; the phone number is in no column.
 *
 * The expected counts are worked out by hand from the rows each test
 * writes; the test reads the file with SQLite directly where it checks
 * what is stored.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "store/store.h"

enum { DAY = 20261130, SLOT_0830 = 1795998600 }; /* 2026-11-30 08:30 +08:00 */

struct fixture {
	char dir[64];
	char path[96];
	struct store *st;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char err[256];

	snprintf(f->dir, sizeof(f->dir), "/tmp/hallq-bookings-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/hallq.db", f->dir);
	if (store_open(f->path, &f->st, err, sizeof(err)) != STORE_OK)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char file[128];
	static const char *const suffixes[] = {"", "-wal", "-shm"};

	store_close(f->st);
	for (int i = 0; i < 3; i++) {
		snprintf(file, sizeof(file), "%s%s", f->path, suffixes[i]);
		unlink(file);
	}
	rmdir(f->dir);
	free(f);
	return 0;
}

static int query_int(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *q = NULL;
	int value = -1;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK);
	if (sqlite3_step(q) == SQLITE_ROW)
		value = sqlite3_column_int(q, 0);
	sqlite3_finalize(q);
	sqlite3_close(db);
	return value;
}

/* A booking: code and key from n, the rest as given. */
static struct store_booking booking(int n, const char *service, int32_t day, int64_t slot_s,
				    const char *hash, int state)
{
	struct store_booking b = {0};

	snprintf(b.code, sizeof(b.code), "%08d", 10000000 + n % 1000);
	snprintf(b.key, sizeof(b.key), "key-%04d", n);
	snprintf(b.service, sizeof(b.service), "%s", service);
	b.day = day;
	b.slot_s = slot_s;
	b.slot_min = 30;
	snprintf(b.phone_mask, sizeof(b.phone_mask), "138****%04d", n % 1000);
	snprintf(b.phone_hash, sizeof(b.phone_hash), "%s", hash);
	b.state = state;
	b.created_s = slot_s - 86400;
	return b;
}

static void insert(struct fixture *f, struct store_booking b)
{
	assert_int_equal(store_booking_insert(f->st, &b), STORE_OK);
}

static void test_round_trip(void **state)
{
	struct fixture *f = *state;
	struct store_booking b = booking(1, "property", DAY, SLOT_0830, "aa", STORE_BOOKING_BOOKED);
	struct store_booking got;
	bool found = false;

	insert(f, b);
	assert_int_equal(store_booking_by_code(f->st, "10000001", &got, &found), STORE_OK);
	assert_true(found);
	assert_string_equal(got.code, "10000001");
	assert_string_equal(got.key, "key-0001");
	assert_string_equal(got.service, "property");
	assert_int_equal(got.day, DAY);
	assert_int_equal(got.slot_s, SLOT_0830);
	assert_int_equal(got.slot_min, 30);
	assert_string_equal(got.phone_mask, "138****0001");
	assert_string_equal(got.phone_hash, "aa");
	assert_int_equal(got.state, STORE_BOOKING_BOOKED);
	assert_string_equal(got.ticket, "");
	assert_false(got.late);
	assert_int_equal(got.created_s, SLOT_0830 - 86400);
	assert_int_equal(got.cancelled_s, 0);
	assert_int_equal(got.checked_in_s, 0);

	/* checked in: the ticket, the time, the source, late */
	got.state = STORE_BOOKING_CHECKED_IN;
	snprintf(got.ticket, sizeof(got.ticket), "F004");
	got.late = true;
	got.checked_in_s = SLOT_0830 + 60;
	snprintf(got.check_in_source, sizeof(got.check_in_source), "kiosk-1");
	assert_int_equal(store_booking_update(f->st, &got), STORE_OK);
	assert_int_equal(store_booking_by_key(f->st, "key-0001", &b, &found), STORE_OK);
	assert_true(found);
	assert_int_equal(b.state, STORE_BOOKING_CHECKED_IN);
	assert_string_equal(b.ticket, "F004");
	assert_true(b.late);
	assert_int_equal(b.checked_in_s, SLOT_0830 + 60);
	assert_string_equal(b.check_in_source, "kiosk-1");

	assert_int_equal(store_booking_by_code(f->st, "99999999", &got, &found), STORE_OK);
	assert_false(found);
	assert_int_equal(store_booking_by_key(f->st, "key-0002", &got, &found), STORE_OK);
	assert_false(found);
	/* the stored text of the state, as docs/store.md names it */
	assert_int_equal(query_int(f->path, "SELECT count(*) FROM bookings WHERE state ="
					    " 'checked_in' AND ticket = 'F004' AND late = 1"),
			 1);
}

static void test_codes_and_keys_unique(void **state)
{
	struct fixture *f = *state;
	struct store_booking b = booking(1, "property", DAY, SLOT_0830, "aa", STORE_BOOKING_BOOKED);

	insert(f, b);
	snprintf(b.key, sizeof(b.key), "another-key");
	assert_int_not_equal(store_booking_insert(f->st, &b), STORE_OK); /* same code */
	b = booking(2, "property", DAY, SLOT_0830, "aa", STORE_BOOKING_BOOKED);
	snprintf(b.key, sizeof(b.key), "key-0001");
	assert_int_not_equal(store_booking_insert(f->st, &b), STORE_OK); /* same key */
	assert_int_equal(query_int(f->path, "SELECT count(*) FROM bookings"), 1);
}

static void test_counts(void **state)
{
	struct fixture *f = *state;
	int n = -1;

	/* slot 08:30 of property: 3 booked or checked in, 1 cancelled; 09:00: 1 */
	insert(f, booking(1, "property", DAY, SLOT_0830, "p1", STORE_BOOKING_BOOKED));
	insert(f, booking(2, "property", DAY, SLOT_0830, "p2", STORE_BOOKING_CHECKED_IN));
	insert(f, booking(3, "property", DAY, SLOT_0830, "p3", STORE_BOOKING_CANCELLED));
	insert(f, booking(4, "property", DAY, SLOT_0830, "p1", STORE_BOOKING_BOOKED));
	insert(f, booking(5, "property", DAY, SLOT_0830 + 1800, "p2", STORE_BOOKING_BOOKED));
	/* company, same day: p1 once more; and p1 on the next day */
	insert(f, booking(6, "company", DAY, SLOT_0830, "p1", STORE_BOOKING_BOOKED));
	insert(f, booking(7, "company", DAY + 1, SLOT_0830 + 86400, "p1", STORE_BOOKING_BOOKED));

	assert_int_equal(store_booking_count_slot(f->st, "property", SLOT_0830, &n), STORE_OK);
	assert_int_equal(n, 3); /* 1, 2, 4 */
	assert_int_equal(store_booking_count_slot(f->st, "property", SLOT_0830 + 1800, &n),
			 STORE_OK);
	assert_int_equal(n, 1);
	assert_int_equal(store_booking_count_slot(f->st, "company", SLOT_0830 + 1800, &n),
			 STORE_OK);
	assert_int_equal(n, 0);

	assert_int_equal(store_booking_count_phone(f->st, "p1", DAY, "property", &n), STORE_OK);
	assert_int_equal(n, 2); /* 1, 4 */
	assert_int_equal(store_booking_count_phone(f->st, "p1", DAY, NULL, &n), STORE_OK);
	assert_int_equal(n, 3); /* 1, 4, 6 */
	assert_int_equal(store_booking_count_phone(f->st, "p3", DAY, NULL, &n), STORE_OK);
	assert_int_equal(n, 0); /* cancelled */
	assert_int_equal(store_booking_count_phone(f->st, "p1", DAY + 1, NULL, &n), STORE_OK);
	assert_int_equal(n, 1);

	/* still to come in: booked only, slot at or after the limit */
	assert_int_equal(store_booking_count_due(f->st, "property", DAY, SLOT_0830, &n), STORE_OK);
	assert_int_equal(n, 3); /* 1, 4, 5 */
	assert_int_equal(store_booking_count_due(f->st, "property", DAY, SLOT_0830 + 1, &n),
			 STORE_OK);
	assert_int_equal(n, 1); /* 5 */
	assert_int_equal(store_booking_count_due(f->st, "company", DAY, 0, &n), STORE_OK);
	assert_int_equal(n, 1); /* 6; 7 is of the next day */
}

static int collect(void *arg, const struct store_booking *b)
{
	char *out = arg;

	strcat(out, b->code + 6); /* the last two digits */
	strcat(out, " ");
	return strcmp(b->code, "10000009") == 0; /* stops after 09 */
}

static void test_bookings_of_day(void **state)
{
	struct fixture *f = *state;
	char seen[128] = "";

	/* by slot, then by insertion */
	insert(f, booking(1, "property", DAY, SLOT_0830 + 1800, "p", STORE_BOOKING_BOOKED));
	insert(f, booking(2, "company", DAY, SLOT_0830, "p", STORE_BOOKING_CANCELLED));
	insert(f, booking(3, "property", DAY, SLOT_0830, "p", STORE_BOOKING_BOOKED));
	insert(f, booking(4, "property", DAY + 1, SLOT_0830 + 86400, "p", STORE_BOOKING_BOOKED));
	assert_int_equal(store_bookings_of_day(f->st, DAY, NULL, collect, seen), STORE_OK);
	assert_string_equal(seen, "02 03 01 ");
	seen[0] = '\0';
	assert_int_equal(store_bookings_of_day(f->st, DAY, "property", collect, seen), STORE_OK);
	assert_string_equal(seen, "03 01 ");
	/* a nonzero answer stops */
	insert(f, booking(9, "property", DAY, SLOT_0830, "p", STORE_BOOKING_BOOKED));
	insert(f, booking(10, "property", DAY, SLOT_0830, "p", STORE_BOOKING_BOOKED));
	seen[0] = '\0';
	assert_int_equal(store_bookings_of_day(f->st, DAY, "property", collect, seen), STORE_OK);
	assert_string_equal(seen, "03 09 ");
}

static void test_close_and_no_shows(void **state)
{
	struct fixture *f = *state;
	struct store_booking b;
	bool found;
	int32_t days[8];
	int n = -1;

	/* the day before: 1 never came; 2 came, ticket A001 a no-show; 3 came,
	 * A002 finished; 4 cancelled. Today: 5 booked. */
	insert(f, booking(1, "property", DAY - 1, SLOT_0830 - 86400, "p", STORE_BOOKING_BOOKED));
	b = booking(2, "property", DAY - 1, SLOT_0830 - 86400, "p", STORE_BOOKING_CHECKED_IN);
	snprintf(b.ticket, sizeof(b.ticket), "A001");
	insert(f, b);
	b = booking(3, "property", DAY - 1, SLOT_0830 - 86400, "q", STORE_BOOKING_CHECKED_IN);
	snprintf(b.ticket, sizeof(b.ticket), "A002");
	insert(f, b);
	insert(f, booking(4, "property", DAY - 1, SLOT_0830 - 86400, "p", STORE_BOOKING_CANCELLED));
	insert(f, booking(5, "property", DAY, SLOT_0830, "p", STORE_BOOKING_BOOKED));
	/* the tickets projection of the day before, as the day close left it;
	 * A001 of today is another ticket (finished) */
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(
	    sqlite3_exec(db,
			 "INSERT INTO tickets(day, ticket, issued_service, service, class, state,"
			 " issued_at, hold_s, recalls, no_shows, transfers, called_specifically)"
			 " VALUES (20261129, 'A001', 'property', 'property', 'appointment',"
			 " 'no_show', 1, 0, 0, 2, 0, 0),"
			 " (20261129, 'A002', 'property', 'property', 'appointment', 'finished',"
			 " 1, 0, 0, 0, 0, 0),"
			 " (20261130, 'A001', 'property', 'property', 'normal', 'finished',"
			 " 1, 0, 0, 0, 0, 0)",
			 NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);

	assert_int_equal(store_bookings_close(f->st, DAY, &n), STORE_OK);
	assert_int_equal(n, 2); /* 1 and 2 */
	static const int want[] = {0,
				   STORE_BOOKING_NO_SHOW,
				   STORE_BOOKING_NO_SHOW,
				   STORE_BOOKING_CHECKED_IN,
				   STORE_BOOKING_CANCELLED,
				   STORE_BOOKING_BOOKED};
	for (int k = 1; k <= 5; k++) {
		char code[16];
		snprintf(code, sizeof(code), "%08d", 10000000 + k);
		assert_int_equal(store_booking_by_code(f->st, code, &b, &found), STORE_OK);
		assert_true(found);
		assert_int_equal(b.state, want[k]);
	}
	/* again: nothing more */
	assert_int_equal(store_bookings_close(f->st, DAY, &n), STORE_OK);
	assert_int_equal(n, 0);

	/* the phone's no-shows, newest first, from a day on */
	insert(f,
	       booking(6, "company", 20261120, SLOT_0830 - 10 * 86400, "p", STORE_BOOKING_NO_SHOW));
	insert(f,
	       booking(7, "company", 20261021, SLOT_0830 - 40 * 86400, "p", STORE_BOOKING_NO_SHOW));
	assert_int_equal(store_booking_no_show_days(f->st, "p", 20261031, days, 8, &n), STORE_OK);
	assert_int_equal(n, 3);
	assert_int_equal(days[0], DAY - 1);
	assert_int_equal(days[1], DAY - 1);
	assert_int_equal(days[2], 20261120);
	assert_int_equal(store_booking_no_show_days(f->st, "q", 0, days, 8, &n), STORE_OK);
	assert_int_equal(n, 0);
}

/* The states by the names docs/store.md gives them. */
static void test_state_names(void **state)
{
	(void)state;
	assert_string_equal(store_booking_state_name(STORE_BOOKING_BOOKED), "booked");
	assert_string_equal(store_booking_state_name(STORE_BOOKING_CANCELLED), "cancelled");
	assert_string_equal(store_booking_state_name(STORE_BOOKING_CHECKED_IN), "checked_in");
	assert_string_equal(store_booking_state_name(STORE_BOOKING_NO_SHOW), "no_show");
	assert_string_equal(store_booking_state_name(99), "unknown");
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_codes_and_keys_unique, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_counts, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bookings_of_day, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_close_and_no_shows, setup, teardown),
	    cmocka_unit_test(test_state_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
