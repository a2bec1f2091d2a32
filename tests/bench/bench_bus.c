/*
 * bench_bus.c — the RS-485 bus: poll cycle against theory, and key press
 * to window display latency through the whole stack.
 *
 * A program, not a test. For each baud rate (115200, then 9600) it starts
 * lineproxy (the paced line, 11 bits a character) with 30 window-fw
 * terminals on it, then
 *
 *   1. runs the host's bus driver (drivers/modbus) back to back over them
 *      and compares the mean poll cycle with the theoretical minimum: the
 *      frame lengths of each FC 0x17 poll and the 3.5-character gaps
 *      (mbus_rtu_poll_us), summed over the 30 terminals;
 *   2. starts hostd on the same line, logs every terminal in, and presses
 *      PAUSE/RESUME on them in turn: each press is an event, a committed
 *      engine command and a new display text. The latency is the time from
 *      the event entering the terminal's FIFO to the new text being shown,
 *      both stamped by window-fw on the same monotonic clock. Each press
 *      comes at a random moment of the poll cycle (a uniform wait of up to
 *      one cycle first), so the figures include waiting for the poll.
 *
 * Prints one "name: value unit" line per figure:
 *   bus_<baud>_cycle_theory_ms, bus_<baud>_cycle_ms, poll_cycle_vs_theory_<baud>
 *   key_to_display_<baud>_p50_ms, key_to_display_<baud>_p99_ms
 * and poll_cycle_vs_theory (the 115200 figure; target <= 1.25).
 *
 * usage: bench_bus [DIR]   (pseudo-terminal links, sockets and files in DIR)
 */
#define _DEFAULT_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log/log.h"
#include "mbus.h"

extern char **environ;

enum { TERMINALS = 30, MAX_PROCS = TERMINALS + 4, MAX_SAMPLES = 512 };

static char dir[96];
static pid_t procs[MAX_PROCS];
static int n_procs;

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

static pid_t spawn(char *const argv[], const char *log)
{
	posix_spawn_file_actions_t fa;
	pid_t pid;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0644);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	if (posix_spawn(&pid, argv[0], &fa, NULL, argv, environ) != 0) {
		fprintf(stderr, "bench_bus: cannot start %s\n", argv[0]);
		exit(1);
	}
	posix_spawn_file_actions_destroy(&fa);
	procs[n_procs++] = pid;
	return pid;
}

static void stop_all(void)
{
	for (int i = n_procs - 1; i >= 0; i--) {
		kill(procs[i], SIGTERM);
		waitpid(procs[i], NULL, 0);
	}
	n_procs = 0;
}

static void stop_one(pid_t pid)
{
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	for (int i = 0; i < n_procs; i++)
		if (procs[i] == pid)
			procs[i] = procs[--n_procs];
}

static int wait_file(const char *path, double timeout_ms)
{
	struct stat st;
	double end = now_ms() + timeout_ms;

	while (now_ms() < end) {
		if (stat(path, &st) == 0)
			return 0;
		sleep_ms(10);
	}
	return -1;
}

/* ---- control sockets ---- */

struct control {
	int fd;
	char buf[4096];
	size_t len;
};

static int control_open(struct control *c, const char *path)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};

	if (wait_file(path, 20000) != 0 || strlen(path) >= sizeof(a.sun_path))
		return -1;
	memcpy(a.sun_path, path, strlen(path) + 1);
	c->fd = socket(AF_UNIX, SOCK_STREAM, 0);
	c->len = 0;
	return connect(c->fd, (struct sockaddr *)&a, sizeof(a));
}

/* Sends line, returns the reply line (in c->buf, NUL-terminated) or NULL. */
static const char *control_cmd(struct control *c, const char *line)
{
	char out[256];
	int n = snprintf(out, sizeof(out), "%s\n", line);

	if (write(c->fd, out, (size_t)n) != n)
		return NULL;
	c->len = 0;
	for (;;) {
		ssize_t r = read(c->fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len);
		if (r <= 0)
			return NULL;
		c->len += (size_t)r;
		c->buf[c->len] = 0;
		char *nl = strchr(c->buf, '\n');
		if (nl) {
			*nl = 0;
			return c->buf;
		}
	}
}

static long field(const char *reply, const char *name)
{
	char key[32];
	snprintf(key, sizeof(key), " %s=", name);
	const char *p = strstr(reply, key);
	return p ? strtol(p + strlen(key), NULL, 0) : -1;
}

/* ---- the line ---- */

static void start_line(int baud, char paths[][300])
{
	char *argv[8 + 2 * TERMINALS];
	char master[300], ready[300], log[300], baudstr[16];
	int a = 0;

	snprintf(master, sizeof(master), "%s/bus", dir);
	snprintf(ready, sizeof(ready), "%s/line.ready", dir);
	snprintf(log, sizeof(log), "%s/line.log", dir);
	snprintf(baudstr, sizeof(baudstr), "%d", baud);
	unlink(ready);
	argv[a++] = LINEPROXY;
	argv[a++] = "--master";
	argv[a++] = master;
	argv[a++] = "--baud";
	argv[a++] = baudstr;
	argv[a++] = "--ready";
	argv[a++] = ready;
	for (int i = 0; i < TERMINALS; i++) {
		snprintf(paths[i], 300, "%s/t%02d", dir, i + 1);
		argv[a++] = "--slave";
		argv[a++] = paths[i];
	}
	argv[a] = NULL;
	spawn(argv, log);
	if (wait_file(ready, 20000) != 0) {
		fprintf(stderr, "bench_bus: lineproxy did not start (see %s)\n", log);
		exit(1);
	}
	for (int i = 0; i < TERMINALS; i++) {
		char unit[8], sock[300], tlog[300];
		snprintf(unit, sizeof(unit), "%d", i + 1);
		snprintf(sock, sizeof(sock), "%s/t%02d.sock", dir, i + 1);
		snprintf(tlog, sizeof(tlog), "%s/t%02d.log", dir, i + 1);
		unlink(sock);
		char *targv[] = {WINDOW_FW, "--rtu", paths[i],    "--baud", baudstr,
				 "--unit",  unit,    "--control", sock,     NULL};
		spawn(targv, tlog);
	}
}

/* ---- 1. the poll cycle ---- */

static int ack_event(void *arg, int dev, uint16_t boot, const struct proto_event_entry *ev)
{
	(void)arg, (void)dev, (void)boot, (void)ev;
	return 0;
}

static double cycle(int baud, double measure_ms)
{
	struct mbus_conf *mc = calloc(1, sizeof(*mc));
	struct mbus_handler h = {.event = ack_event};
	char err[256];

	snprintf(mc->name, sizeof(mc->name), "bench");
	snprintf(mc->device, sizeof(mc->device), "%s/bus", dir);
	mc->baud = baud;
	mc->parity = 'N';
	mc->data_bits = 8;
	mc->stop_bits = 1;
	mc->timeout_ms = baud >= 19200 ? 100 : 400;
	mc->poll_interval_ms = 1;
	mc->events_per_poll = 4;
	for (int i = 0; i < TERMINALS; i++) {
		snprintf(mc->devices[i].id, sizeof(mc->devices[i].id), "t%02d", i + 1);
		mc->devices[i].type = PROTO_DEVICE_WINDOW;
		mc->devices[i].address = i + 1;
	}
	mc->n_devices = TERMINALS;
	struct mbus *b = mbus_new(mc, &h, err, sizeof(err));
	if (!b || mbus_start(b) != 0) {
		fprintf(stderr, "bench_bus: %s\n", err);
		exit(1);
	}
	double end = now_ms() + 60000;
	while (mbus_stats(b).online < TERMINALS && now_ms() < end)
		sleep_ms(20);
	struct mbus_stats s0 = mbus_stats(b);
	if (s0.online < TERMINALS)
		fprintf(stderr, "bench_bus: only %d of %d terminals online\n", s0.online,
			TERMINALS);
	/* a full cycle after everyone is online, then measure */
	while (mbus_stats(b).cycles < s0.cycles + 2)
		sleep_ms(5);
	s0 = mbus_stats(b);
	sleep_ms(measure_ms);
	struct mbus_stats s1 = mbus_stats(b);
	mbus_free(b);
	free(mc);

	int nr = PROTO_REG_EV_FIRST - PROTO_REG_POLL_FIRST + 4 * PROTO_EV_REGS;
	double theory = TERMINALS * mbus_rtu_poll_us(baud, 2, nr) / 1000.0;
	double measured = (s1.sum_cycle_ms - s0.sum_cycle_ms) / (double)(s1.cycles - s0.cycles);
	printf("bus_%d_cycle_theory_ms: %.1f ms\n", baud, theory);
	printf("bus_%d_cycle_ms: %.1f ms\n", baud, measured);
	printf("bus_%d_poll_failures: %llu count\n", baud,
	       (unsigned long long)(s1.failures - s0.failures));
	printf("poll_cycle_vs_theory_%d: %.3f ratio\n", baud, measured / theory);
	if (baud == 115200)
		printf("poll_cycle_vs_theory: %.3f ratio\n", measured / theory);
	fflush(stdout);
	return measured;
}

/* ---- 2. key press to display ---- */

static void write_config(const char *path, int baud)
{
	FILE *f = fopen(path, "w");

	fprintf(f, "{\"hall\": {\"name\": \"bench\", \"timezone\": \"UTC\", "
		   "\"ticket_url\": \"http://127.0.0.1/t\", \"ticket_footer\": \"-\"},\n"
		   " \"hours\": {\"workdays\": [\"sun\",\"mon\",\"tue\",\"wed\",\"thu\",\"fri\","
		   "\"sat\"], \"sign_in\": {\"start\": \"00:00\", \"end\": \"00:01\"},"
		   " \"sessions\": [{\"start\": \"00:01\", \"end\": \"23:59\"}]},\n"
		   " \"services\": [{\"id\": \"s\", \"name\": \"综合\", \"prefix\": \"A\","
		   " \"standard_minutes\": 10, \"wait_target_minutes\": 30}],\n"
		   " \"windows\": [");
	for (int i = 1; i <= TERMINALS; i++)
		fprintf(f,
			"%s{\"number\": %d, \"name\": \"%d\", \"services\": [{\"service\": "
			"\"s\", \"level\": 1}]}",
			i > 1 ? "," : "", i, i);
	fprintf(f,
		"],\n \"queue\": {\"no_show_requeue_max\": 1, \"no_show_requeue_places\": 3,"
		" \"appointment_due_before_minutes\": 10, \"estimate_recent_tickets\": 20,"
		" \"pause_reasons\": [\"休息\"]},\n"
		" \"buses\": [{\"name\": \"line\", \"type\": \"rtu\", \"device\": \"%s/bus\","
		" \"baud\": %d, \"parity\": \"none\", \"data_bits\": 8, \"stop_bits\": 1,"
		" \"timeout_ms\": %d, \"poll_interval_ms\": 10}],\n \"devices\": [",
		dir, baud, baud >= 19200 ? 100 : 400);
	for (int i = 1; i <= TERMINALS; i++)
		fprintf(f,
			"%s{\"id\": \"t%02d\", \"type\": \"window_terminal\", \"bus\": \"line\","
			" \"address\": %d, \"window\": %d}",
			i > 1 ? "," : "", i, i, i);
	fprintf(f, "],\n \"staff\": [");
	for (int i = 1; i <= TERMINALS; i++)
		fprintf(f, "%s{\"id\": \"%d\", \"name\": \"s%d\", \"pin\": \"1234\"}",
			i > 1 ? "," : "", 1000 + i, i);
	fprintf(f,
		"],\n \"api\": {\"bind\": \"127.0.0.1\", \"port\": 18080, \"tokens_file\":"
		" \"tokens.json\"},\n"
		" \"evaluation\": {\"half_day_minutes\": 180, \"leader_duty\": "
		"{\"points_per_shift\": 0.1, \"max_points_per_month\": 5}, \"bulletin_weekday\": "
		"\"fri\", \"complaint_limit_days\": 5, \"score\": {\"base\": 100, \"weights\": "
		"{\"efficiency\": 0.4, \"satisfaction\": 0.4, \"attendance\": 0.2}, "
		"\"deductions\": {\"late_sign_in\": 0.5, \"unauthorized_leave\": 2, \"absence\": "
		"5, \"dissatisfied_rating\": 1, \"complaint\": 3, \"overtime_ticket\": 0.2}}}}\n");
	fclose(f);

	/* the tokens file the config names, readable by this user alone as
	 * hostd requires; the bench never calls the API */
	char tokens[300];
	snprintf(tokens, sizeof(tokens), "%s/tokens.json", dir);
	f = fopen(tokens, "w");
	if (!f || fchmod(fileno(f), 0600) != 0) {
		perror("bench_bus: tokens.json");
		exit(1);
	}
	fprintf(f, "{\"tokens\": [{\"token\": \"bench-bus-admin-token-0001\", \"role\": "
		   "\"admin\"}]}\n");
	fclose(f);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Waits until the terminal's text changed after `since` and holds `want`;
 * returns the event-to-text latency in ms, or -1. */
static double await_text(struct control *c, long since_text_ms, const char *want, double timeout_ms)
{
	double end = now_ms() + timeout_ms;

	while (now_ms() < end) {
		const char *st = control_cmd(c, "status");
		if (!st)
			return -1;
		long text_ms = field(st, "text_ms"), ev_ms = field(st, "ev_ms");
		if (text_ms > since_text_ms) {
			const char *t = control_cmd(c, "text");
			if (t && strstr(t, want))
				return (double)(text_ms - ev_ms);
		}
		sleep_ms(2);
	}
	return -1;
}

static void latency(int baud, int rounds, double cycle_ms)
{
	char cfg[300], db[300], log[300];
	struct control ctl[TERMINALS];
	double samples[MAX_SAMPLES];
	int n = 0;

	snprintf(cfg, sizeof(cfg), "%s/hall.json", dir);
	snprintf(db, sizeof(db), "%s/bench-%d.db", dir, baud);
	snprintf(log, sizeof(log), "%s/hostd-%d.log", dir, baud);
	unlink(db);
	write_config(cfg, baud);
	char *argv[] = {HOSTD, "--config", cfg, "--db", db, "--log-level", "warn", NULL};
	pid_t host = spawn(argv, log);
	for (int i = 0; i < TERMINALS; i++) {
		char sock[300], line[64];
		snprintf(sock, sizeof(sock), "%s/t%02d.sock", dir, i + 1);
		if (control_open(&ctl[i], sock) != 0) {
			fprintf(stderr, "bench_bus: no control socket %s\n", sock);
			exit(1);
		}
		snprintf(line, sizeof(line), "login %d 1234", 1001 + i);
		control_cmd(&ctl[i], line);
	}
	for (int i = 0; i < TERMINALS; i++) {
		const char *st = control_cmd(&ctl[i], "status");
		if (await_text(&ctl[i], st ? field(st, "text_ms") - 1 : 0, "欢迎您", 60000) < 0)
			fprintf(stderr, "bench_bus: terminal %d did not log in\n", i + 1);
	}
	for (int r = 0; r < rounds && n + 2 <= MAX_SAMPLES; r++)
		for (int i = 0; i < TERMINALS && n + 2 <= MAX_SAMPLES; i++) {
			/* a press at a random moment of the poll cycle, as staff press */
			sleep_ms(drand48() * cycle_ms);
			const char *st = control_cmd(&ctl[i], "status");
			long t0 = st ? field(st, "text_ms") : 0;
			control_cmd(&ctl[i], "pause 1");
			double ms = await_text(&ctl[i], t0, "暂停服务", 30000);
			if (ms >= 0)
				samples[n++] = ms;
			sleep_ms(drand48() * cycle_ms);
			st = control_cmd(&ctl[i], "status");
			t0 = st ? field(st, "text_ms") : 0;
			control_cmd(&ctl[i], "key pause");
			ms = await_text(&ctl[i], t0, "欢迎您", 30000);
			if (ms >= 0)
				samples[n++] = ms;
		}
	for (int i = 0; i < TERMINALS; i++)
		close(ctl[i].fd);
	stop_one(host);
	if (n == 0) {
		fprintf(stderr, "bench_bus: no latency samples\n");
		return;
	}
	qsort(samples, (size_t)n, sizeof(samples[0]), cmp_double);
	printf("key_to_display_%d_samples: %d count\n", baud, n);
	printf("key_to_display_%d_p50_ms: %.1f ms\n", baud, samples[n / 2]);
	printf("key_to_display_%d_p99_ms: %.1f ms\n", baud, samples[(n * 99) / 100]);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	static const int bauds[] = {115200, 9600};
	char paths[TERMINALS][300];

	log_init("bench_bus", LOG_LEVEL_ERROR, log_default_sink());
	srand48(20261128);
	snprintf(dir, sizeof(dir), "%s/hallq-bench-bus-XXXXXX", argc > 1 ? argv[1] : "/tmp");
	if (!mkdtemp(dir)) {
		perror("bench_bus: mkdtemp");
		return 1;
	}
	for (size_t k = 0; k < sizeof(bauds) / sizeof(bauds[0]); k++) {
		int baud = bauds[k];
		start_line(baud, paths);
		double cycle_ms = cycle(baud, baud >= 19200 ? 5000 : 15000);
		latency(baud, baud >= 19200 ? 3 : 1, cycle_ms);
		stop_all();
	}
	printf("bench files: %s\n", dir);
	return 0;
}
