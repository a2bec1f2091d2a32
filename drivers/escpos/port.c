/*
 * port.c — the way to the printer: escpos_open() picks a transport by the
 * spec's prefix and escpos_write/status/close dispatch to it; the two
 * transports that are plain file descriptors live here too:
 *
 *   file:PATH  bytes appended to a file; the status is always OK (for
 *              tests and for a kiosk without a printer).
 *   dev:PATH   a printer device file such as /dev/usb/lp0 (the kernel's
 *              usblp): written with poll() and the timeout, asked DLE EOT
 *              n and read back one byte for the status. A device that
 *              fails (unplugged) is closed and opened again on the next
 *              call.
 *
 * The libusb transport is usb.c. port_impl.h states what a transport does.
 *
 * Room: drivers/escpos. libc and POSIX; no libusb here. The port owns its
 * transport's state; one thread at a time per port.
 */
#include "escpos.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "port_impl.h"
#include "proto/proto.h"

enum {
	DEV_DRAIN_MAX = 256, /* stale bytes thrown away before a status question */
};

struct escpos_port {
	const struct escpos_port_ops *ops;
	void *impl;
};

/* ---- time ---- */

int64_t escpos_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t escpos_deadline_ms(int timeout_ms)
{
	if (timeout_ms < 0)
		return ESCPOS_NO_DEADLINE;
	return escpos_now_ms() + timeout_ms;
}

int escpos_left_ms(int64_t deadline_ms)
{
	if (deadline_ms == ESCPOS_NO_DEADLINE)
		return -1;
	int64_t left = deadline_ms - escpos_now_ms();
	if (left <= 0)
		return 0;
	return left > INT32_MAX ? INT32_MAX : (int)left;
}

/* ---- file: and dev: ---- */

struct fd_port {
	int fd;      /* -1: closed (dev: after a failure), opened again on use */
	bool is_dev; /* dev: (read and write, nonblocking) or file: (append) */
	char path[];
};

static int fd_port_reopen(struct fd_port *fp, char *err, size_t err_size)
{
	int flags = fp->is_dev ? O_RDWR | O_NOCTTY | O_NONBLOCK : O_WRONLY | O_CREAT | O_APPEND;

	if (fp->fd >= 0)
		return ESCPOS_OK;
	fp->fd = open(fp->path, flags | O_CLOEXEC, 0644);
	if (fp->fd >= 0)
		return ESCPOS_OK;
	int e = errno;
	snprintf(err, err_size, "cannot open the printer %s \"%s\": %s",
		 fp->is_dev ? "device" : "file", fp->path, strerror(e));
	if (fp->is_dev && (e == ENOENT || e == ENXIO || e == ENODEV))
		return ESCPOS_ERR_NO_PRINTER;
	return ESCPOS_ERR_IO;
}

/* A device that failed is closed, so that the next call opens it afresh. */
static int fd_port_fail(struct fd_port *fp, const char *what, int e, char *err, size_t err_size)
{
	snprintf(err, err_size, "%s the printer %s \"%s\" failed: %s", what,
		 fp->is_dev ? "device" : "file", fp->path, strerror(e));
	if (fp->is_dev && fp->fd >= 0) {
		close(fp->fd);
		fp->fd = -1;
	}
	return ESCPOS_ERR_IO;
}

/* Waits until fd is ready for events; ESCPOS_ERR_TIMEOUT at the deadline. */
static int fd_port_wait(struct fd_port *fp, short events, int64_t deadline_ms, char *err,
			size_t err_size)
{
	struct pollfd pfd = {.fd = fp->fd, .events = events};

	for (;;) {
		int r = poll(&pfd, 1, escpos_left_ms(deadline_ms));
		if (r > 0)
			return ESCPOS_OK; /* errors show in the read or write that follows */
		if (r == 0) {
			snprintf(err, err_size, "the printer device \"%s\" was not ready in time",
				 fp->path);
			return ESCPOS_ERR_TIMEOUT;
		}
		if (errno != EINTR)
			return fd_port_fail(fp, "waiting for", errno, err, err_size);
	}
}

static int fd_port_write(void *impl, const uint8_t *data, size_t n, int64_t deadline_ms, char *err,
			 size_t err_size)
{
	struct fd_port *fp = impl;
	size_t done = 0;
	int rc = fd_port_reopen(fp, err, err_size);

	while (rc == ESCPOS_OK && done < n) {
		ssize_t w = write(fp->fd, data + done, n - done);
		if (w > 0)
			done += (size_t)w;
		else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			rc = fd_port_wait(fp, POLLOUT, deadline_ms, err, err_size);
		else if (w < 0 && errno != EINTR)
			rc = fd_port_fail(fp, "writing to", errno, err, err_size);
		else if (w == 0)
			rc = fd_port_fail(fp, "writing to", EIO, err, err_size);
	}
	if (rc == ESCPOS_ERR_TIMEOUT)
		snprintf(err, err_size, "the printer device \"%s\" took %zu of %zu bytes in time",
			 fp->path, done, n);
	return rc;
}

/* Throws away what the printer said unasked (or too late, after a timeout). */
static void fd_port_drain(struct fd_port *fp)
{
	uint8_t junk[DEV_DRAIN_MAX];

	(void)!read(fp->fd, junk, sizeof(junk));
}

static int fd_port_ask(void *impl, uint8_t n, uint8_t *answer, int64_t deadline_ms, char *err,
		       size_t err_size)
{
	struct fd_port *fp = impl;
	const uint8_t question[3] = {ESCPOS_DLE, ESCPOS_EOT, n};
	int rc = fd_port_reopen(fp, err, err_size);

	if (rc != ESCPOS_OK)
		return rc;
	fd_port_drain(fp);
	rc = fd_port_write(fp, question, sizeof(question), deadline_ms, err, err_size);
	while (rc == ESCPOS_OK) {
		ssize_t r = read(fp->fd, answer, 1);
		if (r == 1)
			return ESCPOS_OK;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			rc = fd_port_wait(fp, POLLIN, deadline_ms, err, err_size);
		else if (r == 0 || errno != EINTR)
			rc = fd_port_fail(fp, "reading the status from", r == 0 ? EIO : errno, err,
					  err_size);
	}
	if (rc == ESCPOS_ERR_TIMEOUT)
		snprintf(err, err_size,
			 "the printer device \"%s\" did not answer DLE EOT %u in time", fp->path,
			 (unsigned)n);
	return rc;
}

static void fd_port_close(void *impl)
{
	struct fd_port *fp = impl;

	if (!fp)
		return;
	if (fp->fd >= 0)
		close(fp->fd);
	free(fp);
}

static const struct escpos_port_ops file_ops = {
    .write = fd_port_write,
    .ask = NULL, /* a file has no status: always OK */
    .close = fd_port_close,
};

static const struct escpos_port_ops dev_ops = {
    .write = fd_port_write,
    .ask = fd_port_ask,
    .close = fd_port_close,
};

static int fd_port_open(const char *path, bool is_dev, void **impl, char *err, size_t err_size)
{
	size_t len = strlen(path);
	struct fd_port *fp;

	if (len == 0) {
		snprintf(err, err_size, "the printer spec names no %s path",
			 is_dev ? "device" : "file");
		return ESCPOS_ERR_ARG;
	}
	fp = malloc(sizeof(*fp) + len + 1);
	if (!fp) {
		snprintf(err, err_size, "out of memory opening the printer");
		return ESCPOS_ERR_NOMEM;
	}
	fp->fd = -1;
	fp->is_dev = is_dev;
	memcpy(fp->path, path, len + 1);
	int rc = fd_port_reopen(fp, err, err_size);
	if (rc != ESCPOS_OK) {
		fd_port_close(fp);
		return rc;
	}
	*impl = fp;
	return ESCPOS_OK;
}

static int file_open(const char *spec, void **impl, char *err, size_t err_size)
{
	return fd_port_open(spec + strlen("file:"), false, impl, err, err_size);
}

static int dev_open(const char *spec, void **impl, char *err, size_t err_size)
{
	return fd_port_open(spec + strlen("dev:"), true, impl, err, err_size);
}

/* ---- dispatch ---- */

struct transport {
	const char *prefix; /* the spec starts with it */
	bool exact_ok;      /* the prefix without ':' is a whole spec too ("usb") */
	const struct escpos_port_ops *ops;
	int (*open)(const char *spec, void **impl, char *err, size_t err_size);
};

static const struct transport transports[] = {
    {"usb:", true, &escpos_usb_ops, escpos_usb_open},
    {"dev:", false, &dev_ops, dev_open},
    {"file:", false, &file_ops, file_open},
};

static const struct transport *find_transport(const char *spec)
{
	for (size_t i = 0; i < sizeof(transports) / sizeof(transports[0]); i++) {
		const struct transport *t = &transports[i];
		size_t len = strlen(t->prefix);
		if (strncmp(spec, t->prefix, len) == 0)
			return t;
		if (t->exact_ok && strncmp(spec, t->prefix, len - 1) == 0 && spec[len - 1] == '\0')
			return t;
	}
	return NULL;
}

/* Callers may pass no error buffer; the sentence then goes nowhere. */
#define ERR_OR_SCRATCH(err, err_size, scratch)                                                     \
	do {                                                                                       \
		if (!(err) || (err_size) == 0) {                                                   \
			(err) = (scratch);                                                         \
			(err_size) = sizeof(scratch);                                              \
		}                                                                                  \
		(err)[0] = '\0';                                                                   \
	} while (0)

int escpos_open(const char *spec, struct escpos_port **out, char *err, size_t err_size)
{
	char scratch[1];
	const struct transport *t;
	struct escpos_port *p;

	ERR_OR_SCRATCH(err, err_size, scratch);
	if (!out)
		return ESCPOS_ERR_ARG;
	*out = NULL;
	t = spec ? find_transport(spec) : NULL;
	if (!t) {
		snprintf(err, err_size,
			 "unknown printer \"%s\": use usb, usb:VVVV:PPPP, dev:PATH or file:PATH",
			 spec ? spec : "(null)");
		return ESCPOS_ERR_ARG;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		snprintf(err, err_size, "out of memory opening the printer");
		return ESCPOS_ERR_NOMEM;
	}
	p->ops = t->ops;
	int rc = t->open(spec, &p->impl, err, err_size);
	if (rc != ESCPOS_OK) {
		free(p);
		return rc;
	}
	*out = p;
	return ESCPOS_OK;
}

int escpos_write(struct escpos_port *p, const void *data, size_t n, int timeout_ms, char *err,
		 size_t err_size)
{
	char scratch[1];

	ERR_OR_SCRATCH(err, err_size, scratch);
	if (!p || (!data && n > 0))
		return ESCPOS_ERR_ARG;
	if (n == 0)
		return ESCPOS_OK;
	return p->ops->write(p->impl, data, n, escpos_deadline_ms(timeout_ms), err, err_size);
}

int escpos_status(struct escpos_port *p, uint16_t *bits, int timeout_ms, char *err, size_t err_size)
{
	static const uint8_t questions[3] = {1, 2, 4};
	uint8_t answers[3];
	char scratch[1];

	ERR_OR_SCRATCH(err, err_size, scratch);
	if (!p || !bits)
		return ESCPOS_ERR_ARG;
	if (!p->ops->ask) {
		*bits = PROTO_PRINTER_OK;
		return ESCPOS_OK;
	}
	int64_t deadline_ms = escpos_deadline_ms(timeout_ms);
	for (size_t i = 0; i < sizeof(questions); i++) {
		int rc =
		    p->ops->ask(p->impl, questions[i], &answers[i], deadline_ms, err, err_size);
		if (rc != ESCPOS_OK) {
			*bits = PROTO_PRINTER_OFFLINE; /* what a kiosk shows for a silent printer */
			return rc;
		}
	}
	*bits = escpos_status_bits(answers[0], answers[1], answers[2]);
	return ESCPOS_OK;
}

void escpos_close(struct escpos_port *p)
{
	if (!p)
		return;
	p->ops->close(p->impl);
	free(p);
}
