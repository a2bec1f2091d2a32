/*
 * ctl.h — a client of a device program's control socket (firmware/posix/
 * README.md, "The control socket"): one command a line, one reply line
 * each, beginning "ok" or "error: ...".
 *
 * Room: tools/hallsim. libc and POSIX sockets only. A struct ctl is owned
 * by one thread. Two ways to talk: ctl_call() sends a command and blocks
 * for its reply (nothing else may be outstanding); ctl_send() queues a
 * command whose reply is collected later with ctl_poll(), which never
 * blocks (for wait-idle, whose reply the device holds until the presses
 * are done).
 */
#ifndef HALLQ_HALLSIM_CTL_H
#define HALLQ_HALLSIM_CTL_H

#include <stdbool.h>
#include <stddef.h>

enum { CTL_REPLY_SIZE = 1024 };

struct ctl {
	int fd; /* -1: not connected */
	char path[256];
	char buf[4096]; /* bytes read and not yet a whole line */
	size_t n;
	int outstanding; /* replies owed by ctl_send() */
};

/* Connects to the socket at path, trying again until timeout_ms; 0 or -1
 * (errno set). */
int ctl_open(struct ctl *c, const char *path, int timeout_ms);
void ctl_close(struct ctl *c); /* a closed or never opened ctl is fine */

/*
 * Sends line and waits up to timeout_ms for its reply, copied without
 * "ok " into reply (size bytes). Returns 0 for "ok", 1 for an "error: ..."
 * reply (reply holds the whole line), -1 when the socket failed or timed
 * out.
 */
int ctl_call(struct ctl *c, const char *line, char *reply, size_t size, int timeout_ms);

/* Sends line; its reply is owed. 0 or -1. */
int ctl_send(struct ctl *c, const char *line);

/* Collects the owed replies that have come, without blocking: returns the
 * number still owed (0: all came), or -1 when the socket failed. Each
 * reply that came is copied to last (size bytes) in turn; *errors counts
 * "error: ..." replies. */
int ctl_poll(struct ctl *c, char *last, size_t size, int *errors);

#endif /* HALLQ_HALLSIM_CTL_H */
