/*
 * test_fw.h — what the firmware core's unit tests share: the host's side
 * of the register map in a few calls (read, write, say hello, send a
 * command) and the FIFO as a list of events. Include after <cmocka.h>.
 *
 * Every helper goes through fw_read()/fw_write() as a Modbus master would;
 * none looks inside struct fw_device.
 */
#ifndef HALLQ_TEST_FW_H
#define HALLQ_TEST_FW_H

#include <stdint.h>
#include <string.h>

#include "fw.h"

#define N_ARGS(a) ((uint16_t)(sizeof(a) / sizeof((a)[0])))

/* One register, which must read. */
static inline uint16_t reg(struct fw_device *d, uint16_t addr)
{
	uint16_t v = 0xdead;

	assert_int_equal(fw_read(d, addr, 1, &v), 0);
	return v;
}

/* A write the device must take (no exception). */
static inline void write_ok(struct fw_device *d, uint16_t addr, uint16_t n, const uint16_t *values)
{
	assert_int_equal(fw_write(d, addr, n, values), 0);
}

/* HOST_BOOT and ACK_SEQ, as the host's poll writes them. */
static inline void host_ack(struct fw_device *d, uint16_t boot, uint16_t ack)
{
	uint16_t w[2] = {boot, ack};

	write_ok(d, PROTO_HREG_HOST_BOOT, 2, w);
}

/* HOST_BOOT alone: the host has learned the boot id. */
static inline void host_hello(struct fw_device *d)
{
	uint16_t boot = reg(d, PROTO_REG_BOOT_ID);

	write_ok(d, PROTO_HREG_HOST_BOOT, 1, &boot);
}

/*
 * One command from CMD_SEQ on (HOST_BOOT as written before): seq, code,
 * nargs, then the args. Returns CMD_RESULT.
 */
static inline uint16_t command(struct fw_device *d, uint16_t seq, uint16_t code,
			       const uint16_t *args, uint16_t nargs)
{
	uint16_t w[3 + PROTO_CMD_MAX_ARGS] = {seq, code, nargs};

	if (nargs > 0)
		memcpy(&w[3], args, nargs * sizeof(*args));
	write_ok(d, PROTO_HREG_CMD_SEQ, (uint16_t)(3 + nargs), w);
	return reg(d, PROTO_REG_CMD_RESULT);
}

static inline uint16_t ev_count(struct fw_device *d)
{
	return reg(d, PROTO_REG_EV_COUNT);
}

/* The k-th waiting event (0 the oldest) must be {seq, code, arg}. */
static inline void assert_event(struct fw_device *d, int k, uint16_t seq, uint16_t code,
				uint32_t arg)
{
	uint16_t e[PROTO_EV_REGS];

	assert_int_equal(
	    fw_read(d, (uint16_t)(PROTO_REG_EV_FIRST + k * PROTO_EV_REGS), PROTO_EV_REGS, e), 0);
	assert_int_equal(e[0], seq);
	assert_int_equal(e[1], code);
	assert_int_equal(e[2], arg >> 16);
	assert_int_equal(e[3], arg & 0xffff);
}

/* The text of a line must be the n bytes of want. */
static inline void assert_text(const struct fw_device *d, int line, const char *want, size_t n)
{
	size_t len = 999;
	const uint8_t *text = fw_text(d, line, &len);

	assert_non_null(text);
	assert_int_equal(len, n);
	assert_memory_equal(text, want, n);
	assert_int_equal(text[n], 0);
}

#endif /* HALLQ_TEST_FW_H */
