/*
 * config.h — the hall configuration (hall.json): load, validate, free.
 *
 * Room: hostd/config. Reads one JSON file with cJSON; includes engine types
 * (it fills a struct engine_hall) and nothing else of hostd. docs/config.md
 * describes every field. The caller owns the struct config it gets back and
 * frees it with config_free().
 *
 * Validation never stops at the first problem: every error is reported,
 * one line each, as "FILE:field.path: what was expected, what was found",
 * for example
 *     hall.json:windows[3].services[1]: unknown service "X9", expected ...
 * and a config with any error is refused whole.
 */
#ifndef HALLQ_CONFIG_H
#define HALLQ_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/hall.h"

enum {
	CONFIG_MAX_BUSES = 32,
	CONFIG_MAX_DEVICES = 256,
	CONFIG_PATH_SIZE = 256,
	CONFIG_TEXT_SIZE = 256,
	CONFIG_MODBUS_ADDRESS_MAX = 247, /* Modbus serial slave addresses 1..247 */
	CONFIG_KIOSK_MAX_BUTTONS = 15,
	CONFIG_EVENTS_PER_POLL = 4, /* FIFO entries read per poll, by default */
	CONFIG_MAX_EVENTS_PER_POLL = 16,
	CONFIG_RATING_SECONDS = 30, /* rating keys armed after finish, by default */
	CONFIG_MAX_STAFF = 1024,
	CONFIG_UNATTENDED_GRACE_MIN = 5, /* evaluation.unattended_grace_minutes by default */
	CONFIG_MAX_CLOSED_DAYS = ENGINE_MAX_CLOSED_DAYS,
	/* appointments: defaults of the optional fields (docs/config.md) */
	CONFIG_APPOINTMENT_DAYS_AHEAD = 7,
	CONFIG_APPOINTMENT_CLOSE_BEFORE_MIN = 30,
	CONFIG_APPOINTMENT_GRACE_MIN = 15,
	CONFIG_BOOKINGS_PER_PHONE_PER_DAY = 2,
	CONFIG_BOOKING_REQUESTS_PER_MINUTE = 60,
	CONFIG_NO_SHOW_WITHIN_DAYS = 30,
};

enum config_bus_type { CONFIG_BUS_RTU, CONFIG_BUS_TCP };

struct config_bus {
	char name[ENGINE_ID_SIZE];
	enum config_bus_type type;
	/* RTU: a serial line */
	char device[CONFIG_PATH_SIZE];
	int baud;
	char parity; /* 'N', 'E' or 'O', as libmodbus spells it */
	int data_bits;
	int stop_bits;
	/* TCP: one address for all the devices of the bus (unit id = address) */
	char host[CONFIG_TEXT_SIZE];
	int port;
	bool rs485; /* RTU: switch the adapter to RS-485 mode (ignored where it cannot) */
	int timeout_ms;
	int poll_interval_ms;
	int events_per_poll; /* FIFO entries read per poll */
};

enum config_device_type {
	CONFIG_DEVICE_KIOSK,
	CONFIG_DEVICE_WINDOW_TERMINAL,
	CONFIG_DEVICE_HALL_DISPLAY,
};

struct config_device {
	char id[ENGINE_ID_SIZE];
	enum config_device_type type;
	int bus;     /* index into config.buses */
	int address; /* Modbus slave address / unit id, unique on its bus */
	/* kiosk: the services it has buttons for, indexes into hall.services */
	int services[ENGINE_MAX_SERVICES];
	int n_services;
	int window;         /* window terminal: index into hall.windows; else -1 */
	int rating_seconds; /* window terminal: rating keys armed this long after finish */
};

/* Window staff who log in at a keypad with their id and PIN. */
struct config_staff {
	char id[ENGINE_ID_SIZE]; /* digits, 1..65535 */
	char name[ENGINE_NAME_SIZE];
	char pin[16]; /* 4 digits */
};

struct config_api {
	char bind[CONFIG_TEXT_SIZE]; /* a numeric IPv4 or IPv6 address */
	int port;
	char tokens_file[CONFIG_PATH_SIZE]; /* resolved against the config's folder */
	char web_dir[CONFIG_PATH_SIZE];     /* the pages; default ../web from the config's folder */
};

/* Voice calling (drivers/voice); off unless the config turns it on. */
enum config_voice_output { CONFIG_VOICE_DEVICE = 0, CONFIG_VOICE_WAV = 1 };
struct config_voice {
	bool enabled;
	int output;                     /* enum config_voice_output */
	char wav_dir[CONFIG_PATH_SIZE]; /* for CONFIG_VOICE_WAV, resolved like tokens_file */
	int repeat;                     /* times each call is said, 1..3 */
	int rate;                       /* words a minute, 0: the voice's own */
};

enum config_deduction {
	CONFIG_DEDUCT_LATE_SIGN_IN,
	CONFIG_DEDUCT_UNAUTHORIZED_LEAVE,
	CONFIG_DEDUCT_ABSENCE,
	CONFIG_DEDUCT_DISSATISFIED_RATING,
	CONFIG_DEDUCT_COMPLAINT,
	CONFIG_DEDUCT_OVERTIME_TICKET,
	CONFIG_DEDUCT_COUNT
};

struct config_eval {
	int half_day_min; /* unattended longer than this is absence (旷工) */
	/* unattended up to this long in a day is not classified at all */
	int unattended_grace_min;
	double leader_points_per_shift;
	double leader_max_points_per_month;
	int bulletin_weekday; /* tm_wday of the weekly bulletin: 5 = Friday */
	int complaint_limit_days;
	double score_base;
	double weight_efficiency;
	double weight_satisfaction;
	double weight_attendance; /* the three weights sum to 1 */
	double deductions[CONFIG_DEDUCT_COUNT];
	/* windows not checked for attendance (numbers), and days the hall did
	 * not work (yyyymmdd): neither counts for sign-in or unattended time */
	int exempt_windows[ENGINE_MAX_WINDOWS];
	int n_exempt_windows;
	int32_t closed_days[CONFIG_MAX_CLOSED_DAYS];
	int n_closed_days;
};

/* What the API needs of the appointments section; the booking rules the
 * core keeps are in hall.booking, each service's in its appointment. */
struct config_appointments {
	char booking_url[CONFIG_TEXT_SIZE]; /* a booking's link is this and its code; "" none */
	int requests_per_minute; /* per client address, public booking endpoints; 0: no limit */
};

struct config {
	char path[CONFIG_PATH_SIZE]; /* the file it was read from */
	char *source;                /* its text, NUL-terminated (owned; config_free frees it) */
	size_t source_len;
	struct engine_hall hall;
	char timezone[64];
	char ticket_footer[CONFIG_TEXT_SIZE];
	char ticket_url[CONFIG_TEXT_SIZE];
	struct config_bus buses[CONFIG_MAX_BUSES];
	int n_buses;
	struct config_device devices[CONFIG_MAX_DEVICES];
	int n_devices;
	struct config_staff staff[CONFIG_MAX_STAFF];
	int n_staff;
	struct config_api api;
	struct config_voice voice;
	struct config_eval eval;
	struct config_appointments appointments;
};

/* The errors of one load, one line each ("FILE:path: message\n"). */
struct config_report {
	char *text; /* NUL-terminated, NULL while empty */
	size_t len;
	size_t cap;
	int n_errors;
};

/*
 * Reads and validates the config file at path. Returns the config, or NULL
 * with every problem found added to report (which must start zeroed, and
 * is released with config_report_clear()). Names in messages start with
 * path exactly as given.
 */
struct config *config_load(const char *path, struct config_report *report);

/*
 * Validates JSON text already in memory; label names it in messages and
 * base_dir is the folder relative paths in it (api.tokens_file) start from.
 * Same contract as config_load().
 */
struct config *config_parse(const char *label, const char *text, size_t len, const char *base_dir,
			    struct config_report *report);

/* The config's text with every staff PIN replaced by "0000", for keeping
 * where the PINs must not go (the database); malloc'd, NULL when out of
 * memory. It parses to the same config but for the PINs. */
char *config_public_source(const struct config *cfg);

void config_free(struct config *cfg); /* NULL is fine */
void config_report_clear(struct config_report *report);

/* Index of the service with this id, or -1. */
int config_service_index(const struct config *cfg, const char *id);
/* The staff member with this id, or NULL. */
const struct config_staff *config_staff(const struct config *cfg, const char *id);

#endif /* HALLQ_CONFIG_H */
