/*
 * test_lineproxy_line.c — the line model of lineproxy (tools/lineproxy/
 * line.c) with a fake clock: where frames end, when each is delivered,
 * how frames queue for the line, the faults and the counters.
 *
 * Every time here is computed, none is measured: the model takes now_ns
 * from the test. tools/lineproxy/README.md states the rules checked.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lineproxy.h"

#define MS 1000000LL
#define US 1000LL

/* 115200 baud, 11 bits a character: 95.486 µs a character. */
static struct lp_config config(void)
{
	struct lp_config cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.baud = 115200;
	cfg.bits_per_char = 11;
	cfg.seed = 1;
	cfg.echo_slaves = true;
	return cfg;
}

static const uint8_t req8[8] = {0x01, 0x03, 0x00, 0x00, 0x00, 0x04, 0x44, 0x09};

static void test_timing_formulas(void **state)
{
	(void)state;
	/* 8 bytes * 11 bits / 115200 = 763.889 µs */
	assert_int_equal(lp_line_frame_ns(115200, 11, 8), 763889);
	assert_int_equal(lp_line_frame_ns(9600, 11, 8), 9166667);
	assert_int_equal(lp_line_frame_ns(9600, 10, 1), 1041667);
	/* t3.5: fixed 1.75 ms above 19200 baud, 3.5 characters at or below */
	assert_int_equal(lp_line_gap_ns(115200, 11), 1750000);
	assert_int_equal(lp_line_gap_ns(38400, 11), 1750000);
	assert_int_equal(lp_line_gap_ns(19200, 11), 2005208);
	assert_int_equal(lp_line_gap_ns(9600, 11), 4010417);
	/* the input gap: 3.5 characters, at least 0.5 ms */
	assert_int_equal(lp_line_input_gap_ns(115200, 11), 500000);
	assert_int_equal(lp_line_input_gap_ns(9600, 11), 4010417);
}

/* A frame is delivered when its last byte would arrive, counted from its
 * first byte; it closes after the input gap, before that. */
static void test_one_frame(void **state)
{
	struct lp_config cfg = config();
	struct lp_line *line = lp_line_new(&cfg, 4);
	const struct lp_frame *f;
	int64_t t0 = 10 * MS;

	(void)state;
	assert_non_null(line);
	assert_int_equal(lp_line_deadline(line), INT64_MAX);
	lp_line_feed(line, 0, req8, sizeof(req8), t0);
	assert_int_equal(lp_line_deadline(line), t0 + 500 * US);
	lp_line_close_due(line, t0 + 499 * US);
	assert_null(lp_line_due(line, t0 + 10 * MS));
	lp_line_close_due(line, t0 + 500 * US);
	assert_int_equal(lp_line_deadline(line), t0 + 763889);
	assert_null(lp_line_due(line, t0 + 763888));
	f = lp_line_due(line, t0 + 763889);
	assert_non_null(f);
	assert_int_equal(f->source, 0);
	assert_int_equal(f->len, 8);
	assert_int_equal(f->faults, 0);
	assert_memory_equal(f->data, req8, 8);
	lp_line_pop(line);
	assert_null(lp_line_due(line, INT64_MAX - 1));
	assert_int_equal(lp_line_deadline(line), INT64_MAX);
	lp_line_free(line);
}

/* Bytes closer together than the input gap are one frame; a silence of
 * the gap starts another. */
static void test_input_gap(void **state)
{
	struct lp_config cfg = config();
	struct lp_line *line = lp_line_new(&cfg, 2);
	const struct lp_frame *f;
	int64_t t0 = 1 * MS;

	(void)state;
	lp_line_feed(line, 1, req8, 3, t0);
	lp_line_feed(line, 1, req8 + 3, 5, t0 + 499 * US);
	lp_line_feed(line, 1, req8, 2, t0 + 999 * US); /* 500 µs after: a new frame */
	lp_line_close_all(line);
	f = lp_line_due(line, INT64_MAX - 1);
	assert_int_equal(f->len, 8);
	assert_int_equal(f->first_ns, t0);
	assert_memory_equal(f->data, req8, 8);
	assert_int_equal(f->deliver_ns, t0 + 763889);
	lp_line_pop(line);
	f = lp_line_due(line, INT64_MAX - 1);
	assert_int_equal(f->len, 2);
	/* the line was busy until the first frame's end + t3.5 */
	assert_int_equal(f->deliver_ns, t0 + 763889 + 1750000 + lp_line_frame_ns(115200, 11, 2));
	assert_int_equal(lp_line_stats(line)->frames, 2);
	assert_int_equal(lp_line_stats(line)->bytes, 10);
	assert_int_equal(lp_line_stats(line)->slave_frames, 2);
	assert_int_equal(lp_line_stats(line)->master_frames, 0);
	lp_line_free(line);
}

/* One half-duplex line: a frame that arrives while another is on the
 * line waits for it and its t3.5; an answer sent right after a request
 * is delivered t3.5 + its own time after the request. */
static void test_queue(void **state)
{
	struct lp_config cfg = config();
	struct lp_line *line = lp_line_new(&cfg, 4);
	uint8_t answer[13] = {0x01, 0x03, 0x08};
	const struct lp_frame *f;
	int64_t t0 = 5 * MS, d1, d2, d3;

	(void)state;
	lp_line_feed(line, 0, req8, 8, t0);
	lp_line_feed(line, 2, answer, 13, t0 + 100 * US);
	lp_line_feed(line, 3, answer, 5, t0 + 200 * US);
	lp_line_close_due(line, t0 + 700 * US);
	d1 = t0 + 763889;
	d2 = d1 + 1750000 + 1241319;
	d3 = d2 + 1750000 + 477431;
	f = lp_line_due(line, d1);
	assert_int_equal(f->source, 0);
	assert_int_equal(f->deliver_ns, d1);
	lp_line_pop(line);
	assert_null(lp_line_due(line, d2 - 1));
	f = lp_line_due(line, d2);
	assert_int_equal(f->source, 2);
	assert_int_equal(f->deliver_ns, d2);
	lp_line_pop(line);
	f = lp_line_due(line, d3);
	assert_int_equal(f->source, 3);
	assert_int_equal(f->deliver_ns, d3);
	lp_line_pop(line);
	/* long after, the line is idle: no wait */
	lp_line_feed(line, 0, req8, 8, 100 * MS);
	lp_line_close_all(line);
	assert_int_equal(lp_line_due(line, INT64_MAX - 1)->deliver_ns, 100 * MS + 763889);
	lp_line_free(line);
}

/* Frames that close together take the line in the order they began. */
static void test_close_order(void **state)
{
	struct lp_config cfg = config();
	struct lp_line *line = lp_line_new(&cfg, 4);

	(void)state;
	lp_line_feed(line, 3, req8, 8, 1 * MS + 20 * US);
	lp_line_feed(line, 1, req8, 8, 1 * MS + 10 * US);
	lp_line_feed(line, 2, req8, 8, 1 * MS + 30 * US);
	lp_line_close_due(line, 2 * MS);
	assert_int_equal(lp_line_due(line, INT64_MAX - 1)->source, 1);
	lp_line_pop(line);
	assert_int_equal(lp_line_due(line, INT64_MAX - 1)->source, 3);
	lp_line_pop(line);
	assert_int_equal(lp_line_due(line, INT64_MAX - 1)->source, 2);
	lp_line_free(line);
}

/* No frame is longer than LP_FRAME_MAX: a longer burst is split there. */
static void test_long_burst(void **state)
{
	struct lp_config cfg = config();
	struct lp_line *line = lp_line_new(&cfg, 2);
	static uint8_t burst[LP_FRAME_MAX + 100];

	(void)state;
	lp_line_feed(line, 0, burst, sizeof(burst), 1 * MS);
	lp_line_close_all(line);
	assert_int_equal(lp_line_due(line, INT64_MAX - 1)->len, LP_FRAME_MAX);
	lp_line_pop(line);
	assert_int_equal(lp_line_due(line, INT64_MAX - 1)->len, 100);
	assert_int_equal(lp_line_stats(line)->bytes, sizeof(burst));
	lp_line_free(line);
}

static int bits_differing(const uint8_t *a, const uint8_t *b, size_t n)
{
	int bits = 0;

	for (size_t i = 0; i < n; i++)
		for (uint8_t x = a[i] ^ b[i]; x != 0; x &= (uint8_t)(x - 1))
			bits++;
	return bits;
}

/* --corrupt 1: every frame has exactly one bit flipped. */
static void test_corrupt(void **state)
{
	struct lp_config cfg = config();
	struct lp_line *line;

	(void)state;
	cfg.corrupt_p = 1;
	line = lp_line_new(&cfg, 2);
	for (int i = 0; i < 50; i++) {
		const struct lp_frame *f;

		lp_line_feed(line, 0, req8, 8, (int64_t)(i + 1) * 100 * MS);
		lp_line_close_all(line);
		f = lp_line_due(line, INT64_MAX - 1);
		assert_int_equal(f->faults, LP_FAULT_CORRUPT);
		assert_int_equal(bits_differing(f->data, req8, 8), 1);
		lp_line_pop(line);
	}
	assert_int_equal(lp_line_stats(line)->corrupted, 50);
	lp_line_free(line);
}

/* --drop 1: frames are not delivered but take the line all the same. */
static void test_drop(void **state)
{
	struct lp_config cfg = config();
	struct lp_line *line;
	const struct lp_frame *f;

	(void)state;
	cfg.drop_p = 1;
	cfg.corrupt_p = 1;
	line = lp_line_new(&cfg, 2);
	lp_line_feed(line, 0, req8, 8, 1 * MS);
	lp_line_feed(line, 1, req8, 8, 1 * MS + 100 * US);
	lp_line_close_all(line);
	f = lp_line_due(line, INT64_MAX - 1);
	assert_int_equal(f->faults, LP_FAULT_DROP);
	assert_memory_equal(f->data, req8, 8);
	lp_line_pop(line);
	f = lp_line_due(line, INT64_MAX - 1);
	assert_int_equal(f->deliver_ns, 1 * MS + 763889 + 1750000 + 763889);
	assert_int_equal(lp_line_stats(line)->dropped, 2);
	assert_int_equal(lp_line_stats(line)->corrupted, 0);
	assert_int_equal(lp_line_stats(line)->frames, 2);
	lp_line_free(line);
}

/* --delay 1:5: a frame comes 5 ms late and holds the line till then. */
static void test_delay(void **state)
{
	struct lp_config cfg = config();
	struct lp_line *line;
	const struct lp_frame *f;

	(void)state;
	cfg.delay_p = 1;
	cfg.delay_ns = 5 * MS;
	line = lp_line_new(&cfg, 2);
	lp_line_feed(line, 0, req8, 8, 1 * MS);
	lp_line_feed(line, 1, req8, 8, 1 * MS + 100 * US);
	lp_line_close_all(line);
	f = lp_line_due(line, INT64_MAX - 1);
	assert_int_equal(f->faults, LP_FAULT_DELAY);
	assert_int_equal(f->deliver_ns, 1 * MS + 763889 + 5 * MS);
	lp_line_pop(line);
	f = lp_line_due(line, INT64_MAX - 1);
	assert_int_equal(f->deliver_ns, 1 * MS + 763889 + 5 * MS + 1750000 + 763889 + 5 * MS);
	assert_int_equal(lp_line_stats(line)->delayed, 2);
	lp_line_free(line);
}

/* The faults of the k-th frame depend on the seed only, so runs repeat;
 * another seed gives other faults. */
static unsigned long long fault_pattern(uint64_t seed, int *n_faults)
{
	struct lp_config cfg = config();
	struct lp_line *line;
	unsigned long long pattern = 0;

	cfg.seed = seed;
	cfg.corrupt_p = 0.3;
	cfg.drop_p = 0.1;
	line = lp_line_new(&cfg, 2);
	*n_faults = 0;
	for (int i = 0; i < 64; i++) {
		const struct lp_frame *f;

		lp_line_feed(line, (size_t)(i % 2), req8, 8, (int64_t)(i + 1) * 100 * MS);
		lp_line_close_all(line);
		f = lp_line_due(line, INT64_MAX - 1);
		if (f->faults != 0) {
			pattern |= 1ULL << i;
			(*n_faults)++;
		}
		lp_line_pop(line);
	}
	lp_line_free(line);
	return pattern;
}

static void test_seed(void **state)
{
	int n1, n2, n3;
	unsigned long long a = fault_pattern(1, &n1);
	unsigned long long b = fault_pattern(1, &n2);
	unsigned long long c = fault_pattern(2, &n3);

	(void)state;
	assert_true(a == b);
	assert_true(a != c);
	/* about 37% of 64 frames */
	assert_in_range(n1, 10, 40);
	assert_in_range(n3, 10, 40);
}

/* A full queue loses the frame but still counts it as sent. */
static void test_queue_full(void **state)
{
	struct lp_config cfg = config();
	struct lp_line *line = lp_line_new(&cfg, 2);

	(void)state;
	for (int i = 0; i < LP_QUEUE_MAX + 3; i++) {
		lp_line_feed(line, 0, req8, 8, (int64_t)(i + 1) * MS);
		lp_line_close_due(line, (int64_t)(i + 1) * MS + 600 * US);
	}
	assert_int_equal(lp_line_stats(line)->frames, LP_QUEUE_MAX + 3);
	assert_int_equal(lp_line_stats(line)->overruns, 3);
	lp_line_free(line);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_timing_formulas), cmocka_unit_test(test_one_frame),
	    cmocka_unit_test(test_input_gap),       cmocka_unit_test(test_queue),
	    cmocka_unit_test(test_close_order),     cmocka_unit_test(test_long_burst),
	    cmocka_unit_test(test_corrupt),         cmocka_unit_test(test_drop),
	    cmocka_unit_test(test_delay),           cmocka_unit_test(test_seed),
	    cmocka_unit_test(test_queue_full),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
