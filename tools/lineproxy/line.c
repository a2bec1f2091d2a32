/*
 * line.c — the line model: where frames begin and end, when the line
 * carries each one, which faults each one gets, and the counters.
 *
 * Room: tools/lineproxy. Pure: no I/O, no clock (every call takes
 * now_ns, CLOCK_MONOTONIC in the program, a fake clock in the tests), no
 * allocation after lp_line_new(). The caller (proxy.c) owns the line.
 *
 * Frames. A pseudo-terminal carries no timing, and libmodbus writes a
 * whole frame with one write(), so on input the bytes of one end form a
 * frame until that end has been silent for the input gap: 3.5 character
 * times (the Modbus serial line rule, Modbus over Serial Line V1.02
 * §2.5.1.1), but at least LP_INPUT_GAP_MIN_NS, so that one frame the
 * kernel hands over in two reads stays one frame. The input gap is not
 * the line's t3.5: the 1.75 ms floor of the spec above 19200 baud is
 * about receivers' interrupt load, and waiting it on input would make
 * short frames late.
 *
 * Pacing. One half-duplex line for everyone. A frame of L bytes that
 * began to arrive at first_ns goes on the line when both it has arrived
 * and the line is free, takes L * bits_per_char / baud seconds, and is
 * delivered (all at once) when its last byte would arrive. The line is
 * then busy for t3.5 more: 3.5 character times, 1.75 ms above 19200 baud.
 * Frames take the line in the order they close. A frame is known only
 * once it has closed, so it is late when closing takes longer than its
 * line time (frames shorter than the input gap, at high baud rates).
 *
 * Faults. Each frame draws the same five numbers from a splitmix64
 * stream seeded with --seed, whatever it gets, so the k-th frame's
 * faults depend only on the seed and k. A dropped frame still takes the
 * line; a delayed frame holds its place and the line until it is
 * delivered, as if its sender had started late.
 */
#include <stdlib.h>
#include <string.h>

#include "lineproxy.h"

/* The frame an end is sending, not yet closed. */
struct lp_rx {
	size_t len;
	int64_t first_ns;
	int64_t last_ns;
	uint8_t buf[LP_FRAME_MAX];
};

struct lp_line {
	uint32_t baud;
	uint32_t bits_per_char;
	double corrupt_p, drop_p, delay_p;
	int64_t delay_ns;
	int64_t gap_ns;       /* t3.5 on the line */
	int64_t input_gap_ns; /* silence that closes a frame on input */
	int64_t free_ns;      /* the line is free from then on */
	uint64_t rng;
	size_t n_rx;
	struct lp_rx *rx; /* one per endpoint */
	size_t head, count;
	struct lp_frame *queue; /* LP_QUEUE_MAX, a ring: head is next */
	struct lp_stats stats;
};

int64_t lp_line_frame_ns(uint32_t baud, uint32_t bits_per_char, size_t len)
{
	return ((int64_t)len * bits_per_char * LP_NS_PER_S + baud / 2) / baud;
}

int64_t lp_line_gap_ns(uint32_t baud, uint32_t bits_per_char)
{
	if (baud > 19200)
		return 1750000;
	return (7 * (int64_t)bits_per_char * LP_NS_PER_S + baud) / (2 * (int64_t)baud);
}

int64_t lp_line_input_gap_ns(uint32_t baud, uint32_t bits_per_char)
{
	int64_t t35 = (7 * (int64_t)bits_per_char * LP_NS_PER_S + baud) / (2 * (int64_t)baud);

	return t35 > LP_INPUT_GAP_MIN_NS ? t35 : LP_INPUT_GAP_MIN_NS;
}

/* splitmix64 (Steele, Lea, Flood 2014): small, seedable with any value. */
static uint64_t rng_next(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [0, 1). */
static double rng_unit(uint64_t *state)
{
	return (double)(rng_next(state) >> 11) * 0x1.0p-53;
}

struct lp_line *lp_line_new(const struct lp_config *cfg, size_t n_endpoints)
{
	struct lp_line *line = calloc(1, sizeof(*line));

	if (line == NULL)
		goto fail;
	line->baud = cfg->baud;
	line->bits_per_char = cfg->bits_per_char;
	line->corrupt_p = cfg->corrupt_p;
	line->drop_p = cfg->drop_p;
	line->delay_p = cfg->delay_p;
	line->delay_ns = cfg->delay_ns;
	line->gap_ns = lp_line_gap_ns(cfg->baud, cfg->bits_per_char);
	line->input_gap_ns = lp_line_input_gap_ns(cfg->baud, cfg->bits_per_char);
	line->free_ns = INT64_MIN;
	line->rng = cfg->seed;
	line->n_rx = n_endpoints;
	line->rx = calloc(n_endpoints, sizeof(*line->rx));
	line->queue = calloc(LP_QUEUE_MAX, sizeof(*line->queue));
	if (line->rx == NULL || line->queue == NULL)
		goto fail;
	return line;
fail:
	lp_line_free(line);
	return NULL;
}

void lp_line_free(struct lp_line *line)
{
	if (line == NULL)
		return;
	free(line->rx);
	free(line->queue);
	free(line);
}

/* Decides the faults of the frame f and flips its bit if corrupted. */
static void apply_faults(struct lp_line *line, struct lp_frame *f)
{
	double u_drop = rng_unit(&line->rng);
	double u_corrupt = rng_unit(&line->rng);
	double u_delay = rng_unit(&line->rng);
	uint64_t r_byte = rng_next(&line->rng);
	uint64_t r_bit = rng_next(&line->rng);

	f->faults = 0;
	if (u_drop < line->drop_p) {
		f->faults |= LP_FAULT_DROP;
		line->stats.dropped++;
		return;
	}
	if (u_corrupt < line->corrupt_p) {
		f->data[r_byte % f->len] ^= (uint8_t)(1u << (r_bit % 8));
		f->faults |= LP_FAULT_CORRUPT;
		line->stats.corrupted++;
	}
	if (u_delay < line->delay_p) {
		f->faults |= LP_FAULT_DELAY;
		line->stats.delayed++;
	}
}

/* Ends the frame source is sending and gives it its place on the line. */
static void close_rx(struct lp_line *line, size_t source)
{
	struct lp_rx *rx = &line->rx[source];
	struct lp_frame *f;
	int64_t start_ns;

	if (rx->len == 0)
		return;
	line->stats.frames++;
	line->stats.bytes += rx->len;
	if (source == 0)
		line->stats.master_frames++;
	else
		line->stats.slave_frames++;
	if (line->count == LP_QUEUE_MAX) {
		line->stats.overruns++;
		rx->len = 0;
		return;
	}
	f = &line->queue[(line->head + line->count) % LP_QUEUE_MAX];
	f->source = source;
	f->len = rx->len;
	f->first_ns = rx->first_ns;
	memcpy(f->data, rx->buf, rx->len);
	apply_faults(line, f);
	start_ns = rx->first_ns > line->free_ns ? rx->first_ns : line->free_ns;
	f->deliver_ns = start_ns + lp_line_frame_ns(line->baud, line->bits_per_char, f->len);
	if (f->faults & LP_FAULT_DELAY)
		f->deliver_ns += line->delay_ns;
	line->free_ns = f->deliver_ns + line->gap_ns;
	line->count++;
	rx->len = 0;
}

static bool rx_is_due(const struct lp_line *line, const struct lp_rx *rx, int64_t now_ns)
{
	return rx->len > 0 && now_ns - rx->last_ns >= line->input_gap_ns;
}

/*
 * Takes n bytes that endpoint source sent, read at now_ns. A frame that
 * reaches LP_FRAME_MAX bytes is closed there (no Modbus frame is that
 * long: it is noise or a runaway sender).
 */
void lp_line_feed(struct lp_line *line, size_t source, const uint8_t *data, size_t n,
		  int64_t now_ns)
{
	struct lp_rx *rx = &line->rx[source];

	if (rx_is_due(line, rx, now_ns))
		close_rx(line, source);
	while (n > 0) {
		size_t k;

		if (rx->len == LP_FRAME_MAX)
			close_rx(line, source);
		if (rx->len == 0)
			rx->first_ns = now_ns;
		k = LP_FRAME_MAX - rx->len < n ? LP_FRAME_MAX - rx->len : n;
		memcpy(rx->buf + rx->len, data, k);
		rx->len += k;
		data += k;
		n -= k;
		rx->last_ns = now_ns;
	}
}

/* Closes the frames whose senders have been silent for the input gap,
 * in the order they began. */
void lp_line_close_due(struct lp_line *line, int64_t now_ns)
{
	for (;;) {
		size_t first = line->n_rx;

		for (size_t i = 0; i < line->n_rx; i++)
			if (rx_is_due(line, &line->rx[i], now_ns) &&
			    (first == line->n_rx ||
			     line->rx[i].first_ns < line->rx[first].first_ns))
				first = i;
		if (first == line->n_rx)
			return;
		close_rx(line, first);
	}
}

/* Closes every frame still arriving (at exit, so that it is counted). */
void lp_line_close_all(struct lp_line *line)
{
	lp_line_close_due(line, INT64_MAX);
}

/* The frame to deliver now (dropped ones too: the caller skips them), or
 * NULL while the next one is still on the line. */
const struct lp_frame *lp_line_due(const struct lp_line *line, int64_t now_ns)
{
	if (line->count == 0 || line->queue[line->head].deliver_ns > now_ns)
		return NULL;
	return &line->queue[line->head];
}

void lp_line_pop(struct lp_line *line)
{
	if (line->count == 0)
		return;
	line->head = (line->head + 1) % LP_QUEUE_MAX;
	line->count--;
}

/* When the line next has something to do (a frame to close or to
 * deliver); INT64_MAX when it has nothing. */
int64_t lp_line_deadline(const struct lp_line *line)
{
	int64_t t = INT64_MAX;

	if (line->count > 0)
		t = line->queue[line->head].deliver_ns;
	for (size_t i = 0; i < line->n_rx; i++) {
		const struct lp_rx *rx = &line->rx[i];

		if (rx->len > 0 && rx->last_ns + line->input_gap_ns < t)
			t = rx->last_ns + line->input_gap_ns;
	}
	return t;
}

const struct lp_stats *lp_line_stats(const struct lp_line *line)
{
	return &line->stats;
}
