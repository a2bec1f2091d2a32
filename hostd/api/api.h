/*
 * api.h — hostd's HTTP API (docs/api.md): JSON under /api/v1, server-sent
 * events, the static pages of web/.
 *
 * Room: hostd/api. libmicrohttpd and cJSON; it reaches the hall through
 * the core only (core_call, core_view, the core's observers), never the
 * store or the engine. Devices' status comes in through struct api_hooks
 * and api_device_changed(), which hostd's main wires to hostd/devices.
 */
#ifndef HALLQ_API_H
#define HALLQ_API_H

#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"
#include "core/core.h"

enum { API_BODY_MAX = 16 * 1024, API_RECENT_CALLS = 10 };

/* A bus device as the API shows it. */
struct api_device {
	char id[ENGINE_ID_SIZE];
	const char *type; /* "kiosk", "window_terminal", "hall_display" */
	bool online;
	uint16_t printer; /* PRINTER bits (kiosks), else 0 */
};

struct api_hooks {
	/* The devices now, up to max into out; returns how many. */
	int (*devices)(void *arg, struct api_device *out, int max);
	void *arg;
};

struct api;

/*
 * Reads the tokens file and registers with the core as an observer, so it
 * must come before core_start(). Returns NULL with one line per problem
 * in err.
 */
struct api *api_new(const struct config *cfg, struct core *core, const struct api_hooks *hooks,
		    char *err, int err_size);
/* Listens on api.bind:api.port. Returns 0, or -1 with a sentence in err. */
int api_start(struct api *a, char *err, int err_size);
/* Ends the event streams and stops serving (waits for the handlers). */
void api_stop(struct api *a);
void api_free(struct api *a); /* stops first; NULL is fine */

/*
 * Reads the tokens file again (SIGHUP). A good file takes the place of the
 * old tokens for every request checked from then on; connections and event
 * streams stay open. A bad one (unreadable, malformed, a wrong mode)
 * changes nothing: returns -1 with one line per problem in err, and the
 * old tokens stay in force. Any thread; 0 on success.
 */
int api_reload_tokens(struct api *a, char *err, int err_size);

/* Before api_start(): one of the day's last calls, oldest last (the
 * journal's, read back on a start), for the state's recent_calls. */
void api_restore_call(struct api *a, int32_t day, const char *ticket, const char *service,
		      int window, int64_t at_s, bool recall);

/* A device went online or offline or its printer changed (any thread). */
void api_device_changed(struct api *a, const struct api_device *d);

/* The id of the newest event ("BOOT-N"), for tests. */
void api_last_event_id(struct api *a, char *out, int size);

#endif /* HALLQ_API_H */
