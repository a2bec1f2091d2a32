/*
 * gb18030.c — UTF-8 text to the bytes a Chinese-mode (FS &) printer takes:
 * printable ASCII, and the one- and two-byte characters of GB18030 (the
 * GBK set every Chinese printer font has). Anything else — a control
 * character that the printer would take as a command, a character only
 * four-byte GB18030 can hold, a byte that is not UTF-8 — becomes '?'.
 *
 * Room: drivers/escpos. iconv (glibc) for the mapping.
 */
#include "escpos.h"

#include <iconv.h>
#include <string.h>

/* The length of the UTF-8 character at s (n bytes left), or 0 when it is
 * not well-formed (overlong, a surrogate, past U+10FFFF, cut short). */
static size_t utf8_char(const uint8_t *s, size_t n)
{
	uint32_t c;
	size_t len;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		c = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		c = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		c = s[0] & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t k = 1; k < len; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[k] & 0x3f);
	}
	if ((len == 3 && (c < 0x800 || (c >= 0xd800 && c <= 0xdfff))) ||
	    (len == 4 && (c < 0x10000 || c > 0x10ffff)))
		return 0;
	return len;
}

int escpos_gb18030(const char *utf8, size_t len, struct escpos_buf *out)
{
	const uint8_t *s = (const uint8_t *)utf8;
	iconv_t cd = iconv_open("GB18030", "UTF-8");
	int replaced = 0;

	for (size_t i = 0; i < len;) {
		size_t n = utf8_char(s + i, len - i);
		uint8_t gb[8];
		size_t gb_len = 0;

		if (n == 1 && s[i] >= 0x20 && s[i] < 0x7f) {
			gb[gb_len++] = s[i];
		} else if (n > 1 && cd != (iconv_t)-1) {
			char *in = (char *)(s + i), *o = (char *)gb;
			size_t in_left = n, out_left = sizeof(gb);
			iconv(cd, NULL, NULL, NULL, NULL);
			if (iconv(cd, &in, &in_left, &o, &out_left) != (size_t)-1 && in_left == 0 &&
			    sizeof(gb) - out_left == 2)
				gb_len = 2; /* two-byte GBK; one- and four-byte forms are refused */
		}
		if (gb_len == 0) {
			gb[gb_len++] = '?';
			replaced++;
		}
		escpos_buf_put(out, gb, gb_len);
		i += n ? n : 1; /* a bad byte is one replacement */
	}
	if (cd != (iconv_t)-1)
		iconv_close(cd);
	return replaced;
}
