/*
 * buf.c — the growing byte buffer the ticket is built in.
 *
 * Room: drivers/escpos. libc only.
 */
#include "escpos.h"

#include <stdlib.h>
#include <string.h>

void escpos_buf_init(struct escpos_buf *b)
{
	memset(b, 0, sizeof(*b));
}

void escpos_buf_free(struct escpos_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

void escpos_buf_put(struct escpos_buf *b, const void *bytes, size_t n)
{
	if (b->failed || n == 0)
		return;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + n)
			cap *= 2;
		uint8_t *d = realloc(b->data, cap);
		if (!d) {
			b->failed = true;
			return;
		}
		b->data = d;
		b->cap = cap;
	}
	memcpy(b->data + b->len, bytes, n);
	b->len += n;
}

const char *escpos_strerror(int err)
{
	switch (err) {
	case ESCPOS_OK:
		return "ok";
	case ESCPOS_ERR_ARG:
		return "bad ticket field";
	case ESCPOS_ERR_QR:
		return "the URL is too long for the ticket's QR code";
	case ESCPOS_ERR_NOMEM:
		return "out of memory";
	case ESCPOS_ERR_IO:
		return "printer input/output failed";
	case ESCPOS_ERR_NO_PRINTER:
		return "no printer found";
	case ESCPOS_ERR_TIMEOUT:
		return "the printer did not answer in time";
	default:
		return "unknown error";
	}
}
