/*
 * display.c — the LED hall display (综合屏): four lines of text from the
 * host's SHOW_TEXT; no keys, no events of its own.
 *
 * Room: firmware/core. Freestanding C: no heap, no OS calls. State:
 * struct fw_display in the caller's struct fw_device. Spec: proto.h
 * (PROTO_DEVICE_DISPLAY, PROTO_CMD_SHOW_TEXT) and fw.h.
 */
#include <stddef.h>
#include <stdint.h>

#include "fw_internal.h"

void fw_display_init(struct fw_device *d, const struct fw_identity *id, uint32_t now_ms)
{
	fw_init_device(d, PROTO_DEVICE_DISPLAY, id, now_ms);
}

uint16_t fw_display_command(struct fw_device *d, uint16_t code, const uint16_t *args,
			    uint16_t nargs)
{
	struct fw_display *p = &d->u.display;

	if (code != PROTO_CMD_SHOW_TEXT)
		return PROTO_RESULT_NOT_SUPPORTED;
	return fw_show_text(p->text, p->text_len, PROTO_DISPLAY_LINES, args, nargs);
}

const uint8_t *fw_display_text(const struct fw_device *d, int line, size_t *len)
{
	if (line >= PROTO_DISPLAY_LINES)
		return NULL;
	*len = d->u.display.text_len[line];
	return d->u.display.text[line];
}
