/*
 * ctl.c — the control socket client (ctl.h).
 *
 * Room: tools/hallsim. libc and POSIX only; nothing of hallq.
 */
#define _DEFAULT_SOURCE /* usleep */
#include "ctl.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int ctl_open(struct ctl *c, const char *path, int timeout_ms)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	long long end = mono_ms() + timeout_ms;

	c->fd = -1;
	c->n = 0;
	c->outstanding = 0;
	snprintf(c->path, sizeof(c->path), "%s", path);
	if (strlen(path) >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	for (;;) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -1;
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			c->fd = fd;
			return 0;
		}
		int e = errno;
		close(fd);
		if (mono_ms() >= end) {
			errno = e;
			return -1;
		}
		usleep(20000); /* not there yet, or a dead program's socket file */
	}
}

void ctl_close(struct ctl *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

static int send_line(struct ctl *c, const char *line)
{
	char out[512];
	int len = snprintf(out, sizeof(out), "%s\n", line);

	if (c->fd < 0 || len < 0 || (size_t)len >= sizeof(out))
		return -1;
	for (int done = 0; done < len;) {
		ssize_t k = send(c->fd, out + done, (size_t)(len - done), MSG_NOSIGNAL);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		done += (int)k;
	}
	return 0;
}

/* Takes one whole line out of the buffer into line; false if none yet. */
static bool take_line(struct ctl *c, char *line, size_t size)
{
	char *nl = memchr(c->buf, '\n', c->n);

	if (!nl)
		return false;
	size_t len = (size_t)(nl - c->buf);
	snprintf(line, size, "%.*s", (int)len, c->buf);
	memmove(c->buf, nl + 1, c->n - len - 1);
	c->n -= len + 1;
	return true;
}

/* Reads what is there, waiting up to wait_ms; -1 when the socket is gone. */
static int fill(struct ctl *c, int wait_ms)
{
	struct pollfd p = {.fd = c->fd, .events = POLLIN};

	if (c->n == sizeof(c->buf))
		return -1; /* a line longer than any reply */
	int r = poll(&p, 1, wait_ms);
	if (r < 0)
		return errno == EINTR ? 0 : -1;
	if (r == 0)
		return 0;
	ssize_t k = recv(c->fd, c->buf + c->n, sizeof(c->buf) - c->n, 0);
	if (k < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (k <= 0)
		return -1;
	c->n += (size_t)k;
	return 0;
}

/* "ok X" -> X into reply, 0; "ok" -> "", 0; else the line, 1. */
static int verdict(const char *line, char *reply, size_t size)
{
	if (strncmp(line, "ok", 2) == 0 && (line[2] == 0 || line[2] == ' ')) {
		snprintf(reply, size, "%s", line[2] ? line + 3 : "");
		return 0;
	}
	snprintf(reply, size, "%s", line);
	return 1;
}

int ctl_call(struct ctl *c, const char *line, char *reply, size_t size, int timeout_ms)
{
	char got[CTL_REPLY_SIZE];
	long long end = mono_ms() + timeout_ms;

	if (c->outstanding || send_line(c, line) != 0)
		return -1;
	while (!take_line(c, got, sizeof(got))) {
		long long left = end - mono_ms();
		if (left <= 0 || fill(c, (int)left) != 0)
			return -1;
	}
	return verdict(got, reply, size);
}

int ctl_send(struct ctl *c, const char *line)
{
	if (send_line(c, line) != 0)
		return -1;
	c->outstanding++;
	return 0;
}

int ctl_poll(struct ctl *c, char *last, size_t size, int *errors)
{
	char got[CTL_REPLY_SIZE];

	if (c->outstanding == 0)
		return 0;
	if (fill(c, 0) != 0)
		return -1;
	while (c->outstanding > 0 && take_line(c, got, sizeof(got))) {
		c->outstanding--;
		if (verdict(got, last, size) != 0 && errors)
			(*errors)++;
	}
	return c->outstanding;
}
