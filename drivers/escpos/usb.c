/*
 * usb.c — the libusb transport: "usb" (the first device with a USB
 * printer interface, class 7 subclass 1) or "usb:VVVV:PPPP" (that vendor
 * and product, hex; still through its printer interface).
 *
 * The printer interface is claimed (a bound kernel driver, usblp, is
 * detached first) and spoken to through its bulk OUT endpoint (the
 * ticket, in chunks, each transfer looping on what was taken) and its
 * bulk IN endpoint (the one-byte answer to DLE EOT n).
 *
 * A printer unplugged mid-job: the transfer fails with NO_DEVICE, IO or
 * PIPE; the call returns ESCPOS_ERR_IO and the port closes its handle and
 * its libusb context. The next write or status looks for the device again
 * with a new context, so a printer plugged back in is found even where no
 * hot-plug events reach libusb (a container without udev): a context's
 * device list follows hot-plug events, a new one scans the bus. Retrying,
 * and how often, is the caller's business.
 *
 * Room: drivers/escpos, the only room that includes libusb. LIBUSB_ERROR_*
 * become enum escpos_error here and nowhere else. The port owns its
 * context and handle; one thread at a time per port.
 */
#include <errno.h>
#include <libusb.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escpos.h"
#include "port_impl.h"

enum {
	USB_CHUNK = 4096, /* bytes per bulk OUT transfer */
	USB_IN_MAX = 512, /* the largest bulk IN packet we read at once */
	USB_PRINTER_SUBCLASS = 1,
	USB_SPEC_SIZE = 32,
};

struct usb_port {
	char spec[USB_SPEC_SIZE]; /* as given, for messages */
	bool by_id;               /* usb:VVVV:PPPP; otherwise the first printer */
	uint16_t vid, pid;
	/* while open; ctx == NULL: closed, found again on the next call */
	libusb_context *ctx;
	libusb_device_handle *handle;
	uint16_t found_vid, found_pid;
	int iface, alt;
	uint8_t ep_out, ep_in;
	int in_packet; /* wMaxPacketSize of the bulk IN endpoint */
};

/* Where a printer interface was found on a device. */
struct usb_printer_if {
	int iface, alt;
	uint8_t ep_out, ep_in;
	int in_packet;
};

static void usb_port_shut(struct usb_port *up, bool release)
{
	if (up->handle) {
		if (release)
			libusb_release_interface(up->handle, up->iface);
		libusb_close(up->handle);
		up->handle = NULL;
	}
	if (up->ctx) {
		libusb_exit(up->ctx);
		up->ctx = NULL;
	}
}

/* The bulk OUT and IN endpoints of one interface setting; false if either is missing. */
static bool find_bulk_pair(const struct libusb_interface_descriptor *alt, struct usb_printer_if *pi)
{
	pi->ep_out = 0;
	pi->ep_in = 0;
	for (int e = 0; e < alt->bNumEndpoints; e++) {
		const struct libusb_endpoint_descriptor *ep = &alt->endpoint[e];
		if ((ep->bmAttributes & LIBUSB_TRANSFER_TYPE_MASK) != LIBUSB_TRANSFER_TYPE_BULK)
			continue;
		if ((ep->bEndpointAddress & LIBUSB_ENDPOINT_DIR_MASK) == LIBUSB_ENDPOINT_IN) {
			if (!pi->ep_in) {
				pi->ep_in = ep->bEndpointAddress;
				pi->in_packet = ep->wMaxPacketSize;
			}
		} else if (!pi->ep_out) {
			pi->ep_out = ep->bEndpointAddress;
		}
	}
	return pi->ep_out && pi->ep_in;
}

/* The device's printer interface (class 7, subclass 1, bulk OUT and IN). */
static bool find_printer_if(libusb_device *dev, struct usb_printer_if *pi)
{
	struct libusb_config_descriptor *cfg = NULL;
	bool found = false;

	if (libusb_get_active_config_descriptor(dev, &cfg) != LIBUSB_SUCCESS &&
	    libusb_get_config_descriptor(dev, 0, &cfg) != LIBUSB_SUCCESS)
		return false;
	for (int i = 0; i < cfg->bNumInterfaces && !found; i++) {
		const struct libusb_interface *intf = &cfg->interface[i];
		for (int a = 0; a < intf->num_altsetting && !found; a++) {
			const struct libusb_interface_descriptor *alt = &intf->altsetting[a];
			if (alt->bInterfaceClass != LIBUSB_CLASS_PRINTER ||
			    alt->bInterfaceSubClass != USB_PRINTER_SUBCLASS)
				continue;
			pi->iface = alt->bInterfaceNumber;
			pi->alt = alt->bAlternateSetting;
			found = find_bulk_pair(alt, pi);
		}
	}
	libusb_free_config_descriptor(cfg);
	return found;
}

/* Detaches a kernel driver (usblp) from the interface and claims it. */
static int claim_printer_if(struct usb_port *up, char *err, size_t err_size)
{
	int r = libusb_set_auto_detach_kernel_driver(up->handle, 1);

	if (r == LIBUSB_ERROR_NOT_SUPPORTED &&
	    libusb_kernel_driver_active(up->handle, up->iface) == 1)
		libusb_detach_kernel_driver(up->handle, up->iface);
	r = libusb_claim_interface(up->handle, up->iface);
	if (r == LIBUSB_SUCCESS && up->alt != 0)
		r = libusb_set_interface_alt_setting(up->handle, up->iface, up->alt);
	if (r == LIBUSB_SUCCESS)
		return ESCPOS_OK;
	snprintf(err, err_size,
		 "cannot claim the printer interface %d of USB device %04x:%04x: %s%s", up->iface,
		 up->found_vid, up->found_pid, libusb_strerror(r),
		 r == LIBUSB_ERROR_BUSY ? " (another program holds it)" : "");
	return r == LIBUSB_ERROR_NO_DEVICE ? ESCPOS_ERR_NO_PRINTER : ESCPOS_ERR_IO;
}

/*
 * Opens the first device that matches the spec and has a printer
 * interface. A device that matches but cannot be opened (permissions)
 * is remembered for the message and the search goes on.
 */
static int open_first_match(struct usb_port *up, libusb_device **list, ssize_t count, char *err,
			    size_t err_size)
{
	int open_error = LIBUSB_SUCCESS;
	bool id_seen = false;

	for (ssize_t i = 0; i < count; i++) {
		struct libusb_device_descriptor dd;
		struct usb_printer_if pi;
		if (libusb_get_device_descriptor(list[i], &dd) != LIBUSB_SUCCESS)
			continue;
		if (up->by_id && (dd.idVendor != up->vid || dd.idProduct != up->pid))
			continue;
		id_seen = true;
		if (!find_printer_if(list[i], &pi))
			continue;
		int r = libusb_open(list[i], &up->handle);
		if (r != LIBUSB_SUCCESS) {
			open_error = r;
			continue;
		}
		up->found_vid = dd.idVendor;
		up->found_pid = dd.idProduct;
		up->iface = pi.iface;
		up->alt = pi.alt;
		up->ep_out = pi.ep_out;
		up->ep_in = pi.ep_in;
		up->in_packet = pi.in_packet > 0 && pi.in_packet <= USB_IN_MAX ? pi.in_packet : 64;
		return ESCPOS_OK;
	}
	if (open_error != LIBUSB_SUCCESS)
		snprintf(err, err_size, "found a USB printer for \"%s\" but cannot open it: %s",
			 up->spec, libusb_strerror(open_error));
	else if (up->by_id && id_seen)
		snprintf(err, err_size,
			 "the USB device %04x:%04x (\"%s\") has no printer interface (class 7)",
			 up->vid, up->pid, up->spec);
	else if (up->by_id)
		snprintf(err, err_size, "no USB printer \"%s\": no device %04x:%04x is connected",
			 up->spec, up->vid, up->pid);
	else
		snprintf(err, err_size,
			 "no USB printer \"%s\": no connected device has a printer interface "
			 "(class 7)",
			 up->spec);
	return open_error == LIBUSB_ERROR_ACCESS ? ESCPOS_ERR_IO : ESCPOS_ERR_NO_PRINTER;
}

/* Finds, opens and claims the printer unless it is open already. */
static int usb_port_reopen(struct usb_port *up, char *err, size_t err_size)
{
	libusb_device **list = NULL;
	int rc;

	if (up->handle)
		return ESCPOS_OK;
	int r = libusb_init(&up->ctx);
	if (r != LIBUSB_SUCCESS) {
		up->ctx = NULL;
		snprintf(err, err_size,
			 "no USB printer \"%s\": libusb cannot reach the USB bus: %s", up->spec,
			 libusb_strerror(r));
		return ESCPOS_ERR_NO_PRINTER;
	}
	ssize_t count = libusb_get_device_list(up->ctx, &list);
	if (count < 0) {
		snprintf(err, err_size, "no USB printer \"%s\": cannot list the USB devices: %s",
			 up->spec, libusb_strerror((int)count));
		rc = ESCPOS_ERR_NO_PRINTER;
	} else {
		rc = open_first_match(up, list, count, err, err_size);
		libusb_free_device_list(list, 1);
	}
	if (rc == ESCPOS_OK)
		rc = claim_printer_if(up, err, err_size);
	if (rc != ESCPOS_OK)
		usb_port_shut(up, false);
	return rc;
}

/* A failed transfer as an escpos_error; a printer gone is closed, found again next time. */
static int usb_transfer_failed(struct usb_port *up, int r, const char *what, size_t done, size_t n,
			       char *err, size_t err_size)
{
	if (r == LIBUSB_ERROR_TIMEOUT) {
		snprintf(err, err_size,
			 "the USB printer %04x:%04x did not take %s in time (%zu of %zu bytes)",
			 up->found_vid, up->found_pid, what, done, n);
		return ESCPOS_ERR_TIMEOUT;
	}
	snprintf(err, err_size,
		 "the USB printer %04x:%04x failed while taking %s (%zu of %zu bytes): %s",
		 up->found_vid, up->found_pid, what, done, n, libusb_strerror(r));
	usb_port_shut(up, r != LIBUSB_ERROR_NO_DEVICE);
	return ESCPOS_ERR_IO;
}

/* libusb's timeout for what is left until deadline_ms: 0 there means none. */
static unsigned int usb_timeout(int64_t deadline_ms)
{
	int left = escpos_left_ms(deadline_ms);

	if (left < 0)
		return 0;
	return left == 0 ? 1 : (unsigned int)left;
}

static int usb_send(struct usb_port *up, const uint8_t *data, size_t n, const char *what,
		    int64_t deadline_ms, char *err, size_t err_size)
{
	size_t done = 0;

	while (done < n) {
		int chunk = n - done > USB_CHUNK ? USB_CHUNK : (int)(n - done);
		int taken = 0;
		/* libusb wants a mutable buffer; an OUT transfer only reads it. */
		int r = libusb_bulk_transfer(up->handle, up->ep_out, (unsigned char *)data + done,
					     chunk, &taken, usb_timeout(deadline_ms));
		if (taken > 0)
			done += (size_t)taken;
		if (r != LIBUSB_SUCCESS)
			return usb_transfer_failed(up, r, what, done, n, err, err_size);
	}
	return ESCPOS_OK;
}

static int usb_write(void *impl, const uint8_t *data, size_t n, int64_t deadline_ms, char *err,
		     size_t err_size)
{
	struct usb_port *up = impl;
	int rc = usb_port_reopen(up, err, err_size);

	if (rc != ESCPOS_OK)
		return rc;
	return usb_send(up, data, n, "the ticket", deadline_ms, err, err_size);
}

/*
 * DLE EOT n on bulk OUT, then one packet on bulk IN; a printer that also
 * sends unasked status puts the answer last, so the last byte counts.
 */
static int usb_ask(void *impl, uint8_t n, uint8_t *answer, int64_t deadline_ms, char *err,
		   size_t err_size)
{
	struct usb_port *up = impl;
	const uint8_t question[3] = {ESCPOS_DLE, ESCPOS_EOT, n};
	uint8_t in[USB_IN_MAX];
	int got = 0;
	int rc = usb_port_reopen(up, err, err_size);

	if (rc == ESCPOS_OK)
		rc = usb_send(up, question, sizeof(question), "a status question", deadline_ms, err,
			      err_size);
	while (rc == ESCPOS_OK && got == 0) { /* a zero-length packet is no answer */
		int r = libusb_bulk_transfer(up->handle, up->ep_in, in, up->in_packet, &got,
					     usb_timeout(deadline_ms));
		if (r != LIBUSB_SUCCESS && got == 0)
			rc = usb_transfer_failed(up, r, "the status answer", 0, 1, err, err_size);
	}
	if (rc == ESCPOS_OK)
		*answer = in[got - 1];
	return rc;
}

static void usb_close(void *impl)
{
	struct usb_port *up = impl;

	if (!up)
		return;
	usb_port_shut(up, true);
	free(up);
}

const struct escpos_port_ops escpos_usb_ops = {
    .write = usb_write,
    .ask = usb_ask,
    .close = usb_close,
};

/* "VVVV" of a spec: 1 to 4 hex digits, then stop. */
static bool parse_hex16(const char *s, char stop, uint16_t *out, const char **end)
{
	unsigned v = 0;
	int digits = 0;

	for (; *s && *s != stop; s++, digits++) {
		const char *hex = "0123456789abcdef";
		const char *d = strchr(hex, *s >= 'A' && *s <= 'F' ? *s - 'A' + 'a' : *s);
		if (!d || digits == 4)
			return false;
		v = v * 16 + (unsigned)(d - hex);
	}
	if (digits == 0 || *s != stop)
		return false;
	*out = (uint16_t)v;
	*end = s;
	return true;
}

static bool parse_spec(struct usb_port *up, const char *spec)
{
	const char *s;

	if (strcmp(spec, "usb") == 0)
		return true;
	up->by_id = true;
	return strncmp(spec, "usb:", 4) == 0 && parse_hex16(spec + 4, ':', &up->vid, &s) &&
	       parse_hex16(s + 1, '\0', &up->pid, &s);
}

int escpos_usb_open(const char *spec, void **impl, char *err, size_t err_size)
{
	struct usb_port *up = calloc(1, sizeof(*up));
	int rc;

	if (!up) {
		snprintf(err, err_size, "out of memory opening the printer");
		return ESCPOS_ERR_NOMEM;
	}
	snprintf(up->spec, sizeof(up->spec), "%s", spec);
	if (strlen(spec) >= sizeof(up->spec) || !parse_spec(up, spec)) {
		snprintf(err, err_size,
			 "bad USB printer \"%s\": use usb or usb:VVVV:PPPP (vendor and product "
			 "id in hex)",
			 spec);
		rc = ESCPOS_ERR_ARG;
		goto fail;
	}
	rc = usb_port_reopen(up, err, err_size);
	if (rc != ESCPOS_OK)
		goto fail;
	*impl = up;
	return ESCPOS_OK;
fail:
	usb_close(up);
	return rc;
}
