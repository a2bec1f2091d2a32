/*
 * mbus.c — one bus: the poll thread, the per-device command queues, the
 * online/offline state machine. See mbus.h for the contract.
 *
 * Room: drivers/modbus. libmodbus, libc, POSIX threads; the wire contract
 * from firmware/proto. The mutex guards the command queues, the pokes and
 * the published status; libmodbus is used by the bus thread alone, and the
 * handler is never called with the mutex held.
 */
#include "mbus.h"

#include <errno.h>
#include <modbus.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log/log.h"

enum {
	BACKOFF_FIRST_MS = 500,
	BACKOFF_MAX_MS = 30000,
	REPOLL_MAX = 8, /* polls of one device in a row before the others get a turn */
};

struct queued {
	struct mbus_command cmd;
	bool sent; /* written at least once: no longer replaceable */
};

struct device {
	struct mbus_device_conf conf;
	struct mbus_status st; /* published copy under the mutex; bus thread's own below */
	/* bus thread only */
	uint16_t boot;                    /* the BOOT_ID the host believes, 0 not yet seen */
	uint16_t acked;                   /* the last seq processed of this boot, 0 none */
	uint16_t stored_boot, stored_seq; /* from the store, before the first contact */
	uint16_t next_seq;
	int fails;          /* failed polls in a row */
	bool offline;       /* declared offline: retried after retry_at_ms */
	int64_t last_ok_ms; /* the last answered poll, 0 never */
	int backoff_ms;
	int64_t retry_at_ms;
	/* under the mutex */
	struct queued queue[MBUS_QUEUE];
	int head, count;
	bool poked;
};

struct mbus {
	struct mbus_conf conf;
	struct mbus_handler h;
	modbus_t *ctx;
	bool connected;
	int64_t connect_retry_ms;
	int connect_backoff_ms;
	struct device *dev;

	pthread_mutex_t mu;
	pthread_cond_t wake;
	atomic_bool stopping;
	bool started, any_poke;
	pthread_t thread;
	struct mbus_stats stats;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

double mbus_rtu_poll_us(int baud, int nw, int nr)
{
	double char_us = 11.0 * 1e6 / baud;
	double t35 = baud > 19200 ? 1750.0 : 3.5 * char_us;
	int request = 13 + 2 * nw; /* addr fc rs rq ws wq bc data crc */
	int reply = 5 + 2 * nr;    /* addr fc bc data crc */

	return (request + reply) * char_us + 2 * t35;
}

struct mbus *mbus_new(const struct mbus_conf *conf, const struct mbus_handler *handler, char *err,
		      int err_size)
{
	if (conf->n_devices < 0 || conf->n_devices > MBUS_MAX_DEVICES) {
		snprintf(err, (size_t)err_size, "bus %s: %d devices, at most %d", conf->name,
			 conf->n_devices, MBUS_MAX_DEVICES);
		return NULL;
	}
	struct mbus *b = calloc(1, sizeof(*b));
	if (!b) {
		snprintf(err, (size_t)err_size, "out of memory");
		return NULL;
	}
	b->conf = *conf;
	if (b->conf.events_per_poll < 1 || b->conf.events_per_poll > PROTO_FIFO_SIZE)
		b->conf.events_per_poll = 4;
	b->h = *handler;
	b->dev = calloc((size_t)(conf->n_devices ? conf->n_devices : 1), sizeof(*b->dev));
	if (!b->dev) {
		free(b);
		snprintf(err, (size_t)err_size, "out of memory");
		return NULL;
	}
	for (int i = 0; i < conf->n_devices; i++) {
		b->dev[i].conf = conf->devices[i];
		b->dev[i].backoff_ms = BACKOFF_FIRST_MS;
		b->dev[i].next_seq = 1;
	}
	if (conf->tcp)
		b->ctx = modbus_new_tcp(conf->host, conf->port);
	else
		b->ctx = modbus_new_rtu(conf->device, conf->baud, conf->parity, conf->data_bits,
					conf->stop_bits);
	if (!b->ctx) {
		snprintf(err, (size_t)err_size, "bus %s: libmodbus refused the settings: %s",
			 conf->name, modbus_strerror(errno));
		free(b->dev);
		free(b);
		return NULL;
	}
	int t = conf->timeout_ms > 0 ? conf->timeout_ms : 500;
	modbus_set_response_timeout(b->ctx, (uint32_t)(t / 1000), (uint32_t)(t % 1000) * 1000);
	pthread_mutex_init(&b->mu, NULL);
	pthread_cond_init(&b->wake, NULL);
	return b;
}

void mbus_set_progress(struct mbus *b, int dev, uint16_t boot, uint16_t seq)
{
	if (dev >= 0 && dev < b->conf.n_devices) {
		b->dev[dev].stored_boot = boot;
		b->dev[dev].stored_seq = seq;
	}
}

const struct mbus_conf *mbus_conf(const struct mbus *b)
{
	return &b->conf;
}

/* ---- the command queues (any thread) ---- */

int mbus_send(struct mbus *b, int dev, const struct mbus_command *cmd)
{
	if (dev < 0 || dev >= b->conf.n_devices || cmd->nargs > PROTO_CMD_MAX_ARGS)
		return -1;
	struct device *d = &b->dev[dev];
	int rc = 0;

	pthread_mutex_lock(&b->mu);
	bool replaced = false;
	if (cmd->replace)
		for (int k = d->count - 1; k >= 0 && !replaced; k--) {
			struct queued *q = &d->queue[(d->head + k) % MBUS_QUEUE];
			if (!q->sent && q->cmd.code == cmd->code &&
			    (cmd->code != PROTO_CMD_SHOW_TEXT ||
			     q->cmd.args[PROTO_TEXT_FIRST] == cmd->args[PROTO_TEXT_FIRST])) {
				q->cmd = *cmd;
				replaced = true;
			}
		}
	if (!replaced) {
		if (d->count == MBUS_QUEUE) {
			rc = -1;
		} else {
			struct queued *q = &d->queue[(d->head + d->count) % MBUS_QUEUE];
			q->cmd = *cmd;
			q->sent = false;
			d->count++;
		}
	}
	d->poked = true;
	b->any_poke = true;
	pthread_cond_signal(&b->wake);
	pthread_mutex_unlock(&b->mu);
	return rc;
}

void mbus_release(struct mbus *b, int dev, uint16_t seq)
{
	if (dev < 0 || dev >= b->conf.n_devices || seq == 0)
		return;
	struct device *d = &b->dev[dev];

	pthread_mutex_lock(&b->mu);
	for (int k = 0; k < d->count; k++) {
		struct queued *q = &d->queue[(d->head + k) % MBUS_QUEUE];
		if (q->cmd.seq != seq)
			continue;
		for (int j = k; j < d->count - 1; j++)
			d->queue[(d->head + j) % MBUS_QUEUE] =
			    d->queue[(d->head + j + 1) % MBUS_QUEUE];
		d->count--;
		break;
	}
	d->poked = true;
	b->any_poke = true;
	pthread_cond_signal(&b->wake);
	pthread_mutex_unlock(&b->mu);
}

void mbus_poke(struct mbus *b, int dev)
{
	if (dev < 0 || dev >= b->conf.n_devices)
		return;
	pthread_mutex_lock(&b->mu);
	b->dev[dev].poked = true;
	b->any_poke = true;
	pthread_cond_signal(&b->wake);
	pthread_mutex_unlock(&b->mu);
}

/* Takes the commands bound to a boot other than d->boot out of the queue,
 * into dropped; returns how many. */
static int drop_stale(struct mbus *b, struct device *d, struct queued *dropped)
{
	int n = 0, kept = 0;

	pthread_mutex_lock(&b->mu);
	for (int k = 0; k < d->count; k++) {
		struct queued q = d->queue[(d->head + k) % MBUS_QUEUE];
		if (q.cmd.boot && q.cmd.boot != d->boot)
			dropped[n++] = q;
		else
			d->queue[(d->head + kept++) % MBUS_QUEUE] = q;
	}
	d->count = kept;
	pthread_mutex_unlock(&b->mu);
	return n;
}

static void report_dropped(struct mbus *b, int i, const struct queued *dropped, int n)
{
	for (int k = 0; k < n; k++)
		if (b->h.dropped)
			b->h.dropped(b->h.arg, i, &dropped[k].cmd, dropped[k].sent);
}

/* The command to write now, copied into out; false if none. */
static bool next_command(struct mbus *b, struct device *d, struct mbus_command *out)
{
	bool found = false;

	pthread_mutex_lock(&b->mu);
	if (d->count > 0) {
		struct queued *q = &d->queue[d->head];
		if (q->cmd.seq == 0) {
			uint16_t s = d->next_seq;
			if (s == d->st.done_seq)
				s = proto_seq_next(s);
			q->cmd.seq = s;
			d->next_seq = proto_seq_next(s);
		}
		q->sent = true;
		*out = q->cmd;
		found = true;
	}
	pthread_mutex_unlock(&b->mu);
	return found;
}

/* Pops the head command if it is seq (the device took it). */
static void pop_command(struct mbus *b, struct device *d, uint16_t seq)
{
	pthread_mutex_lock(&b->mu);
	if (d->count > 0 && d->queue[d->head].cmd.seq == seq && d->queue[d->head].sent) {
		d->head = (d->head + 1) % MBUS_QUEUE;
		d->count--;
	}
	pthread_mutex_unlock(&b->mu);
}

static bool has_command(struct mbus *b, struct device *d)
{
	pthread_mutex_lock(&b->mu);
	bool any = d->count > 0;
	pthread_mutex_unlock(&b->mu);
	return any;
}

/* ---- the bus thread ---- */

static bool connect_bus(struct mbus *b)
{
	if (b->connected)
		return true;
	int64_t t = now_ms();
	if (t < b->connect_retry_ms)
		return false;
	if (modbus_connect(b->ctx) == -1) {
		if (b->connect_backoff_ms == BACKOFF_FIRST_MS || b->connect_backoff_ms == 0)
			log_warn("bus %s: cannot open %s: %s; retrying", b->conf.name,
				 b->conf.tcp ? b->conf.host : b->conf.device,
				 modbus_strerror(errno));
		b->connect_backoff_ms =
		    b->connect_backoff_ms ? b->connect_backoff_ms * 2 : BACKOFF_FIRST_MS;
		if (b->connect_backoff_ms > BACKOFF_MAX_MS / 6)
			b->connect_backoff_ms = BACKOFF_MAX_MS / 6;
		b->connect_retry_ms = t + b->connect_backoff_ms;
		return false;
	}
	if (!b->conf.tcp && b->conf.rs485 &&
	    modbus_rtu_set_serial_mode(b->ctx, MODBUS_RTU_RS485) == -1)
		log_warn("bus %s: %s cannot switch to RS-485 mode (%s); going on as it is",
			 b->conf.name, b->conf.device, modbus_strerror(errno));
	b->connected = true;
	b->connect_backoff_ms = 0;
	log_info("bus %s: connected to %s", b->conf.name,
		 b->conf.tcp ? b->conf.host : b->conf.device);
	return true;
}

static void disconnect_bus(struct mbus *b)
{
	if (b->connected)
		modbus_close(b->ctx);
	b->connected = false;
}

static void publish(struct mbus *b, struct device *d, const struct mbus_status *st)
{
	pthread_mutex_lock(&b->mu);
	d->st = *st;
	pthread_mutex_unlock(&b->mu);
}

static void poll_failed(struct mbus *b, int i)
{
	struct device *d = &b->dev[i];

	pthread_mutex_lock(&b->mu);
	b->stats.failures++;
	pthread_mutex_unlock(&b->mu);
	if (b->conf.tcp) {
		disconnect_bus(b); /* TCP: reconnect for the next poll */
	} else if (b->connected) {
		modbus_flush(b->ctx); /* a late or broken reply must not meet the next request */
	}
	d->fails++;
	int64_t t = now_ms();
	if (!d->offline) {
		/* Noise on a line fails a poll now and then; a device is offline
		 * when it fails several in a row and has been silent a while. */
		if (d->fails < MBUS_FAILS_OFFLINE ||
		    (d->last_ok_ms && t - d->last_ok_ms < MBUS_SILENT_MS))
			return; /* polled again next cycle */
		d->offline = true;
		struct mbus_status st = d->st;
		st.online = false;
		publish(b, d, &st);
		log_warn("bus %s: %s (address %d) is offline", b->conf.name, d->conf.id,
			 d->conf.address);
		if (b->h.change)
			b->h.change(b->h.arg, i, MBUS_OFFLINE, &st);
		bool any_online = false;
		for (int k = 0; k < b->conf.n_devices; k++)
			any_online = any_online || !b->dev[k].offline;
		if (!any_online && !b->conf.tcp)
			disconnect_bus(b); /* nobody answers: open the port anew */
	}
	d->retry_at_ms = t + d->backoff_ms;
	d->backoff_ms = d->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : d->backoff_ms * 2;
}

/* The FC 0x17 transaction of a poll on the line (mbus_transact_fn). */
static int transact_line(void *arg, int nw, const uint16_t *w, int nr, uint16_t *r)
{
	struct mbus *b = arg;

	return modbus_write_and_read_registers(b->ctx, PROTO_HREG_HOST_BOOT, nw, w,
					       PROTO_REG_POLL_FIRST, nr, r);
}

/*
 * One poll of device i through transact: the write block (host boot, ack,
 * the next command), then the reply's status and events. Returns true
 * when the device should be polled again at once (events were processed
 * and need their ack, more are waiting, or a command is queued).
 */
static bool poll_through(struct mbus *b, int i, mbus_transact_fn transact, void *arg)
{
	struct device *d = &b->dev[i];
	const int e = b->conf.events_per_poll;
	const int nr = PROTO_REG_EV_FIRST - PROTO_REG_POLL_FIRST + e * PROTO_EV_REGS;
	uint16_t w[PROTO_MAX_RW_WRITE], r[PROTO_MAX_RW_READ];
	struct mbus_command cmd;
	struct queued dropped[MBUS_QUEUE];
	int nw = 2;
	bool with_cmd = false;

	if (d->boot)
		report_dropped(b, i, dropped, drop_stale(b, d, dropped));
	w[0] = d->boot;
	w[1] = d->acked;
	if (d->boot && next_command(b, d, &cmd)) {
		with_cmd = true;
		w[2] = cmd.seq;
		w[3] = cmd.code;
		w[4] = cmd.nargs;
		memcpy(&w[5], cmd.args, sizeof(uint16_t) * cmd.nargs);
		nw = 5 + cmd.nargs;
	}

	modbus_set_slave(b->ctx, d->conf.address);
	errno = 0;
	int rc = transact(arg, nw, w, nr, r);
	pthread_mutex_lock(&b->mu);
	b->stats.polls++;
	pthread_mutex_unlock(&b->mu);
	if (rc != nr) {
		int why = rc < 0 ? errno : 0;
		log_debug("bus %s: poll of %s failed: %s", b->conf.name, d->conf.id,
			  rc < 0 ? modbus_strerror(why) : "short reply");
		if (why == EIO || why == EBADF || why == ENXIO || why == ENODEV || why == EPIPE ||
		    why == ECONNRESET) {
			/* The port itself broke (an adapter unplugged): open it anew. */
			log_warn("bus %s: %s failed (%s); reopening", b->conf.name,
				 b->conf.tcp ? b->conf.host : b->conf.device, modbus_strerror(why));
			disconnect_bus(b);
		}
		poll_failed(b, i);
		return false;
	}
#define R(reg) r[(reg)-PROTO_REG_POLL_FIRST]
	struct mbus_status st = d->st;
	bool again = false;
	bool was_online = st.online;
	uint16_t boot = R(PROTO_REG_BOOT_ID);
	st.online = true;
	st.boot = boot;
	st.done_seq = R(PROTO_REG_CMD_DONE_SEQ);
	st.result = R(PROTO_REG_CMD_RESULT);
	st.printer = R(PROTO_REG_PRINTER);
	st.bad_writes = R(PROTO_REG_BAD_WRITES);
	st.overflows = R(PROTO_REG_FIFO_OVERFLOWS);
	st.print_errors = R(PROTO_REG_PRINT_ERRORS);
	st.state = R(PROTO_REG_STATE);
	st.ev_count = R(PROTO_REG_EV_COUNT);
	st.ev_last = 0;
	if (st.ev_count > 0 && e > 0) {
		uint16_t seq = R(PROTO_REG_EV_FIRST);
		for (int k = 1; k < st.ev_count && k < PROTO_FIFO_SIZE; k++)
			seq = proto_seq_next(seq);
		st.ev_last = seq;
	}
	d->fails = 0;
	d->offline = false;
	d->last_ok_ms = now_ms();
	d->backoff_ms = BACKOFF_FIRST_MS;
	bool status_changed = st.printer != d->st.printer || st.state != d->st.state;

	if (boot != d->boot) {
		/* First contact, or the device rebooted: what it wrote was ignored. */
		bool known = d->boot != 0;
		if (!known && d->stored_boot == boot) {
			d->acked = d->stored_seq; /* a host restart: the store knows */
		} else {
			d->acked = 0;
			if (known || d->stored_boot)
				log_info("bus %s: %s rebooted (boot id %04x)", b->conf.name,
					 d->conf.id, boot);
		}
		d->boot = boot;
		report_dropped(b, i, dropped, drop_stale(b, d, dropped));
		publish(b, d, &st);
		if (b->h.change)
			b->h.change(b->h.arg, i, known ? MBUS_REBOOTED : MBUS_ONLINE, &st);
		again = true;
	} else {
		publish(b, d, &st);
		if (!was_online) {
			log_info("bus %s: %s (address %d) is online", b->conf.name, d->conf.id,
				 d->conf.address);
			if (b->h.change)
				b->h.change(b->h.arg, i, MBUS_ONLINE, &st);
		} else if (status_changed && b->h.change) {
			b->h.change(b->h.arg, i, MBUS_STATUS, &st);
		}
		if (with_cmd) {
			if (st.done_seq == cmd.seq) {
				pop_command(b, d, cmd.seq);
				if (b->h.done)
					b->h.done(b->h.arg, i, &cmd, st.result);
			}
			again = true; /* the next command, or this one again */
		}
	}

	/* The events read, oldest first. */
	int n = st.ev_count < e ? st.ev_count : e;
	for (int k = 0; k < n; k++) {
		const uint16_t *x =
		    &r[PROTO_REG_EV_FIRST - PROTO_REG_POLL_FIRST + k * PROTO_EV_REGS];
		struct proto_event_entry ev = {x[0], x[1], (uint32_t)x[2] << 16 | x[3]};
		if (d->acked && proto_seq_covered(ev.seq, d->acked))
			continue; /* processed; its ack is on the way */
		if (b->h.event && b->h.event(b->h.arg, i, boot, &ev) != 0)
			break; /* not now: it stays in the FIFO */
		d->acked = ev.seq;
		again = true;
	}
	if (st.ev_count > n)
		again = true;
#undef R
	return again || has_command(b, d);
}

/* One FC 0x17 transaction with device i on the line. */
static bool poll_device(struct mbus *b, int i)
{
	if (!connect_bus(b)) {
		poll_failed(b, i); /* an adapter unplugged, a TCP peer down */
		return false;
	}
	return poll_through(b, i, transact_line, b);
}

bool mbus_poll_through(struct mbus *b, int dev, mbus_transact_fn transact, void *arg)
{
	if (dev < 0 || dev >= b->conf.n_devices || b->started)
		return false;
	return poll_through(b, dev, transact, arg);
}

static void poll_one(struct mbus *b, int i)
{
	for (int k = 0; k < REPOLL_MAX && !b->stopping; k++)
		if (!poll_device(b, i))
			break;
}

/* Polls the devices poked since the last look. */
static void poll_poked(struct mbus *b)
{
	for (;;) {
		int found = -1;
		pthread_mutex_lock(&b->mu);
		if (b->any_poke) {
			for (int i = 0; i < b->conf.n_devices && found < 0; i++)
				if (b->dev[i].poked) {
					b->dev[i].poked = false;
					found = i;
				}
			if (found < 0)
				b->any_poke = false;
		}
		pthread_mutex_unlock(&b->mu);
		if (found < 0 || b->stopping)
			return;
		struct device *d = &b->dev[found];
		if (!d->offline || now_ms() >= d->retry_at_ms)
			poll_one(b, found);
	}
}

static void *bus_main(void *arg)
{
	struct mbus *b = arg;

	while (!b->stopping) {
		double start = now_us();
		int64_t start_ms = now_ms();
		for (int i = 0; i < b->conf.n_devices && !b->stopping; i++) {
			struct device *d = &b->dev[i];
			if (d->offline && start_ms < d->retry_at_ms)
				continue; /* offline: backing off */
			poll_one(b, i);
			poll_poked(b);
		}
		double took_ms = (now_us() - start) / 1000.0;
		int online = 0;
		for (int i = 0; i < b->conf.n_devices; i++)
			online += b->dev[i].st.online;
		pthread_mutex_lock(&b->mu);
		b->stats.cycles++;
		b->stats.last_cycle_ms = took_ms;
		b->stats.sum_cycle_ms += took_ms;
		b->stats.online = online;
		pthread_mutex_unlock(&b->mu);
		if (b->h.cycle)
			b->h.cycle(b->h.arg);

		/* Sleep out the interval; a poke or a stop wakes it. */
		int64_t until = start_ms + b->conf.poll_interval_ms;
		if (!b->connected)
			until = start_ms + 100;
		for (;;) {
			poll_poked(b);
			pthread_mutex_lock(&b->mu);
			int64_t t = now_ms();
			if (b->stopping || t >= until) {
				pthread_mutex_unlock(&b->mu);
				break;
			}
			if (!b->any_poke) {
				struct timespec ts;
				clock_gettime(CLOCK_REALTIME, &ts);
				int64_t ns = ts.tv_nsec + (until - t) * 1000000;
				ts.tv_sec += (time_t)(ns / 1000000000);
				ts.tv_nsec = (long)(ns % 1000000000);
				pthread_cond_timedwait(&b->wake, &b->mu, &ts);
			}
			pthread_mutex_unlock(&b->mu);
		}
	}
	disconnect_bus(b);
	return NULL;
}

int mbus_start(struct mbus *b)
{
	int rc = pthread_create(&b->thread, NULL, bus_main, b);

	if (rc != 0)
		return -rc;
	b->started = true;
	return 0;
}

void mbus_stop(struct mbus *b)
{
	if (!b || !b->started)
		return;
	pthread_mutex_lock(&b->mu);
	b->stopping = true;
	pthread_cond_signal(&b->wake);
	pthread_mutex_unlock(&b->mu);
	pthread_join(b->thread, NULL);
	b->started = false;
}

void mbus_free(struct mbus *b)
{
	if (!b)
		return;
	mbus_stop(b);
	modbus_free(b->ctx);
	pthread_mutex_destroy(&b->mu);
	pthread_cond_destroy(&b->wake);
	free(b->dev);
	free(b);
}

struct mbus_stats mbus_stats(struct mbus *b)
{
	pthread_mutex_lock(&b->mu);
	struct mbus_stats s = b->stats;
	pthread_mutex_unlock(&b->mu);
	return s;
}

struct mbus_status mbus_status(struct mbus *b, int dev)
{
	struct mbus_status st = {0};

	if (dev < 0 || dev >= b->conf.n_devices)
		return st;
	pthread_mutex_lock(&b->mu);
	st = b->dev[dev].st;
	pthread_mutex_unlock(&b->mu);
	return st;
}
