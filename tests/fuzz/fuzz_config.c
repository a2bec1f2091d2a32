/*
 * fuzz_config.c — the hall config loader (hostd/config) on any text.
 *
 * Input: the text of a hall.json, given to config_parse() as hostd's
 * config_load() gives it (base folder: the repository's config/, so that
 * the demo's relative paths resolve). Checked beyond "no crash, no leak":
 * a refused config has errors and an error report, one line each; an
 * accepted one holds what docs/config.md promises to the code that indexes
 * with it (hostd/devices, the engine, the firmware's limits): counts
 * within capacity, every cross-reference in range, the ranges the devices
 * rely on; and config_public_source() parses back to the same config but
 * for the PINs.
 */
#include <string.h>

#include "config/config.h"
#include "fuzz.h"

#ifndef HALLQ_SOURCE_DIR
#define HALLQ_SOURCE_DIR "."
#endif

static bool terminated(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

static void check_hall(const struct engine_hall *h)
{
	FUZZ_CHECK(h->n_services >= 1 && h->n_services <= ENGINE_MAX_SERVICES);
	FUZZ_CHECK(h->n_windows >= 1 && h->n_windows <= ENGINE_MAX_WINDOWS);
	FUZZ_CHECK(h->hours.n_sessions >= 1 && h->hours.n_sessions <= ENGINE_MAX_PERIODS);
	for (int k = 0; k < h->hours.n_sessions; k++) {
		const struct engine_period *p = &h->hours.sessions[k];
		FUZZ_CHECK(p->start_min < p->end_min && p->end_min <= 24 * 60);
		FUZZ_CHECK(k == 0 || h->hours.sessions[k - 1].end_min <= p->start_min);
	}
	for (int s = 0; s < h->n_services; s++) {
		const struct engine_service *svc = &h->services[s];
		size_t n = strlen(svc->prefix);
		FUZZ_CHECK(terminated(svc->id, sizeof(svc->id)) && svc->id[0]);
		FUZZ_CHECK(terminated(svc->name, sizeof(svc->name)));
		FUZZ_CHECK(n == 1 || n == 2);
		for (size_t k = 0; k < n; k++)
			FUZZ_CHECK(svc->prefix[k] >= 'A' && svc->prefix[k] <= 'Z');
		FUZZ_CHECK(svc->daily_quota >= 0 && svc->daily_quota <= ENGINE_MAX_QUOTA);
		FUZZ_CHECK(svc->n_hours >= 0 && svc->n_hours <= ENGINE_MAX_PERIODS);
		for (int t = 0; t < s; t++) {
			FUZZ_CHECK(strcmp(h->services[t].id, svc->id) != 0);
			FUZZ_CHECK(strcmp(h->services[t].prefix, svc->prefix) != 0);
		}
	}
	for (int w = 0; w < h->n_windows; w++) {
		const struct engine_window *win = &h->windows[w];
		FUZZ_CHECK(win->number >= 1 && win->number <= 999);
		FUZZ_CHECK(win->n_services >= 1 && win->n_services <= ENGINE_MAX_WINDOW_SERVICES);
		for (int k = 0; k < win->n_services; k++) {
			FUZZ_CHECK(win->services[k].service >= 0 &&
				   win->services[k].service < h->n_services);
			FUZZ_CHECK(win->services[k].level >= 1 &&
				   win->services[k].level <= ENGINE_MAX_LEVEL);
		}
		for (int v = 0; v < w; v++)
			FUZZ_CHECK(h->windows[v].number != win->number);
	}
	FUZZ_CHECK(h->queue.n_pause_reasons >= 1 &&
		   h->queue.n_pause_reasons <= ENGINE_MAX_PAUSE_REASONS);
	FUZZ_CHECK(h->queue.estimate_recent_tickets >= 1);
}

static void check_devices(const struct config *cfg)
{
	FUZZ_CHECK(cfg->n_buses >= 0 && cfg->n_buses <= CONFIG_MAX_BUSES);
	FUZZ_CHECK(cfg->n_devices >= 0 && cfg->n_devices <= CONFIG_MAX_DEVICES);
	for (int b = 0; b < cfg->n_buses; b++) {
		const struct config_bus *bus = &cfg->buses[b];
		FUZZ_CHECK(bus->events_per_poll >= 1 &&
			   bus->events_per_poll <= CONFIG_MAX_EVENTS_PER_POLL);
		FUZZ_CHECK(bus->timeout_ms >= 10 && bus->poll_interval_ms >= 10);
	}
	for (int i = 0; i < cfg->n_devices; i++) {
		const struct config_device *d = &cfg->devices[i];
		FUZZ_CHECK(d->bus >= 0 && d->bus < cfg->n_buses);
		FUZZ_CHECK(d->address >= 1 && d->address <= CONFIG_MODBUS_ADDRESS_MAX);
		for (int j = 0; j < i; j++)
			FUZZ_CHECK(cfg->devices[j].bus != d->bus ||
				   cfg->devices[j].address != d->address);
		switch (d->type) {
		case CONFIG_DEVICE_KIOSK:
			FUZZ_CHECK(d->n_services >= 1 && d->n_services <= CONFIG_KIOSK_MAX_BUTTONS);
			for (int k = 0; k < d->n_services; k++)
				FUZZ_CHECK(d->services[k] >= 0 &&
					   d->services[k] < cfg->hall.n_services);
			break;
		case CONFIG_DEVICE_WINDOW_TERMINAL:
			FUZZ_CHECK(d->window >= 0 && d->window < cfg->hall.n_windows);
			/* the firmware arms the rating keys for 1..600 s */
			FUZZ_CHECK(d->rating_seconds >= 1 && d->rating_seconds <= 600);
			break;
		case CONFIG_DEVICE_HALL_DISPLAY:
			break;
		default:
			FUZZ_CHECK(!"a device of no known type");
		}
	}
}

static void check_staff(const struct config *cfg)
{
	FUZZ_CHECK(cfg->n_staff >= 0 && cfg->n_staff <= CONFIG_MAX_STAFF);
	for (int i = 0; i < cfg->n_staff; i++) {
		const struct config_staff *st = &cfg->staff[i];
		/* a keypad logs in with id << 16 | PIN: 1..65535 and 4 digits */
		size_t n = strlen(st->id);
		FUZZ_CHECK(n >= 1 && n <= 5 && st->id[0] != '0');
		for (size_t k = 0; k < n; k++)
			FUZZ_CHECK(st->id[k] >= '0' && st->id[k] <= '9');
		FUZZ_CHECK(atol(st->id) <= 65535);
		FUZZ_CHECK(strlen(st->pin) == 4);
		for (int k = 0; k < 4; k++)
			FUZZ_CHECK(st->pin[k] >= '0' && st->pin[k] <= '9');
		FUZZ_CHECK(config_staff(cfg, st->id) == st);
	}
}

/* The public source parses to the same config, PINs "0000". */
static void check_public_source(const struct config *cfg, const char *base)
{
	char *text = config_public_source(cfg);
	struct config_report report = {0};

	FUZZ_CHECK(text != NULL);
	struct config *again = config_parse("public", text, strlen(text), base, &report);
	if (!again)
		fprintf(stderr, "%s", report.text ? report.text : "");
	FUZZ_CHECK(again != NULL);
	FUZZ_CHECK(memcmp(&again->hall, &cfg->hall, sizeof(cfg->hall)) == 0);
	FUZZ_CHECK(again->n_buses == cfg->n_buses && again->n_devices == cfg->n_devices);
	FUZZ_CHECK(memcmp(again->buses, cfg->buses, sizeof(cfg->buses)) == 0);
	FUZZ_CHECK(memcmp(again->devices, cfg->devices, sizeof(cfg->devices)) == 0);
	FUZZ_CHECK(memcmp(&again->api, &cfg->api, sizeof(cfg->api)) == 0);
	FUZZ_CHECK(memcmp(&again->eval, &cfg->eval, sizeof(cfg->eval)) == 0);
	FUZZ_CHECK(again->n_staff == cfg->n_staff);
	for (int i = 0; i < cfg->n_staff; i++) {
		FUZZ_CHECK(strcmp(again->staff[i].id, cfg->staff[i].id) == 0);
		FUZZ_CHECK(strcmp(again->staff[i].pin, "0000") == 0);
	}
	config_free(again);
	config_report_clear(&report);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *base = HALLQ_SOURCE_DIR "/config";
	struct config_report report = {0};
	struct config *cfg = config_parse("hall.json", (const char *)data, size, base, &report);

	if (!cfg) {
		FUZZ_CHECK(report.n_errors > 0 && report.text != NULL);
		FUZZ_CHECK(report.len == strlen(report.text) &&
			   report.text[report.len - 1] == '\n');
		for (const char *line = report.text; *line; line = strchr(line, '\n') + 1)
			FUZZ_CHECK(strncmp(line, "hall.json", 9) == 0);
	} else {
		FUZZ_CHECK(report.n_errors == 0);
		FUZZ_CHECK(cfg->source_len == size && memcmp(cfg->source, data, size) == 0);
		check_hall(&cfg->hall);
		check_devices(cfg);
		check_staff(cfg);
		check_public_source(cfg, base);
	}
	config_free(cfg);
	config_report_clear(&report);
	return 0;
}
