/*
 * text.c — GB18030 to UTF-8 with iconv(3), for the control socket and the
 * printed tickets.
 *
 * Room: firmware/posix. The core and the host speak GB18030 (what LED
 * controllers and thermal printers take); people and test scripts read
 * UTF-8.
 */
#include <errno.h>
#include <iconv.h>
#include <string.h>

#include "port.h"

static const char replacement[] = "\xef\xbf\xbd"; /* U+FFFD */

size_t port_text_utf8(char *out, size_t size, const uint8_t *in, size_t n)
{
	iconv_t cd;
	char *ip = (char *)in, *op = out;
	size_t il = n, ol;

	if (size == 0)
		return 0;
	ol = size - 1;
	cd = iconv_open("UTF-8", "GB18030");
	if (cd == (iconv_t)-1) {
		/* No converter: keep the ASCII, mark the rest. */
		for (size_t i = 0; i < n && ol > 0; i++, ol--)
			*op++ = in[i] < 0x80 ? (char)in[i] : '?';
		*op = '\0';
		return (size_t)(op - out);
	}
	while (il > 0) {
		if (iconv(cd, &ip, &il, &op, &ol) != (size_t)-1)
			break;
		if (errno == E2BIG)
			break;
		/* EILSEQ or EINVAL (a sequence cut short): replace one byte. */
		if (ol < sizeof replacement - 1)
			break;
		memcpy(op, replacement, sizeof replacement - 1);
		op += sizeof replacement - 1;
		ol -= sizeof replacement - 1;
		ip++;
		il--;
	}
	iconv_close(cd);
	*op = '\0';
	return (size_t)(op - out);
}
