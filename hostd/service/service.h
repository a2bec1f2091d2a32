/*
 * service.h — hostd under systemd: the notification protocol of a
 * Type=notify unit (sd_notify(3)): READY=1 once hostd serves, WATCHDOG=1
 * pings while the core thread makes progress, STOPPING=1 on the way out.
 *
 * Room: hostd/service, the only room with libsystemd. Without systemd
 * (no NOTIFY_SOCKET in the environment) every call does nothing, so hostd
 * runs the same by hand, in tests and in hallsim.
 */
#ifndef HALLQ_SERVICE_H
#define HALLQ_SERVICE_H

#include <stdint.h>

/* READY=1 with a STATUS= line for `systemctl status`. */
void service_ready(const char *status);
/* STOPPING=1: systemd waits for the exit instead of calling it a crash. */
void service_stopping(void);
/* STATUS= alone (a tokens reload, say). */
void service_status(const char *status);

/*
 * The watchdog systemd asks for (WatchdogSec= sets WATCHDOG_USEC, and
 * WATCHDOG_PID when it names this process): the ping period, half of its
 * interval, in milliseconds (at least 1), or 0 when there is none.
 */
int service_watchdog_period_ms(void);

/*
 * The pinger: service_watchdog_tick() sends WATCHDOG=1 when period_ms has
 * passed since its last ping (CLOCK_MONOTONIC), else nothing, so it may be
 * called as often as one likes. One thread calls it (the core's tick).
 */
struct service_watchdog {
	int period_ms;
	int64_t last_ping_ms; /* CLOCK_MONOTONIC, of the latest ping */
	uint64_t pings;
};
void service_watchdog_tick(void *watchdog);

#endif /* HALLQ_SERVICE_H */
