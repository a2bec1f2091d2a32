/*
 * control.c — the control socket: a Unix stream socket taking one command
 * per line and answering each with one line that begins "ok" or "error:".
 *
 * Room: firmware/posix. Owns the listening socket, its clients and their
 * buffers; what a command means is the caller's (struct port_ctl_ops).
 * Never blocks: clients are non-blocking, replies wait in a buffer until
 * the client can take them, and a client that lets PORT_CTL_OUT_MAX bytes
 * pile up is dropped. A reply held for idle() (wait-idle) also holds that
 * client's next commands, so its replies stay in order.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "port.h"

struct ctl_client {
	int fd; /* -1: a free slot */
	char in[PORT_CTL_LINE_MAX];
	size_t in_len;
	bool overlong; /* discarding the rest of a line too long */
	char out[PORT_CTL_OUT_MAX];
	size_t out_len;
	bool held; /* out's last reply waits for idle() */
	size_t held_at;
	bool eof; /* the client shut down its side: closed once answered */
};

struct port_ctl {
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int fd;
	struct port_ctl_ops ops;
	struct ctl_client c[PORT_CTL_CLIENTS];
};

static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
		return -errno;
	return 0;
}

/* Removes a socket file a previous run left; refuses to remove anything
 * else (a typo must not delete someone's file). */
static int remove_stale(const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	return unlink(path) < 0 ? -errno : 0;
}

struct port_ctl *port_ctl_new(const char *path, const struct port_ctl_ops *ops)
{
	struct port_ctl *c = calloc(1, sizeof *c);
	struct sockaddr_un sa;
	int rc;

	if (!c) {
		port_error("control socket: out of memory");
		return NULL;
	}
	c->fd = -1;
	c->ops = *ops;
	for (int i = 0; i < PORT_CTL_CLIENTS; i++)
		c->c[i].fd = -1;
	if (strlen(path) >= sizeof c->path) {
		port_error("control socket %s: path longer than %zu bytes", path,
			   sizeof c->path - 1);
		goto fail;
	}
	if ((rc = remove_stale(path)) < 0) {
		port_error("control socket %s: %s", path,
			   rc == -EEXIST ? "exists and is not a socket" : strerror(-rc));
		goto fail;
	}
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if ((c->fd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0 || set_nonblock(c->fd) < 0 ||
	    bind(c->fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		port_error("control socket %s: %s", path, strerror(errno));
		goto fail;
	}
	memcpy(c->path, path, strlen(path) + 1); /* ours now: removed by port_ctl_free() */
	if (listen(c->fd, 8) < 0) {
		port_error("control socket %s: %s", path, strerror(errno));
		goto fail;
	}
	return c;
fail:
	port_ctl_free(c);
	return NULL;
}

static void drop(struct ctl_client *cl)
{
	if (cl->fd >= 0)
		close(cl->fd);
	cl->fd = -1;
}

void port_ctl_free(struct port_ctl *c)
{
	if (!c)
		return;
	for (int i = 0; i < PORT_CTL_CLIENTS; i++)
		drop(&c->c[i]);
	if (c->fd >= 0)
		close(c->fd);
	if (c->path[0])
		unlink(c->path);
	free(c);
}

void port_ctl_fds(struct port_ctl *c, fd_set *rd, fd_set *wr, int *maxfd)
{
	FD_SET(c->fd, rd);
	if (c->fd > *maxfd)
		*maxfd = c->fd;
	for (int i = 0; i < PORT_CTL_CLIENTS; i++) {
		struct ctl_client *cl = &c->c[i];
		size_t ready = cl->held ? cl->held_at : cl->out_len;

		if (cl->fd < 0)
			continue;
		if (!cl->held && !cl->eof)
			FD_SET(cl->fd, rd);
		if (ready > 0)
			FD_SET(cl->fd, wr);
		if (cl->fd > *maxfd)
			*maxfd = cl->fd;
	}
}

static void accept_client(struct port_ctl *c)
{
	int fd = accept(c->fd, NULL, NULL);

	if (fd < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			port_warn("control socket: accept: %s", strerror(errno));
		return;
	}
	for (int i = 0; i < PORT_CTL_CLIENTS; i++) {
		struct ctl_client *cl = &c->c[i];

		if (cl->fd >= 0)
			continue;
		if (set_nonblock(fd) < 0)
			break;
		memset(cl, 0, sizeof *cl);
		cl->fd = fd;
		port_debug("control socket: client %d connected", i);
		return;
	}
	port_warn("control socket: more than %d clients, one refused", PORT_CTL_CLIENTS);
	close(fd);
}

/* Sends what may be sent; drops the client on an error, or once a client
 * that has shut down its side has all its answers. */
static void flush_out(struct ctl_client *cl)
{
	size_t ready = cl->held ? cl->held_at : cl->out_len;
	ssize_t n;

	if (ready > 0) {
		n = send(cl->fd, cl->out, ready, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				drop(cl);
			return;
		}
		memmove(cl->out, cl->out + n, cl->out_len - (size_t)n);
		cl->out_len -= (size_t)n;
		if (cl->held)
			cl->held_at -= (size_t)n;
	}
	if (cl->eof && !cl->held && cl->out_len == 0)
		drop(cl);
}

static void reply(struct ctl_client *cl, const char *text, bool held)
{
	size_t n = strlen(text);

	if (cl->out_len + n + 1 > sizeof cl->out) {
		port_warn("control socket: a client does not read its replies; dropped");
		drop(cl);
		return;
	}
	if (held) {
		cl->held = true;
		cl->held_at = cl->out_len;
	}
	memcpy(cl->out + cl->out_len, text, n);
	cl->out[cl->out_len + n] = '\n';
	cl->out_len += n + 1;
}

/* Runs the complete lines in the buffer, up to a held reply. */
static void run_lines(struct port_ctl *c, struct ctl_client *cl)
{
	char answer[PORT_REPLY_MAX];
	char *nl;

	while (cl->fd >= 0 && !cl->held && (nl = memchr(cl->in, '\n', cl->in_len)) != NULL) {
		size_t len = (size_t)(nl - cl->in);
		bool held;

		*nl = '\0';
		if (len > 0 && cl->in[len - 1] == '\r')
			cl->in[len - 1] = '\0';
		answer[0] = '\0';
		if (memchr(cl->in, '\0', len)) {
			snprintf(answer, sizeof answer, "error: a NUL byte in the command");
			held = false;
		} else {
			held = c->ops.command(c->ops.arg, cl->in, answer, sizeof answer);
		}
		reply(cl, answer, held);
		memmove(cl->in, nl + 1, cl->in_len - len - 1);
		cl->in_len -= len + 1;
	}
}

static void read_client(struct port_ctl *c, struct ctl_client *cl)
{
	ssize_t n = recv(cl->fd, cl->in + cl->in_len, sizeof cl->in - cl->in_len, 0);

	if (n < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			drop(cl);
		return;
	}
	if (n == 0) {
		cl->eof = true; /* answer what came, then close */
		return;
	}
	if (cl->overlong) {
		char *nl = memchr(cl->in, '\n', (size_t)n);

		if (!nl)
			return; /* still inside the long line */
		cl->overlong = false;
		cl->in_len = (size_t)n - (size_t)(nl + 1 - cl->in);
		memmove(cl->in, nl + 1, cl->in_len);
	} else {
		cl->in_len += (size_t)n;
	}
	run_lines(c, cl);
	if (cl->fd >= 0 && cl->in_len == sizeof cl->in && !memchr(cl->in, '\n', cl->in_len)) {
		cl->in_len = 0;
		cl->overlong = true;
		reply(cl, "error: command line too long", false);
	}
}

void port_ctl_serve(struct port_ctl *c, const fd_set *rd, const fd_set *wr)
{
	if (FD_ISSET(c->fd, rd))
		accept_client(c);
	for (int i = 0; i < PORT_CTL_CLIENTS; i++) {
		struct ctl_client *cl = &c->c[i];
		int fd = cl->fd;

		if (fd < 0)
			continue;
		if (FD_ISSET(fd, rd))
			read_client(c, cl);
		/* Answers go out at once; select() waits only for the rest. */
		if (cl->fd >= 0 && (FD_ISSET(fd, rd) || FD_ISSET(fd, wr)))
			flush_out(cl);
	}
}

void port_ctl_release(struct port_ctl *c)
{
	bool idle = false, asked = false;

	for (int i = 0; i < PORT_CTL_CLIENTS; i++) {
		struct ctl_client *cl = &c->c[i];

		if (cl->fd < 0 || !cl->held)
			continue;
		if (!asked) {
			idle = c->ops.idle(c->ops.arg);
			asked = true;
		}
		if (!idle)
			return;
		cl->held = false;
		run_lines(c, cl); /* the commands that waited behind it */
		if (cl->fd >= 0)
			flush_out(cl);
	}
}
