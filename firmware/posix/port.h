/*
 * port.h — the POSIX port of the firmware: what kiosk-fw, window-fw and
 * display-fw share, grouped by the file that implements it.
 *
 * Room: firmware/posix. May include libmodbus, libc and POSIX, "fw.h" and
 * "proto/proto.h"; nothing of hostd or drivers. The device logic stays in
 * firmware/core (fw.h): this port only owns the clock, the Modbus slave,
 * the simulated keys and printer, and the control socket, and carries
 * register values between the wire and fw_read()/fw_write().
 *
 * One thread: port_run()'s loop owns every struct below. Nothing here
 * blocks for long: the loop sleeps in select() at most PORT_LOOP_US and
 * calls fw_tick() on every turn.
 */
#ifndef HALLQ_PORT_H
#define HALLQ_PORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/select.h>

#include "fw.h"

enum {
	PORT_LOOP_US = 5000,      /* select() timeout: fw_tick() at least this often */
	PORT_PRESS_MS = 60,       /* a simulated key is held down this long ... */
	PORT_RELEASE_MS = 40,     /* ... then released this long before the next */
	PORT_KEYQ_SIZE = 256,     /* simulated presses waiting */
	PORT_TCP_CLIENTS = 8,     /* Modbus TCP masters connected at once */
	PORT_CTL_CLIENTS = 16,    /* control socket clients at once */
	PORT_CTL_LINE_MAX = 1024, /* a control command line, with its newline */
	PORT_CTL_OUT_MAX = 8192,  /* replies waiting to be sent to one client */
	PORT_REPLY_MAX = 2048,    /* one reply line */
	PORT_REOPEN_MS = 1000,    /* a lost serial line is opened again this often */
};

/* log.c: "kiosk-fw: warn: text" lines on stderr. */
enum port_log_level {
	PORT_LOG_ERROR = 0,
	PORT_LOG_WARN,
	PORT_LOG_INFO,
	PORT_LOG_DEBUG,
};
/* Sets the program name and the lowest level written; called once by main(). */
void port_log_init(const char *prog, int level);
/* Parses "error", "warn", "info" or "debug"; -1 for anything else. */
int port_log_level_parse(const char *name);
void port_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define port_error(...) port_log(PORT_LOG_ERROR, __VA_ARGS__)
#define port_warn(...)  port_log(PORT_LOG_WARN, __VA_ARGS__)
#define port_info(...)  port_log(PORT_LOG_INFO, __VA_ARGS__)
#define port_debug(...) port_log(PORT_LOG_DEBUG, __VA_ARGS__)

/* options.c: the command line. */
struct port_opts {
	const char *prog; /* "kiosk-fw" */
	uint8_t type;     /* enum proto_device_type */
	/* RTU */
	const char *rtu_device;
	int baud;
	char parity; /* 'N', 'E' or 'O' */
	int data_bits, stop_bits;
	bool rs485;
	/* TCP: listen on tcp_host (empty: every address) and tcp_port */
	bool tcp;
	char tcp_host[256];
	char tcp_port[16];
	int unit; /* 1..247 */
	const char *control_path;
	uint32_t serial;
	int log_level;
	/* kiosk only */
	int buttons;
	const char *print_to;
	int print_delay_ms;
	const char *printer; /* an escpos_open() spec, or NULL: simulated */
	int paper_mm;        /* 58 (default) or 80 */
	int chars;           /* 0: the paper's default */
	const char *hall, *footer, *ticket_url;
};
/* Parses argv into o. Returns true to run; false with the exit status in
 * *status after printing help or the version (0) or one line about a bad
 * option (2). */
bool port_opts_parse(struct port_opts *o, const char *prog, uint8_t type, int argc, char **argv,
		     int *status);

/* keys.c: simulated presses, turned into the raw key bits fw_tick() samples.
 * Each press holds its key down PORT_PRESS_MS, then leaves every key up
 * PORT_RELEASE_MS, so that the core's debounce sees each one. A phase
 * ends only after a fw_tick() that saw it last its whole length, however
 * slowly the loop turns. */
struct port_keys {
	uint8_t q[PORT_KEYQ_SIZE];
	unsigned head, count;
	uint8_t phase; /* 0 idle, 1 down, 2 released */
	uint8_t key;
	uint32_t since_ms;
};
void port_keys_init(struct port_keys *k);
/* Queues n key presses, all or none; false when they do not fit. */
bool port_keys_push(struct port_keys *k, const uint8_t *keys, size_t n);
/* The raw key bits for a fw_tick() at now_ms; starts the next press. */
uint32_t port_keys_raw(struct port_keys *k, uint32_t now_ms);
/* Ends the phase that has lasted long enough; call after that fw_tick(). */
void port_keys_advance(struct port_keys *k, uint32_t now_ms);
/* True when every queued press has been pressed and released. */
bool port_keys_idle(const struct port_keys *k);

/* text.c: GB18030 (what the core and the host speak) to UTF-8. Writes at
 * most size - 1 bytes and a NUL; a byte that is not GB18030 becomes
 * U+FFFD. Returns the bytes written, without the NUL. */
size_t port_text_utf8(char *out, size_t size, const uint8_t *in, size_t n);

/* rtu.c: RTU requests framed out of the bytes on the line (see rtu.c for
 * why not libmodbus's modbus_receive()). */
enum {
	PORT_RTU_MIN = 4,         /* unit, function, CRC */
	PORT_RTU_MAX = 256,       /* MODBUS_RTU_MAX_ADU_LENGTH */
	PORT_RTU_SILENCE_MS = 30, /* a line quiet this long holds no more of a frame */
};
struct port_rtu {
	uint8_t buf[2 * PORT_RTU_MAX];
	size_t n;
	int unit; /* requests for this unit and broadcasts (0) come out */
	uint32_t last_rx_ms;
	bool resyncing;               /* dropping bytes that start no frame */
	unsigned long bad_frames;     /* runs of bytes dropped */
	unsigned long foreign_frames; /* frames for other units, answers */
};
void port_rtu_init(struct port_rtu *f, int unit);
/* Appends bytes heard on the line at now_ms. */
void port_rtu_feed(struct port_rtu *f, const uint8_t *bytes, size_t n, uint32_t now_ms);
/* Copies the next complete request for this unit (or a broadcast) into
 * frame (PORT_RTU_MAX bytes) and returns its length with the CRC, or
 * returns 0 when there is none yet. Frames for other units and answers
 * are consumed and skipped; call until it returns 0. */
size_t port_rtu_next(struct port_rtu *f, uint8_t *frame, uint32_t now_ms);

/* slave.c: the Modbus slave, RTU on a tty or TCP listening for masters. */
struct port_slave;
struct port_slave_stats {
	unsigned long requests;   /* answered, exceptions included */
	unsigned long exceptions; /* answered with an exception */
	unsigned long bad_frames; /* dropped: bad CRC, short, torn, malformed */
};
/* Opens the line or the listening socket; NULL (after logging why) on failure. */
struct port_slave *port_slave_new(const struct port_opts *o);
void port_slave_free(struct port_slave *s); /* NULL is fine */
/* Adds the descriptors to wait on; updates *maxfd. */
void port_slave_fds(struct port_slave *s, fd_set *rd, int *maxfd);
/* Serves what select() found readable: one request per ready descriptor. */
void port_slave_serve(struct port_slave *s, const fd_set *rd, struct fw_device *dev);
/* Called on every turn: ends the frames the line's silence ends, and
 * reopens a serial line that went away, at most every PORT_REOPEN_MS. */
void port_slave_idle(struct port_slave *s, struct fw_device *dev, uint32_t now_ms);
void port_slave_stats(const struct port_slave *s, struct port_slave_stats *st);

/* control.c: the control socket, one command per line, one reply line each. */
struct port_ctl_ops {
	/* Answers one command (line without its newline) into reply, a
	 * NUL-terminated line of at most size - 1 bytes without a newline.
	 * Returns true when the reply must wait until idle() is true. */
	bool (*command)(void *arg, char *line, char *reply, size_t size);
	bool (*idle)(void *arg);
	void *arg;
};
struct port_ctl;
/* Listens on path (a stale socket file there is replaced); NULL on failure. */
struct port_ctl *port_ctl_new(const char *path, const struct port_ctl_ops *ops);
/* Closes every client and removes the socket file. NULL is fine. */
void port_ctl_free(struct port_ctl *c);
void port_ctl_fds(struct port_ctl *c, fd_set *rd, fd_set *wr, int *maxfd);
void port_ctl_serve(struct port_ctl *c, const fd_set *rd, const fd_set *wr);
/* Sends the replies held for idle() once it is true. */
void port_ctl_release(struct port_ctl *c);

/* port.c: the loop and what every device answers on the control socket. */
struct port;
struct port_device_ops {
	/* A device's own control command: writes the reply and returns true,
	 * or returns false when verb is not one of its commands. */
	bool (*command)(struct port *p, void *arg, const char *verb, char *args, char *reply,
			size_t size);
	/* Called on every turn of the loop after fw_tick() and the requests. */
	void (*poll)(struct port *p, void *arg, uint32_t now_ms);
	void *arg;
};
struct port {
	struct port_opts opts;
	struct fw_device dev;
	struct port_keys keys;
	struct port_device_ops ops;
	struct port_slave *slave;
	struct port_ctl *ctl;
	/* for measuring (status): when the last event was queued and when the
	 * display text last changed, in port_now_ms(); requests served then */
	uint16_t seen_seq;
	uint32_t ev_ms, text_ms;
	unsigned long text_at;
	uint8_t shown[PROTO_DISPLAY_LINES][FW_TEXT_SIZE];
};
/* Milliseconds of CLOCK_MONOTONIC, as the core counts them (wrapping). */
uint32_t port_now_ms(void);
/* The identity this process boots with: fw version from HALLQ_VERSION,
 * the serial of the options, a fresh nonzero boot id. */
void port_identity(const struct port_opts *o, struct fw_identity *id);
/* Opens the slave and the control socket and runs the loop until SIGINT
 * or SIGTERM. Returns the exit status: 0 after a clean stop, 1 when the
 * line, the socket or the system fails. p->dev is initialised already. */
int port_run(struct port *p);
/* Queues key presses for a control command: writes "ok" or an error. */
void port_press(struct port *p, const uint8_t *keys, size_t n, char *reply, size_t size);
/* Parses a whole decimal number in [min, max]; false otherwise. */
bool port_parse_int(const char *s, long min, long max, long *out);

#endif /* HALLQ_PORT_H */
