/*
 * proxy.c — the loop: reads what each end sends, lets the line model
 * (line.c) frame, pace and spoil it, and writes each frame to its
 * receivers at its time.
 *
 * Room: tools/lineproxy. One thread; lp_proxy_main() owns the proxy and
 * everything in it. The only state outside it is the write end of the
 * signal pipe, which a signal handler has to find.
 *
 * Time is CLOCK_MONOTONIC. The loop sleeps in poll() on the ends, the
 * inotify watch, the signal pipe and a timerfd armed at the line's next
 * deadline (absolute, nanoseconds: poll's own millisecond timeout is too
 * coarse for a line whose characters last 95 µs), so it wakes for a
 * delivery within tens of microseconds and burns no CPU while idle.
 */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/timerfd.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "lineproxy.h"

#define READ_RETRY_NS (50 * 1000000LL) /* after EIO or hangup on an end */
#define LATE_NS       500000           /* a delivery later than this is "late" */
#define TTY_ROOM      3800             /* bytes a receiver's tty may hold unread */

struct lp_proxy {
	const struct lp_config *cfg;
	size_t n_ep; /* 1 + cfg->n_slaves; endpoint 0 is the master */
	struct lp_endpoint *ep;
	struct lp_line *line;
	int inotify_fd;   /* -1: count no opens, deliver to every end */
	int timer_fd;     /* armed at the line's next deadline */
	int64_t armed_ns; /* what timer_fd is armed at; INT64_MAX: disarmed */
	int64_t start_ns; /* for the verbose log */
	uint64_t overruns, late, late_max_ns;
	bool stop;
};

/* The write end of the signal pipe: signal handlers reach the loop only
 * through it. */
static int signal_pipe_wr = -1;

int64_t lp_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * LP_NS_PER_S + ts.tv_nsec;
}

void lp_log(const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "lineproxy: %s\n", line);
}

static void on_signal(int signo)
{
	int saved = errno;
	unsigned char b = (unsigned char)signo;

	if (write(signal_pipe_wr, &b, 1) < 0) {
		/* the pipe is full: the loop has signals to read already */
	}
	errno = saved;
}

static int install_signals(int pipe_fd[2])
{
	struct sigaction sa;
	const int handled[] = {SIGINT, SIGTERM, SIGHUP, SIGUSR1};

	if (pipe(pipe_fd) != 0)
		return -errno;
	for (int i = 0; i < 2; i++) {
		fcntl(pipe_fd[i], F_SETFL, O_NONBLOCK);
		fcntl(pipe_fd[i], F_SETFD, FD_CLOEXEC);
	}
	signal_pipe_wr = pipe_fd[1];
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(handled) / sizeof(handled[0]); i++)
		if (sigaction(handled[i], &sa, NULL) != 0)
			return -errno;
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	return 0;
}

/* Writes "name: value" lines to path.tmp, then renames it over path, so a
 * reader sees the old file or the new one, never half of one. */
static int write_stats(const struct lp_proxy *p)
{
	const struct lp_stats *s = lp_line_stats(p->line);
	char tmp[PATH_MAX];
	FILE *f;

	if (p->cfg->stats_path == NULL)
		return 0;
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", p->cfg->stats_path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	f = fopen(tmp, "w");
	if (f == NULL)
		goto fail;
	fprintf(f,
		"frames: %llu\nbytes: %llu\ncorrupted: %llu\ndropped: %llu\ndelayed: %llu\n"
		"master_frames: %llu\nslave_frames: %llu\noverruns: %llu\nlate: %llu\n"
		"late_max_us: %llu\n",
		(unsigned long long)s->frames, (unsigned long long)s->bytes,
		(unsigned long long)s->corrupted, (unsigned long long)s->dropped,
		(unsigned long long)s->delayed, (unsigned long long)s->master_frames,
		(unsigned long long)s->slave_frames,
		(unsigned long long)(s->overruns + p->overruns), (unsigned long long)p->late,
		(unsigned long long)(p->late_max_ns / 1000));
	if (fclose(f) != 0 || rename(tmp, p->cfg->stats_path) != 0)
		goto fail;
	return 0;
fail:
	lp_log("%s: cannot write the stats: %s", p->cfg->stats_path, strerror(errno));
	unlink(tmp);
	return -1;
}

static int write_ready(const struct lp_proxy *p)
{
	char tmp[PATH_MAX];
	FILE *f;

	if (p->cfg->ready_path == NULL)
		return 0;
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", p->cfg->ready_path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	f = fopen(tmp, "w");
	if (f == NULL)
		goto fail;
	fprintf(f, "lineproxy %ld\n", (long)getpid());
	if (fclose(f) != 0 || rename(tmp, p->cfg->ready_path) != 0)
		goto fail;
	return 0;
fail:
	lp_log("%s: cannot write the ready file: %s", p->cfg->ready_path, strerror(errno));
	unlink(tmp);
	return -1;
}

static void proxy_free(struct lp_proxy *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; p->ep != NULL && i < p->n_ep; i++)
		lp_endpoint_close(&p->ep[i]);
	free(p->ep);
	lp_line_free(p->line);
	if (p->inotify_fd >= 0)
		close(p->inotify_fd);
	if (p->timer_fd >= 0)
		close(p->timer_fd);
	if (p->cfg->ready_path != NULL)
		unlink(p->cfg->ready_path);
	free(p);
}

static struct lp_proxy *proxy_new(const struct lp_config *cfg)
{
	struct lp_proxy *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	p->cfg = cfg;
	p->n_ep = 1 + cfg->n_slaves;
	p->inotify_fd = p->timer_fd = -1;
	p->armed_ns = INT64_MAX;
	p->ep = calloc(p->n_ep, sizeof(*p->ep));
	p->line = lp_line_new(cfg, p->n_ep);
	if (p->ep == NULL || p->line == NULL)
		goto fail;
	for (size_t i = 0; i < p->n_ep; i++)
		p->ep[i].ptm = p->ep[i].held = p->ep[i].watch = -1;
	if (cfg->ready_path != NULL)
		unlink(cfg->ready_path);
	p->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (p->timer_fd < 0) {
		lp_log("timerfd_create: %s", strerror(errno));
		goto fail;
	}
	p->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (p->inotify_fd < 0)
		lp_log("inotify_init1: %s; delivering to ends nobody has open", strerror(errno));
	for (size_t i = 0; i < p->n_ep; i++) {
		const char *link = i == 0 ? cfg->master_path : cfg->slave_paths[i - 1];

		if (lp_endpoint_open(&p->ep[i], link, p->inotify_fd) != 0)
			goto fail;
		if (cfg->verbose)
			lp_log("%s -> %s", link, p->ep[i].pts);
	}
	p->start_ns = lp_now_ns();
	return p;
fail:
	proxy_free(p);
	return NULL;
}

/* Counts opens and closes of the ends' pts. When the first program opens
 * an end or the last closes it, its input is flushed: what was written
 * before is stale for the next program. A second program opening an end
 * (stty, a second master) takes nothing from the first. */
static void read_inotify(struct lp_proxy *p)
{
	union {
		struct inotify_event ev;
		char bytes[4096];
	} buf;
	ssize_t n;

	while ((n = read(p->inotify_fd, buf.bytes, sizeof(buf.bytes))) > 0) {
		for (ssize_t off = 0; off < n;) {
			struct inotify_event ev;

			memcpy(&ev, buf.bytes + off, sizeof(ev));
			off += (ssize_t)(sizeof(ev) + ev.len);
			if (ev.mask & IN_Q_OVERFLOW) {
				lp_log("inotify overflow: delivering to ends nobody has open");
				close(p->inotify_fd);
				p->inotify_fd = -1;
				return;
			}
			for (size_t i = 0; i < p->n_ep; i++) {
				struct lp_endpoint *ep = &p->ep[i];

				if (ep->watch != ev.wd)
					continue;
				int before = ep->opens;

				if (ev.mask & IN_OPEN)
					ep->opens++;
				if ((ev.mask & IN_CLOSE) && ep->opens > 0)
					ep->opens--;
				if (ev.mask & IN_IGNORED)
					ep->watch = -1;
				if ((before == 0) != (ep->opens == 0))
					tcflush(ep->held, TCIFLUSH);
				if (p->cfg->verbose)
					lp_log("%s: %s, %d open", ep->link,
					       ev.mask & IN_OPEN ? "opened" : "closed", ep->opens);
			}
		}
	}
}

static bool is_listening(const struct lp_proxy *p, const struct lp_endpoint *ep)
{
	return p->inotify_fd < 0 || ep->watch < 0 || ep->opens > 0;
}

static void log_frame(const struct lp_proxy *p, const struct lp_frame *f, int64_t now_ns)
{
	char hex[3 * 64 + 4] = "", from[32] = "master";
	size_t k = 0;

	for (size_t i = 0; i < f->len && i < 64; i++)
		k += (size_t)snprintf(hex + k, sizeof(hex) - k, " %02x", f->data[i]);
	if (f->len > 64)
		snprintf(hex + k, sizeof(hex) - k, " ...");
	if (f->source != 0)
		snprintf(from, sizeof(from), "slave %zu", f->source);
	lp_log("%.6f %s %zu bytes%s%s%s, %+lld us:%s", (double)(now_ns - p->start_ns) / LP_NS_PER_S,
	       from, f->len, f->faults & LP_FAULT_DROP ? " dropped" : "",
	       f->faults & LP_FAULT_CORRUPT ? " corrupted" : "",
	       f->faults & LP_FAULT_DELAY ? " delayed" : "",
	       (long long)((now_ns - f->deliver_ns) / 1000), hex);
}

/* Writes f to one receiver, all of it or nothing: a receiver whose tty is
 * full (a program that stopped reading) misses the frame, as a UART whose
 * FIFO overflows would. */
static void write_frame(struct lp_proxy *p, struct lp_endpoint *ep, const struct lp_frame *f)
{
	int queued = 0;
	ssize_t n;

	if (ioctl(ep->held, FIONREAD, &queued) == 0 && queued + (int)f->len > TTY_ROOM) {
		p->overruns++;
		return;
	}
	n = write(ep->ptm, f->data, f->len);
	if (n != (ssize_t)f->len) {
		p->overruns++;
		if (p->cfg->verbose)
			lp_log("%s: frame lost: %s", ep->link,
			       n < 0 ? strerror(errno) : "short write");
	}
}

/* Hands f to everyone on the line but its sender: a master's frame to
 * every slave, a slave's to the master and, with echo_slaves, the other
 * slaves. */
static void deliver(struct lp_proxy *p, const struct lp_frame *f, int64_t now_ns)
{
	int64_t late_ns = now_ns - f->deliver_ns;

	if (late_ns > LATE_NS)
		p->late++;
	if (late_ns > 0 && (uint64_t)late_ns > p->late_max_ns)
		p->late_max_ns = (uint64_t)late_ns;
	if (p->cfg->verbose)
		log_frame(p, f, now_ns);
	if (f->faults & LP_FAULT_DROP)
		return;
	for (size_t i = 0; i < p->n_ep; i++) {
		if (i == f->source || (f->source != 0 && i != 0 && !p->cfg->echo_slaves))
			continue;
		if (is_listening(p, &p->ep[i]))
			write_frame(p, &p->ep[i], f);
	}
}

/* Reads everything an end has sent. A read error (EIO: nobody has the
 * other side open, which our held fd should prevent) pauses the end for
 * READ_RETRY_NS rather than spin on it. */
static void read_end(struct lp_proxy *p, size_t i, int64_t now_ns)
{
	uint8_t buf[4096];

	for (;;) {
		ssize_t n = read(p->ep[i].ptm, buf, sizeof(buf));

		if (n > 0) {
			lp_line_feed(p->line, i, buf, (size_t)n, now_ns);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (p->cfg->verbose)
			lp_log("%s: %s; retrying later", p->ep[i].link,
			       n == 0 ? "end of file" : strerror(errno));
		p->ep[i].retry_ns = now_ns + READ_RETRY_NS;
		return;
	}
}

static void read_signals(struct lp_proxy *p, int fd)
{
	unsigned char sig;

	while (read(fd, &sig, 1) == 1) {
		if (sig == SIGUSR1)
			write_stats(p);
		else
			p->stop = true;
	}
}

/* Arms the timer at deadline_ns (absolute), or disarms it. */
static void arm_timer(struct lp_proxy *p, int64_t deadline_ns)
{
	struct itimerspec its;

	if (deadline_ns == p->armed_ns)
		return;
	memset(&its, 0, sizeof(its));
	if (deadline_ns != INT64_MAX) {
		its.it_value.tv_sec = (time_t)(deadline_ns / LP_NS_PER_S);
		its.it_value.tv_nsec = (long)(deadline_ns % LP_NS_PER_S);
		if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0)
			its.it_value.tv_nsec = 1;
	}
	if (timerfd_settime(p->timer_fd, TFD_TIMER_ABSTIME, &its, NULL) == 0)
		p->armed_ns = deadline_ns;
}

/* Does what is due at now_ns; returns the poll timeout that the ends
 * paused after a read error need (-1: none). */
static int run_due(struct lp_proxy *p, int64_t now_ns)
{
	const struct lp_frame *f;
	int64_t retry_ns = INT64_MAX;

	lp_line_close_due(p->line, now_ns);
	while ((f = lp_line_due(p->line, now_ns)) != NULL) {
		deliver(p, f, lp_now_ns());
		lp_line_pop(p->line);
	}
	for (size_t i = 0; i < p->n_ep; i++)
		if (p->ep[i].retry_ns > now_ns && p->ep[i].retry_ns < retry_ns)
			retry_ns = p->ep[i].retry_ns;
	if (retry_ns == INT64_MAX)
		return -1;
	return (int)((retry_ns - now_ns + 999999) / 1000000);
}

static int run(struct lp_proxy *p, int signal_fd)
{
	struct pollfd *fds = calloc(3 + p->n_ep, sizeof(*fds));
	size_t *end_of = calloc(3 + p->n_ep, sizeof(*end_of));

	if (fds == NULL || end_of == NULL) {
		free(fds);
		free(end_of);
		return -ENOMEM;
	}
	while (!p->stop) {
		int64_t now_ns = lp_now_ns();
		int timeout_ms = run_due(p, now_ns);
		int64_t deadline_ns = lp_line_deadline(p->line);
		nfds_t n = 0, ends;

		if (deadline_ns <= lp_now_ns())
			continue;
		arm_timer(p, deadline_ns);
		fds[n++] = (struct pollfd){.fd = signal_fd, .events = POLLIN};
		fds[n++] = (struct pollfd){.fd = p->timer_fd, .events = POLLIN};
		if (p->inotify_fd >= 0)
			fds[n++] = (struct pollfd){.fd = p->inotify_fd, .events = POLLIN};
		ends = n;
		for (size_t i = 0; i < p->n_ep; i++) {
			if (p->ep[i].retry_ns > now_ns)
				continue;
			end_of[n] = i;
			fds[n++] = (struct pollfd){.fd = p->ep[i].ptm, .events = POLLIN};
		}
		if (poll(fds, n, timeout_ms) < 0) {
			if (errno == EINTR)
				continue;
			lp_log("poll: %s", strerror(errno));
			break;
		}
		now_ns = lp_now_ns();
		if (fds[0].revents != 0)
			read_signals(p, signal_fd);
		if (fds[1].revents != 0) {
			uint64_t expirations;

			if (read(p->timer_fd, &expirations, sizeof(expirations)) > 0)
				p->armed_ns = INT64_MAX;
		}
		/* Opens before reads: a program that opened its end before a
		 * frame was sent is counted when the frame is delivered. */
		if (ends == 3 && fds[2].revents != 0)
			read_inotify(p);
		for (nfds_t k = ends; k < n; k++)
			if (fds[k].revents != 0)
				read_end(p, end_of[k], now_ns);
	}
	free(fds);
	free(end_of);
	return 0;
}

/*
 * Runs lineproxy: makes the ends and their symlinks, writes the ready
 * file, serves until SIGINT, SIGTERM or SIGHUP, then writes the stats and
 * removes the symlinks and the ready file. Returns the exit status: 0
 * after a signal, 1 when the system fails.
 */
int lp_proxy_main(const struct lp_config *cfg)
{
	int pipe_fd[2] = {-1, -1};
	struct lp_proxy *p = NULL;
	int status = 1;

	if (install_signals(pipe_fd) != 0) {
		lp_log("cannot install the signal handlers: %s", strerror(errno));
		goto done;
	}
	p = proxy_new(cfg);
	if (p == NULL || write_ready(p) != 0)
		goto done;
	if (run(p, pipe_fd[0]) == 0)
		status = 0;
	/* What arrived before the stop is counted too. */
	for (size_t i = 0; i < p->n_ep; i++)
		read_end(p, i, lp_now_ns());
	lp_line_close_all(p->line);
	if (write_stats(p) != 0)
		status = 1;
done:
	proxy_free(p);
	signal_pipe_wr = -1;
	for (int i = 0; i < 2; i++)
		if (pipe_fd[i] >= 0)
			close(pipe_fd[i]);
	return status;
}
