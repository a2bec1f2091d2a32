/*
 * qr.c — a QR code as an SVG picture, for a booking's page (docs/api.md,
 * GET /api/v1/bookings/{code}/qr.svg).
 *
 * Room: hostd/api. libqrencode makes the modules (as drivers/escpos/render.c
 * does for a ticket's picture); this file only writes them out as one SVG
 * path, one unit square per dark module, inside a quiet zone of 4 modules
 * as ISO/IEC 18004 asks. No state; the caller frees the text.
 */
#include <qrencode.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_impl.h"

enum { QUIET = 4 }; /* modules of white around the symbol */

char *api_qr_svg(const char *text, size_t *len)
{
	QRcode *qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	char *buf = NULL;
	size_t size = 0;
	FILE *f;

	if (!qr)
		return NULL;
	f = open_memstream(&buf, &size);
	if (!f) {
		QRcode_free(qr);
		return NULL;
	}
	int side = qr->width + 2 * QUIET;
	fprintf(f,
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
		"width=\"%d\" height=\"%d\" shape-rendering=\"crispEdges\">\n"
		"<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>\n<path fill=\"#000\" d=\"",
		side, side, side * 8, side * 8, side, side);
	for (int y = 0; y < qr->width; y++)
		for (int x = 0; x < qr->width; x++)
			if (qr->data[y * qr->width + x] & 1)
				fprintf(f, "M%d %dh1v1h-1z", x + QUIET, y + QUIET);
	fputs("\"/>\n</svg>\n", f);
	QRcode_free(qr);
	if (ferror(f)) {
		fclose(f);
		free(buf);
		return NULL;
	}
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	*len = size;
	return buf;
}
