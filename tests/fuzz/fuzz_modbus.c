/*
 * fuzz_modbus.c — the host's decoding of what devices answer
 * (drivers/modbus): a poll's reply registers (status, event count, the
 * head of the event FIFO) turned into status changes, events for the
 * handler, acknowledgements and confirmed commands, whatever a device or
 * a noisy line puts in them.
 *
 * The bus is a real struct mbus (mbus_new, never started); each poll goes
 * through mbus_poll_through() with the reply taken from the input instead
 * of the line. Input: byte 0 picks TCP or RTU and 1..4 devices, byte 1 the
 * events per poll (any value: mbus_new keeps 1..16); then operations, one
 * byte each and their arguments (fuzz.h reads zeros past the end):
 *   0 poll     dev:u8 how:u8 [registers:u16...]
 *              how % 8: 0 the port fails (errno from how), 1 a short
 *              reply, else a whole reply of the registers that follow
 *   1 send     dev:u8 code:u8 nargs:u8 flags:u8 [seq:u16] [boot:u16] args:u16...
 *              flags: 1 replace, 2 a seq of its own (else the bus's), 4 for one boot
 *   2 release  dev:u8 seq:u16
 *   3 refuse   mask:u8   the handler refuses the events whose seq % 8 bit is set
 *   4 poke     dev:u8
 *   5 progress dev:u8 boot:u16 seq:u16   what the store says (mbus_set_progress)
 * Checked beyond "no crash, no leak", against a model of mbus.h's
 * contract: every poll writes HOST_BOOT = the boot last read and
 * ACK_SEQ = the last event the handler took of that boot (or what the
 * store said, on the first contact with that boot), and a command only
 * once the boot is known, whole; the handler never gets an event that an
 * acknowledgement already covers, gets at most events_per_poll a poll, in
 * the reply's order, always with the reply's boot; a command is done only
 * when the reply echoes its seq, dropped only for a boot that is not the
 * device's now.
 */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "log/log.h"
#include "mbus.h"

enum { DEVICES_MAX = 4, OPS_MAX = 2048 };

struct model {
	uint16_t boot, acked; /* what the host should believe */
	uint16_t stored_boot, stored_seq;
	bool polled_ok; /* a reply came since the boot was set */
};

struct harness {
	struct mbus *bus;
	int n_devices, events_per_poll;
	struct fuzz_in *in;
	struct model m[DEVICES_MAX];
	uint8_t refuse;
	/* the poll in progress */
	int dev;
	uint16_t reply[PROTO_MAX_RW_READ];
	bool replied;
	uint16_t written_seq; /* the command written in this poll, 0 none */
	int events_given;
	uint16_t last_given;
};

static int transact(void *arg, int nw, const uint16_t *w, int nr, uint16_t *r)
{
	struct harness *h = arg;
	struct model *m = &h->m[h->dev];
	static const int port_errors[] = {EIO, ETIMEDOUT, EBADF, ECONNRESET, EMSGSIZE, ENXIO};

	FUZZ_CHECK(nr == PROTO_REG_EV_FIRST - PROTO_REG_POLL_FIRST + h->events_per_poll * 4);
	FUZZ_CHECK(w[0] == m->boot);
	FUZZ_CHECK(w[1] == m->acked);
	FUZZ_CHECK(nw == 2 || (m->boot != 0 && nw >= 5 && w[4] <= PROTO_CMD_MAX_ARGS &&
			       nw == 5 + w[4] && w[2] != 0));
	h->written_seq = nw > 2 ? w[2] : 0;
	uint8_t how = fuzz_u8(h->in);
	if (how % 8 == 0) {
		errno = port_errors[how / 8 % 6];
		return -1;
	}
	if (how % 8 == 1)
		return nr - 1 - how / 8 % 4;
	for (int k = 0; k < nr; k++)
		r[k] = h->reply[k] = fuzz_u16(h->in);
	h->replied = true;
	/* what the host should believe from here on */
	uint16_t boot = r[PROTO_REG_BOOT_ID - PROTO_REG_POLL_FIRST];
	if (boot != m->boot) {
		m->acked = m->boot == 0 && boot == m->stored_boot ? m->stored_seq : 0;
		m->boot = boot;
	}
	return nr;
}

static int on_event(void *arg, int dev, uint16_t boot, const struct proto_event_entry *ev)
{
	struct harness *h = arg;
	struct model *m = &h->m[dev];
	const uint16_t *r = h->reply;
	const int first = PROTO_REG_EV_FIRST - PROTO_REG_POLL_FIRST;

	FUZZ_CHECK(h->replied && dev == h->dev && boot == m->boot);
	FUZZ_CHECK(!(m->acked && proto_seq_covered(ev->seq, m->acked)));
	/* one of the entries read, after the one given before */
	int k = 0;
	while (k < h->events_per_poll &&
	       !(r[first + 4 * k] == ev->seq && r[first + 4 * k + 1] == ev->code &&
		 ((uint32_t)r[first + 4 * k + 2] << 16 | r[first + 4 * k + 3]) == ev->arg))
		k++;
	FUZZ_CHECK(k < h->events_per_poll && k < r[PROTO_REG_EV_COUNT - PROTO_REG_POLL_FIRST]);
	FUZZ_CHECK(h->events_given < h->events_per_poll);
	h->events_given++;
	if (h->refuse & 1u << (ev->seq % 8))
		return -1;
	m->acked = ev->seq;
	if (ev->seq % 5 == 0) { /* a handler may queue a command from here */
		struct mbus_command show = {
		    .code = PROTO_CMD_SHOW_TEXT, .nargs = 4, .replace = true};
		show.args[1] = 1;
		mbus_send(h->bus, dev, &show);
	}
	return 0;
}

static void on_change(void *arg, int dev, enum mbus_change what, const struct mbus_status *st)
{
	struct harness *h = arg;

	FUZZ_CHECK(dev == h->dev);
	FUZZ_CHECK(st->online == (what != MBUS_OFFLINE));
	if (what != MBUS_OFFLINE)
		FUZZ_CHECK(h->replied && st->boot == h->m[dev].boot);
}

static void on_done(void *arg, int dev, const struct mbus_command *cmd, uint16_t result)
{
	struct harness *h = arg;

	FUZZ_CHECK(h->replied && dev == h->dev && cmd->seq != 0 && cmd->seq == h->written_seq);
	FUZZ_CHECK(h->reply[PROTO_REG_CMD_DONE_SEQ - PROTO_REG_POLL_FIRST] == cmd->seq);
	FUZZ_CHECK(h->reply[PROTO_REG_CMD_RESULT - PROTO_REG_POLL_FIRST] == result);
}

static void on_dropped(void *arg, int dev, const struct mbus_command *cmd, bool written)
{
	struct harness *h = arg;

	(void)written;
	FUZZ_CHECK(dev == h->dev && cmd->boot != 0 && cmd->boot != h->m[dev].boot);
}

static void poll(struct harness *h, int dev)
{
	h->dev = dev;
	h->replied = false;
	h->written_seq = 0;
	h->events_given = 0;
	FUZZ_CHECK(!mbus_poll_through(h->bus, DEVICES_MAX, transact, h)); /* out of range */
	mbus_poll_through(h->bus, dev, transact, h);
	struct mbus_status st = mbus_status(h->bus, dev);
	if (h->replied)
		FUZZ_CHECK(st.online && st.boot == h->m[dev].boot);
}

static void send(struct harness *h, struct fuzz_in *in)
{
	int dev = fuzz_u8(in) % h->n_devices;
	struct mbus_command cmd = {.code = fuzz_u8(in), .nargs = fuzz_u8(in)};

	uint8_t flags = fuzz_u8(in);
	cmd.replace = flags & 1;
	cmd.seq = flags & 2 ? fuzz_u16(in) : 0;
	cmd.boot = flags & 4 ? fuzz_u16(in) : 0;
	for (int k = 0; k < cmd.nargs && k < PROTO_CMD_MAX_ARGS; k++)
		cmd.args[k] = fuzz_u16(in);
	int rc = mbus_send(h->bus, dev, &cmd);
	if (cmd.nargs > PROTO_CMD_MAX_ARGS)
		FUZZ_CHECK(rc == -1);
}

static void run_op(struct harness *h, struct fuzz_in *in)
{
	uint8_t op = fuzz_u8(in), arg = fuzz_u8(in);
	int dev = arg % h->n_devices;

	switch (op % 6) {
	case 0:
		poll(h, dev);
		break;
	case 1:
		in->p--, in->n++; /* the dev byte is send's */
		send(h, in);
		break;
	case 2:
		mbus_release(h->bus, dev, fuzz_u16(in));
		break;
	case 3:
		h->refuse = arg;
		break;
	case 4:
		mbus_poke(h->bus, dev);
		break;
	default: {
		struct model *m = &h->m[dev];
		m->stored_boot = fuzz_u16(in);
		m->stored_seq = fuzz_u16(in);
		mbus_set_progress(h->bus, dev, m->stored_boot, m->stored_seq);
		break;
	}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mbus_conf conf; /* big: off the stack */
	struct fuzz_in in = {data, size};
	struct harness h;
	char err[256];
	uint8_t pick = fuzz_u8(&in), per_poll = fuzz_u8(&in);
	const struct mbus_handler handler = {on_event, on_change, on_done, on_dropped, NULL, &h};

	static bool log_set;
	if (!log_set) /* the bus's warnings (offline, reopening) are expected here */
		log_init("fuzz_modbus", LOG_LEVEL_ERROR, LOG_SINK_STDERR);
	log_set = true;
	memset(&h, 0, sizeof(h));
	memset(&conf, 0, sizeof(conf));
	snprintf(conf.name, sizeof(conf.name), "fuzz");
	conf.tcp = pick & 1;
	snprintf(conf.host, sizeof(conf.host), "127.0.0.1");
	conf.port = 1502;
	snprintf(conf.device, sizeof(conf.device), "/dev/null");
	conf.baud = 9600;
	conf.parity = 'E';
	conf.data_bits = 8;
	conf.stop_bits = 1;
	conf.timeout_ms = 100;
	conf.poll_interval_ms = 100;
	conf.events_per_poll = per_poll;
	h.n_devices = conf.n_devices = 1 + (pick >> 1) % DEVICES_MAX;
	for (int k = 0; k < conf.n_devices; k++) {
		snprintf(conf.devices[k].id, sizeof(conf.devices[k].id), "dev-%d", k);
		conf.devices[k].type = (uint8_t)(1 + k % 3);
		conf.devices[k].address = k + 1;
	}
	h.events_per_poll = per_poll >= 1 && per_poll <= PROTO_FIFO_SIZE ? per_poll : 4;
	h.in = &in;
	h.bus = mbus_new(&conf, &handler, err, sizeof(err));
	FUZZ_CHECK(h.bus != NULL);
	for (int k = 0; k < OPS_MAX && fuzz_more(&in); k++)
		run_op(&h, &in);
	mbus_free(h.bus);
	return 0;
}
