/*
 * port.c — the loop every device program runs, and the control commands
 * every device answers (text, status, wait-idle).
 *
 * Room: firmware/posix. One thread: the loop owns the device (struct
 * fw_device), the keys, the slave and the control socket. Each turn it
 * waits in select() at most PORT_LOOP_US, ticks the core with the
 * monotonic clock and the simulated keys, serves the Modbus requests and
 * control commands that came, and lets the device program do its own
 * work (the kiosk's printing). SIGINT and SIGTERM end the loop; the
 * control socket file is removed on the way out.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "port.h"

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

uint32_t port_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint32_t)((uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u);
}

/* A nonzero 16-bit number that differs at every start. */
static uint16_t new_boot_id(void)
{
	uint16_t id = 0;
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		if (read(fd, &id, sizeof id) != (ssize_t)sizeof id)
			id = 0;
		close(fd);
	}
	if (id == 0) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		id = (uint16_t)((unsigned long)ts.tv_nsec ^ (unsigned long)ts.tv_sec ^
				(unsigned long)getpid() << 4);
	}
	return id ? id : 1;
}

void port_identity(const struct port_opts *o, struct fw_identity *id)
{
	unsigned major = 0, minor = 0;

	memset(id, 0, sizeof *id);
	if (sscanf(HALLQ_VERSION, "%u.%u", &major, &minor) != 2)
		major = minor = 0;
	id->fw_version = (uint16_t)((major & 0xff) << 8 | (minor & 0xff));
	id->serial = o->serial;
	id->boot_id = new_boot_id();
}

void port_press(struct port *p, const uint8_t *keys, size_t n, char *reply, size_t size)
{
	if (port_keys_push(&p->keys, keys, n))
		snprintf(reply, size, "ok");
	else
		snprintf(reply, size, "error: too many presses waiting (at most %d); try wait-idle",
			 PORT_KEYQ_SIZE);
}

/* "ok LINE1|LINE2...": what the device shows, in UTF-8. */
static void cmd_text(struct port *p, char *reply, size_t size)
{
	size_t len = (size_t)snprintf(reply, size, "ok ");
	const uint8_t *line;
	size_t n;

	for (int i = 0; len < size && (line = fw_text(&p->dev, i, &n)) != NULL; i++) {
		if (i > 0 && len + 1 < size) {
			reply[len++] = '|';
			reply[len] = '\0';
		}
		len += port_text_utf8(reply + len, size - len, line, n);
	}
}

/*
 * "ok boot=... fifo=... ...": the status registers as the host would read
 * them. fw_read() counts as the host polling, so it reads a copy of the
 * device; the HOST_ONLINE flag is taken from the device itself, since
 * reading the copy may have set it there.
 */
static void cmd_status(struct port *p, char *reply, size_t size)
{
	struct fw_device copy = p->dev;
	uint16_t r[PROTO_REG_EV_COUNT + 1];
	struct port_slave_stats st;
	uint16_t flags;
	bool online =
	    p->dev.host_seen && (uint32_t)(p->dev.now_ms - p->dev.host_ms) < PROTO_HOST_TIMEOUT_MS;

	if (fw_read(&copy, 0, PROTO_REG_EV_COUNT + 1, r) != 0) {
		snprintf(reply, size, "error: the core refused to read its status");
		return;
	}
	flags = (uint16_t)((r[PROTO_REG_FLAGS] & ~PROTO_FLAG_HOST_ONLINE) |
			   (online ? PROTO_FLAG_HOST_ONLINE : 0));
	port_slave_stats(p->slave, &st);
	snprintf(reply, size,
		 "ok boot=%u fifo=%u done_seq=%u result=%u flags=%u printer=%u bad=%u "
		 "overflows=%u print_errors=%u state=%u uptime=%lu serial=%lu requests=%lu "
		 "exceptions=%lu bad_frames=%lu ev_ms=%lu text_ms=%lu text_at=%lu",
		 r[PROTO_REG_BOOT_ID], r[PROTO_REG_EV_COUNT], r[PROTO_REG_CMD_DONE_SEQ],
		 r[PROTO_REG_CMD_RESULT], flags, r[PROTO_REG_PRINTER], r[PROTO_REG_BAD_WRITES],
		 r[PROTO_REG_FIFO_OVERFLOWS], r[PROTO_REG_PRINT_ERRORS], r[PROTO_REG_STATE],
		 (unsigned long)r[PROTO_REG_UPTIME_HI] << 16 | r[PROTO_REG_UPTIME_LO],
		 (unsigned long)r[PROTO_REG_SERIAL_HI] << 16 | r[PROTO_REG_SERIAL_LO], st.requests,
		 st.exceptions, st.bad_frames, (unsigned long)p->ev_ms, (unsigned long)p->text_ms,
		 p->text_at);
}

/* Notes when an event was queued and when the text changed (status). */
static void track(struct port *p, uint32_t tick_ms)
{
	if (p->dev.fifo.next_seq != p->seen_seq) {
		p->seen_seq = p->dev.fifo.next_seq;
		p->ev_ms = tick_ms;
	}
	for (int line = 0; line < PROTO_DISPLAY_LINES; line++) {
		size_t len = 0;
		const uint8_t *t = fw_text(&p->dev, line, &len);
		uint8_t now[FW_TEXT_SIZE] = {0};
		if (t)
			memcpy(now, t, len < FW_TEXT_SIZE - 1 ? len : FW_TEXT_SIZE - 1);
		if (memcmp(now, p->shown[line], sizeof(now)) != 0) {
			struct port_slave_stats st;
			memcpy(p->shown[line], now, sizeof(now));
			p->text_ms = port_now_ms();
			port_slave_stats(p->slave, &st);
			p->text_at = st.requests;
		}
	}
}

/* The control socket's command(): the common verbs, then the device's. */
static bool ctl_command(void *arg, char *line, char *reply, size_t size)
{
	struct port *p = arg;
	char *verb = line, *args;

	while (*verb == ' ' || *verb == '\t')
		verb++;
	args = verb + strcspn(verb, " \t");
	if (*args) {
		*args++ = '\0';
		args += strspn(args, " \t");
	}
	if (*verb == '\0') {
		snprintf(reply, size, "error: empty command");
	} else if (strcmp(verb, "text") == 0 && !*args) {
		cmd_text(p, reply, size);
	} else if (strcmp(verb, "status") == 0 && !*args) {
		cmd_status(p, reply, size);
	} else if (strcmp(verb, "wait-idle") == 0 && !*args) {
		snprintf(reply, size, "ok");
		return true;
	} else if (!p->ops.command || !p->ops.command(p, p->ops.arg, verb, args, reply, size)) {
		snprintf(reply, size, "error: unknown command \"%.64s\"", verb);
	}
	return false;
}

static bool ctl_idle(void *arg)
{
	struct port *p = arg;

	return port_keys_idle(&p->keys);
}

static void catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal; /* no SA_RESTART: select() returns at once */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

/* One turn of the loop; false when select() failed. */
static bool turn(struct port *p)
{
	struct timeval tv = {0, PORT_LOOP_US};
	fd_set rd, wr;
	int maxfd = -1, n;
	uint32_t now;

	FD_ZERO(&rd);
	FD_ZERO(&wr);
	port_slave_fds(p->slave, &rd, &maxfd);
	if (p->ctl)
		port_ctl_fds(p->ctl, &rd, &wr, &maxfd);
	n = select(maxfd + 1, &rd, &wr, NULL, &tv);
	if (n < 0 && errno != EINTR) {
		port_error("select: %s", strerror(errno));
		return false;
	}
	now = port_now_ms();
	fw_tick(&p->dev, now, port_keys_raw(&p->keys, now));
	port_keys_advance(&p->keys, now);
	if (n > 0) {
		port_slave_serve(p->slave, &rd, &p->dev);
		if (p->ctl)
			port_ctl_serve(p->ctl, &rd, &wr);
	}
	if (p->ops.poll)
		p->ops.poll(p, p->ops.arg, now);
	if (p->ctl)
		port_ctl_release(p->ctl);
	port_slave_idle(p->slave, &p->dev, now);
	track(p, now);
	return true;
}

int port_run(struct port *p)
{
	const struct port_opts *o = &p->opts;
	struct port_ctl_ops ops = {ctl_command, ctl_idle, p};
	int status = 1;

	port_keys_init(&p->keys);
	catch_signals();
	if (!(p->slave = port_slave_new(o)))
		goto out;
	if (o->control_path && !(p->ctl = port_ctl_new(o->control_path, &ops)))
		goto out;
	if (o->tcp)
		port_info("unit %d listening on %s:%s, serial %lu, boot id %04x", o->unit,
			  o->tcp_host[0] ? o->tcp_host : "*", o->tcp_port,
			  (unsigned long)p->dev.id.serial, p->dev.id.boot_id);
	else
		port_info("unit %d on %s at %d %d%c%d, serial %lu, boot id %04x", o->unit,
			  o->rtu_device, o->baud, o->data_bits, o->parity, o->stop_bits,
			  (unsigned long)p->dev.id.serial, p->dev.id.boot_id);
	while (!stop_signal)
		if (!turn(p))
			goto out;
	port_info("stopped by signal %d", (int)stop_signal);
	status = 0;
out:
	port_ctl_free(p->ctl);
	p->ctl = NULL;
	port_slave_free(p->slave);
	p->slave = NULL;
	return status;
}
