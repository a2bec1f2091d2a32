/*
 * mbus.h — the host side of one Modbus bus: the libmodbus master, the poll
 * scheduler, device online/offline, the event FIFOs read and acknowledged,
 * commands written and confirmed.
 *
 * Room: drivers/modbus. The only host room that includes libmodbus. It
 * knows the wire contract (firmware/proto/proto.h) and nothing of hostd:
 * events go out through struct mbus_handler, commands come in through
 * mbus_send(). docs/protocol.md describes the transactions.
 *
 * One thread per bus. A poll cycle polls every device once with one
 * FC 0x17 transaction: it writes HOST_BOOT and ACK_SEQ (and the device's
 * next command, if any) and reads the status and the head of the event
 * FIFO. A device that had events or has a command waiting is polled again
 * at once, so a key press is answered within a few transactions, not a
 * cycle. A device that fails three polls in a row, and has not answered
 * for a second (noise on a line fails a poll now and then), is offline and
 * is tried again after a backoff (0.5 s doubling to 30 s), so dead
 * addresses cost the line little.
 *
 * Exactly once: the handler's event() returns 0 only when the event's
 * effect is durable (the core has committed it, with the device's seq).
 * Only then is the seq acknowledged, so a lost reply or a host restart
 * replays an event the handler must recognise (mbus_set_progress() gives
 * the bus what the store says was processed). Commands carry a seq; the
 * bus writes one until the device echoes it in CMD_DONE_SEQ.
 */
#ifndef HALLQ_MBUS_H
#define HALLQ_MBUS_H

#include <stdbool.h>
#include <stdint.h>

#include "proto/proto.h"

enum {
	MBUS_MAX_DEVICES = 247,
	MBUS_QUEUE = 32, /* commands waiting per device */
	MBUS_ID_SIZE = 32,
	MBUS_PATH_SIZE = 256,
	MBUS_FAILS_OFFLINE = 3, /* failed polls in a row before a device is offline, */
	MBUS_SILENT_MS = 1000,  /* and silent this long (if it ever answered) */
};

struct mbus_device_conf {
	char id[MBUS_ID_SIZE];
	uint8_t type; /* enum proto_device_type */
	int address;  /* slave address / unit id */
};

struct mbus_conf {
	char name[MBUS_ID_SIZE];
	bool tcp;
	/* RTU */
	char device[MBUS_PATH_SIZE];
	int baud;
	char parity; /* 'N', 'E', 'O' */
	int data_bits, stop_bits;
	bool rs485;
	/* TCP */
	char host[MBUS_PATH_SIZE];
	int port;
	/* both */
	int timeout_ms;
	int poll_interval_ms;
	int events_per_poll; /* 1..PROTO_FIFO_SIZE */
	struct mbus_device_conf devices[MBUS_MAX_DEVICES];
	int n_devices;
};

/* What the last good poll of a device read. */
struct mbus_status {
	bool online;
	uint16_t boot;
	uint16_t done_seq, result;
	uint16_t printer, state;
	uint16_t bad_writes, overflows, print_errors;
	uint16_t ev_count;
	/* The seq of the newest event waiting then (0: none): the head's,
	 * counted on by ev_count - 1, since the seqs in a FIFO follow one
	 * another (docs/protocol.md, section 4). */
	uint16_t ev_last;
};

struct mbus_command {
	uint16_t seq;  /* 0: the bus numbers it (1..0x7fff) */
	uint16_t boot; /* nonzero: only for this boot of the device, else dropped */
	uint16_t code; /* enum proto_cmd */
	uint16_t nargs;
	uint16_t args[PROTO_CMD_MAX_ARGS];
	/* Replaces a queued command not yet written with the same code (and,
	 * for SHOW_TEXT, the same first line): the newest state wins. */
	bool replace;
};

enum mbus_change {
	MBUS_ONLINE,   /* first contact, or back after being offline */
	MBUS_REBOOTED, /* a new BOOT_ID: its state must be pushed again */
	MBUS_OFFLINE,
	MBUS_STATUS, /* printer or state changed */
};

/* Called on the bus thread; they may call mbus_send() and mbus_poke(). */
struct mbus_handler {
	/* A new event of device dev. Return 0 when its effect is durable (it
	 * is then acknowledged), nonzero to have it again later. */
	int (*event)(void *arg, int dev, uint16_t boot, const struct proto_event_entry *ev);
	void (*change)(void *arg, int dev, enum mbus_change what, const struct mbus_status *st);
	/* The device took cmd (CMD_DONE_SEQ echoed it) with this result. */
	void (*done)(void *arg, int dev, const struct mbus_command *cmd, uint16_t result);
	/* cmd was for a boot the device no longer has: it is not sent again.
	 * written: it was written at least once (the old boot may have taken
	 * it). Called before change(MBUS_REBOOTED). */
	void (*dropped)(void *arg, int dev, const struct mbus_command *cmd, bool written);
	/* Once per poll cycle. */
	void (*cycle)(void *arg);
	void *arg;
};

struct mbus_stats {
	uint64_t cycles;
	uint64_t polls, failures;
	double last_cycle_ms; /* the last full cycle, sleep excluded */
	double sum_cycle_ms;  /* over all cycles, sleep excluded */
	int online;           /* devices online now */
};

struct mbus;

/* Copies conf and handler. Returns NULL with a sentence in err. */
struct mbus *mbus_new(const struct mbus_conf *conf, const struct mbus_handler *handler, char *err,
		      int err_size);
/* Before mbus_start: what the store says was processed of device dev. */
void mbus_set_progress(struct mbus *b, int dev, uint16_t boot, uint16_t seq);
int mbus_start(struct mbus *b);
void mbus_stop(struct mbus *b);
void mbus_free(struct mbus *b); /* stops first; NULL is fine */

/* Queues a command for device dev (any thread). Returns 0, or -1 when the
 * device's queue is full (the command is not queued). */
int mbus_send(struct mbus *b, int dev, const struct mbus_command *cmd);
/* Polls device dev as soon as the bus is free. */
void mbus_poke(struct mbus *b, int dev);
/* The outcome of command seq of device dev is known (a PRINTED event came):
 * if it is still queued it is not written again. Any thread. */
void mbus_release(struct mbus *b, int dev, uint16_t seq);

struct mbus_stats mbus_stats(struct mbus *b);
struct mbus_status mbus_status(struct mbus *b, int dev);
const struct mbus_conf *mbus_conf(const struct mbus *b);

/*
 * A poll's FC 0x17 transaction: writes the nw registers w at
 * PROTO_HREG_HOST_BOOT and reads nr registers from PROTO_REG_POLL_FIRST
 * into r. Returns nr; anything else is a failed poll (-1 with errno set
 * when the port failed: EIO, EBADF, ENXIO, ENODEV, EPIPE or ECONNRESET
 * make the bus open it anew).
 */
typedef int (*mbus_transact_fn)(void *arg, int nw, const uint16_t *w, int nr, uint16_t *r);

/*
 * For tests and the fuzzer (tests/fuzz/fuzz_modbus.c): one poll of device
 * dev exactly as the bus thread makes it, with transact in place of the
 * line. The handler is called as from the bus thread, on this thread.
 * Only before mbus_start() (or after mbus_stop()); returns false then, or
 * for a dev out of range. Returns true when the bus would poll dev again
 * at once.
 */
bool mbus_poll_through(struct mbus *b, int dev, mbus_transact_fn transact, void *arg);

/* The theoretical RTU time of one FC 0x17 poll in microseconds: request
 * and reply at 11 bits a character, each followed by t3.5 (1750 us above
 * 19200 baud), for nw registers written and nr read. */
double mbus_rtu_poll_us(int baud, int nw, int nr);

#endif /* HALLQ_MBUS_H */
