/*
 * keys.c — simulated key presses for the core's debounce.
 *
 * Room: firmware/posix. The control socket queues presses here; the loop
 * asks for the raw key bits before each fw_tick() and moves the phases on
 * after it. A press is PORT_PRESS_MS down then PORT_RELEASE_MS up, both
 * longer than PROTO_DEBOUNCE_MS, so the core counts every press once.
 */
#include <string.h>

#include "port.h"

enum { PHASE_IDLE, PHASE_DOWN, PHASE_UP };

void port_keys_init(struct port_keys *k)
{
	memset(k, 0, sizeof *k);
}

bool port_keys_push(struct port_keys *k, const uint8_t *keys, size_t n)
{
	if (n > PORT_KEYQ_SIZE - k->count)
		return false;
	for (size_t i = 0; i < n; i++)
		k->q[(k->head + k->count++) % PORT_KEYQ_SIZE] = keys[i];
	return true;
}

uint32_t port_keys_raw(struct port_keys *k, uint32_t now_ms)
{
	if (k->phase == PHASE_IDLE && k->count > 0) {
		k->key = k->q[k->head];
		k->head = (k->head + 1) % PORT_KEYQ_SIZE;
		k->count--;
		k->phase = PHASE_DOWN;
		k->since_ms = now_ms;
	}
	return k->phase == PHASE_DOWN ? UINT32_C(1) << k->key : 0;
}

void port_keys_advance(struct port_keys *k, uint32_t now_ms)
{
	uint32_t held = now_ms - k->since_ms;

	if (k->phase == PHASE_DOWN && held >= PORT_PRESS_MS) {
		k->phase = PHASE_UP;
		k->since_ms = now_ms;
	} else if (k->phase == PHASE_UP && held >= PORT_RELEASE_MS) {
		k->phase = PHASE_IDLE;
	}
}

bool port_keys_idle(const struct port_keys *k)
{
	return k->phase == PHASE_IDLE && k->count == 0;
}
