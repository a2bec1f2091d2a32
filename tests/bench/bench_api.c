/*
 * bench_api.c — hostd's HTTP API over loopback: how fast GET /api/v1/state
 * is answered, and how long a call takes to reach 100 event streams.
 *
 * A program, not a test: it never judges a duration. It starts the built
 * hostd on a temporary config (open all day, every day; no buses), tokens
 * file and database, puts some state in the hall through the API (200
 * tickets issued, 4 windows logged in, each with a called ticket), then
 *
 *   1. throughput: C client threads (2, then 8), each on its own keep-alive
 *      HTTP/1.1 connection, send back-to-back GET /api/v1/state until
 *      50,000 answers are in (or 15 s passed); the latency of one
 *      request is write to last byte of the answer. The baseline, measured
 *      just before in the same way, is GET /api/v1/nonexistent with a valid
 *      token: a 404 JSON answer through the same HTTP path, no core view.
 *   2. SSE fan-out: S subscribers (1, then 100) on GET /api/v1/events, each
 *      its own socket, read by one poll() thread that stamps each read.
 *      Then K calls, one at a time, POST /api/v1/windows/N/call-next
 *      (admin; windows 1-4 in turn): the latency is from just before the
 *      POST is written to the arrival of that call's `event: call` (matched
 *      by ticket number) at each subscriber. Before the first call,
 *      tickets are issued until every stream has had an event (hostd has
 *      taken every subscriber's request); after each call the window
 *      finishes its ticket, and the next call waits until every subscriber
 *      has had every event so far (the state's event_id): each call starts
 *      on quiet streams.
 *
 * Prints "name: value unit" lines: cpus and loadavg_1min (client and hostd
 * share these cores); api_state_bytes; for C in 2 and 8,
 * api_baseline_cC_rps/_p50_ms/_p99_ms, api_state_cC_rps/_p50_ms/_p99_ms
 * and api_state_vs_baseline_cC; the 8-client figures again as
 * api_state_rps, api_state_p50_ms, api_state_p99_ms, api_baseline_rps and
 * api_state_vs_baseline; sse_call_to_1_subscriber_p50_ms/_p99_ms,
 * api_call_next_1_subscriber_p50_ms, sse_fanout_subscribers,
 * sse_call_to_subscriber_p50_ms/_p99_ms, sse_fanout_p50_vs_1,
 * api_call_next_p50_ms (the POST's own round trip, with 100 subscribers);
 * error counts when something went wrong; hostd_exit (its exit status
 * after SIGTERM).
 *
 * usage: bench_api [--quick] [HOSTD]
 *   --quick  small counts (2000 requests, 10 subscribers, 10 calls): a
 *            check that it still runs, not a measurement
 *   HOSTD    the hostd to start (default: the one built with this program)
 * Files go in a fresh directory under $TMPDIR (or /tmp), removed at the end
 * unless something failed. Exit status 0 when every request was answered
 * as expected and hostd exited 0.
 */
#define _DEFAULT_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

enum {
	SERVICES = 3,
	WINDOWS = 8,
	LOGGED_IN = 4, /* windows 1..4 are logged in and take the calls */
	MAX_CLIENTS = 8,
	LABEL_SIZE = 8,    /* "A023" */
	MAX_ARRIVALS = 64, /* calls one subscriber records: K + warm-up */
	IO_TIMEOUT_S = 20, /* a request not answered in this is a hang */
	EVENT_TIMEOUT_MS = 10000,
	REPLY_MAX = 4 << 20,
};

static const char admin_token[] = "bench-admin-token-0000000001";
static const char display_token[] = "bench-display-token-00000001";
static const char kiosk_token[] = "bench-kiosk-token-0000000001";

struct params {
	int tickets;  /* issued before measuring */
	int requests; /* per throughput measurement */
	double deadline_s;
	int subscribers; /* of the fan-out */
	int calls;       /* measured calls per fan-out run */
};

static const struct params full = {200, 50000, 15, 100, 50};
static const struct params quick = {40, 2000, 5, 10, 10};

struct bench {
	char dir[256];
	const char *hostd;
	int port;
	pid_t pid;
	struct params p;
	bool window_busy[WINDOWS + 1]; /* has a called ticket */
	int next_window;               /* index into 1..LOGGED_IN for the next call */
	long errors;                   /* anything answered not as expected */
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void sleep_ms(double ms)
{
	struct timespec ts = {(time_t)(ms / 1000),
			      (long)((ms - (double)(long)(ms / 1000) * 1000) * 1e6)};
	nanosleep(&ts, NULL);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Sorts v and returns its q-th quantile (0..1), as bench_bus does; 0 if empty. */
static double quantile(double *v, size_t n, double q)
{
	if (n == 0)
		return 0;
	qsort(v, n, sizeof(v[0]), cmp_double);
	size_t k = (size_t)((double)n * q);
	return v[k < n ? k : n - 1];
}

/* The offset of needle in the n bytes at hay, or -1. */
static long find_bytes(const char *hay, size_t n, const char *needle)
{
	size_t k = strlen(needle);

	for (size_t i = 0; i + k <= n; i++)
		if (memcmp(hay + i, needle, k) == 0)
			return (long)i;
	return -1;
}

/* Copies the string value of "key":"..." in the n bytes at json into out
 * (compact JSON as cJSON prints it); 0, or -1 when absent. */
static int json_string(const char *json, size_t n, const char *key, char *out, size_t size)
{
	char pat[64];

	snprintf(pat, sizeof(pat), "\"%s\":\"", key);
	long at = find_bytes(json, n, pat);
	if (at < 0)
		return -1;
	size_t i = (size_t)at + strlen(pat), o = 0;
	while (i < n && json[i] != '"' && o + 1 < size)
		out[o++] = json[i++];
	out[o] = '\0';
	return i < n && json[i] == '"' ? 0 : -1;
}

/* ---- a small HTTP/1.1 client: one keep-alive connection, one request at a time ---- */

struct http_conn {
	int fd;
	int port;
	char *buf; /* what was read; the last reply first */
	size_t cap, len, used;
	bool closing; /* the server said Connection: close */
	long reconnects;
};

struct http_reply {
	int status;
	const char *body; /* in the connection's buffer, until the next request */
	size_t body_len;
};

static int tcp_connect(int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	struct timeval tv = {IO_TIMEOUT_S, 0};
	int one = 1;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		close(fd);
		return -1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return fd;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int http_open(struct http_conn *c, int port)
{
	memset(c, 0, sizeof(*c));
	c->port = port;
	c->cap = 64 * 1024;
	c->buf = malloc(c->cap);
	c->fd = c->buf ? tcp_connect(port) : -1;
	return c->fd >= 0 ? 0 : -1;
}

static void http_close(struct http_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->buf);
	c->buf = NULL;
}

static int http_reconnect(struct http_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->len = c->used = 0;
	c->closing = false;
	c->reconnects++;
	c->fd = tcp_connect(c->port);
	return c->fd >= 0 ? 0 : -1;
}

/* The status and Content-Length of the head (n bytes, ending in CRLF CRLF). */
static int parse_head(struct http_conn *c, size_t n, int *status, long *length)
{
	*length = -1;
	if (sscanf(c->buf, "HTTP/1.%*d %d", status) != 1)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (c->buf[i] != '\n')
			continue;
		const char *h = c->buf + i + 1;
		if (strncasecmp(h, "Content-Length:", 15) == 0)
			*length = strtol(h + 15, NULL, 10);
		else if (strncasecmp(h, "Connection: close", 17) == 0)
			c->closing = true;
	}
	return *length >= 0 ? 0 : -1;
}

/*
 * Sends one request (body NULL: none; "" an empty one) and reads its whole
 * answer. Returns 0 with *rep set, or -1 with the reason in why; the
 * connection is then unusable until http_reconnect().
 */
static int http_request(struct http_conn *c, const char *method, const char *path,
			const char *token, const char *body, struct http_reply *rep, char *why,
			size_t why_size)
{
	char req[2048];
	size_t body_len = body ? strlen(body) : 0;
	int n = snprintf(req, sizeof(req), "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n", method, path,
			 c->port);

	if (token)
		n += snprintf(req + n, sizeof(req) - (size_t)n, "Authorization: Bearer %s\r\n",
			      token);
	if (body_len)
		n += snprintf(req + n, sizeof(req) - (size_t)n,
			      "Content-Type: application/json\r\n");
	if (body)
		n +=
		    snprintf(req + n, sizeof(req) - (size_t)n, "Content-Length: %zu\r\n", body_len);
	n += snprintf(req + n, sizeof(req) - (size_t)n, "\r\n%s", body ? body : "");
	if ((size_t)n >= sizeof(req)) {
		snprintf(why, why_size, "request too long");
		return -1;
	}
	if (c->closing && http_reconnect(c) != 0) {
		snprintf(why, why_size, "cannot reconnect: %s", strerror(errno));
		return -1;
	}
	memmove(c->buf, c->buf + c->used, c->len - c->used);
	c->len -= c->used;
	c->used = 0;
	if (write_all(c->fd, req, (size_t)n) != 0) {
		snprintf(why, why_size, "%s %s: write: %s", method, path, strerror(errno));
		return -1;
	}
	size_t head = 0;
	long length = -1;
	for (;;) {
		if (!head) {
			long h = find_bytes(c->buf, c->len, "\r\n\r\n");
			if (h >= 0) {
				head = (size_t)h + 4;
				c->buf[head - 1] = '\0'; /* the head's last LF: a string now */
				if (parse_head(c, head, &rep->status, &length) != 0) {
					snprintf(why, why_size,
						 "%s %s: a head without status "
						 "or Content-Length: %.200s",
						 method, path, c->buf);
					return -1;
				}
				c->buf[head - 1] = '\n';
			}
		}
		if (head && c->len >= head + (size_t)length)
			break;
		if (c->len == c->cap) {
			char *b = c->cap < REPLY_MAX ? realloc(c->buf, c->cap * 2) : NULL;
			if (!b) {
				snprintf(why, why_size, "%s %s: an answer over %d bytes", method,
					 path, REPLY_MAX);
				return -1;
			}
			c->buf = b;
			c->cap *= 2;
		}
		ssize_t r = read(c->fd, c->buf + c->len, c->cap - c->len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			snprintf(why, why_size, "%s %s: %s after %zu bytes of the answer", method,
				 path,
				 r == 0 ? "the server closed the connection"
				 : errno == EAGAIN || errno == EWOULDBLOCK
				     ? "no answer in " /* SO_RCVTIMEO */
				       "time"
				     : strerror(errno),
				 c->len);
			return -1;
		}
		c->len += (size_t)r;
	}
	rep->body = c->buf + head;
	rep->body_len = (size_t)length;
	c->used = head + (size_t)length;
	return 0;
}

/* A request that must be answered with status want; counts and reports otherwise. */
static int expect(struct bench *b, struct http_conn *c, const char *method, const char *path,
		  const char *token, const char *body, int want, struct http_reply *rep)
{
	char why[512];

	if (http_request(c, method, path, token, body, rep, why, sizeof(why)) != 0) {
		fprintf(stderr, "bench_api: %s\n", why);
		b->errors++;
		http_reconnect(c);
		return -1;
	}
	if (rep->status != want) {
		fprintf(stderr, "bench_api: %s %s %s: status %d (expected %d): %.*s\n", method,
			path, body ? body : "", rep->status, want, (int)rep->body_len, rep->body);
		b->errors++;
		return -1;
	}
	return 0;
}

/* ---- hostd ---- */

static void write_config(const struct bench *b, const char *path)
{
	FILE *f = fopen(path, "w");

	if (!f) {
		perror("bench_api: config");
		exit(1);
	}
	fprintf(f, "{\"hall\": {\"name\": \"bench\", \"timezone\": \"Asia/Shanghai\", "
		   "\"ticket_url\": \"http://127.0.0.1:8080/ticket.html\", \"ticket_footer\": "
		   "\"-\"},\n"
		   " \"hours\": {\"workdays\": [\"sun\",\"mon\",\"tue\",\"wed\",\"thu\",\"fri\","
		   "\"sat\"], \"sign_in\": {\"start\": \"00:00\", \"end\": \"00:01\"},"
		   " \"sessions\": [{\"start\": \"00:01\", \"end\": \"23:59\"}]},\n"
		   " \"services\": [");
	for (int s = 0; s < SERVICES; s++)
		fprintf(f,
			"%s{\"id\": \"s%d\", \"name\": \"service %d\", \"prefix\": \"%c\","
			" \"standard_minutes\": 10, \"wait_target_minutes\": 30}",
			s ? "," : "", s, s, 'A' + s);
	fprintf(f, "],\n \"windows\": [");
	for (int w = 1; w <= WINDOWS; w++) {
		fprintf(f, "%s{\"number\": %d, \"name\": \"%d号窗口\", \"services\": [",
			w > 1 ? "," : "", w, w);
		for (int s = 0; s < SERVICES; s++)
			fprintf(f, "%s{\"service\": \"s%d\", \"level\": 1}", s ? "," : "", s);
		fprintf(f, "]}");
	}
	fprintf(f, "],\n \"queue\": {\"no_show_requeue_max\": 1, \"no_show_requeue_places\": 3,"
		   " \"appointment_due_before_minutes\": 10, \"estimate_recent_tickets\": 20,"
		   " \"pause_reasons\": [\"休息\", \"会议\"]},\n"
		   " \"staff\": [");
	for (int w = 1; w <= WINDOWS; w++)
		fprintf(f, "%s{\"id\": \"%d\", \"name\": \"staff %d\", \"pin\": \"1234\"}",
			w > 1 ? "," : "", 1000 + w, w);
	fprintf(f,
		"],\n \"api\": {\"bind\": \"127.0.0.1\", \"port\": %d, \"tokens_file\":"
		" \"tokens.json\"},\n"
		" \"evaluation\": {\"half_day_minutes\": 180, \"leader_duty\": "
		"{\"points_per_shift\": 0.1, \"max_points_per_month\": 5}, \"bulletin_weekday\": "
		"\"fri\", \"complaint_limit_days\": 5, \"score\": {\"base\": 100, \"weights\": "
		"{\"efficiency\": 0.4, \"satisfaction\": 0.4, \"attendance\": 0.2}, "
		"\"deductions\": {\"late_sign_in\": 0.5, \"unauthorized_leave\": 2, \"absence\": "
		"5, \"dissatisfied_rating\": 1, \"complaint\": 3, \"overtime_ticket\": 0.2}}}}\n",
		b->port);
	fclose(f);
}

static void write_tokens(const char *path)
{
	FILE *f = fopen(path, "w");

	/* hostd refuses a tokens file others may read */
	if (!f || fchmod(fileno(f), 0600) != 0) {
		perror("bench_api: tokens");
		exit(1);
	}
	fprintf(f,
		"{\"tokens\": [\n"
		" {\"token\": \"%s\", \"role\": \"admin\"},\n"
		" {\"token\": \"%s\", \"role\": \"display\"},\n"
		" {\"token\": \"%s\", \"role\": \"kiosk\"}\n]}\n",
		admin_token, display_token, kiosk_token);
	fclose(f);
}

/* A loopback port nobody listens on now. */
static int free_port(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &len) == 0)
		port = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

static void show_log(const struct bench *b)
{
	char path[300], line[512];

	snprintf(path, sizeof(path), "%s/hostd.log", b->dir);
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		fprintf(stderr, "  hostd: %s", line);
	fclose(f);
}

/* Starts hostd and waits until its API accepts connections. */
static int start_hostd(struct bench *b)
{
	char cfg[300], tokens[300], db[300], log[300];
	posix_spawn_file_actions_t fa;

	snprintf(cfg, sizeof(cfg), "%s/hall.json", b->dir);
	snprintf(tokens, sizeof(tokens), "%s/tokens.json", b->dir);
	snprintf(db, sizeof(db), "%s/bench.db", b->dir);
	snprintf(log, sizeof(log), "%s/hostd.log", b->dir);
	b->port = free_port();
	write_config(b, cfg);
	write_tokens(tokens);
	char *argv[] = {(char *)b->hostd, "--config", cfg, "--db", db, "--log-level", "warn", NULL};
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0644);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	int rc = posix_spawn(&b->pid, b->hostd, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0) {
		fprintf(stderr, "bench_api: cannot start %s: %s\n", b->hostd, strerror(rc));
		b->pid = 0;
		return -1;
	}
	for (double end = now_ms() + 20000; now_ms() < end; sleep_ms(20)) {
		int status;
		if (waitpid(b->pid, &status, WNOHANG) == b->pid) {
			fprintf(stderr, "bench_api: hostd exited at start (status %d):\n", status);
			b->pid = 0;
			show_log(b);
			return -1;
		}
		int fd = tcp_connect(b->port);
		if (fd >= 0) {
			close(fd);
			return 0;
		}
	}
	fprintf(stderr, "bench_api: hostd does not listen on port %d after 20 s\n", b->port);
	return -1;
}

/* SIGTERM, then its exit status (128 + signal when killed; -1 if it hung). */
static int stop_hostd(struct bench *b)
{
	int status;

	if (b->pid <= 0)
		return -1;
	kill(b->pid, SIGTERM);
	for (double end = now_ms() + 15000; now_ms() < end; sleep_ms(10)) {
		if (waitpid(b->pid, &status, WNOHANG) == b->pid) {
			b->pid = 0;
			if (WIFEXITED(status))
				return WEXITSTATUS(status);
			return 128 + WTERMSIG(status);
		}
	}
	fprintf(stderr, "bench_api: hostd still running 15 s after SIGTERM; killed\n");
	kill(b->pid, SIGKILL);
	waitpid(b->pid, &status, 0);
	b->pid = 0;
	return -1;
}

static void remove_dir(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	char file[600];

	if (!d)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(file, sizeof(file), "%s/%s", path, e->d_name);
		unlink(file);
	}
	closedir(d);
	rmdir(path);
}

/* ---- the hall's state ---- */

static int login_window(struct bench *b, struct http_conn *c, int window)
{
	char path[64], body[64];
	struct http_reply rep;

	snprintf(path, sizeof(path), "/api/v1/windows/%d/login", window);
	snprintf(body, sizeof(body), "{\"staff\":\"%d\",\"pin\":\"1234\"}", 1000 + window);
	return expect(b, c, "POST", path, admin_token, body, 200, &rep);
}

/* Finishes the window's called ticket, if any. */
static int free_window(struct bench *b, struct http_conn *c, int window)
{
	char path[64];
	struct http_reply rep;

	if (!b->window_busy[window])
		return 0;
	snprintf(path, sizeof(path), "/api/v1/windows/%d/finish", window);
	if (expect(b, c, "POST", path, admin_token, "", 200, &rep) != 0)
		return -1;
	b->window_busy[window] = false;
	return 0;
}

/*
 * POST call-next on the next logged-in window (finishing its ticket first).
 * Returns 0 with the called ticket's label, *t0 the moment just before the
 * request was written and *rtt_ms its round trip.
 */
static int call_next(struct bench *b, struct http_conn *c, char *label, double *t0, double *rtt_ms)
{
	char path[64];
	struct http_reply rep;
	int window = 1 + b->next_window;

	b->next_window = (b->next_window + 1) % LOGGED_IN;
	if (free_window(b, c, window) != 0)
		return -1;
	snprintf(path, sizeof(path), "/api/v1/windows/%d/call-next", window);
	*t0 = now_ms();
	if (expect(b, c, "POST", path, admin_token, "", 200, &rep) != 0)
		return -1;
	*rtt_ms = now_ms() - *t0;
	b->window_busy[window] = true;
	/* {"window":{...},"ticket":{"number":"A023",...}} */
	long at = find_bytes(rep.body, rep.body_len, "\"ticket\":{");
	if (at < 0 || json_string(rep.body + at, rep.body_len - (size_t)at, "number", label,
				  LABEL_SIZE) != 0) {
		fprintf(stderr, "bench_api: %s: no ticket number in %.*s\n", path,
			(int)rep.body_len, rep.body);
		b->errors++;
		return -1;
	}
	return 0;
}

/* Issues the tickets, logs windows 1..LOGGED_IN in and calls a ticket at each. */
static int fill_hall(struct bench *b)
{
	struct http_conn c;
	struct http_reply rep;
	char body[96], label[LABEL_SIZE];
	double t0, rtt;
	int rc = -1;

	if (http_open(&c, b->port) != 0) {
		fprintf(stderr, "bench_api: cannot connect to hostd\n");
		http_close(&c);
		return -1;
	}
	for (int k = 0; k < b->p.tickets; k++) {
		snprintf(body, sizeof(body), "{\"service\":\"s%d\",\"class\":\"%s\"}", k % SERVICES,
			 k % 10 == 9 ? "green" : "normal");
		if (expect(b, &c, "POST", "/api/v1/tickets", kiosk_token, body, 201, &rep) != 0)
			goto fail;
	}
	for (int w = 1; w <= LOGGED_IN; w++)
		if (login_window(b, &c, w) != 0)
			goto fail;
	for (int w = 1; w <= LOGGED_IN; w++)
		if (call_next(b, &c, label, &t0, &rtt) != 0)
			goto fail;
	if (expect(b, &c, "GET", "/api/v1/state", display_token, NULL, 200, &rep) != 0)
		goto fail;
	printf("api_state_bytes: %zu bytes\n", rep.body_len);
	rc = 0;
fail:
	http_close(&c);
	return rc;
}

/* ---- 1. throughput ---- */

struct load {
	const char *path;
	int want_status;
	const char *want_prefix; /* the answer's body begins so */
	int total;
	double deadline_ms;
	atomic_int next; /* the next sample's index */
	atomic_long errors;
	double *lat_ms; /* total samples */
	pthread_mutex_t mu;
	char first_error[512];
};

struct client {
	struct load *ld;
	struct http_conn conn;
	pthread_t thread;
};

static void load_error(struct load *ld, const char *what)
{
	atomic_fetch_add(&ld->errors, 1);
	pthread_mutex_lock(&ld->mu);
	if (!ld->first_error[0])
		snprintf(ld->first_error, sizeof(ld->first_error), "%s", what);
	pthread_mutex_unlock(&ld->mu);
}

static void *client_run(void *arg)
{
	struct client *cl = arg;
	struct load *ld = cl->ld;
	struct http_reply rep;
	char why[512];

	for (;;) {
		double t0 = now_ms();
		if (t0 > ld->deadline_ms)
			break;
		if (http_request(&cl->conn, "GET", ld->path, display_token, NULL, &rep, why,
				 sizeof(why)) != 0) {
			load_error(ld, why);
			if (http_reconnect(&cl->conn) != 0)
				break;
			continue;
		}
		double ms = now_ms() - t0;
		size_t plen = strlen(ld->want_prefix);
		if (rep.status != ld->want_status || rep.body_len < plen ||
		    memcmp(rep.body, ld->want_prefix, plen) != 0) {
			snprintf(why, sizeof(why), "GET %s: status %d: %.*s", ld->path, rep.status,
				 (int)(rep.body_len < 200 ? rep.body_len : 200), rep.body);
			load_error(ld, why);
			continue;
		}
		int k = atomic_fetch_add(&ld->next, 1);
		if (k >= ld->total)
			break;
		ld->lat_ms[k] = ms;
	}
	return NULL;
}

struct load_result {
	double rps, p50_ms, p99_ms;
	int n;
	long errors;
};

/* n_clients keep-alive clients send GET path back to back; see the header. */
static struct load_result load_run(struct bench *b, const char *path, int want_status,
				   const char *want_prefix, int n_clients)
{
	struct client cl[MAX_CLIENTS];
	struct load ld = {.path = path,
			  .want_status = want_status,
			  .want_prefix = want_prefix,
			  .total = b->p.requests};
	struct load_result res = {0};
	struct http_reply rep;
	char why[512];

	ld.lat_ms = calloc((size_t)ld.total, sizeof(double));
	pthread_mutex_init(&ld.mu, NULL);
	atomic_init(&ld.next, 0);
	atomic_init(&ld.errors, 0);
	/* connect and warm up every connection (hostd starts its thread) first */
	for (int i = 0; i < n_clients; i++) {
		cl[i].ld = &ld;
		if (http_open(&cl[i].conn, b->port) != 0) {
			fprintf(stderr, "bench_api: cannot connect client %d\n", i);
			exit(1);
		}
		for (int w = 0; w < 20; w++)
			if (http_request(&cl[i].conn, "GET", path, display_token, NULL, &rep, why,
					 sizeof(why)) != 0) {
				fprintf(stderr, "bench_api: warm-up: %s\n", why);
				http_reconnect(&cl[i].conn);
			}
	}
	double t0 = now_ms();
	ld.deadline_ms = t0 + b->p.deadline_s * 1000;
	for (int i = 0; i < n_clients; i++)
		pthread_create(&cl[i].thread, NULL, client_run, &cl[i]);
	long reconnects = 0;
	for (int i = 0; i < n_clients; i++) {
		pthread_join(cl[i].thread, NULL);
		reconnects += cl[i].conn.reconnects;
		http_close(&cl[i].conn);
	}
	double wall_ms = now_ms() - t0;
	int n = atomic_load(&ld.next);
	res.n = n < ld.total ? n : ld.total;
	res.rps = res.n / (wall_ms / 1000);
	res.p50_ms = quantile(ld.lat_ms, (size_t)res.n, 0.50);
	res.p99_ms = quantile(ld.lat_ms, (size_t)res.n, 0.99);
	res.errors = atomic_load(&ld.errors);
	if (res.n < ld.total)
		fprintf(stderr, "bench_api: GET %s: only %d of %d requests in %.0f s\n", path,
			res.n, ld.total, b->p.deadline_s);
	if (res.errors)
		fprintf(stderr, "bench_api: GET %s: %ld errors, the first: %s\n", path, res.errors,
			ld.first_error);
	if (reconnects)
		fprintf(stderr, "bench_api: GET %s: %ld reconnections (keep-alive broken)\n", path,
			reconnects);
	b->errors += res.errors;
	pthread_mutex_destroy(&ld.mu);
	free(ld.lat_ms);
	return res;
}

static void throughput(struct bench *b)
{
	static const int clients[] = {2, 8};
	struct load_result base = {0}, state = {0};

	for (size_t k = 0; k < sizeof(clients) / sizeof(clients[0]); k++) {
		int c = clients[k];
		base = load_run(b, "/api/v1/nonexistent", 404, "{\"error\":{\"code\":\"NOT_FOUND\"",
				c);
		state = load_run(b, "/api/v1/state", 200, "{\"hall\":", c);
		printf("api_baseline_c%d_rps: %.0f req/s\n", c, base.rps);
		printf("api_baseline_c%d_p50_ms: %.3f ms\n", c, base.p50_ms);
		printf("api_baseline_c%d_p99_ms: %.3f ms\n", c, base.p99_ms);
		printf("api_state_c%d_rps: %.0f req/s\n", c, state.rps);
		printf("api_state_c%d_p50_ms: %.3f ms\n", c, state.p50_ms);
		printf("api_state_c%d_p99_ms: %.3f ms\n", c, state.p99_ms);
		printf("api_state_vs_baseline_c%d: %.3f ratio\n", c,
		       base.rps > 0 ? state.rps / base.rps : 0);
		if (base.errors + state.errors)
			printf("api_errors_c%d: %ld count\n", c, base.errors + state.errors);
		fflush(stdout);
	}
	/* the headline: 8 clients */
	printf("api_state_rps: %.0f req/s\n", state.rps);
	printf("api_state_p50_ms: %.3f ms\n", state.p50_ms);
	printf("api_state_p99_ms: %.3f ms\n", state.p99_ms);
	printf("api_baseline_rps: %.0f req/s\n", base.rps);
	printf("api_state_vs_baseline: %.3f ratio\n", base.rps > 0 ? state.rps / base.rps : 0);
	fflush(stdout);
}

/* ---- 2. SSE fan-out ---- */

struct arrival {
	char label[LABEL_SIZE];
	double at_ms;
};

/* One event stream: the HTTP head, then (chunked) text/event-stream lines. */
struct subscriber {
	int fd;
	bool open;
	bool in_body, chunked;
	int status;
	char head[4096];
	size_t head_len;
	int chunk_state; /* 0 size line, 1 data, 2 the CRLF after data */
	size_t chunk_left;
	char size_line[40];
	size_t size_len;
	char line[16384];
	size_t line_len;
	char event[16];
	uint64_t last_id; /* N of the last "id: BOOT-N" */
	struct arrival calls[MAX_ARRIVALS];
	int n_calls;
};

struct fanout {
	struct subscriber *subs;
	int n;
	pthread_mutex_t mu; /* the subscribers' parsed state */
	pthread_cond_t changed;
	atomic_bool stop;
	pthread_t reader;
	long overflow; /* arrivals not recorded: MAX_ARRIVALS reached */
};

static void sse_line(struct fanout *f, struct subscriber *s, double at_ms)
{
	char *l = s->line;

	if (s->line_len && l[s->line_len - 1] == '\r')
		s->line_len--;
	l[s->line_len] = '\0';
	if (s->line_len == 0) {
		s->event[0] = '\0';
	} else if (strncmp(l, "id: ", 4) == 0) {
		const char *dash = strrchr(l, '-');
		if (dash)
			s->last_id = strtoull(dash + 1, NULL, 10);
	} else if (strncmp(l, "event: ", 7) == 0) {
		snprintf(s->event, sizeof(s->event), "%s", l + 7);
	} else if (strncmp(l, "data: ", 6) == 0 && strcmp(s->event, "call") == 0) {
		if (s->n_calls == MAX_ARRIVALS) {
			f->overflow++;
		} else {
			struct arrival *a = &s->calls[s->n_calls];
			if (json_string(l, s->line_len, "ticket", a->label, sizeof(a->label)) ==
			    0) {
				a->at_ms = at_ms;
				s->n_calls++;
			}
		}
	}
	s->line_len = 0;
}

static void sse_text(struct fanout *f, struct subscriber *s, const char *p, size_t n, double at)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\n')
			sse_line(f, s, at);
		else if (s->line_len + 1 < sizeof(s->line))
			s->line[s->line_len++] = p[i];
	}
}

/* The body: chunked transfer coding undone, then the event lines. */
static void sse_body(struct fanout *f, struct subscriber *s, const char *p, size_t n, double at)
{
	if (!s->chunked) {
		sse_text(f, s, p, n, at);
		return;
	}
	while (n > 0) {
		if (s->chunk_state == 0) {
			char ch = *p++;
			n--;
			if (ch != '\n') {
				if (s->size_len + 1 < sizeof(s->size_line))
					s->size_line[s->size_len++] = ch;
				continue;
			}
			s->size_line[s->size_len] = '\0';
			s->chunk_left = strtoul(s->size_line, NULL, 16);
			s->size_len = 0;
			if (s->chunk_left == 0) {
				s->open = false; /* the last chunk: the stream ended */
				return;
			}
			s->chunk_state = 1;
		} else if (s->chunk_state == 1) {
			size_t k = n < s->chunk_left ? n : s->chunk_left;
			sse_text(f, s, p, k, at);
			p += k;
			n -= k;
			s->chunk_left -= k;
			if (s->chunk_left == 0) {
				s->chunk_state = 2;
				s->chunk_left = 2;
			}
		} else {
			p++, n--;
			if (--s->chunk_left == 0)
				s->chunk_state = 0;
		}
	}
}

static void sse_feed(struct fanout *f, struct subscriber *s, const char *p, size_t n, double at)
{
	if (!s->in_body) {
		size_t k =
		    n < sizeof(s->head) - 1 - s->head_len ? n : sizeof(s->head) - 1 - s->head_len;
		memcpy(s->head + s->head_len, p, k);
		s->head_len += k;
		s->head[s->head_len] = '\0';
		char *end = strstr(s->head, "\r\n\r\n");
		if (!end) {
			if (s->head_len == sizeof(s->head) - 1)
				s->open = false;
			return;
		}
		s->in_body = true;
		if (sscanf(s->head, "HTTP/1.%*d %d", &s->status) != 1 || s->status != 200)
			s->open = false;
		for (char *h = strchr(s->head, '\n'); h && h < end; h = strchr(h + 1, '\n'))
			if (strncasecmp(h + 1, "Transfer-Encoding: chunked", 26) == 0)
				s->chunked = true;
		size_t body_at = (size_t)(end + 4 - s->head);
		/* what came with the head is body; p still holds it */
		size_t before = s->head_len - k; /* head bytes from earlier reads */
		if (body_at - before < n)
			sse_body(f, s, p + (body_at - before), n - (body_at - before), at);
		return;
	}
	sse_body(f, s, p, n, at);
}

/* The poll() thread: reads every stream, stamps each read, parses. */
static void *fanout_read(void *arg)
{
	struct fanout *f = arg;
	struct pollfd *pfd = calloc((size_t)f->n, sizeof(*pfd));
	int *which = calloc((size_t)f->n, sizeof(*which));
	char *buf = malloc(65536);

	while (pfd && which && buf && !atomic_load(&f->stop)) {
		int m = 0;
		pthread_mutex_lock(&f->mu);
		for (int i = 0; i < f->n; i++)
			if (f->subs[i].open) {
				pfd[m] = (struct pollfd){.fd = f->subs[i].fd, .events = POLLIN};
				which[m++] = i;
			}
		pthread_mutex_unlock(&f->mu);
		if (poll(pfd, (nfds_t)m, 50) <= 0)
			continue;
		for (int k = 0; k < m; k++) {
			if (!(pfd[k].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			ssize_t got = read(pfd[k].fd, buf, 65536);
			double at = now_ms();
			struct subscriber *s = &f->subs[which[k]];
			pthread_mutex_lock(&f->mu);
			if (got <= 0)
				s->open = false;
			else
				sse_feed(f, s, buf, (size_t)got, at);
			pthread_mutex_unlock(&f->mu);
		}
		pthread_mutex_lock(&f->mu);
		pthread_cond_broadcast(&f->changed);
		pthread_mutex_unlock(&f->mu);
	}
	free(pfd);
	free(which);
	free(buf);
	return NULL;
}

static const struct arrival *arrival_of(const struct subscriber *s, const char *label)
{
	for (int k = 0; k < s->n_calls; k++)
		if (strcmp(s->calls[k].label, label) == 0)
			return &s->calls[k];
	return NULL;
}

/* Waits (f->mu held) until pred holds for every subscriber, or timeout;
 * returns how many it holds for. */
static int wait_all(struct fanout *f, bool (*pred)(const struct subscriber *, const void *),
		    const void *arg, double timeout_ms)
{
	double end = now_ms() + timeout_ms;

	for (;;) {
		int ok = 0;
		for (int i = 0; i < f->n; i++)
			ok += pred(&f->subs[i], arg);
		if (ok == f->n || now_ms() >= end)
			return ok;
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += 20 * 1000 * 1000;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&f->changed, &f->mu, &until);
	}
}

static bool has_call(const struct subscriber *s, const void *label)
{
	return arrival_of(s, label) != NULL;
}

static bool has_id(const struct subscriber *s, const void *n)
{
	return s->last_id >= *(const uint64_t *)n;
}

/* Waits until every subscriber has had every event sent so far. */
static int wait_quiet(struct bench *b, struct fanout *f, struct http_conn *c)
{
	struct http_reply rep;
	char id[48];

	if (expect(b, c, "GET", "/api/v1/state", admin_token, NULL, 200, &rep) != 0 ||
	    json_string(rep.body, rep.body_len, "event_id", id, sizeof(id)) != 0)
		return -1;
	const char *dash = strrchr(id, '-');
	uint64_t n = dash ? strtoull(dash + 1, NULL, 10) : 0;
	pthread_mutex_lock(&f->mu);
	int ok = wait_all(f, has_id, &n, EVENT_TIMEOUT_MS);
	pthread_mutex_unlock(&f->mu);
	if (ok < f->n) {
		fprintf(stderr, "bench_api: only %d of %d subscribers had event %s\n", ok, f->n,
			id);
		b->errors++;
		return -1;
	}
	return 0;
}

static bool has_any(const struct subscriber *s, const void *unused)
{
	(void)unused;
	return s->last_id > 0;
}

/*
 * Waits until every stream is registered at hostd: a stream only gets the
 * events sent after its request was handled (hostd starts a thread per
 * connection, which takes a while for 100), so a ticket is issued again
 * every half second until every stream has had an event.
 */
static int await_streams(struct bench *b, struct fanout *f, struct http_conn *c)
{
	struct http_reply rep;
	int got = 0;

	for (int attempt = 0; attempt < 60 && got < f->n; attempt++) {
		if (expect(b, c, "POST", "/api/v1/tickets", kiosk_token,
			   "{\"service\":\"s0\",\"class\":\"normal\"}", 201, &rep) != 0)
			return -1;
		pthread_mutex_lock(&f->mu);
		got = wait_all(f, has_any, NULL, 500);
		pthread_mutex_unlock(&f->mu);
	}
	if (got < f->n) {
		fprintf(stderr, "bench_api: only %d of %d event streams had an event in 30 s\n",
			got, f->n);
		b->errors++;
		return -1;
	}
	return 0;
}

static int open_subscriber(struct bench *b, struct subscriber *s)
{
	char req[512];
	int n = snprintf(req, sizeof(req),
			 "GET /api/v1/events?access_token=%s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
			 "Accept: text/event-stream\r\n\r\n",
			 display_token, b->port);

	s->fd = tcp_connect(b->port);
	if (s->fd < 0 || write_all(s->fd, req, (size_t)n) != 0)
		return -1;
	s->open = true;
	return 0;
}

struct fanout_result {
	double p50_ms, p99_ms, call_p50_ms;
	long missed;
};

/* One fan-out run with n_subs subscribers; see the header. */
static struct fanout_result fanout_run(struct bench *b, int n_subs)
{
	struct fanout f = {.n = n_subs};
	struct fanout_result res = {0};
	struct http_conn c;
	int calls = b->p.calls;
	double *lat = calloc((size_t)(n_subs * calls), sizeof(double));
	double *rtt = calloc((size_t)calls, sizeof(double));
	size_t n_lat = 0, n_rtt = 0;
	char label[LABEL_SIZE];
	double t0, ms;
	int got;

	f.subs = calloc((size_t)n_subs, sizeof(*f.subs));
	if (!lat || !rtt || !f.subs || http_open(&c, b->port) != 0) {
		fprintf(stderr, "bench_api: fan-out setup failed\n");
		exit(1);
	}
	pthread_mutex_init(&f.mu, NULL);
	pthread_cond_init(&f.changed, NULL);
	atomic_init(&f.stop, false);
	for (int i = 0; i < n_subs; i++)
		if (open_subscriber(b, &f.subs[i]) != 0) {
			fprintf(stderr, "bench_api: subscriber %d cannot connect: %s\n", i,
				strerror(errno));
			exit(1);
		}
	pthread_create(&f.reader, NULL, fanout_read, &f);
	if (await_streams(b, &f, &c) != 0)
		goto done;
	for (int k = 0; k < calls; k++) {
		if (free_window(b, &c, 1 + b->next_window) != 0 || wait_quiet(b, &f, &c) != 0)
			break;
		if (call_next(b, &c, label, &t0, &ms) != 0)
			break;
		rtt[n_rtt++] = ms;
		pthread_mutex_lock(&f.mu);
		got = wait_all(&f, has_call, label, EVENT_TIMEOUT_MS);
		for (int i = 0; i < n_subs; i++) {
			const struct arrival *a = arrival_of(&f.subs[i], label);
			if (a)
				lat[n_lat++] = a->at_ms - t0;
		}
		pthread_mutex_unlock(&f.mu);
		if (got < n_subs) {
			fprintf(stderr,
				"bench_api: call %s reached only %d of %d subscribers in %d ms\n",
				label, got, n_subs, EVENT_TIMEOUT_MS);
			res.missed += n_subs - got;
			b->errors++;
		}
	}
done:
	atomic_store(&f.stop, true);
	pthread_join(f.reader, NULL);
	for (int i = 0; i < n_subs; i++) {
		if (f.subs[i].fd >= 0)
			close(f.subs[i].fd);
		if (f.subs[i].status != 200)
			fprintf(stderr, "bench_api: subscriber %d: status %d\n", i,
				f.subs[i].status);
	}
	if (f.overflow)
		fprintf(stderr, "bench_api: %ld call events not recorded\n", f.overflow);
	res.p50_ms = quantile(lat, n_lat, 0.50);
	res.p99_ms = quantile(lat, n_lat, 0.99);
	res.call_p50_ms = quantile(rtt, n_rtt, 0.50);
	if (n_rtt < (size_t)calls) {
		fprintf(stderr, "bench_api: only %zu of %d calls made with %d subscribers\n", n_rtt,
			calls, n_subs);
		b->errors++;
	}
	pthread_cond_destroy(&f.changed);
	pthread_mutex_destroy(&f.mu);
	http_close(&c);
	free(f.subs);
	free(lat);
	free(rtt);
	return res;
}

static void fanout(struct bench *b)
{
	struct fanout_result one = fanout_run(b, 1);
	printf("sse_call_to_1_subscriber_p50_ms: %.3f ms\n", one.p50_ms);
	printf("sse_call_to_1_subscriber_p99_ms: %.3f ms\n", one.p99_ms);
	printf("api_call_next_1_subscriber_p50_ms: %.3f ms\n", one.call_p50_ms);
	fflush(stdout);
	struct fanout_result many = fanout_run(b, b->p.subscribers);
	printf("sse_fanout_subscribers: %d count\n", b->p.subscribers);
	printf("sse_call_to_subscriber_p50_ms: %.3f ms\n", many.p50_ms);
	printf("sse_call_to_subscriber_p99_ms: %.3f ms\n", many.p99_ms);
	printf("sse_fanout_p50_vs_1: %.3f ratio\n", one.p50_ms > 0 ? many.p50_ms / one.p50_ms : 0);
	printf("api_call_next_p50_ms: %.3f ms\n", many.call_p50_ms);
	if (one.missed + many.missed)
		printf("sse_missed_events: %ld count\n", one.missed + many.missed);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	static struct bench b;
	const char *tmp = getenv("TMPDIR");

	b.p = full;
	b.hostd = HOSTD;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--quick") == 0)
			b.p = quick;
		else if (argv[i][0] != '-')
			b.hostd = argv[i];
		else {
			fprintf(stderr, "usage: bench_api [--quick] [HOSTD]\n");
			return 2;
		}
	}
	signal(SIGPIPE, SIG_IGN);
	snprintf(b.dir, sizeof(b.dir), "%s/hallq-bench-api-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(b.dir)) {
		perror("bench_api: mkdtemp");
		return 1;
	}
	double load[1] = {-1};
	getloadavg(load, 1);
	printf("cpus: %ld count\n", sysconf(_SC_NPROCESSORS_ONLN));
	printf("loadavg_1min: %.2f load\n", load[0]); /* others using the cores */
	fflush(stdout);
	if (start_hostd(&b) != 0 || fill_hall(&b) != 0) {
		stop_hostd(&b);
		fprintf(stderr, "bench_api: setup failed; files kept in %s\n", b.dir);
		return 1;
	}
	throughput(&b);
	fanout(&b);
	int code = stop_hostd(&b);
	printf("hostd_exit: %d code\n", code);
	if (code != 0 || b.errors) {
		printf("bench_errors: %ld count\n", b.errors);
		fprintf(stderr, "bench_api: files kept in %s\n", b.dir);
		show_log(&b);
		return 1;
	}
	remove_dir(b.dir);
	return 0;
}
