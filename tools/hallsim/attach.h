/*
 * attach.h — hallsim --attach: what device mode needs of a hostd it did
 * not start, read over hostd's HTTP API (docs/api.md): its clock (the
 * state's "now", which runs at the speed hostd was started with) and
 * whether every device of its config is online.
 *
 * Room: tools/hallsim. libcurl for HTTP, cJSON for the answers; nothing
 * of hostd's code.
 */
#ifndef HALLQ_HALLSIM_ATTACH_H
#define HALLQ_HALLSIM_ATTACH_H

#include <stddef.h>
#include <stdint.h>

/* hostd's clock, read at one real moment. */
struct attach_clock {
	int64_t sim_s; /* hostd's "now", epoch seconds (whole) */
	double real_s; /* the real epoch time it was read at (mid-request) */
	int32_t day;   /* hostd's business day, yyyymmdd */
};

/*
 * Waits (at most timeout_s real seconds) until GET /api/v1/state on
 * 127.0.0.1:port answers with every device online, then reads hostd's
 * clock twice, settle_s real seconds apart, and checks that it runs at
 * speed (within a second of hostd's time, and 5 %). Fills *clock from
 * the second reading. Returns 0, or -1 with a sentence in err (hostd not
 * answering, the token refused, devices still offline, another speed).
 */
int attach_hostd(int port, const char *token, double speed, double timeout_s,
		 struct attach_clock *clock, char *err, size_t err_size);

#endif /* HALLQ_HALLSIM_ATTACH_H */
