/*
 * service.c — sd_notify(3) for hostd: readiness, the watchdog, stopping.
 *
 * Room: hostd/service. libsystemd only here. Nothing is kept between
 * calls but the watchdog's last ping, which belongs to its caller.
 */
#include "service/service.h"

#include <limits.h>
#include <stdio.h>
#include <time.h>

#include <systemd/sd-daemon.h>

#include "log/log.h"

static void notify(const char *state)
{
	int r = sd_notify(0, state);

	if (r < 0)
		log_warn("systemd: cannot send \"%s\": error %d", state, -r);
}

void service_ready(const char *status)
{
	char state[1024];

	snprintf(state, sizeof(state), "READY=1\nSTATUS=%s", status);
	notify(state);
}

void service_stopping(void)
{
	notify("STOPPING=1\nSTATUS=stopping");
}

void service_status(const char *status)
{
	char state[1024];

	snprintf(state, sizeof(state), "STATUS=%s", status);
	notify(state);
}

int service_watchdog_period_ms(void)
{
	uint64_t usec = 0;

	if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0)
		return 0;
	uint64_t half_ms = usec / 2000;
	return half_ms < 1 ? 1 : half_ms > INT_MAX ? INT_MAX : (int)half_ms;
}

static int64_t monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void service_watchdog_tick(void *watchdog)
{
	struct service_watchdog *w = watchdog;
	int64_t now = monotonic_ms();

	if (w->pings && now - w->last_ping_ms < w->period_ms)
		return;
	w->last_ping_ms = now;
	w->pings++;
	if (sd_notify(0, "WATCHDOG=1") < 0 && w->pings == 1)
		log_warn("systemd: cannot ping the watchdog");
}
