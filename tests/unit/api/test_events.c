/*
 * test_events.c — the API's log of the day's events (hostd/api/events.c):
 * a stream resumes after its Last-Event-ID with exactly what it missed;
 * the log is bounded (8 MiB of event text: docs/api.md),
 * the oldest going first, and a resume from before what is kept gets a
 * reset; a new day empties it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "api/api_impl.h"

enum { DAY = 20260316, LOG_BYTES = 8 << 20 };

static void add(struct api_events *ev, int32_t day, int i, size_t pad)
{
	cJSON *data = cJSON_CreateObject();
	char *filler = malloc(pad + 1);

	memset(filler, 'x', pad);
	filler[pad] = 0;
	cJSON_AddNumberToObject(data, "i", i);
	cJSON_AddStringToObject(data, "pad", filler);
	api_events_add(ev, day, "ticket", data);
	cJSON_Delete(data);
	free(filler);
}

/* Reads what a stream has now, as one string (events, reset or keep-alive). */
static char *read_some(struct api_stream *s)
{
	size_t cap = 1 << 16;
	char *buf = malloc(cap + 1);
	ssize_t n = api_stream_read(s, 0, buf, cap);

	assert_true(n > 0);
	buf[n] = 0;
	return buf;
}

static int count_of(const char *text, const char *needle)
{
	int n = 0;

	for (const char *p = strstr(text, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

static void resume_gets_what_was_missed(void **state)
{
	(void)state;
	struct api_events ev;
	char id[64], expect[64];

	api_events_init(&ev);
	for (int i = 1; i <= 5; i++)
		add(&ev, DAY, i, 10);
	snprintf(id, sizeof(id), "%lld-2", (long long)ev.boot);
	struct api_stream *s = api_stream_new(&ev, id);
	char *got = read_some(s);
	assert_int_equal(count_of(got, "event: ticket"), 3);
	for (int n = 3; n <= 5; n++) {
		snprintf(expect, sizeof(expect), "id: %lld-%d\n", (long long)ev.boot, n);
		assert_non_null(strstr(got, expect));
	}
	snprintf(expect, sizeof(expect), "id: %lld-2\n", (long long)ev.boot);
	assert_null(strstr(got, expect));
	free(got);
	api_stream_free(s);

	/* another boot's id: reset */
	s = api_stream_new(&ev, "1-2");
	got = read_some(s);
	assert_non_null(strstr(got, "event: reset"));
	free(got);
	api_stream_free(s);
	api_events_free(&ev);
}

static void log_is_bounded_by_bytes(void **state)
{
	(void)state;
	struct api_events ev;
	char id[64], expect[64];
	const int n_events = 1200; /* 1200 x ~10 KB: about 12 MB offered */

	api_events_init(&ev);
	for (int i = 1; i <= n_events; i++)
		add(&ev, DAY, i, 10000);
	/* the texts kept: what the log counts, within the bound, and the
	 * newest events, contiguous up to the last */
	size_t sum = 0;
	for (size_t k = 0; k < ev.n_ring; k++) {
		sum += ev.ring[k].len;
		assert_int_equal(ev.ring[k].n, ev.ring[0].n + k);
	}
	assert_int_equal(sum, ev.bytes);
	assert_true(ev.bytes <= (size_t)LOG_BYTES + 10100);
	assert_true(ev.bytes > (size_t)LOG_BYTES * 8 / 10); /* a tenth at a time goes */
	assert_true(ev.ring[0].n > 1);
	assert_int_equal(ev.ring[ev.n_ring - 1].n, (uint64_t)n_events);

	/* from the first id: gone, so reset */
	snprintf(id, sizeof(id), "%lld-1", (long long)ev.boot);
	struct api_stream *s = api_stream_new(&ev, id);
	char *got = read_some(s);
	assert_non_null(strstr(got, "event: reset"));
	free(got);
	api_stream_free(s);

	/* from four before the last: those four, in order (one read holds them) */
	snprintf(id, sizeof(id), "%lld-%d", (long long)ev.boot, n_events - 4);
	s = api_stream_new(&ev, id);
	got = read_some(s);
	assert_int_equal(count_of(got, "event: ticket"), 4);
	const char *at = got;
	for (int n = n_events - 3; n <= n_events; n++) {
		snprintf(expect, sizeof(expect), "id: %lld-%d\n", (long long)ev.boot, n);
		at = strstr(at, expect);
		assert_non_null(at);
	}
	free(got);
	api_stream_free(s);
	api_events_free(&ev);
}

static void new_day_empties_the_log(void **state)
{
	(void)state;
	struct api_events ev;
	char id[64];

	api_events_init(&ev);
	for (int i = 1; i <= 3; i++)
		add(&ev, DAY, i, 100);
	add(&ev, DAY + 1, 4, 100);
	assert_int_equal(ev.n_ring, 1);
	assert_int_equal(ev.bytes, ev.ring[0].len);
	snprintf(id, sizeof(id), "%lld-2", (long long)ev.boot);
	struct api_stream *s = api_stream_new(&ev, id);
	char *got = read_some(s);
	assert_non_null(strstr(got, "event: reset"));
	free(got);
	api_stream_free(s);
	api_events_free(&ev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(resume_gets_what_was_missed),
	    cmocka_unit_test(log_is_bounded_by_bytes),
	    cmocka_unit_test(new_day_empties_the_log),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
