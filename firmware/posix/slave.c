/*
 * slave.c — the Modbus slave: requests come in framed (libmodbus's
 * modbus_receive() over TCP, rtu.c's framer on a serial line), this file
 * checks each one itself and answers it from fw_read()/fw_write().
 *
 * Room: firmware/posix; the only file of the port that includes libmodbus.
 * Owns the libmodbus context (it sets up the tty or listens, and builds
 * and sends every answer), the register mapping libmodbus replies from,
 * the serial line or the listening socket and its masters.
 *
 * libmodbus 3.1.6 does not check every count against the bytes that came
 * (notes/modbus-on-pseudo-terminals.md), so every field is checked here
 * before anything is written or copied. The answer is built by
 * modbus_reply() from a mapping refilled with fw_read()'s values just
 * before; a request that could not be framed, or that is too short for
 * its function, is counted and dropped, never fatal.
 *
 * Supported: FC 03, 04, 06, 16 and 0x17 (write first, then read, as the
 * Modbus spec orders them). Any other function: ILLEGAL FUNCTION. On RTU,
 * a broadcast (unit 0) write is applied and not answered; over TCP the
 * unit must be ours or 0xFF (else GATEWAY TARGET FAILED TO RESPOND).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <modbus.h>

#include "port.h"

enum {
	/* The mapping: every readable address, then (holding registers only)
	 * a scratch area where modbus_reply() puts an FC 0x17's write part,
	 * which fw_write() has taken already, so that it cannot shadow the
	 * values fw_read() gave for the read part. */
	MAP_INPUT = PROTO_HREG_END,
	MAP_SCRATCH = PROTO_HREG_END,
	MAP_HOLDING = PROTO_HREG_END + PROTO_MAX_RW_WRITE,
	BYTE_TIMEOUT_US = 100000, /* TCP: a request torn longer than this is dropped */
	EXC_GATEWAY_TARGET = MODBUS_EXCEPTION_GATEWAY_TARGET,
	EXC_SERVER_FAILURE = MODBUS_EXCEPTION_SLAVE_OR_SERVER_FAILURE,
};

struct port_slave {
	const struct port_opts *o;
	modbus_t *ctx;
	modbus_mapping_t *map;
	int header; /* bytes before the function code: 1 (RTU) or 7 (TCP) */
	int tail;   /* bytes after the PDU: the CRC (RTU) or none */
	/* RTU */
	int fd; /* -1 while the line is lost */
	uint32_t lost_ms;
	struct port_rtu rtu;
	/* TCP */
	int listen_fd;
	int clients[PORT_TCP_CLIENTS];
	struct port_slave_stats st;
};

/* What handling a request came to. */
enum outcome {
	ANSWERED = 0, /* positive: a Modbus exception code to answer */
	DROPPED = -1, /* malformed: counted, not answered */
	SILENT = -2,  /* a broadcast: applied, not answered */
};

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static const char *where(const struct port_slave *s)
{
	return s->o->tcp ? "tcp" : s->o->rtu_device;
}

/* Registers from pdu + off, n of them (the length is checked already). */
static void get_values(uint16_t *v, const uint8_t *p, int n)
{
	for (int i = 0; i < n; i++)
		v[i] = be16(p + 2 * i);
}

/* Sends libmodbus's answer to req from the mapping; false when the
 * connection broke. */
static bool reply(struct port_slave *s, const uint8_t *req, int len)
{
	if (modbus_reply(s->ctx, req, len, s->map) < 0) {
		port_debug("%s: reply not sent: %s", where(s), modbus_strerror(errno));
		return false;
	}
	return true;
}

/* FC 03 / 04: count registers from addr. */
static int do_read(struct port_slave *s, struct fw_device *dev, int fc, const uint8_t *pdu, int n,
		   bool broadcast)
{
	uint16_t v[PROTO_MAX_READ];
	uint16_t addr, count;
	uint16_t *tab;
	int exc;

	if (n != 5)
		return DROPPED;
	if (broadcast)
		return DROPPED; /* a read cannot be broadcast */
	addr = be16(pdu + 1);
	count = be16(pdu + 3);
	if (count < 1 || count > PROTO_MAX_READ)
		return PROTO_EXC_ILLEGAL_VALUE;
	if ((exc = fw_read(dev, addr, count, v)) != 0)
		return exc;
	if (addr + count > MAP_INPUT) {
		port_error("the core read %u registers at %u, outside the map", count, addr);
		return EXC_SERVER_FAILURE;
	}
	tab = fc == MODBUS_FC_READ_INPUT_REGISTERS ? s->map->tab_input_registers
						   : s->map->tab_registers;
	memcpy(tab + addr, v, count * sizeof v[0]);
	return ANSWERED;
}

/* FC 06: one register. */
static int do_write_one(struct fw_device *dev, const uint8_t *pdu, int n, bool broadcast)
{
	uint16_t value;
	int exc;

	if (n != 5)
		return DROPPED;
	value = be16(pdu + 3);
	if ((exc = fw_write(dev, be16(pdu + 1), 1, &value)) != 0)
		return exc;
	return broadcast ? SILENT : ANSWERED;
}

/* FC 16: count registers from addr, byte count, values. */
static int do_write_many(struct fw_device *dev, const uint8_t *pdu, int n, bool broadcast)
{
	uint16_t v[PROTO_MAX_WRITE];
	uint16_t count;
	int bytes, exc;

	if (n < 6 || n != 6 + pdu[5])
		return DROPPED;
	count = be16(pdu + 3);
	bytes = pdu[5];
	if (count < 1 || count > PROTO_MAX_WRITE || bytes != 2 * count)
		return PROTO_EXC_ILLEGAL_VALUE;
	get_values(v, pdu + 6, count);
	if ((exc = fw_write(dev, be16(pdu + 1), count, v)) != 0)
		return exc;
	return broadcast ? SILENT : ANSWERED;
}

/*
 * FC 0x17: read address and count, write address and count, byte count,
 * values. The whole transaction or nothing: the read part is checked (on
 * a copy of the device, which nothing else sees) before the write is
 * applied, so an exception never follows a write that was taken.
 */
static int do_write_read(struct port_slave *s, struct fw_device *dev, uint8_t *pdu, int n,
			 bool broadcast)
{
	uint16_t w[PROTO_MAX_RW_WRITE], r[PROTO_MAX_RW_READ];
	uint16_t raddr, rcount, wcount;
	int bytes, exc;

	if (n < 10 || n != 10 + pdu[9])
		return DROPPED;
	raddr = be16(pdu + 1);
	rcount = be16(pdu + 3);
	wcount = be16(pdu + 7);
	bytes = pdu[9];
	if (rcount < 1 || rcount > PROTO_MAX_RW_READ || wcount < 1 || wcount > PROTO_MAX_RW_WRITE ||
	    bytes != 2 * wcount)
		return PROTO_EXC_ILLEGAL_VALUE;
	get_values(w, pdu + 10, wcount);
	if (!broadcast) {
		struct fw_device probe = *dev;

		if ((exc = fw_read(&probe, raddr, rcount, r)) != 0)
			return exc;
	}
	if ((exc = fw_write(dev, be16(pdu + 5), wcount, w)) != 0)
		return exc;
	if (broadcast)
		return SILENT;
	if ((exc = fw_read(dev, raddr, rcount, r)) != 0)
		return exc;
	if (raddr + rcount > MAP_INPUT) {
		port_error("the core read %u registers at %u, outside the map", rcount, raddr);
		return EXC_SERVER_FAILURE;
	}
	memcpy(s->map->tab_registers + raddr, r, rcount * sizeof r[0]);
	put_be16(pdu + 5, MAP_SCRATCH);
	return ANSWERED;
}

/*
 * One request as it was framed (len bytes, CRC included on RTU). Returns false when the TCP
 * connection it came on broke.
 */
static bool handle(struct port_slave *s, struct fw_device *dev, uint8_t *req, int len)
{
	uint8_t *pdu = req + s->header;
	int n = len - s->header - s->tail;
	int unit, fc, out;
	bool broadcast;

	if (n < 1) {
		s->st.bad_frames++;
		port_debug("%s: a request of %d bytes, too short; dropped", where(s), len);
		return true;
	}
	if (s->o->tcp && (be16(req + 2) != 0 || be16(req + 4) != len - 6)) {
		/* The MBAP header disagrees with the frame libmodbus read: the
		 * stream is out of step, and only a new connection resyncs it. */
		s->st.bad_frames++;
		port_debug("tcp: MBAP protocol %u, length %u for a frame of %d bytes; "
			   "connection closed",
			   be16(req + 2), be16(req + 4), len);
		return false;
	}
	unit = req[s->header - 1];
	fc = pdu[0];
	broadcast = !s->o->tcp && unit == MODBUS_BROADCAST_ADDRESS;
	if (s->o->tcp && unit != s->o->unit && unit != MODBUS_TCP_SLAVE) {
		out = EXC_GATEWAY_TARGET;
	} else {
		switch (fc) {
		case MODBUS_FC_READ_HOLDING_REGISTERS:
		case MODBUS_FC_READ_INPUT_REGISTERS:
			out = do_read(s, dev, fc, pdu, n, broadcast);
			break;
		case MODBUS_FC_WRITE_SINGLE_REGISTER:
			out = do_write_one(dev, pdu, n, broadcast);
			break;
		case MODBUS_FC_WRITE_MULTIPLE_REGISTERS:
			out = do_write_many(dev, pdu, n, broadcast);
			break;
		case MODBUS_FC_WRITE_AND_READ_REGISTERS:
			out = do_write_read(s, dev, pdu, n, broadcast);
			break;
		default:
			out = PROTO_EXC_ILLEGAL_FUNCTION;
			break;
		}
	}
	if (out == DROPPED) {
		s->st.bad_frames++;
		port_debug("%s: FC %02x of %d bytes for unit %d: malformed; dropped", where(s), fc,
			   len, unit);
		return true;
	}
	s->st.requests++;
	if (out == SILENT)
		return true;
	if (out == ANSWERED)
		return reply(s, req, len);
	s->st.exceptions++;
	port_debug("%s: FC %02x for unit %d: exception %d", where(s), fc, unit, out);
	if (broadcast)
		return true;
	if (modbus_reply_exception(s->ctx, req, (unsigned)out) < 0) {
		port_debug("%s: exception not sent: %s", where(s), modbus_strerror(errno));
		return false;
	}
	return true;
}

/* Opens the tty with libmodbus (speed, parity, raw mode); reads are ours. */
static int open_rtu(struct port_slave *s)
{
	int fd, fl;

	if (modbus_connect(s->ctx) < 0)
		return -errno;
	if (s->o->rs485 && modbus_rtu_set_serial_mode(s->ctx, MODBUS_RTU_RS485) < 0)
		port_warn("%s: no RS-485 mode (%s); going on without it", s->o->rtu_device,
			  modbus_strerror(errno));
	fd = modbus_get_socket(s->ctx);
	if ((fl = fcntl(fd, F_GETFL)) < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		int e = errno;

		modbus_close(s->ctx);
		return -e;
	}
	s->fd = fd;
	port_rtu_init(&s->rtu, s->o->unit);
	return 0;
}

static int open_tcp(struct port_slave *s)
{
	int fd = modbus_tcp_pi_listen(s->ctx, PORT_TCP_CLIENTS);

	if (fd < 0)
		return -errno;
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0 || fcntl(fd, F_SETFL, O_NONBLOCK) < 0) {
		int e = errno;

		close(fd);
		return -e;
	}
	s->listen_fd = fd;
	return 0;
}

struct port_slave *port_slave_new(const struct port_opts *o)
{
	struct port_slave *s = calloc(1, sizeof *s);
	int rc;

	if (!s) {
		port_error("out of memory");
		return NULL;
	}
	s->o = o;
	s->fd = s->listen_fd = -1;
	for (int i = 0; i < PORT_TCP_CLIENTS; i++)
		s->clients[i] = -1;
	if (o->tcp)
		s->ctx = modbus_new_tcp_pi(o->tcp_host[0] ? o->tcp_host : NULL, o->tcp_port);
	else
		s->ctx =
		    modbus_new_rtu(o->rtu_device, o->baud, o->parity, o->data_bits, o->stop_bits);
	s->map = modbus_mapping_new_start_address(0, 0, 0, 0, 0, MAP_HOLDING, 0, MAP_INPUT);
	if (!s->ctx || !s->map) {
		port_error("libmodbus: %s", modbus_strerror(errno));
		goto fail;
	}
	modbus_set_slave(s->ctx, o->unit);
	modbus_set_byte_timeout(s->ctx, 0, BYTE_TIMEOUT_US);
	s->header = modbus_get_header_length(s->ctx);
	s->tail = o->tcp ? 0 : 2;
	rc = o->tcp ? open_tcp(s) : open_rtu(s);
	if (rc < 0) {
		if (o->tcp)
			port_error("cannot listen on %s:%s: %s", o->tcp_host[0] ? o->tcp_host : "*",
				   o->tcp_port, modbus_strerror(-rc));
		else
			port_error("cannot open %s: %s", o->rtu_device, modbus_strerror(-rc));
		goto fail;
	}
	return s;
fail:
	port_slave_free(s);
	return NULL;
}

static void close_client(struct port_slave *s, int i)
{
	close(s->clients[i]);
	s->clients[i] = -1;
}

void port_slave_free(struct port_slave *s)
{
	if (!s)
		return;
	for (int i = 0; i < PORT_TCP_CLIENTS; i++)
		if (s->clients[i] >= 0)
			close_client(s, i);
	if (s->listen_fd >= 0)
		close(s->listen_fd);
	if (s->ctx) {
		if (s->o->tcp)
			modbus_set_socket(s->ctx, -1); /* the clients are closed already */
		else if (s->fd >= 0)
			modbus_close(s->ctx);
		modbus_free(s->ctx);
	}
	modbus_mapping_free(s->map);
	free(s);
}

void port_slave_fds(struct port_slave *s, fd_set *rd, int *maxfd)
{
	int fds[PORT_TCP_CLIENTS + 1], n = 0;

	if (s->o->tcp) {
		fds[n++] = s->listen_fd;
		for (int i = 0; i < PORT_TCP_CLIENTS; i++)
			if (s->clients[i] >= 0)
				fds[n++] = s->clients[i];
	} else if (s->fd >= 0) {
		fds[n++] = s->fd;
	}
	for (int i = 0; i < n; i++) {
		FD_SET(fds[i], rd);
		if (fds[i] > *maxfd)
			*maxfd = fds[i];
	}
}

static void accept_master(struct port_slave *s)
{
	int fd = accept(s->listen_fd, NULL, NULL);

	if (fd < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			port_warn("tcp: accept: %s", strerror(errno));
		return;
	}
	(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	for (int i = 0; i < PORT_TCP_CLIENTS; i++) {
		if (s->clients[i] < 0) {
			s->clients[i] = fd;
			port_debug("tcp: master %d connected", i);
			return;
		}
	}
	port_warn("tcp: more than %d masters at once; one refused", PORT_TCP_CLIENTS);
	close(fd);
}

static void serve_tcp(struct port_slave *s, const fd_set *rd, struct fw_device *dev)
{
	uint8_t req[MODBUS_MAX_ADU_LENGTH];

	for (int i = 0; i < PORT_TCP_CLIENTS; i++) {
		int rc;

		if (s->clients[i] < 0 || !FD_ISSET(s->clients[i], rd))
			continue;
		modbus_set_socket(s->ctx, s->clients[i]);
		rc = modbus_receive(s->ctx, req);
		if (rc < 0) {
			if (errno == ECONNRESET) {
				port_debug("tcp: master %d disconnected", i);
			} else {
				/* The stream cannot be trusted after a torn or bad
				 * frame: the master reconnects. */
				s->st.bad_frames++;
				port_debug("tcp: master %d: %s; connection closed", i,
					   modbus_strerror(errno));
			}
			close_client(s, i);
		} else if (rc > 0 && !handle(s, dev, req, rc)) {
			close_client(s, i);
		}
	}
	modbus_set_socket(s->ctx, -1);
	if (FD_ISSET(s->listen_fd, rd))
		accept_master(s);
}

/* Answers every complete request for this unit the framer holds. */
static void serve_frames(struct port_slave *s, struct fw_device *dev, uint32_t now_ms)
{
	uint8_t req[PORT_RTU_MAX];
	unsigned long bad = s->rtu.bad_frames;
	size_t len;

	while ((len = port_rtu_next(&s->rtu, req, now_ms)) > 0)
		handle(s, dev, req, (int)len);
	if (s->rtu.bad_frames != bad) {
		s->st.bad_frames += s->rtu.bad_frames - bad;
		port_debug("%s: bytes that start no frame (bad CRC, noise); dropped",
			   s->o->rtu_device);
	}
}

static void serve_rtu(struct port_slave *s, struct fw_device *dev)
{
	uint8_t bytes[PORT_RTU_MAX];
	uint32_t now_ms = port_now_ms();
	ssize_t n = read(s->fd, bytes, sizeof bytes);

	if (n > 0) {
		port_rtu_feed(&s->rtu, bytes, (size_t)n, now_ms);
		serve_frames(s, dev, now_ms);
	} else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
		/* A pseudo-terminal whose other side closed reads EIO. */
		port_warn("%s: line lost (%s); opening it again every %d ms", s->o->rtu_device,
			  n == 0 ? "end of file" : strerror(errno), PORT_REOPEN_MS);
		modbus_close(s->ctx);
		s->fd = -1;
		s->lost_ms = now_ms;
	}
}

void port_slave_serve(struct port_slave *s, const fd_set *rd, struct fw_device *dev)
{
	if (s->o->tcp)
		serve_tcp(s, rd, dev);
	else if (s->fd >= 0 && FD_ISSET(s->fd, rd))
		serve_rtu(s, dev);
}

void port_slave_idle(struct port_slave *s, struct fw_device *dev, uint32_t now_ms)
{
	if (s->o->tcp)
		return;
	if (s->fd >= 0) {
		serve_frames(s, dev, now_ms); /* what the line's silence ends */
		return;
	}
	if (now_ms - s->lost_ms < PORT_REOPEN_MS)
		return;
	s->lost_ms = now_ms;
	if (open_rtu(s) < 0) {
		port_debug("%s: still lost", s->o->rtu_device);
		return;
	}
	port_info("%s: line open again", s->o->rtu_device);
}

void port_slave_stats(const struct port_slave *s, struct port_slave_stats *st)
{
	*st = s->st;
}
