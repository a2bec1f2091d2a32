/*
 * text.c — SHOW_TEXT, shared by the window terminal and the hall display:
 * checks the command's arguments against PROTO_TEXT_* and copies the
 * GB18030 bytes of its one or two lines into the device's lines.
 *
 * Room: firmware/core. Freestanding C: no heap, no OS calls. The lines
 * are the caller's (struct fw_window, struct fw_display). Spec: proto.h
 * (enum proto_text_arg).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fw_internal.h"

/* n bytes from byte offset from of registers packed two to a register. */
static void unpack_at(uint8_t *out, const uint16_t *regs, size_t from, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t b = from + i;
		out[i] = (uint8_t)(b % 2 == 0 ? regs[b / 2] >> 8 : regs[b / 2] & 0xff);
	}
}

/*
 * Nothing changes unless every check passes: lines first .. first+count-1
 * exist, count is 1 or 2, each length is at most PROTO_TEXT_LINE_MAX and
 * nargs covers the bytes. With one line, args[PROTO_TEXT_LEN + 1] is not
 * looked at.
 */
uint16_t fw_show_text(uint8_t (*text)[FW_TEXT_SIZE], uint8_t *text_len, int n_lines,
		      const uint16_t *args, uint16_t nargs)
{
	uint16_t first, count, len[2] = {0, 0};
	size_t from = 0;

	if (nargs < PROTO_TEXT_BYTES)
		return PROTO_RESULT_BAD_COMMAND;
	first = args[PROTO_TEXT_FIRST];
	count = args[PROTO_TEXT_COUNT];
	if (count < 1 || count > 2 || first >= n_lines || count > n_lines - first)
		return PROTO_RESULT_BAD_COMMAND;
	for (uint16_t k = 0; k < count; k++) {
		len[k] = args[PROTO_TEXT_LEN + k];
		if (len[k] > PROTO_TEXT_LINE_MAX)
			return PROTO_RESULT_BAD_COMMAND;
	}
	if (nargs < PROTO_TEXT_BYTES + (len[0] + len[1] + 1) / 2)
		return PROTO_RESULT_BAD_COMMAND;
	for (uint16_t k = 0; k < count; k++) {
		unpack_at(text[first + k], &args[PROTO_TEXT_BYTES], from, len[k]);
		text[first + k][len[k]] = '\0';
		text_len[first + k] = (uint8_t)len[k];
		from += len[k];
	}
	return PROTO_RESULT_OK;
}
