/*
 * fw_internal.h — what the files of the firmware core share among
 * themselves and show no one else: the event FIFO, the host's presence,
 * the shared SHOW_TEXT decoder and each device type's hooks.
 *
 * Room: firmware/core. Freestanding C like the rest of the core; nothing
 * outside firmware/core includes this header. The state it touches is
 * the caller's struct fw_device (fw.h).
 */
#ifndef HALLQ_FW_INTERNAL_H
#define HALLQ_FW_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fw.h"

/* A host register by its address (enum proto_hreg). */
#define FW_HREG(d, addr) ((d)->hreg[(addr)-PROTO_HREG_HOST_BOOT])

/* True once now_ms has reached deadline_ms (both on the wrapping clock). */
static inline bool fw_time_reached(uint32_t now_ms, uint32_t deadline_ms)
{
	return (int32_t)(now_ms - deadline_ms) >= 0;
}

/* Adds one to a counter register, stopping at 0xffff. */
static inline void fw_count(uint16_t *counter)
{
	if (*counter < UINT16_MAX)
		(*counter)++;
}

/* fw.c */
void fw_init_device(struct fw_device *d, uint8_t type, const struct fw_identity *id,
		    uint32_t now_ms);
bool fw_host_is_online(const struct fw_device *d);
void fw_event(struct fw_device *d, uint16_t code, uint32_t arg);

/* text.c: SHOW_TEXT into n_lines lines; returns an enum proto_result. */
uint16_t fw_show_text(uint8_t (*text)[FW_TEXT_SIZE], uint8_t *text_len, int n_lines,
		      const uint16_t *args, uint16_t nargs);

/*
 * Each device type's hooks (kiosk.c, window.c, display.c). *_key takes a
 * debounced press; *_tick ends the type's timeouts at d->now_ms;
 * *_command runs a command the host sent (code known, nargs at most
 * PROTO_CMD_MAX_ARGS) and returns an enum proto_result; *_flags and
 * *_state give the type's part of the FLAGS and STATE registers.
 */
void fw_kiosk_key(struct fw_device *d, int key);
void fw_kiosk_tick(struct fw_device *d);
uint16_t fw_kiosk_command(struct fw_device *d, uint16_t seq, uint16_t code, const uint16_t *args,
			  uint16_t nargs);
uint16_t fw_kiosk_flags(const struct fw_device *d);
const uint8_t *fw_kiosk_text(const struct fw_device *d, int line, size_t *len);

void fw_window_key(struct fw_device *d, int key);
void fw_window_tick(struct fw_device *d);
uint16_t fw_window_command(struct fw_device *d, uint16_t code, const uint16_t *args,
			   uint16_t nargs);
uint16_t fw_window_flags(const struct fw_device *d);
const uint8_t *fw_window_text(const struct fw_device *d, int line, size_t *len);

uint16_t fw_display_command(struct fw_device *d, uint16_t code, const uint16_t *args,
			    uint16_t nargs);
const uint8_t *fw_display_text(const struct fw_device *d, int line, size_t *len);

#endif /* HALLQ_FW_INTERNAL_H */
