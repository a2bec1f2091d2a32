/*
 * selftest.c — lineproxy --selftest-pacing: how close deliveries come to
 * the line's own timing.
 *
 * Room: tools/lineproxy. A child process runs a line with a master and
 * one slave end in a fresh directory under $TMPDIR (or /tmp); this process
 * plays both programs. It sends frames of several lengths one at a time
 * on an idle line, alternately from the master and from the slave, and
 * measures from just before write() to the moment the other end has the
 * whole frame; the theory is L * bits_per_char / baud. Then request and
 * answer round trips (8 bytes, then 13 back at once), whose theory adds
 * the line's t3.5 between the two. Prints "name: value unit" lines; exits
 * 1 only when a frame arrives wrong or not at all, never for timing.
 */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lineproxy.h"

#define RECV_TIMEOUT_MS 3000

static const size_t lengths[] = {4, 8, 13, 33, 64, 256};
#define N_LENGTHS (sizeof(lengths) / sizeof(lengths[0]))

/* Errors (measured - theory) of one kind of measurement, in µs. */
struct samples {
	unsigned n, cap;
	double *err_us;
	double sum_measured_us;
};

static int note(struct samples *e, double measured_us, double theory_us)
{
	if (e->n == e->cap) {
		unsigned cap = e->cap ? 2 * e->cap : 64;
		double *p = realloc(e->err_us, cap * sizeof(*p));

		if (p == NULL)
			return -1;
		e->err_us = p;
		e->cap = cap;
	}
	e->err_us[e->n++] = measured_us - theory_us;
	e->sum_measured_us += measured_us;
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Prints NAME_error_mean and _max of e, and with all _p50, _p99 and
 * _min too (sorts e). */
static void print_errors(const char *name, struct samples *e, bool all)
{
	double sum = 0;

	if (e->n == 0)
		return;
	qsort(e->err_us, e->n, sizeof(e->err_us[0]), cmp_double);
	for (unsigned i = 0; i < e->n; i++)
		sum += e->err_us[i];
	printf("%s_error_mean: %+.1f us\n", name, sum / e->n);
	if (all)
		printf("%s_error_p50: %+.1f us\n%s_error_p99: %+.1f us\n%s_error_min: %+.1f us\n",
		       name, e->err_us[e->n / 2], name, e->err_us[e->n * 99 / 100], name,
		       e->err_us[0]);
	printf("%s_error_max: %+.1f us\n", name, e->err_us[e->n - 1]);
}

static void sleep_until(int64_t t_ns)
{
	struct timespec ts = {.tv_sec = (time_t)(t_ns / LP_NS_PER_S),
			      .tv_nsec = (long)(t_ns % LP_NS_PER_S)};

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {
	}
}

/* Reads exactly len bytes from fd into buf; *t_ns is when the last of
 * them was there. Returns 0, or -1 after RECV_TIMEOUT_MS or an error. */
static int recv_exact(int fd, uint8_t *buf, size_t len, int64_t *t_ns)
{
	size_t got = 0;

	while (got < len) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		ssize_t n;

		if (poll(&pfd, 1, RECV_TIMEOUT_MS) <= 0)
			return -1;
		*t_ns = lp_now_ns();
		n = read(fd, buf + got, len - got);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	return 0;
}

static int open_end(const char *path)
{
	int fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0)
		lp_pty_set_raw(fd);
	return fd;
}

/* Sends one frame of len bytes from one end to the other; returns the
 * measured time in µs, or -1 when it did not arrive intact. */
static double one_way(int from, int to, size_t len, unsigned seq, int64_t *recv_ns)
{
	uint8_t out[LP_FRAME_MAX], in[LP_FRAME_MAX];
	int64_t t0;

	for (size_t i = 0; i < len; i++)
		out[i] = (uint8_t)(seq * 31 + i);
	t0 = lp_now_ns();
	if (write(from, out, len) != (ssize_t)len)
		return -1;
	if (recv_exact(to, in, len, recv_ns) != 0 || memcmp(in, out, len) != 0)
		return -1;
	return (double)(*recv_ns - t0) / 1000.0;
}

static int wait_ready(const char *path, pid_t child)
{
	for (int i = 0; i < 10000; i++) {
		if (access(path, F_OK) == 0)
			return 0;
		if (waitpid(child, NULL, WNOHANG) != 0)
			return -1;
		sleep_until(lp_now_ns() + 1000000);
	}
	return -1;
}

/* Sends the one-way frames, then the round trips; fills the samples. */
static int run_frames(const struct lp_config *cfg, int master, int slave,
		      struct samples per_len[N_LENGTHS], struct samples *all, struct samples *rt)
{
	int64_t gap_ns = lp_line_gap_ns(cfg->baud, cfg->bits_per_char);
	int64_t recv_ns = 0;
	unsigned n_rt = cfg->selftest_frames / 4 > 0 ? cfg->selftest_frames / 4 : 1;

	for (unsigned i = 0; i < cfg->selftest_frames; i++) {
		size_t len = lengths[i % N_LENGTHS];
		bool from_master = (i / N_LENGTHS) % 2 == 0;
		double theory_us =
		    (double)lp_line_frame_ns(cfg->baud, cfg->bits_per_char, len) / 1000.0;
		double us = one_way(from_master ? master : slave, from_master ? slave : master, len,
				    i, &recv_ns);

		if (us < 0) {
			fprintf(stderr, "lineproxy: selftest: frame %u (%zu bytes) lost\n", i, len);
			return 1;
		}
		if (note(&per_len[i % N_LENGTHS], us, theory_us) != 0 ||
		    note(all, us, theory_us) != 0)
			return 1;
		sleep_until(recv_ns + gap_ns + 1000000);
	}
	for (unsigned i = 0; i < n_rt; i++) {
		uint8_t req[8], ans[13];
		int64_t t0, t1 = 0;
		double theory_us =
		    (double)(lp_line_frame_ns(cfg->baud, cfg->bits_per_char, 8) + gap_ns +
			     lp_line_frame_ns(cfg->baud, cfg->bits_per_char, 13)) /
		    1000.0;

		memset(req, (int)i, sizeof(req));
		memset(ans, (int)i + 1, sizeof(ans));
		t0 = lp_now_ns();
		if (write(master, req, sizeof(req)) != (ssize_t)sizeof(req) ||
		    recv_exact(slave, req, sizeof(req), &t1) != 0 ||
		    write(slave, ans, sizeof(ans)) != (ssize_t)sizeof(ans) ||
		    recv_exact(master, ans, sizeof(ans), &t1) != 0) {
			fprintf(stderr, "lineproxy: selftest: round trip %u lost\n", i);
			return 1;
		}
		if (note(rt, (double)(t1 - t0) / 1000.0, theory_us) != 0)
			return 1;
		sleep_until(t1 + gap_ns + 1000000);
	}
	return 0;
}

static int measure(const struct lp_config *cfg, int master, int slave)
{
	struct samples per_len[N_LENGTHS], all, rt;
	int rc;

	memset(per_len, 0, sizeof(per_len));
	memset(&all, 0, sizeof(all));
	memset(&rt, 0, sizeof(rt));
	rc = run_frames(cfg, master, slave, per_len, &all, &rt);
	if (rc != 0)
		goto done;
	printf("baud: %u bit/s\nbits_per_char: %u\n", cfg->baud, cfg->bits_per_char);
	printf("line_gap: %.1f us\ninput_gap: %.1f us\n",
	       (double)lp_line_gap_ns(cfg->baud, cfg->bits_per_char) / 1000.0,
	       (double)lp_line_input_gap_ns(cfg->baud, cfg->bits_per_char) / 1000.0);
	for (size_t k = 0; k < N_LENGTHS; k++) {
		struct samples *e = &per_len[k];
		char name[32];

		if (e->n == 0)
			continue;
		snprintf(name, sizeof(name), "frame_%zu", lengths[k]);
		printf("%s_theory: %.1f us\n%s_measured_mean: %.1f us\n", name,
		       (double)lp_line_frame_ns(cfg->baud, cfg->bits_per_char, lengths[k]) / 1000.0,
		       name, e->sum_measured_us / e->n);
		print_errors(name, e, false);
	}
	printf("frames: %u\n", all.n);
	print_errors("pacing", &all, true);
	printf("roundtrips: %u\nroundtrip_theory: %.1f us\nroundtrip_measured_mean: %.1f us\n",
	       rt.n,
	       (double)(lp_line_frame_ns(cfg->baud, cfg->bits_per_char, 8) +
			lp_line_gap_ns(cfg->baud, cfg->bits_per_char) +
			lp_line_frame_ns(cfg->baud, cfg->bits_per_char, 13)) /
		   1000.0,
	       rt.sum_measured_us / rt.n);
	print_errors("roundtrip", &rt, true);
done:
	for (size_t k = 0; k < N_LENGTHS; k++)
		free(per_len[k].err_us);
	free(all.err_us);
	free(rt.err_us);
	return rc;
}

/* Prints the line's own lateness from its stats file: how late the proxy
 * wrote frames against their time, before the pseudo-terminals add
 * theirs. */
static void print_line_stats(const char *path)
{
	char line[128];
	FILE *f = fopen(path, "r");

	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		unsigned long long v;

		if (sscanf(line, "late_max_us: %llu", &v) == 1)
			printf("line_late_max: %llu us\n", v);
		else if (sscanf(line, "late: %llu", &v) == 1)
			printf("line_late_frames: %llu\n", v);
	}
	fclose(f);
}

int lp_selftest_pacing(const struct lp_config *cfg)
{
	const char *tmpdir = getenv("TMPDIR");
	char dir[PATH_MAX - 16], master_path[PATH_MAX], slave_path[PATH_MAX], ready_path[PATH_MAX],
	    stats_path[PATH_MAX];
	struct lp_config line = *cfg;
	int master = -1, slave = -1, status = 1;
	pid_t child;

	if (tmpdir == NULL || *tmpdir == '\0')
		tmpdir = "/tmp";
	if (snprintf(dir, sizeof(dir), "%s/lineproxy-selftest-XXXXXX", tmpdir) >=
		(int)sizeof(dir) ||
	    mkdtemp(dir) == NULL) {
		lp_log("selftest: cannot make a directory in %s: %s", tmpdir, strerror(errno));
		return 1;
	}
	snprintf(master_path, sizeof(master_path), "%s/master", dir);
	snprintf(slave_path, sizeof(slave_path), "%s/slave", dir);
	snprintf(ready_path, sizeof(ready_path), "%s/ready", dir);
	snprintf(stats_path, sizeof(stats_path), "%s/stats", dir);
	line.master_path = master_path;
	line.slave_paths[0] = slave_path;
	line.n_slaves = 1;
	line.ready_path = ready_path;
	line.stats_path = stats_path;
	line.selftest = false;
	line.corrupt_p = line.drop_p = line.delay_p = 0;
	fflush(stdout);
	child = fork();
	if (child < 0) {
		lp_log("selftest: fork: %s", strerror(errno));
		goto done;
	}
	if (child == 0)
		return lp_proxy_main(&line);
	if (wait_ready(ready_path, child) != 0) {
		lp_log("selftest: the line did not start");
		goto done;
	}
	master = open_end(master_path);
	slave = open_end(slave_path);
	if (master < 0 || slave < 0) {
		lp_log("selftest: cannot open the ends: %s", strerror(errno));
		goto done;
	}
	/* Let the line see both opens before the first frame. */
	sleep_until(lp_now_ns() + 20000000);
	status = measure(cfg, master, slave);
done:
	if (master >= 0)
		close(master);
	if (slave >= 0)
		close(slave);
	if (child > 0) {
		kill(child, SIGTERM);
		waitpid(child, NULL, 0);
		if (status == 0)
			print_line_stats(stats_path);
	}
	unlink(master_path);
	unlink(slave_path);
	unlink(ready_path);
	unlink(stats_path);
	rmdir(dir);
	return status;
}
