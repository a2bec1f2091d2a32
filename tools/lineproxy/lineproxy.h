/*
 * lineproxy.h — an RS-485 multi-drop line emulated over pseudo-terminals.
 *
 * Room: tools/lineproxy, a test tool: libc only (Linux: pseudo-terminals,
 * inotify, timerfd). The master (hostd) and each slave (a device program)
 * open a pseudo-terminal of their own; lineproxy holds the other ends and
 * joins them into one half-duplex line: a frame one end sends reaches the
 * others when its last byte would have on a real line at the given baud
 * rate, one frame on the line at a time, with optional faults. README.md
 * beside this file says how frames are found and paced.
 *
 * The files, as a map:
 *   line.c      the line model: frames, pacing, faults, counters. Pure: no
 *               I/O and no clock (the caller passes now_ns), so the tests
 *               drive it with a fake clock.
 *   pty.c       one endpoint: its pseudo-terminal, its symlink, whether a
 *               program has it open.
 *   proxy.c     the loop: reads ends, asks the line, writes frames out;
 *               signals, the stats and ready files.
 *   options.c   the command line.
 *   selftest.c  --selftest-pacing: measured against theoretical line time.
 *   main.c      wiring only.
 */
#ifndef LINEPROXY_H
#define LINEPROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LP_FRAME_MAX        1024   /* bytes; a Modbus RTU frame is at most 256 */
#define LP_QUEUE_MAX        256    /* frames waiting for the line */
#define LP_SLAVES_MAX       247    /* as many as Modbus has unit addresses */
#define LP_INPUT_GAP_MIN_NS 500000 /* silence that ends a frame on input, at least */
#define LP_NS_PER_S         1000000000LL

/* What the command line asks for. Strings point into argv. */
struct lp_config {
	const char *master_path;
	const char *slave_paths[LP_SLAVES_MAX];
	size_t n_slaves;
	uint32_t baud;
	uint32_t bits_per_char; /* 11: start, 8 data, parity or a 2nd stop, stop */
	double corrupt_p;
	double drop_p;
	double delay_p;
	int64_t delay_ns;
	uint64_t seed;
	bool echo_slaves; /* a slave's frame reaches the other slaves too */
	const char *stats_path;
	const char *ready_path;
	bool verbose;
	bool selftest;            /* --selftest-pacing */
	uint32_t selftest_frames; /* --frames */
};

/* Faults a frame was given (lp_frame.faults). */
enum lp_fault {
	LP_FAULT_CORRUPT = 1 << 0, /* one bit flipped */
	LP_FAULT_DROP = 1 << 1,    /* on the line, but nobody receives it */
	LP_FAULT_DELAY = 1 << 2,   /* delivered delay_ns late */
};

/* The counters of the stats file. */
struct lp_stats {
	uint64_t frames; /* every frame an end sent, dropped ones included */
	uint64_t bytes;  /* the sum of their lengths */
	uint64_t corrupted;
	uint64_t dropped;
	uint64_t delayed;
	uint64_t master_frames;
	uint64_t slave_frames;
	uint64_t overruns;    /* a frame lost to a full queue or a receiver's full buffer */
	uint64_t late;        /* frames delivered more than 0.5 ms after their time */
	uint64_t late_max_ns; /* the latest delivery, against its time */
};

/* A frame on the line. Endpoint 0 is the master, 1..n the slaves. */
struct lp_frame {
	size_t source;
	size_t len;
	int64_t first_ns;   /* its first byte was read */
	int64_t deliver_ns; /* its last byte reaches the receivers */
	unsigned faults;    /* enum lp_fault */
	uint8_t data[LP_FRAME_MAX];
};

struct lp_line;

/* line.c */
struct lp_line *lp_line_new(const struct lp_config *cfg, size_t n_endpoints);
void lp_line_free(struct lp_line *line);
void lp_line_feed(struct lp_line *line, size_t source, const uint8_t *data, size_t n,
		  int64_t now_ns);
void lp_line_close_due(struct lp_line *line, int64_t now_ns);
void lp_line_close_all(struct lp_line *line);
const struct lp_frame *lp_line_due(const struct lp_line *line, int64_t now_ns);
void lp_line_pop(struct lp_line *line);
int64_t lp_line_deadline(const struct lp_line *line);
const struct lp_stats *lp_line_stats(const struct lp_line *line);
int64_t lp_line_frame_ns(uint32_t baud, uint32_t bits_per_char, size_t len);
int64_t lp_line_gap_ns(uint32_t baud, uint32_t bits_per_char);
int64_t lp_line_input_gap_ns(uint32_t baud, uint32_t bits_per_char);

/* pty.c */
struct lp_endpoint {
	const char *link; /* the path programs open */
	char pts[64];     /* the pseudo-terminal it points to */
	int ptm;          /* our end, non-blocking */
	int held;         /* the program's end, held open by us */
	int watch;        /* inotify watch on pts, -1 if none */
	int opens;        /* programs that have pts open, as inotify counts */
	int64_t retry_ns; /* after a read error: do not read before */
};
int lp_endpoint_open(struct lp_endpoint *ep, const char *link, int inotify_fd);
void lp_endpoint_close(struct lp_endpoint *ep);
int lp_pty_set_raw(int fd);

/* proxy.c */
int lp_proxy_main(const struct lp_config *cfg);
int64_t lp_now_ns(void);
void lp_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* options.c */
enum { LP_OPTIONS_RUN = -1 };
int lp_options_parse(int argc, char **argv, struct lp_config *cfg);

/* selftest.c */
int lp_selftest_pacing(const struct lp_config *cfg);

#endif
