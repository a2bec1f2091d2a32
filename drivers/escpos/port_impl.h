/*
 * port_impl.h — what a transport of drivers/escpos provides to port.c,
 * which owns struct escpos_port and dispatches the escpos_* calls of
 * escpos.h to it. Private to drivers/escpos.
 *
 * Room: drivers/escpos. A transport is one const struct of methods plus
 * its own state (void *impl), allocated by its open and freed by close.
 *
 * The contract every method keeps:
 *   - It blocks at most until deadline_ms (a CLOCK_MONOTONIC time from
 *     escpos_now_ms(); ESCPOS_NO_DEADLINE waits as long as it takes).
 *   - It returns ESCPOS_OK or a negative enum escpos_error with one
 *     sentence in err (never NULL, err_size > 0).
 *   - write sends all n bytes or fails: a short write is never success.
 *     ESCPOS_ERR_TIMEOUT means some bytes may have reached the printer.
 *   - ask sends DLE EOT n and gives back the printer's one-byte answer.
 *     NULL in a transport that cannot read (file:): the status is OK.
 */
#ifndef HALLQ_ESCPOS_PORT_IMPL_H
#define HALLQ_ESCPOS_PORT_IMPL_H

#include <stddef.h>
#include <stdint.h>

enum {
	ESCPOS_DLE = 0x10,
	ESCPOS_EOT = 0x04,
};

#define ESCPOS_NO_DEADLINE INT64_MAX

struct escpos_port_ops {
	int (*write)(void *impl, const uint8_t *data, size_t n, int64_t deadline_ms, char *err,
		     size_t err_size);
	int (*ask)(void *impl, uint8_t n, uint8_t *answer, int64_t deadline_ms, char *err,
		   size_t err_size);
	void (*close)(void *impl); /* NULL-tolerant */
};

/* port.c */
int64_t escpos_now_ms(void);
/* The deadline timeout_ms from now; a negative timeout_ms means none. */
int64_t escpos_deadline_ms(int timeout_ms);
/* Milliseconds left until deadline_ms, 0 if it has passed, -1 if none. */
int escpos_left_ms(int64_t deadline_ms);

/* usb.c: spec is "usb" or "usb:VVVV:PPPP" */
extern const struct escpos_port_ops escpos_usb_ops;
int escpos_usb_open(const char *spec, void **impl, char *err, size_t err_size);

#endif /* HALLQ_ESCPOS_PORT_IMPL_H */
