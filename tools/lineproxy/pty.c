/*
 * pty.c — one endpoint of the line: a pseudo-terminal whose slave side a
 * program opens through a symlink, and whose master side lineproxy reads
 * and writes.
 *
 * Room: tools/lineproxy. The proxy (proxy.c) owns the endpoints.
 *
 * We keep the slave side open ourselves (held), so that a program closing
 * its end (a device restarting) never hangs up our master side: no EIO,
 * no POLLHUP storm. The price is that bytes written while no program has
 * the slave side open would wait in it for the next program; so an
 * inotify watch on the pts counts the programs that have it open
 * (IN_CLOSE fires when the last reference to an open file goes, so fork
 * and exec do not confuse the count), and the proxy delivers only to ends
 * somebody has open.
 */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "lineproxy.h"

/* Raw mode, as cfmakeraw() sets it: no echo, no line editing, no signal
 * characters, no translation, 8 bits, reads return what has arrived. */
int lp_pty_set_raw(int fd)
{
	struct termios t;

	if (tcgetattr(fd, &t) != 0)
		return -errno;
	t.c_iflag &=
	    ~(tcflag_t)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON | IXOFF);
	t.c_oflag &= ~(tcflag_t)OPOST;
	t.c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
	t.c_cflag &= ~(tcflag_t)(CSIZE | PARENB);
	t.c_cflag |= CS8 | CREAD | CLOCAL;
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	if (tcsetattr(fd, TCSANOW, &t) != 0)
		return -errno;
	return 0;
}

/*
 * Makes link a symlink to target, replacing a symlink already there (a
 * stale one from an earlier run) but nothing else. The new link is made
 * beside it and renamed over it, so a program never finds the path gone.
 */
static int link_replace(const char *link, const char *target)
{
	char tmp[PATH_MAX];
	struct stat st;

	if (lstat(link, &st) == 0 && !S_ISLNK(st.st_mode)) {
		lp_log("%s: exists and is not a symlink; not replacing it", link);
		return -EEXIST;
	}
	if (snprintf(tmp, sizeof(tmp), "%s.lineproxy-%ld", link, (long)getpid()) >=
	    (int)sizeof(tmp)) {
		lp_log("%s: path too long", link);
		return -ENAMETOOLONG;
	}
	unlink(tmp);
	if (symlink(target, tmp) != 0 || rename(tmp, link) != 0) {
		int err = errno;

		lp_log("%s: cannot make the symlink: %s", link, strerror(err));
		unlink(tmp);
		return -err;
	}
	return 0;
}

/*
 * Opens a pseudo-terminal for ep, raw on both sides, holds its slave
 * side, watches it with inotify_fd (if not -1) and points link at it.
 * Returns 0 or a negative errno, having said why on stderr; on failure
 * lp_endpoint_close() releases what was made.
 */
int lp_endpoint_open(struct lp_endpoint *ep, const char *link, int inotify_fd)
{
	const char *name;
	int rc;

	memset(ep, 0, sizeof(*ep));
	ep->link = NULL;
	ep->ptm = ep->held = ep->watch = -1;
	ep->ptm = posix_openpt(O_RDWR | O_NOCTTY);
	if (ep->ptm < 0 || grantpt(ep->ptm) != 0 || unlockpt(ep->ptm) != 0 ||
	    (name = ptsname(ep->ptm)) == NULL) {
		rc = -errno;
		lp_log("%s: cannot open a pseudo-terminal: %s", link, strerror(errno));
		return rc;
	}
	if (snprintf(ep->pts, sizeof(ep->pts), "%s", name) >= (int)sizeof(ep->pts)) {
		lp_log("%s: pseudo-terminal name too long: %s", link, name);
		return -ENAMETOOLONG;
	}
	if (fcntl(ep->ptm, F_SETFL, O_NONBLOCK) != 0 || fcntl(ep->ptm, F_SETFD, FD_CLOEXEC) != 0) {
		rc = -errno;
		lp_log("%s: %s: %s", link, ep->pts, strerror(errno));
		return rc;
	}
	ep->held = open(ep->pts, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (ep->held < 0) {
		rc = -errno;
		lp_log("%s: cannot open %s: %s", link, ep->pts, strerror(errno));
		return rc;
	}
	if ((rc = lp_pty_set_raw(ep->held)) != 0 || (rc = lp_pty_set_raw(ep->ptm)) != 0) {
		lp_log("%s: %s: cannot set raw mode: %s", link, ep->pts, strerror(-rc));
		return rc;
	}
	/* After our own open, so that it is not counted. */
	if (inotify_fd >= 0)
		ep->watch = inotify_add_watch(inotify_fd, ep->pts, IN_OPEN | IN_CLOSE);
	if ((rc = link_replace(link, ep->pts)) != 0)
		return rc;
	ep->link = link;
	return 0;
}

/* Removes the symlink if it still points at our pts (another lineproxy
 * may have taken the path since), closes everything. NULL-safe fields:
 * an endpoint that failed half-way is closed the same way. */
void lp_endpoint_close(struct lp_endpoint *ep)
{
	if (ep->link != NULL) {
		char target[sizeof(ep->pts)];
		ssize_t n = readlink(ep->link, target, sizeof(target) - 1);

		if (n >= 0) {
			target[n] = '\0';
			if (strcmp(target, ep->pts) == 0)
				unlink(ep->link);
		}
		ep->link = NULL;
	}
	if (ep->held >= 0)
		close(ep->held);
	if (ep->ptm >= 0)
		close(ep->ptm);
	ep->held = ep->ptm = ep->watch = -1;
}
