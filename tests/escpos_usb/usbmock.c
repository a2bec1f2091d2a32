/*
 * usbmock.c — a USB receipt printer in a umockdev testbed, for the libusb
 * transport of drivers/escpos (usb.c).
 *
 * The harness builds the testbed (a mouse, which is no printer, and a
 * printer 0416:5011 whose interface 0 is vendor-specific (with a bulk
 * pair of its own, to be left alone) and interface 1
 * is the printer class 07/01/02 with bulk OUT 0x01 and bulk IN 0x82, the
 * kernel's usblp bound to it), answers the usbfs ioctls of the printer's
 * device node as the kernel would, and runs usbclient (which knows only
 * escpos.h) under umockdev-wrapper. Every byte of bulk OUT is captured;
 * DLE EOT n on bulk OUT queues the configured answer for bulk IN.
 *
 * usage: usbmock SCENARIO CLIENT
 *        usbmock serve DIR -- PROGRAM ARGS...
 *   write   a 10 kB ticket arrives byte for byte on endpoint 0x01,
 *           through interface 1, after usblp was detached
 *   status  DLE EOT 1, 2, 4 answered; the client checks the PRINTER bits
 *   unplug  the printer vanishes after 6000 bytes; the client's write
 *           fails; it is plugged back (new device number) and the
 *           client's retry delivers the whole ticket
 *   none    no printer at all, and a vendor:product nobody has
 *   serve   no checks: PROGRAM ARGS (kiosk-fw) runs under the wrapper with
 *           the printer plugged in, for as long as it runs, and a test
 *           drives the printer through files in DIR:
 *             paper.bin  every bulk OUT byte is appended, flushed after
 *                        each URB, so it can be read while PROGRAM runs
 *             status     "12 12 12": the answers to DLE EOT 1, 2, 4, read
 *                        at each question (absent: 12 12 12; write it
 *                        whole, by rename: a malformed one is ignored)
 *             unplug     while it exists, the next bulk OUT URB that is
 *                        not a lone status question (a ticket, not the
 *                        status poll) finds the printer taking half of it
 *                        and vanishing (ENODEV); removing the file plugs
 *                        it back (a new device number), seen within 50 ms
 *           SIGTERM and SIGINT go to PROGRAM; the exit status is PROGRAM's
 *           (128 + N when signal N ended it). The harness's own failures
 *           are said on stderr ("usbmock: FAIL:").
 *
 * No uevents announce the unplug and the replug: the harness runs outside
 * umockdev's preload and could not send them. Like a container without
 * udev, the client must find the printer again by looking.
 *
 * Exit status 0 when every check passed (serve: PROGRAM's). The ioctl
 * handler runs in umockdev's worker thread; the mutex guards all harness
 * state.
 */
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <glib-unix.h>
#include <linux/usbdevice_fs.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <umockdev.h>

#include "proto/proto.h"

enum {
	TICKET_BYTES = 10240,
	UNPLUG_AFTER = 6000,
	REPLUG_DELAY_MS = 300,
	CLIENT_LIMIT_S = 30,
	EP_OUT = 0x01,
	EP_IN = 0x82,
	PRINTER_IF = 1,
	PLUGS_MAX = 8,         /* serve: plugged in once, then at most 7 replugs */
	SERVE_POLL_MS = 50,    /* serve: how often DIR/unplug is looked for */
	STATUS_DEFAULT = 0x12, /* a status byte with only its fixed bits: all well */
};

#define PRINTER_SYSPATH "/sys/devices/pci0000:00/0000:00:14.0/usb1/1-2"

/* The printer as plugged in once: a new device number after each replug. */
struct plug {
	int devnum;
	char devnode[32];
	UMockdevIoctlBase *handler;
	bool gone;            /* unplugged: every ioctl fails with ENODEV */
	GByteArray *out;      /* bulk OUT bytes this plug received */
	GQueue done;          /* struct urb *, to be reaped */
	GQueue waiting_in;    /* struct urb *, bulk IN without an answer yet */
	bool usblp_bound;     /* the kernel driver holds interface 1 */
	int detaches, claims; /* usblp detached; CLAIMINTERFACE of interface 1 */
	int bad_requests;     /* URBs to an endpoint of another interface, claims of others */
	struct harness *h;
};

struct urb {
	UMockdevIoctlData *data; /* struct usbdevfs_urb */
	UMockdevIoctlData *buf;  /* its buffer */
};

struct harness {
	GMutex mu;
	UMockdevTestbed *tb;
	GMainLoop *loop;
	struct plug plugs[PLUGS_MAX]; /* [1] after the first replug, and so on */
	int nplugs;
	uint8_t answer[5]; /* the reply to DLE EOT n, n = 1, 2, 4 */
	GQueue answers;    /* answers owed to questions asked, as GUINT_TO_POINTER */
	int question_state, question_n;
	size_t unplug_after; /* 0: never */
	bool unplug_pending, unplugged;
	int child_status;
	bool child_done, child_killed;
	GPid child;
	int failures;
	/* serve */
	const char *serve_dir; /* NULL in the other scenarios */
	FILE *paper;           /* DIR/paper.bin */
	bool removed;          /* the unplugged printer is out of the testbed */
};

static void fail(struct harness *h, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void fail(struct harness *h, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "usbmock: FAIL: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	h->failures++;
}

/* ---- the descriptors ---- */

static const uint8_t printer_device[] = {
    0x12, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x40, /* USB 2.0, class per interface */
    0x16, 0x04, 0x11, 0x50, 0x00, 0x01,             /* 0416:5011, release 1.00 */
    0x00, 0x00, 0x00, 0x01,                         /* no strings, one configuration */
};

static const uint8_t printer_config[] = {
    0x09, 0x02, 0x00,   0x00, 0x02, 0x01, 0x00, 0xc0, 0x32, /* wTotalLength set below */
    0x09, 0x04, 0x00,   0x00, 0x02, 0xff, 0x00, 0x00, 0x00, /* if 0: vendor-specific, with */
    0x07, 0x05, 0x03,   0x02, 0x40, 0x00, 0x00,             /*   bulk OUT 0x03 and */
    0x07, 0x05, 0x83,   0x02, 0x40, 0x00, 0x00,             /*   bulk IN 0x83: not ours */
    0x09, 0x04, 0x01,   0x00, 0x02, 0x07, 0x01, 0x02, 0x00, /* if 1: printer, bidirectional */
    0x07, 0x05, EP_OUT, 0x02, 0x40, 0x00, 0x00,             /*   bulk OUT 0x01 */
    0x07, 0x05, EP_IN,  0x02, 0x40, 0x00, 0x00,             /*   bulk IN 0x82 */
};

static const uint8_t mouse_device[] = {
    0x12, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x08, 0x6d,
    0x04, 0x77, 0xc0, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01,
};

static const uint8_t mouse_config[] = {
    0x09, 0x02, 0x00, 0x00, 0x01, 0x01, 0x00, 0xa0, 0x32, /* wTotalLength set below */
    0x09, 0x04, 0x00, 0x00, 0x01, 0x03, 0x01, 0x02, 0x00, /* HID boot mouse */
    0x07, 0x05, 0x81, 0x03, 0x04, 0x00, 0x0a,             /* interrupt IN */
};

/* The device and configuration descriptors as hex, wTotalLength from the real length. */
static void append_descriptors(GString *s, const uint8_t *dev, size_t dev_len, const uint8_t *cfg,
			       size_t cfg_len)
{
	g_string_append(s, "H: descriptors=");
	for (size_t i = 0; i < dev_len; i++)
		g_string_append_printf(s, "%02X", dev[i]);
	for (size_t i = 0; i < cfg_len; i++) {
		uint8_t b = cfg[i];
		if (i == 2)
			b = (uint8_t)(cfg_len & 0xff);
		else if (i == 3)
			b = (uint8_t)(cfg_len >> 8);
		g_string_append_printf(s, "%02X", b);
	}
	g_string_append(s, "\n");
}

static char *usb_description(const char *syspath, int devnum, const char *vid, const char *pid,
			     const uint8_t *dev, size_t dev_len, const uint8_t *cfg, size_t cfg_len)
{
	GString *s = g_string_new(NULL);

	g_string_append_printf(s,
			       "P: %s\n"
			       "N: bus/usb/001/%03d\n"
			       "E: SUBSYSTEM=usb\n"
			       "E: DEVTYPE=usb_device\n"
			       "E: DRIVER=usb\n"
			       "E: BUSNUM=001\n"
			       "E: DEVNUM=%03d\n"
			       "E: DEVNAME=/dev/bus/usb/001/%03d\n"
			       "E: ID_VENDOR_ID=%s\n"
			       "E: ID_MODEL_ID=%s\n"
			       "A: busnum=1\\n\n"
			       "A: devnum=%d\\n\n"
			       "A: bConfigurationValue=1\\n\n"
			       "A: speed=12\\n\n"
			       "A: idVendor=%s\\n\n"
			       "A: idProduct=%s\\n\n",
			       syspath + strlen("/sys"), devnum, devnum, devnum, vid, pid, devnum,
			       vid, pid);
	append_descriptors(s, dev, dev_len, cfg, cfg_len);
	return g_string_free(s, FALSE);
}

/* ---- the printer's side of usbfs ---- */

static void urb_free(struct urb *u)
{
	g_object_unref(u->data);
	g_object_unref(u->buf);
	g_free(u);
}

/* serve: DIR/status as it is now becomes the answers; absent, all is well. */
static void read_status(struct harness *h)
{
	char *path = g_build_filename(h->serve_dir, "status", NULL);
	char *text = NULL;
	unsigned a[3] = {STATUS_DEFAULT, STATUS_DEFAULT, STATUS_DEFAULT};
	char end;

	if (g_file_get_contents(path, &text, NULL, NULL) &&
	    (sscanf(text, "%x %x %x %c", &a[0], &a[1], &a[2], &end) != 3 || a[0] > 0xff ||
	     a[1] > 0xff || a[2] > 0xff)) {
		fprintf(stderr, "usbmock: %s is not three hex bytes; answers unchanged\n", path);
	} else {
		h->answer[1] = (uint8_t)a[0];
		h->answer[2] = (uint8_t)a[1];
		h->answer[4] = (uint8_t)a[2];
	}
	g_free(text);
	g_free(path);
}

/* DLE EOT n seen on bulk OUT owes the answer to n. */
static void hear(struct harness *h, const uint8_t *bytes, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t b = bytes[i];
		if (h->question_state == 2 && (b == 1 || b == 2 || b == 4)) {
			if (h->serve_dir)
				read_status(h); /* as the test set it just now */
			g_queue_push_tail(&h->answers, GUINT_TO_POINTER(h->answer[b]));
		}
		if (h->question_state == 1 && b == 0x04)
			h->question_state = 2;
		else
			h->question_state = b == 0x10 ? 1 : 0;
	}
}

/* Bulk IN URBs waiting for an answer get it as soon as one is owed. */
static void answer_waiting(struct plug *p)
{
	while (!g_queue_is_empty(&p->waiting_in) && !g_queue_is_empty(&p->h->answers)) {
		struct urb *u = g_queue_pop_head(&p->waiting_in);
		struct usbdevfs_urb *urb = (void *)u->data->data;
		((uint8_t *)u->buf->data)[0] =
		    (uint8_t)GPOINTER_TO_UINT(g_queue_pop_head(&p->h->answers));
		urb->actual_length = 1;
		urb->status = 0;
		g_queue_push_tail(&p->done, u);
	}
}

static gboolean unplug_in_main(gpointer data);

/* serve: DIR/unplug exists, and a ticket (not the status poll) arrives. */
static bool serve_unplugs(struct harness *h, const uint8_t *bytes, size_t len)
{
	bool question = len == 3 && bytes[0] == 0x10 && bytes[1] == 0x04;

	if (!h->serve_dir || h->unplugged || question)
		return false;
	char *path = g_build_filename(h->serve_dir, "unplug", NULL);
	bool asked = g_file_test(path, G_FILE_TEST_EXISTS);
	g_free(path);
	if (asked && h->nplugs == PLUGS_MAX) {
		fail(h, "unplug asked for after %d plugs; the printer stays", PLUGS_MAX);
		return false;
	}
	return asked;
}

/* serve: what the printer took goes to DIR/paper.bin at once. */
static void serve_paper(struct harness *h, const uint8_t *bytes, size_t len)
{
	if (!h->paper)
		return;
	if (fwrite(bytes, 1, len, h->paper) != len || fflush(h->paper) != 0)
		fail(h, "cannot append to paper.bin");
}

static void submit_out(struct plug *p, struct urb *u)
{
	struct harness *h = p->h;
	struct usbdevfs_urb *urb = (void *)u->data->data;
	size_t len = (size_t)urb->buffer_length;
	bool serve_unplug = serve_unplugs(h, u->buf->data, len);

	urb->status = 0;
	if (serve_unplug ||
	    (h->unplug_after && !h->unplugged && p->out->len + len > h->unplug_after)) {
		/* the printer took this much, then vanished */
		len = serve_unplug ? len / 2 : h->unplug_after - p->out->len;
		urb->status = -ENODEV;
		h->unplugged = true;
		p->gone = true;
		g_idle_add(unplug_in_main, h);
		printf("usbmock: unplugged 001/%03d after %zu of %d bytes\n", p->devnum, len,
		       urb->buffer_length);
		fflush(stdout);
	}
	g_byte_array_append(p->out, u->buf->data, (guint)len);
	serve_paper(h, u->buf->data, len);
	hear(h, u->buf->data, len);
	urb->actual_length = (int)len;
	g_queue_push_tail(&p->done, u);
	answer_waiting(p);
}

static int submit_urb(struct plug *p, UMockdevIoctlData *arg)
{
	struct urb *u = g_new0(struct urb, 1);
	struct usbdevfs_urb *urb;

	u->data = umockdev_ioctl_data_resolve(arg, 0, sizeof(struct usbdevfs_urb), NULL);
	urb = (void *)u->data->data;
	u->buf = umockdev_ioctl_data_resolve(u->data, G_STRUCT_OFFSET(struct usbdevfs_urb, buffer),
					     (gsize)urb->buffer_length, NULL);
	if (urb->type != USBDEVFS_URB_TYPE_BULK ||
	    (urb->endpoint != EP_OUT && urb->endpoint != EP_IN)) {
		fail(p->h, "URB type %u to endpoint 0x%02x: not the printer interface's bulk pair",
		     urb->type, urb->endpoint);
		p->bad_requests++;
		urb_free(u);
		return EINVAL;
	}
	if (urb->endpoint == EP_OUT) {
		submit_out(p, u);
	} else {
		g_queue_push_tail(&p->waiting_in, u);
		answer_waiting(p);
	}
	return 0;
}

static int reap_urb(struct plug *p, UMockdevIoctlData *arg)
{
	struct urb *u = g_queue_pop_head(&p->done);

	if (!u)
		return p->gone ? ENODEV : EAGAIN;
	UMockdevIoctlData *where = umockdev_ioctl_data_resolve(arg, 0, sizeof(gpointer), NULL);
	umockdev_ioctl_data_set_ptr(where, 0, u->data);
	g_object_unref(where);
	urb_free(u);
	return 0;
}

/* A bulk IN the client gave up on (its timeout) comes back cancelled. */
static int discard_urb(struct plug *p, UMockdevIoctlData *arg)
{
	gulong addr = *(gulong *)arg->data;

	for (GList *l = p->waiting_in.head; l; l = l->next) {
		struct urb *u = l->data;
		if (u->data->client_addr != addr)
			continue;
		g_queue_delete_link(&p->waiting_in, l);
		((struct usbdevfs_urb *)u->data->data)->status = -ENOENT;
		g_queue_push_tail(&p->done, u);
		return 0;
	}
	return EINVAL;
}

static int getdriver(struct plug *p, UMockdevIoctlData *arg)
{
	struct usbdevfs_getdriver *gd = (void *)arg->data;

	if (!p->usblp_bound || gd->interface != PRINTER_IF)
		return ENODATA;
	snprintf(gd->driver, sizeof(gd->driver), "usblp");
	return 0;
}

static int ioctl_errno(struct plug *p, gulong request, UMockdevIoctlData *arg)
{
	if (p->gone)
		return request == USBDEVFS_REAPURB || request == USBDEVFS_REAPURBNDELAY
			   ? reap_urb(p, arg)
			   : ENODEV;
	switch (request) {
	case USBDEVFS_GET_CAPABILITIES:
		*(uint32_t *)arg->data =
		    USBDEVFS_CAP_BULK_CONTINUATION | USBDEVFS_CAP_NO_PACKET_SIZE_LIM |
		    USBDEVFS_CAP_REAP_AFTER_DISCONNECT | USBDEVFS_CAP_ZERO_PACKET;
		return 0;
	case USBDEVFS_GETDRIVER:
		return getdriver(p, arg);
	case USBDEVFS_DISCONNECT_CLAIM: {
		struct usbdevfs_disconnect_claim *dc = (void *)arg->data;
		if (dc->interface != PRINTER_IF)
			p->bad_requests++;
		p->detaches += p->usblp_bound;
		p->usblp_bound = false;
		p->claims++;
		return 0;
	}
	case USBDEVFS_IOCTL: {
		struct usbdevfs_ioctl *io = (void *)arg->data;
		if (io->ioctl_code == (int)USBDEVFS_DISCONNECT) {
			p->detaches += p->usblp_bound;
			p->usblp_bound = false;
			return 0;
		}
		if (io->ioctl_code == (int)USBDEVFS_CONNECT)
			return 0;
		return ENODATA;
	}
	case USBDEVFS_CLAIMINTERFACE:
		if (*(unsigned int *)arg->data != PRINTER_IF || p->usblp_bound)
			p->bad_requests++;
		p->claims++;
		return 0;
	case USBDEVFS_RELEASEINTERFACE:
	case USBDEVFS_SETINTERFACE:
	case USBDEVFS_CLEAR_HALT:
	case USBDEVFS_RESET:
	case USBDEVFS_RESETEP:
		return 0;
	case USBDEVFS_SUBMITURB:
		return submit_urb(p, arg);
	case USBDEVFS_REAPURB:
	case USBDEVFS_REAPURBNDELAY:
		return reap_urb(p, arg);
	case USBDEVFS_DISCARDURB:
		return discard_urb(p, arg);
	default:
		return ENOTTY;
	}
}

static gboolean on_ioctl(UMockdevIoctlBase *handler, UMockdevIoctlClient *client, gpointer data)
{
	struct plug *p = data;
	gulong request = umockdev_ioctl_client_get_request(client);
	UMockdevIoctlData *arg = umockdev_ioctl_client_get_arg(client);
	UMockdevIoctlData *fixed = NULL;
	(void)handler;

	/* requests with a pointer to a struct: reach it before looking */
	switch (request) {
	case USBDEVFS_GET_CAPABILITIES:
		fixed = umockdev_ioctl_data_resolve(arg, 0, sizeof(uint32_t), NULL);
		break;
	case USBDEVFS_GETDRIVER:
		fixed =
		    umockdev_ioctl_data_resolve(arg, 0, sizeof(struct usbdevfs_getdriver), NULL);
		break;
	case USBDEVFS_DISCONNECT_CLAIM:
		fixed = umockdev_ioctl_data_resolve(arg, 0,
						    sizeof(struct usbdevfs_disconnect_claim), NULL);
		break;
	case USBDEVFS_IOCTL:
		fixed = umockdev_ioctl_data_resolve(arg, 0, sizeof(struct usbdevfs_ioctl), NULL);
		break;
	case USBDEVFS_CLAIMINTERFACE:
		fixed = umockdev_ioctl_data_resolve(arg, 0, sizeof(unsigned int), NULL);
		break;
	default:
		break;
	}
	g_mutex_lock(&p->h->mu);
	int e = ioctl_errno(p, request, fixed ? fixed : arg);
	g_mutex_unlock(&p->h->mu);
	umockdev_ioctl_client_complete(client, e ? -1 : 0, e);
	if (fixed)
		g_object_unref(fixed);
	return TRUE;
}

/* ---- plugging ---- */

static void plug_in(struct harness *h, int devnum)
{
	struct plug *p = &h->plugs[h->nplugs++];
	GError *error = NULL;

	p->h = h;
	p->devnum = devnum;
	p->out = g_byte_array_new();
	p->usblp_bound = true;
	g_queue_init(&p->done);
	g_queue_init(&p->waiting_in);
	snprintf(p->devnode, sizeof(p->devnode), "/dev/bus/usb/001/%03d", devnum);
	p->handler = umockdev_ioctl_base_new();
	g_signal_connect(p->handler, "handle-ioctl", G_CALLBACK(on_ioctl), p);
	/* the handler first, so that the device works as soon as it is seen */
	if (!umockdev_testbed_attach_ioctl(h->tb, p->devnode, p->handler, &error))
		g_error("attach_ioctl %s: %s", p->devnode, error->message);
	char *desc =
	    usb_description(PRINTER_SYSPATH, devnum, "0416", "5011", printer_device,
			    sizeof(printer_device), printer_config, sizeof(printer_config));
	if (!umockdev_testbed_add_from_string(h->tb, desc, &error))
		g_error("add printer: %s", error->message);
	g_free(desc);
}

static void add_mouse(struct harness *h)
{
	char *desc =
	    usb_description("/sys/devices/pci0000:00/0000:00:14.0/usb1/1-1", 1, "046d", "c077",
			    mouse_device, sizeof(mouse_device), mouse_config, sizeof(mouse_config));
	if (!umockdev_testbed_add_from_string(h->tb, desc, NULL))
		g_error("add mouse");
	g_free(desc);
}

/* The printer again, with a new device number as after a real replug. Under the mutex. */
static void replug(struct harness *h)
{
	plug_in(h, h->plugs[h->nplugs - 1].devnum + 1);
	printf("usbmock: plugged back in as 001/%03d\n", h->plugs[h->nplugs - 1].devnum);
	fflush(stdout);
}

static gboolean replug_in_main(gpointer data)
{
	struct harness *h = data;

	g_mutex_lock(&h->mu);
	replug(h);
	g_mutex_unlock(&h->mu);
	return G_SOURCE_REMOVE;
}

/* serve plugs back when DIR/unplug is gone; the others after a moment. */
static gboolean unplug_in_main(gpointer data)
{
	struct harness *h = data;

	umockdev_testbed_remove_device(h->tb, PRINTER_SYSPATH);
	g_mutex_lock(&h->mu);
	h->removed = true;
	g_mutex_unlock(&h->mu);
	if (!h->serve_dir)
		g_timeout_add(REPLUG_DELAY_MS, replug_in_main, h);
	return G_SOURCE_REMOVE;
}

/* ---- the client ---- */

static void on_child_exit(GPid pid, gint status, gpointer data)
{
	struct harness *h = data;

	h->child_status = status;
	h->child_done = true;
	g_spawn_close_pid(pid);
	g_main_loop_quit(h->loop);
}

static gboolean on_child_too_slow(gpointer data)
{
	struct harness *h = data;

	if (!h->child_done) {
		h->child_killed = true;
		kill(h->child, SIGKILL);
	}
	return G_SOURCE_REMOVE;
}

/* Runs CLIENT ARGS... under umockdev-wrapper; true if it exited 0. */
static bool run_client(struct harness *h, const char *client, const char *cmd, const char *spec,
		       const char *arg)
{
	const char *argv[] = {"umockdev-wrapper", client, cmd, spec, arg, NULL};
	GError *error = NULL;

	printf("usbmock: running usbclient %s %s %s\n", cmd, spec, arg ? arg : "");
	fflush(stdout);
	h->child_done = false;
	h->child_killed = false;
	if (!g_spawn_async(NULL, (char **)argv, NULL,
			   G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &h->child,
			   &error)) {
		fail(h, "cannot start umockdev-wrapper: %s", error->message);
		g_error_free(error);
		return false;
	}
	g_child_watch_add(h->child, on_child_exit, h);
	guint watchdog = g_timeout_add_seconds(CLIENT_LIMIT_S, on_child_too_slow, h);
	g_main_loop_run(h->loop);
	g_source_remove(watchdog);
	if (h->child_killed)
		fail(h, "usbclient %s did not finish within %d s", cmd, CLIENT_LIMIT_S);
	else if (!g_spawn_check_wait_status(h->child_status, &error)) {
		fail(h, "usbclient %s: %s", cmd, error->message);
		g_error_free(error);
	}
	return h->child_done && !h->child_killed && h->child_status == 0;
}

/* ---- the scenarios ---- */

static GBytes *make_ticket(const char *path)
{
	uint8_t *bytes = g_malloc(TICKET_BYTES);
	GRand *rand = g_rand_new_with_seed(20240601);

	for (size_t i = 0; i < TICKET_BYTES; i++) /* every byte value, in no easy pattern */
		bytes[i] = i < 256 ? (uint8_t)i : (uint8_t)g_rand_int_range(rand, 0, 256);
	g_rand_free(rand);
	if (!g_file_set_contents(path, (const char *)bytes, TICKET_BYTES, NULL))
		g_error("cannot write %s", path);
	return g_bytes_new_take(bytes, TICKET_BYTES);
}

static void expect_bytes(struct harness *h, const char *what, const uint8_t *got, size_t got_len,
			 const uint8_t *want, size_t want_len)
{
	if (got_len != want_len) {
		fail(h, "%s: %zu bytes, want %zu", what, got_len, want_len);
		return;
	}
	for (size_t i = 0; i < want_len; i++)
		if (got[i] != want[i]) {
			fail(h, "%s: byte %zu is 0x%02x, want 0x%02x", what, i, got[i], want[i]);
			return;
		}
}

static void expect_int(struct harness *h, const char *what, long got, long want)
{
	if (got != want)
		fail(h, "%s: %ld, want %ld", what, got, want);
}

static void save_capture(const char *scenario, const struct plug *p)
{
	char name[64];

	snprintf(name, sizeof(name), "usbmock-%s-%03d.out", scenario, p->devnum);
	g_file_set_contents(name, (const char *)p->out->data, p->out->len, NULL);
}

static void scenario_write(struct harness *h, const char *client, const char *dir)
{
	char *path = g_build_filename(dir, "ticket.bin", NULL);
	GBytes *ticket = make_ticket(path);
	gsize len;
	const uint8_t *want = g_bytes_get_data(ticket, &len);

	plug_in(h, 2);
	run_client(h, client, "write", "usb:0416:5011", path);
	g_mutex_lock(&h->mu);
	struct plug *p = &h->plugs[0];
	save_capture("write", p);
	expect_bytes(h, "bulk OUT 0x01", p->out->data, p->out->len, want, len);
	expect_int(h, "usblp detached from interface 1", p->detaches, 1);
	expect_int(h, "interface 1 claimed", p->claims, 1);
	expect_int(h, "requests outside the printer interface", p->bad_requests, 0);
	g_mutex_unlock(&h->mu);
	g_bytes_unref(ticket);
	g_free(path);
}

struct status_case {
	const char *spec;
	uint8_t eot1, eot2, eot4;
	unsigned bits; /* from the DLE EOT bit meanings, docs/escpos.md */
};

static const struct status_case status_cases[] = {
    /* ready: fixed bits only; "usb" must skip the mouse and find the printer */
    {"usb", 0x12, 0x12, 0x12, PROTO_PRINTER_OK},
    {"usb:0416:5011", 0x1a, 0x16, 0x12, PROTO_PRINTER_OFFLINE | PROTO_PRINTER_COVER_OPEN},
    {"usb:0416:5011", 0x12, 0x16, 0x12, PROTO_PRINTER_COVER_OPEN},
    {"usb:0416:5011", 0x1a, 0x32, 0x72, PROTO_PRINTER_OFFLINE | PROTO_PRINTER_PAPER_OUT},
    {"usb:0416:5011", 0x12, 0x12, 0x72, PROTO_PRINTER_PAPER_OUT},
    {"usb:0416:5011", 0x12, 0x12, 0x1e, PROTO_PRINTER_OK | PROTO_PRINTER_NEAR_END},
    {"usb:0416:5011", 0x12, 0x12, 0x16, PROTO_PRINTER_OK | PROTO_PRINTER_NEAR_END},
    {"usb:0416:5011", 0x1a, 0x12, 0x12, PROTO_PRINTER_OFFLINE},
    /* not status bytes (bit 4 clear, bit 0 or 7 set): the printer is not understood */
    {"usb:0416:5011", 0x02, 0x12, 0x12, PROTO_PRINTER_OFFLINE},
    {"usb:0416:5011", 0x12, 0x93, 0x12, PROTO_PRINTER_OFFLINE},
};

static void scenario_status(struct harness *h, const char *client)
{
	static const uint8_t questions[] = {0x10, 0x04, 0x01, 0x10, 0x04, 0x02, 0x10, 0x04, 0x04};

	plug_in(h, 2);
	for (size_t i = 0; i < G_N_ELEMENTS(status_cases); i++) {
		const struct status_case *c = &status_cases[i];
		char bits[16];
		g_mutex_lock(&h->mu);
		struct plug *p = &h->plugs[0];
		size_t before = p->out->len;
		h->answer[1] = c->eot1;
		h->answer[2] = c->eot2;
		h->answer[4] = c->eot4;
		g_mutex_unlock(&h->mu);
		snprintf(bits, sizeof(bits), "%u", c->bits);
		printf("usbmock: DLE EOT 1, 2, 4 answered %02x %02x %02x\n", c->eot1, c->eot2,
		       c->eot4);
		run_client(h, client, "status", c->spec, bits);
		g_mutex_lock(&h->mu);
		expect_bytes(h, "the status questions on bulk OUT", p->out->data + before,
			     p->out->len - before, questions, sizeof(questions));
		expect_int(h, "answers owed and never read", (long)g_queue_get_length(&h->answers),
			   0);
		g_mutex_unlock(&h->mu);
	}
	expect_int(h, "requests outside the printer interface", h->plugs[0].bad_requests, 0);
}

static void scenario_unplug(struct harness *h, const char *client, const char *dir)
{
	char *path = g_build_filename(dir, "ticket.bin", NULL);
	GBytes *ticket = make_ticket(path);
	gsize len;
	const uint8_t *want = g_bytes_get_data(ticket, &len);

	h->unplug_after = UNPLUG_AFTER;
	plug_in(h, 2);
	run_client(h, client, "unplug", "usb:0416:5011", path);
	g_mutex_lock(&h->mu);
	expect_int(h, "plugged in (first, then again)", h->nplugs, 2);
	save_capture("unplug", &h->plugs[0]);
	expect_bytes(h, "bytes before the unplug", h->plugs[0].out->data, h->plugs[0].out->len,
		     want, UNPLUG_AFTER);
	if (h->nplugs == 2) {
		struct plug *p = &h->plugs[1];
		save_capture("unplug", p);
		expect_bytes(h, "the retried ticket after the replug", p->out->data, p->out->len,
			     want, len);
		expect_int(h, "usblp detached again after the replug", p->detaches, 1);
		expect_int(h, "requests outside the printer interface", p->bad_requests, 0);
	}
	g_mutex_unlock(&h->mu);
	g_bytes_unref(ticket);
	g_free(path);
}

static void scenario_none(struct harness *h, const char *client)
{
	run_client(h, client, "none", "usb", NULL); /* an empty bus */
	run_client(h, client, "none", "usb:0416:5011", NULL);
	add_mouse(h); /* a device, but no printer */
	run_client(h, client, "none", "usb", NULL);
	plug_in(h, 2);
	run_client(h, client, "none", "usb:dead:beef", NULL); /* a printer, but not this one */
	g_mutex_lock(&h->mu);
	expect_int(h, "claims of the printer nobody asked for", h->plugs[0].claims, 0);
	g_mutex_unlock(&h->mu);
}

/* ---- serve: a program under test for as long as it runs ---- */

/* Plugs the printer back in once DIR/unplug is gone. */
static gboolean serve_poll(gpointer data)
{
	struct harness *h = data;
	char *path = g_build_filename(h->serve_dir, "unplug", NULL);

	g_mutex_lock(&h->mu);
	if (h->removed && !g_file_test(path, G_FILE_TEST_EXISTS)) {
		replug(h);
		h->unplugged = h->removed = false;
	}
	g_mutex_unlock(&h->mu);
	g_free(path);
	return G_SOURCE_CONTINUE;
}

static void forward_signal(struct harness *h, int sig)
{
	if (h->child > 0 && !h->child_done)
		kill(h->child, sig);
}

static gboolean on_sigterm(gpointer data)
{
	forward_signal(data, SIGTERM);
	return G_SOURCE_CONTINUE;
}

static gboolean on_sigint(gpointer data)
{
	forward_signal(data, SIGINT);
	return G_SOURCE_CONTINUE;
}

/* In the child before exec: a harness that dies takes the program with it. */
static void die_with_parent(gpointer data)
{
	(void)data;
	prctl(PR_SET_PDEATHSIG, SIGTERM);
}

/* Runs argv (PROGRAM ARGS...) under umockdev-wrapper; its exit status. */
static int scenario_serve(struct harness *h, const char *dir, char **argv)
{
	GPtrArray *args = g_ptr_array_new();
	GError *error = NULL;
	char *paper = g_build_filename(dir, "paper.bin", NULL);
	int status = 1;

	h->serve_dir = dir;
	h->paper = fopen(paper, "ab");
	if (!h->paper) {
		fail(h, "cannot open %s", paper);
		goto out;
	}
	h->answer[1] = h->answer[2] = h->answer[4] = STATUS_DEFAULT;
	plug_in(h, 2);
	g_ptr_array_add(args, "umockdev-wrapper");
	for (char **a = argv; *a; a++)
		g_ptr_array_add(args, *a);
	g_ptr_array_add(args, NULL);
	if (!g_spawn_async(NULL, (char **)args->pdata, NULL,
			   G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD, die_with_parent, NULL,
			   &h->child, &error)) {
		fail(h, "cannot start umockdev-wrapper %s: %s", argv[0], error->message);
		g_error_free(error);
		goto out;
	}
	printf("usbmock: serving 0416:5011 to %s (pid %d), paper in %s\n", argv[0], (int)h->child,
	       paper);
	fflush(stdout);
	g_child_watch_add(h->child, on_child_exit, h);
	guint term = g_unix_signal_add(SIGTERM, on_sigterm, h);
	guint intr = g_unix_signal_add(SIGINT, on_sigint, h);
	guint replug_watch = g_timeout_add(SERVE_POLL_MS, serve_poll, h);
	g_main_loop_run(h->loop);
	g_source_remove(replug_watch);
	g_source_remove(intr);
	g_source_remove(term);
	if (WIFEXITED(h->child_status))
		status = WEXITSTATUS(h->child_status);
	else if (WIFSIGNALED(h->child_status))
		status = 128 + WTERMSIG(h->child_status);
	printf("usbmock: %s ended, status %d\n", argv[0], status);
out:
	g_mutex_lock(&h->mu);
	if (h->paper)
		fclose(h->paper);
	h->paper = NULL;
	g_mutex_unlock(&h->mu);
	g_ptr_array_free(args, TRUE);
	g_free(paper);
	return status;
}

static void usage(void)
{
	fprintf(stderr, "usage: usbmock write|status|unplug|none USBCLIENT\n"
			"       usbmock serve DIR -- PROGRAM ARGS...\n");
}

int main(int argc, char **argv)
{
	struct harness h = {0};
	bool serve = argc >= 5 && strcmp(argv[1], "serve") == 0 && strcmp(argv[3], "--") == 0;
	const char *scenario = argc >= 2 ? argv[1] : "";
	const char *client = argc == 3 ? argv[2] : "";
	char *dir = NULL;
	int status;

	if (!serve && argc != 3) {
		usage();
		return 2;
	}
	g_mutex_init(&h.mu);
	g_queue_init(&h.answers);
	h.tb = umockdev_testbed_new();
	h.loop = g_main_loop_new(NULL, FALSE);
	if (strcmp(scenario, "none") != 0)
		add_mouse(&h);

	if (serve) {
		status = scenario_serve(&h, argv[2], argv + 4);
	} else {
		dir = g_dir_make_tmp("usbmock.XXXXXX", NULL);
		if (strcmp(scenario, "write") == 0)
			scenario_write(&h, client, dir);
		else if (strcmp(scenario, "status") == 0)
			scenario_status(&h, client);
		else if (strcmp(scenario, "unplug") == 0)
			scenario_unplug(&h, client, dir);
		else if (strcmp(scenario, "none") == 0)
			scenario_none(&h, client);
		else
			fail(&h, "unknown scenario \"%s\"", scenario);
		status = h.failures ? 1 : 0;
		printf("usbmock: %s: %s\n", scenario, h.failures ? "FAILED" : "ok");
		char *ticket = g_build_filename(dir, "ticket.bin", NULL);
		g_remove(ticket);
		g_rmdir(dir);
		g_free(ticket);
		g_free(dir);
	}

	for (int i = 0; i < h.nplugs; i++) {
		struct plug *p = &h.plugs[i];
		g_byte_array_unref(p->out);
		g_queue_clear_full(&p->done, (GDestroyNotify)urb_free);
		g_queue_clear_full(&p->waiting_in, (GDestroyNotify)urb_free);
		g_object_unref(p->handler);
	}
	g_queue_clear(&h.answers);
	g_main_loop_unref(h.loop);
	g_object_unref(h.tb);
	return status;
}
