/*
 * config.c — hall.json: read it with cJSON, check every field, fill
 * struct config.
 *
 * Room: hostd/config. Uses cJSON and libc; touches the file system only to
 * read the config and to check that the time zone exists. Each section has
 * its parse_*() function; the small get_*() helpers check one field each and
 * report with its full path, so that the checks read as a table of fields.
 * Cross-references (windows -> services, devices -> buses, windows,
 * services) are resolved after the sections they point to.
 */
#include "config/config.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum {
	PATH_SIZE = 160,                 /* a field path such as windows[12].services[3] */
	FILE_SIZE_MAX = 4 * 1024 * 1024, /* a hall config is a few KiB */
};

struct ctx {
	const char *label; /* file name as given, starts every message */
	struct config_report *report;
	bool sessions_ok; /* hours.sessions valid: service hours can be checked */
};

static const char *const day_names[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat", NULL};

/* ---- the report ---- */

/* The bytes a control character of a message is shown as ("\n", "\x01"):
 * a key or a value of the file may hold any, and each error must stay one
 * line. Returns how many (1 for any other byte). */
static size_t escape_byte(unsigned char b, char *out)
{
	static const char named[] = {['\n'] = 'n', ['\r'] = 'r', ['\t'] = 't'};

	if (b >= 0x20 && b != 0x7f) {
		out[0] = (char)b;
		return 1;
	}
	if (b < sizeof(named) && named[b]) {
		out[0] = '\\';
		out[1] = named[b];
		return 2;
	}
	out[0] = '\\';
	out[1] = 'x';
	out[2] = "0123456789abcdef"[b >> 4];
	out[3] = "0123456789abcdef"[b & 15];
	return 4;
}

/* Appends line and a newline; control characters in it are escaped. */
static void report_append(struct config_report *r, const char *line)
{
	size_t n = 0;
	char esc[4];

	for (const char *p = line; *p; p++)
		n += escape_byte((unsigned char)*p, esc);
	if (r->len + n + 2 > r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 1024;
		while (cap < r->len + n + 2)
			cap *= 2;
		char *text = realloc(r->text, cap);
		if (!text)
			return; /* out of memory: the count below still says it failed */
		r->text = text;
		r->cap = cap;
	}
	for (const char *p = line; *p; p++)
		r->len += escape_byte((unsigned char)*p, r->text + r->len);
	r->text[r->len++] = '\n';
	r->text[r->len] = '\0';
}

static void error_at(struct ctx *c, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Adds "LABEL:PATH: message" (or "LABEL: message" when path is empty). */
static void error_at(struct ctx *c, const char *path, const char *fmt, ...)
{
	char msg[512], line[PATH_SIZE + 768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (*path)
		snprintf(line, sizeof(line), "%s:%s: %s", c->label, path, msg);
	else
		snprintf(line, sizeof(line), "%s: %s", c->label, msg);
	report_append(c->report, line);
	c->report->n_errors++;
}

void config_report_clear(struct config_report *report)
{
	free(report->text);
	memset(report, 0, sizeof(*report));
}

/* ---- paths and descriptions ---- */

/* A path too long for PATH_SIZE ends in "..." rather than misleading. */
static void mark_truncated(char *out, int n)
{
	if (n >= PATH_SIZE)
		memcpy(out + PATH_SIZE - 4, "...", 4);
}

static void path_key(char *out, const char *parent, const char *key)
{
	mark_truncated(out, snprintf(out, PATH_SIZE, "%s%s%s", parent, *parent ? "." : "", key));
}

static void path_index(char *out, const char *parent, int i)
{
	mark_truncated(out, snprintf(out, PATH_SIZE, "%s[%d]", parent, i));
}

/* What the config holds at a place, for "found ..." (NULL: missing). */
static const char *describe(const cJSON *v, char *buf, size_t size)
{
	if (!v)
		snprintf(buf, size, "nothing (the field is missing)");
	else if (cJSON_IsString(v)) {
		size_t n = strlen(v->valuestring);
		snprintf(buf, size, "\"%.40s%s\"", v->valuestring, n > 40 ? "..." : "");
	} else if (cJSON_IsNumber(v))
		snprintf(buf, size, "%.10g", v->valuedouble);
	else if (cJSON_IsBool(v))
		snprintf(buf, size, "%s", cJSON_IsTrue(v) ? "true" : "false");
	else if (cJSON_IsNull(v))
		snprintf(buf, size, "null");
	else if (cJSON_IsArray(v))
		snprintf(buf, size, "an array");
	else
		snprintf(buf, size, "an object");
	return buf;
}

static void expected(struct ctx *c, const char *path, const char *what, const cJSON *found)
{
	char buf[128];

	error_at(c, path, "expected %s, found %s", what, describe(found, buf, sizeof(buf)));
}

/* ---- objects: known fields only, each once ---- */

static bool is_allowed(const char *key, const char *const allowed[])
{
	for (int i = 0; allowed[i]; i++)
		if (strcmp(key, allowed[i]) == 0)
			return true;
	return false;
}

static void join_names(char *out, size_t size, const char *const names[])
{
	size_t len = 0;

	out[0] = '\0';
	for (int i = 0; names[i] && len < size; i++)
		len += (size_t)snprintf(out + len, size - len, "%s%s", i ? ", " : "", names[i]);
}

/*
 * Checks that v is an object of known, unrepeated fields. Returns false,
 * after reporting, only when v is not an object at all.
 */
static bool check_object(struct ctx *c, const cJSON *v, const char *path,
			 const char *const allowed[])
{
	char sub[PATH_SIZE], names[512];

	if (!cJSON_IsObject(v)) {
		expected(c, path, "an object", v);
		return false;
	}
	for (const cJSON *f = v->child; f; f = f->next) {
		path_key(sub, path, f->string);
		if (!is_allowed(f->string, allowed)) {
			join_names(names, sizeof(names), allowed);
			error_at(c, sub, "unknown field, expected one of: %s", names);
			continue;
		}
		for (const cJSON *g = v->child; g != f; g = g->next)
			if (strcmp(g->string, f->string) == 0) {
				error_at(c, sub, "duplicate field, expected each field once");
				break;
			}
	}
	return true;
}

static const cJSON *field(const cJSON *obj, const char *key)
{
	return cJSON_IsObject(obj) ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
}

/* ---- one field each: return false after reporting a problem ---- */

static bool is_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		int extra;
		unsigned cp;
		if (*p < 0x80) {
			p++;
			continue;
		} else if ((*p & 0xE0) == 0xC0) {
			extra = 1, cp = *p & 0x1F;
		} else if ((*p & 0xF0) == 0xE0) {
			extra = 2, cp = *p & 0x0F;
		} else if ((*p & 0xF8) == 0xF0) {
			extra = 3, cp = *p & 0x07;
		} else {
			return false;
		}
		p++;
		for (int i = 0; i < extra; i++, p++) {
			if ((*p & 0xC0) != 0x80)
				return false;
			cp = (cp << 6) | (*p & 0x3F);
		}
		static const unsigned min_cp[] = {0, 0x80, 0x800, 0x10000};
		if (cp < min_cp[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return false;
	}
	return true;
}

static bool has_control_chars(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7F)
			return true;
	return false;
}

/* A string that fits out[size], valid UTF-8, no control characters. */
static bool get_string(struct ctx *c, const cJSON *obj, const char *parent, const char *key,
		       bool required, char *out, size_t size)
{
	char path[PATH_SIZE], what[96];
	const cJSON *v = field(obj, key);

	path_key(path, parent, key);
	if (!v && !required)
		return true;
	snprintf(what, sizeof(what), "a non-empty text of at most %zu bytes", size - 1);
	if (!cJSON_IsString(v) || !*v->valuestring) {
		expected(c, path, what, v);
		return false;
	}
	if (strlen(v->valuestring) >= size) {
		error_at(c, path, "expected %s, found %zu bytes", what, strlen(v->valuestring));
		return false;
	}
	if (!is_utf8(v->valuestring) || has_control_chars(v->valuestring)) {
		error_at(c, path,
			 "expected UTF-8 text without control characters, found other bytes");
		return false;
	}
	snprintf(out, size, "%s", v->valuestring);
	return true;
}

static bool is_integral(double d)
{
	return d >= -1e15 && d <= 1e15 && (double)(long long)d == d;
}

static bool check_int(struct ctx *c, const cJSON *v, const char *path, int min, int max, int *out)
{
	char what[96];

	snprintf(what, sizeof(what), "a whole number from %d to %d", min, max);
	if (!cJSON_IsNumber(v) || !is_integral(v->valuedouble) || v->valuedouble < min ||
	    v->valuedouble > max) {
		expected(c, path, what, v);
		return false;
	}
	*out = (int)v->valuedouble;
	return true;
}

static bool get_int(struct ctx *c, const cJSON *obj, const char *parent, const char *key,
		    bool required, int min, int max, int *out)
{
	char path[PATH_SIZE];
	const cJSON *v = field(obj, key);

	path_key(path, parent, key);
	if (!v && !required)
		return true;
	return check_int(c, v, path, min, max, out);
}

/* true or false; a missing optional field leaves *out as it is. */
static bool get_bool(struct ctx *c, const cJSON *obj, const char *parent, const char *key,
		     bool required, bool *out)
{
	char path[PATH_SIZE];
	const cJSON *v = field(obj, key);

	path_key(path, parent, key);
	if (!v && !required)
		return true;
	if (!cJSON_IsBool(v)) {
		expected(c, path, "true or false", v);
		return false;
	}
	*out = cJSON_IsTrue(v);
	return true;
}

static bool get_double(struct ctx *c, const cJSON *obj, const char *parent, const char *key,
		       double min, double max, double *out)
{
	char path[PATH_SIZE], what[96];
	const cJSON *v = field(obj, key);

	path_key(path, parent, key);
	snprintf(what, sizeof(what), "a number from %g to %g", min, max);
	if (!cJSON_IsNumber(v) || !(v->valuedouble >= min && v->valuedouble <= max)) {
		expected(c, path, what, v);
		return false;
	}
	*out = v->valuedouble;
	return true;
}

/* One of names[] (NULL-terminated); *out is its index. */
static bool check_enum(struct ctx *c, const cJSON *v, const char *path, const char *const names[],
		       int *out)
{
	char what[256], list[200];

	if (cJSON_IsString(v))
		for (int i = 0; names[i]; i++)
			if (strcmp(v->valuestring, names[i]) == 0) {
				*out = i;
				return true;
			}
	join_names(list, sizeof(list), names);
	snprintf(what, sizeof(what), "one of %s", list);
	expected(c, path, what, v);
	return false;
}

static bool get_enum(struct ctx *c, const cJSON *obj, const char *parent, const char *key,
		     const char *const names[], int *out)
{
	char path[PATH_SIZE];

	path_key(path, parent, key);
	return check_enum(c, field(obj, key), path, names, out);
}

/* "HH:MM", 00:00 to 23:59, as minutes since midnight. */
static bool check_time(struct ctx *c, const cJSON *v, const char *path, int *out_min)
{
	const char *s = cJSON_IsString(v) ? v->valuestring : "";
	bool digits = strlen(s) == 5 && s[2] == ':';

	for (int i = 0; digits && i < 5; i++)
		if (i != 2 && (s[i] < '0' || s[i] > '9'))
			digits = false;
	if (digits) {
		int h = (s[0] - '0') * 10 + (s[1] - '0');
		int m = (s[3] - '0') * 10 + (s[4] - '0');
		if (h < 24 && m < 60) {
			*out_min = h * 60 + m;
			return true;
		}
	}
	expected(c, path, "a time \"HH:MM\" from 00:00 to 23:59", v);
	return false;
}

static const char *format_time(int min, char buf[8])
{
	snprintf(buf, 8, "%02d:%02d", (min / 60) % 100, min % 60);
	return buf;
}

/* {"start": "HH:MM", "end": "HH:MM"} with end after start. */
static bool check_period(struct ctx *c, const cJSON *v, const char *path, struct engine_period *out)
{
	static const char *const fields[] = {"start", "end", NULL};
	char sub[PATH_SIZE], t[8];
	int start = 0, end = 0;

	if (!check_object(c, v, path, fields))
		return false;
	path_key(sub, path, "start");
	bool ok = check_time(c, field(v, "start"), sub, &start);
	path_key(sub, path, "end");
	ok = check_time(c, field(v, "end"), sub, &end) && ok;
	if (!ok)
		return false;
	if (end <= start) {
		error_at(c, sub, "expected a time after the start %s, found \"%s\"",
			 format_time(start, t), field(v, "end")->valuestring);
		return false;
	}
	out->start_min = (uint16_t)start;
	out->end_min = (uint16_t)end;
	return true;
}

/* 1..max periods in time order, none overlapping the one before. */
static bool check_periods(struct ctx *c, const cJSON *v, const char *path,
			  struct engine_period out[], int max, int *n_out)
{
	char sub[PATH_SIZE], what[96], t[8];
	bool ok = true;
	int n = 0, i = 0;
	const cJSON *e;

	snprintf(what, sizeof(what), "an array of 1 to %d periods", max);
	if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) < 1 || cJSON_GetArraySize(v) > max) {
		expected(c, path, what, v);
		return false;
	}
	cJSON_ArrayForEach(e, v)
	{
		struct engine_period p;
		path_index(sub, path, i++);
		if (!check_period(c, e, sub, &p)) {
			ok = false;
			continue;
		}
		if (n > 0 && p.start_min < out[n - 1].end_min) {
			char at[PATH_SIZE];
			path_key(at, sub, "start");
			error_at(c, at,
				 "expected a start at or after %s, the end of the period before, "
				 "found \"%s\"",
				 format_time(out[n - 1].end_min, t),
				 field(e, "start")->valuestring);
			ok = false;
			continue;
		}
		out[n++] = p;
	}
	*n_out = n;
	return ok;
}

/* ---- sections ---- */

static bool timezone_exists(const char *name)
{
	char file[160];
	struct stat st;

	if (!*name || name[0] == '/' || strstr(name, "..") || strlen(name) > 100)
		return false;
	for (const char *p = name; *p; p++)
		if (!(*p == '/' || *p == '_' || *p == '-' || *p == '+' ||
		      (*p >= '0' && *p <= '9') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= 'a' && *p <= 'z')))
			return false;
	snprintf(file, sizeof(file), "/usr/share/zoneinfo/%s", name);
	return stat(file, &st) == 0 && S_ISREG(st.st_mode);
}

static void parse_hall(struct ctx *c, const cJSON *v, struct config *cfg)
{
	static const char *const fields[] = {"name", "timezone", "ticket_footer", "ticket_url",
					     NULL};
	const char *p = "hall";

	if (!check_object(c, v, p, fields))
		return;
	get_string(c, v, p, "name", true, cfg->hall.name, sizeof(cfg->hall.name));
	if (get_string(c, v, p, "timezone", true, cfg->timezone, sizeof(cfg->timezone)) &&
	    !timezone_exists(cfg->timezone))
		error_at(c, "hall.timezone",
			 "expected a time zone of the tz database such as \"Asia/Shanghai\", "
			 "found \"%s\" (not in /usr/share/zoneinfo)",
			 cfg->timezone);
	get_string(c, v, p, "ticket_footer", false, cfg->ticket_footer, sizeof(cfg->ticket_footer));
	if (get_string(c, v, p, "ticket_url", false, cfg->ticket_url, sizeof(cfg->ticket_url)) &&
	    *cfg->ticket_url && strncmp(cfg->ticket_url, "http://", 7) != 0 &&
	    strncmp(cfg->ticket_url, "https://", 8) != 0)
		error_at(c, "hall.ticket_url",
			 "expected an http:// or https:// address, found \"%s\"", cfg->ticket_url);
}

static void parse_hours(struct ctx *c, const cJSON *v, struct config *cfg)
{
	static const char *const fields[] = {"workdays", "sign_in", "sessions", NULL};
	struct engine_hours *h = &cfg->hall.hours;
	char path[PATH_SIZE];
	const cJSON *days = field(v, "workdays"), *e;
	int i = 0;

	if (!check_object(c, v, "hours", fields))
		return;
	if (!cJSON_IsArray(days) || cJSON_GetArraySize(days) < 1) {
		expected(c, "hours.workdays", "a non-empty array of day names (\"mon\" ...)", days);
	} else {
		cJSON_ArrayForEach(e, days)
		{
			int day;
			path_index(path, "hours.workdays", i++);
			if (!check_enum(c, e, path, day_names, &day))
				continue;
			if (h->workdays & (1u << day))
				error_at(c, path, "expected each day once, found \"%s\" again",
					 day_names[day]);
			h->workdays |= (uint8_t)(1u << day);
		}
	}
	bool sign_in_ok = check_period(c, field(v, "sign_in"), "hours.sign_in", &h->sign_in);
	c->sessions_ok = check_periods(c, field(v, "sessions"), "hours.sessions", h->sessions,
				       ENGINE_MAX_PERIODS, &h->n_sessions);
	if (sign_in_ok && c->sessions_ok && h->sign_in.start_min >= h->sessions[0].start_min) {
		char t[8];
		error_at(c, "hours.sign_in.start",
			 "expected a time before the first session starts at %s, found \"%s\"",
			 format_time(h->sessions[0].start_min, t),
			 field(field(v, "sign_in"), "start")->valuestring);
	}
}

static bool within_sessions(const struct engine_hours *h, struct engine_period p)
{
	for (int i = 0; i < h->n_sessions; i++)
		if (p.start_min >= h->sessions[i].start_min && p.end_min <= h->sessions[i].end_min)
			return true;
	return false;
}

static bool is_service_id(const char *s)
{
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' ||
		      *p == '-'))
			return false;
	return *s != '\0';
}

/* One or two capital letters: a ticket is the prefix and three digits. */
static bool is_prefix(const cJSON *v)
{
	size_t n = cJSON_IsString(v) ? strlen(v->valuestring) : 0;

	for (size_t i = 0; i < n; i++)
		if (v->valuestring[i] < 'A' || v->valuestring[i] > 'Z')
			return false;
	return n == 1 || n == 2;
}

/* Slots a day of service s: each of its periods (its hours, else the
 * hall's sessions) cut into slot_min pieces from the period's start, a
 * piece that would run past the end dropped. hostd/core/booking.c cuts
 * the same grid. */
static int slots_a_day(const struct engine_hall *h, const struct engine_service *s, int slot_min)
{
	const struct engine_period *p = s->n_hours ? s->hours : h->hours.sessions;
	int n = s->n_hours ? s->n_hours : h->hours.n_sessions, slots = 0;

	for (int k = 0; k < n && slot_min > 0; k++)
		slots += (p[k].end_min - p[k].start_min) / slot_min;
	return slots;
}

/*
 * services[i].appointment: optional; absent means walk-ins only. The
 * checks across fields need the service's hours (hours_known) and quota.
 */
static void parse_appointment(struct ctx *c, const cJSON *v, const char *p, struct config *cfg,
			      struct engine_service *s, bool hours_known)
{
	static const char *const fields[] = {
	    "mode",       "slot_minutes",         "places_per_slot", "walk_in_percent",
	    "days_ahead", "close_minutes_before", "grace_minutes",   "late",
	    NULL};
	static const char *const modes[] = {"none", "optional", "required", NULL};
	static const char *const lates[] = {"normal", "refuse", NULL};
	struct engine_appointment *a = &s->appointment;
	char path[PATH_SIZE], at[PATH_SIZE];

	a->days_ahead = CONFIG_APPOINTMENT_DAYS_AHEAD;
	a->close_before_min = CONFIG_APPOINTMENT_CLOSE_BEFORE_MIN;
	a->grace_min = CONFIG_APPOINTMENT_GRACE_MIN;
	if (!v)
		return;
	path_key(path, p, "appointment");
	if (!check_object(c, v, path, fields))
		return;
	bool ok = get_enum(c, v, path, "mode", modes, &a->mode);
	ok = get_int(c, v, path, "slot_minutes", true, 5, 240, &a->slot_min) && ok;
	ok = get_int(c, v, path, "places_per_slot", true, 1, ENGINE_MAX_QUOTA,
		     &a->places_per_slot) &&
	     ok;
	ok = get_int(c, v, path, "walk_in_percent", false, 0, 99, &a->walk_in_percent) && ok;
	get_int(c, v, path, "days_ahead", false, 0, 90, &a->days_ahead);
	get_int(c, v, path, "close_minutes_before", false, 0, 1440, &a->close_before_min);
	get_int(c, v, path, "grace_minutes", false, 0, 120, &a->grace_min);
	if (field(v, "late"))
		get_enum(c, v, path, "late", lates, &a->late);
	if (!ok || a->mode == ENGINE_APPOINTMENT_NONE)
		return;
	int bookable = a->places_per_slot * (100 - a->walk_in_percent) / 100;
	path_key(at, path, "walk_in_percent");
	if (a->mode == ENGINE_APPOINTMENT_REQUIRED && a->walk_in_percent > 0) {
		error_at(c, at,
			 "expected 0 for a service that requires appointments (mode \"required\" "
			 "takes no walk-ins), found %d",
			 a->walk_in_percent);
		return;
	}
	if (bookable < 1) {
		error_at(c, at,
			 "expected a share that leaves at least one of the %d places of a slot to "
			 "book, found %d%%",
			 a->places_per_slot, a->walk_in_percent);
		return;
	}
	if (!hours_known)
		return;
	int slots = slots_a_day(&cfg->hall, s, a->slot_min);
	if (slots == 0) {
		path_key(at, path, "slot_minutes");
		error_at(c, at,
			 "expected a slot length that fits in the service's hours at least once, "
			 "found %d minutes",
			 a->slot_min);
		return;
	}
	int most = s->daily_quota > 0 ? s->daily_quota : ENGINE_MAX_QUOTA;
	if (slots * bookable > most) {
		path_key(at, path, "places_per_slot");
		error_at(c, at,
			 "expected at most %d places to book a day (%s), found %d slots x %d "
			 "places to book = %d",
			 most,
			 s->daily_quota > 0 ? "the service's daily_quota"
					    : "the most a day numbers",
			 slots, bookable, slots * bookable);
	}
}

static void parse_service(struct ctx *c, const cJSON *v, const char *p, struct config *cfg,
			  int index)
{
	static const char *const fields[] = {"id",
					     "name",
					     "prefix",
					     "standard_minutes",
					     "wait_target_minutes",
					     "daily_quota",
					     "hours",
					     "appointment",
					     NULL};
	struct engine_service *s = &cfg->hall.services[index];
	char path[PATH_SIZE], t1[8], t2[8];

	if (!check_object(c, v, p, fields))
		return;
	path_key(path, p, "id");
	if (get_string(c, v, p, "id", true, s->id, sizeof(s->id)) && !is_service_id(s->id)) {
		error_at(c, path, "expected lower-case letters, digits, '-' or '_', found \"%s\"",
			 s->id);
		s->id[0] = '\0';
	}
	for (int j = 0; j < index && s->id[0]; j++)
		if (strcmp(cfg->hall.services[j].id, s->id) == 0)
			error_at(c, path,
				 "duplicate service id \"%s\", already used by services[%d]", s->id,
				 j);
	get_string(c, v, p, "name", true, s->name, sizeof(s->name));

	const cJSON *prefix = field(v, "prefix");
	path_key(path, p, "prefix");
	if (is_prefix(prefix)) {
		memcpy(s->prefix, prefix->valuestring, strlen(prefix->valuestring) + 1);
		for (int j = 0; j < index; j++)
			if (strcmp(cfg->hall.services[j].prefix, s->prefix) == 0)
				error_at(
				    c, path,
				    "duplicate ticket prefix \"%s\", already used by services[%d]",
				    s->prefix, j);
	} else {
		expected(c, path, "one or two capital letters A-Z", prefix);
	}
	get_int(c, v, p, "standard_minutes", true, 1, 480, &s->standard_min);
	get_int(c, v, p, "wait_target_minutes", true, 1, 480, &s->wait_target_min);
	get_int(c, v, p, "daily_quota", false, 1, ENGINE_MAX_QUOTA, &s->daily_quota);

	const cJSON *hours = field(v, "hours");
	bool hours_ok = true;
	if (hours) {
		path_key(path, p, "hours");
		hours_ok = check_periods(c, hours, path, s->hours, ENGINE_MAX_PERIODS, &s->n_hours);
		for (int j = 0; hours_ok && j < s->n_hours; j++) {
			char at[PATH_SIZE];
			if (!c->sessions_ok || within_sessions(&cfg->hall.hours, s->hours[j]))
				continue;
			path_index(at, path, j);
			error_at(c, at,
				 "expected a period inside one of hours.sessions, found %s-%s",
				 format_time(s->hours[j].start_min, t1),
				 format_time(s->hours[j].end_min, t2));
		}
	}
	parse_appointment(c, field(v, "appointment"), p, cfg, s,
			  hours_ok && (s->n_hours > 0 || c->sessions_ok));
}

static void parse_services(struct ctx *c, const cJSON *v, struct config *cfg)
{
	char path[PATH_SIZE], what[64];
	const cJSON *e;
	int i = 0;

	snprintf(what, sizeof(what), "an array of 1 to %d services", ENGINE_MAX_SERVICES);
	if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) < 1 ||
	    cJSON_GetArraySize(v) > ENGINE_MAX_SERVICES) {
		expected(c, "services", what, v);
		return;
	}
	cJSON_ArrayForEach(e, v)
	{
		path_index(path, "services", i);
		parse_service(c, e, path, cfg, i);
		i++;
	}
	cfg->hall.n_services = i;
}

int config_service_index(const struct config *cfg, const char *id)
{
	for (int i = 0; i < cfg->hall.n_services; i++)
		if (id[0] && strcmp(cfg->hall.services[i].id, id) == 0)
			return i;
	return -1;
}

static int window_index(const struct config *cfg, int number)
{
	for (int i = 0; i < cfg->hall.n_windows; i++)
		if (cfg->hall.windows[i].number == number)
			return i;
	return -1;
}

/* A string naming a service; returns its index or -1 after reporting. */
static int check_service_ref(struct ctx *c, const cJSON *v, const char *path,
			     const struct config *cfg)
{
	if (!cJSON_IsString(v)) {
		expected(c, path, "a service id", v);
		return -1;
	}
	int s = config_service_index(cfg, v->valuestring);
	if (s < 0)
		error_at(c, path, "unknown service \"%.40s\", expected the id of one of services[]",
			 v->valuestring);
	return s;
}

static void parse_window_services(struct ctx *c, const cJSON *v, const char *p, struct config *cfg,
				  struct engine_window *w)
{
	static const char *const fields[] = {"service", "level", NULL};
	char path[PATH_SIZE], sub[PATH_SIZE], what[64];
	const cJSON *e;
	int i = 0;

	snprintf(what, sizeof(what), "an array of 1 to %d {service, level}",
		 ENGINE_MAX_WINDOW_SERVICES);
	if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) < 1 ||
	    cJSON_GetArraySize(v) > ENGINE_MAX_WINDOW_SERVICES) {
		expected(c, p, what, v);
		return;
	}
	cJSON_ArrayForEach(e, v)
	{
		struct engine_window_service ws = {.service = -1, .level = 1};
		path_index(path, p, i++);
		if (!check_object(c, e, path, fields))
			continue;
		const cJSON *ref = field(e, "service");
		if (!ref) {
			path_key(sub, path, "service");
			expected(c, sub, "a service id", ref);
			continue;
		}
		/* An unknown id is reported at the entry (windows[3].services[1]): the
		 * entry is what an operator counts to; a wrong type at the field. */
		if (!cJSON_IsString(ref))
			path_key(sub, path, "service");
		ws.service = check_service_ref(c, ref, cJSON_IsString(ref) ? path : sub, cfg);
		bool level_ok = get_int(c, e, path, "level", true, 1, ENGINE_MAX_LEVEL, &ws.level);
		if (ws.service < 0 || !level_ok)
			continue;
		for (int j = 0; j < w->n_services; j++)
			if (w->services[j].service == ws.service)
				error_at(c, path,
					 "duplicate service \"%s\", expected each service once per "
					 "window",
					 cfg->hall.services[ws.service].id);
		w->services[w->n_services++] = ws;
	}
}

static void parse_windows(struct ctx *c, const cJSON *v, struct config *cfg)
{
	static const char *const fields[] = {"number", "name", "services", NULL};
	char path[PATH_SIZE], sub[PATH_SIZE], what[64];
	const cJSON *e;
	int i = 0;

	snprintf(what, sizeof(what), "an array of 1 to %d windows", ENGINE_MAX_WINDOWS);
	if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) < 1 ||
	    cJSON_GetArraySize(v) > ENGINE_MAX_WINDOWS) {
		expected(c, "windows", what, v);
		return;
	}
	cJSON_ArrayForEach(e, v)
	{
		struct engine_window *w = &cfg->hall.windows[i];
		path_index(path, "windows", i);
		i++;
		if (!check_object(c, e, path, fields))
			continue;
		if (get_int(c, e, path, "number", true, 1, 999, &w->number)) {
			path_key(sub, path, "number");
			for (int j = 0; j < i - 1; j++)
				if (cfg->hall.windows[j].number == w->number)
					error_at(c, sub,
						 "duplicate window number %d, already used by "
						 "windows[%d]",
						 w->number, j);
		}
		get_string(c, e, path, "name", true, w->name, sizeof(w->name));
		path_key(sub, path, "services");
		parse_window_services(c, field(e, "services"), sub, cfg, w);
	}
	cfg->hall.n_windows = i;
}

static void parse_queue(struct ctx *c, const cJSON *v, struct config *cfg)
{
	static const char *const fields[] = {
	    "no_show_requeue_max",     "no_show_requeue_places", "appointment_due_before_minutes",
	    "estimate_recent_tickets", "pause_reasons",          NULL};
	struct engine_queue_rules *q = &cfg->hall.queue;
	const char *p = "queue";
	char path[PATH_SIZE], what[64];

	if (!check_object(c, v, p, fields))
		return;
	get_int(c, v, p, "no_show_requeue_max", true, 0, 9, &q->no_show_requeue_max);
	get_int(c, v, p, "no_show_requeue_places", true, 0, 100, &q->no_show_requeue_places);
	get_int(c, v, p, "appointment_due_before_minutes", true, 0, 120,
		&q->appointment_due_before_min);
	get_int(c, v, p, "estimate_recent_tickets", true, 1, 1000, &q->estimate_recent_tickets);

	const cJSON *reasons = field(v, "pause_reasons"), *e;
	snprintf(what, sizeof(what), "an array of 1 to %d reasons", ENGINE_MAX_PAUSE_REASONS);
	if (!cJSON_IsArray(reasons) || cJSON_GetArraySize(reasons) < 1 ||
	    cJSON_GetArraySize(reasons) > ENGINE_MAX_PAUSE_REASONS) {
		expected(c, "queue.pause_reasons", what, reasons);
		return;
	}
	int i = 0;
	cJSON_ArrayForEach(e, reasons)
	{
		char(*r)[ENGINE_NAME_SIZE] = &q->pause_reasons[q->n_pause_reasons];
		path_index(path, "queue.pause_reasons", i++);
		if (!cJSON_IsString(e) || !*e->valuestring ||
		    strlen(e->valuestring) >= ENGINE_NAME_SIZE || !is_utf8(e->valuestring) ||
		    has_control_chars(e->valuestring)) {
			expected(c, path, "a non-empty UTF-8 text of at most 95 bytes", e);
			continue;
		}
		bool dup = false;
		for (int j = 0; j < q->n_pause_reasons; j++)
			dup = dup || strcmp(q->pause_reasons[j], e->valuestring) == 0;
		if (dup) {
			error_at(c, path, "duplicate reason \"%s\", expected each reason once",
				 e->valuestring);
			continue;
		}
		snprintf(*r, sizeof(*r), "%s", e->valuestring);
		q->n_pause_reasons++;
	}
}

static bool is_valid_baud(int baud)
{
	static const int rates[] = {1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200};

	for (size_t i = 0; i < sizeof(rates) / sizeof(rates[0]); i++)
		if (rates[i] == baud)
			return true;
	return false;
}

static void parse_bus(struct ctx *c, const cJSON *v, const char *p, struct config *cfg, int index)
{
	static const char *const rtu_fields[] = {
	    "name",      "type",       "device",           "baud",  "parity",          "data_bits",
	    "stop_bits", "timeout_ms", "poll_interval_ms", "rs485", "events_per_poll", NULL};
	static const char *const tcp_fields[] = {
	    "name", "type", "host", "port", "timeout_ms", "poll_interval_ms", "events_per_poll",
	    NULL};
	static const char *const types[] = {"rtu", "tcp", NULL};
	static const char *const parities[] = {"none", "even", "odd", NULL};
	struct config_bus *b = &cfg->buses[index];
	char path[PATH_SIZE];
	int type = -1;

	if (!cJSON_IsObject(v)) {
		expected(c, p, "an object", v);
		return;
	}
	/* The name first: devices can name a bus whose other fields are wrong. */
	path_key(path, p, "name");
	if (get_string(c, v, p, "name", true, b->name, sizeof(b->name)))
		for (int j = 0; j < index; j++)
			if (strcmp(cfg->buses[j].name, b->name) == 0)
				error_at(c, path,
					 "duplicate bus name \"%s\", already used by buses[%d]",
					 b->name, j);
	if (!get_enum(c, v, p, "type", types, &type))
		return;
	b->type = (enum config_bus_type)type;
	check_object(c, v, p, type == CONFIG_BUS_RTU ? rtu_fields : tcp_fields);
	get_int(c, v, p, "timeout_ms", true, 10, 10000, &b->timeout_ms);
	get_int(c, v, p, "poll_interval_ms", true, 10, 60000, &b->poll_interval_ms);
	b->events_per_poll = CONFIG_EVENTS_PER_POLL;
	get_int(c, v, p, "events_per_poll", false, 1, CONFIG_MAX_EVENTS_PER_POLL,
		&b->events_per_poll);
	if (b->type == CONFIG_BUS_TCP) {
		struct in_addr addr;
		if (get_string(c, v, p, "host", true, b->host, sizeof(b->host)) &&
		    inet_pton(AF_INET, b->host, &addr) != 1) {
			/* libmodbus 3.1.6 takes a numeric IPv4 address only */
			path_key(path, p, "host");
			error_at(c, path,
				 "expected an IPv4 address such as 192.168.1.20, found \"%s\"",
				 b->host);
		}
		get_int(c, v, p, "port", true, 1, 65535, &b->port);
		return;
	}
	get_string(c, v, p, "device", true, b->device, sizeof(b->device));
	path_key(path, p, "baud");
	if (get_int(c, v, p, "baud", true, 1, 4000000, &b->baud) && !is_valid_baud(b->baud))
		error_at(c, path,
			 "expected one of 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, "
			 "found %d",
			 b->baud);
	int parity = 0;
	if (get_enum(c, v, p, "parity", parities, &parity))
		b->parity = "NEO"[parity];
	get_int(c, v, p, "data_bits", true, 7, 8, &b->data_bits);
	get_int(c, v, p, "stop_bits", true, 1, 2, &b->stop_bits);
	get_bool(c, v, p, "rs485", false, &b->rs485);
}

static void parse_buses(struct ctx *c, const cJSON *v, struct config *cfg)
{
	char path[PATH_SIZE], what[64];
	const cJSON *e;
	int i = 0;

	if (!v)
		return; /* a hall with soft terminals only has no bus */
	snprintf(what, sizeof(what), "an array of at most %d buses", CONFIG_MAX_BUSES);
	if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) > CONFIG_MAX_BUSES) {
		expected(c, "buses", what, v);
		return;
	}
	cJSON_ArrayForEach(e, v)
	{
		path_index(path, "buses", i);
		parse_bus(c, e, path, cfg, i);
		i++;
	}
	cfg->n_buses = i;
}

static int bus_index(const struct config *cfg, const char *name)
{
	for (int i = 0; i < cfg->n_buses; i++)
		if (strcmp(cfg->buses[i].name, name) == 0)
			return i;
	return -1;
}

static void parse_kiosk_services(struct ctx *c, const cJSON *v, const char *p, struct config *cfg,
				 struct config_device *d)
{
	char path[PATH_SIZE];
	const cJSON *e;
	int i = 0;

	if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) < 1 ||
	    cJSON_GetArraySize(v) > CONFIG_KIOSK_MAX_BUTTONS) {
		expected(c, p, "an array of 1 to 15 service ids (one per button)", v);
		return;
	}
	cJSON_ArrayForEach(e, v)
	{
		path_index(path, p, i++);
		int s = check_service_ref(c, e, path, cfg);
		if (s < 0)
			continue;
		bool dup = false;
		for (int j = 0; j < d->n_services; j++)
			dup = dup || d->services[j] == s;
		if (dup)
			error_at(c, path, "duplicate service \"%s\", expected each button once",
				 cfg->hall.services[s].id);
		else
			d->services[d->n_services++] = s;
	}
}

static void parse_device(struct ctx *c, const cJSON *v, const char *p, struct config *cfg,
			 int index)
{
	static const char *const kiosk_fields[] = {"id",      "type",     "bus",
						   "address", "services", NULL};
	static const char *const terminal_fields[] = {"id",     "type",           "bus", "address",
						      "window", "rating_seconds", NULL};
	static const char *const display_fields[] = {"id", "type", "bus", "address", NULL};
	static const char *const *const fields_by_type[] = {kiosk_fields, terminal_fields,
							    display_fields};
	static const char *const types[] = {"kiosk", "window_terminal", "hall_display", NULL};
	struct config_device *d = &cfg->devices[index];
	char path[PATH_SIZE], bus[ENGINE_ID_SIZE] = "";
	int type;

	d->bus = -1;
	d->window = -1;
	if (!cJSON_IsObject(v)) {
		expected(c, p, "an object", v);
		return;
	}
	if (!get_enum(c, v, p, "type", types, &type))
		return;
	d->type = (enum config_device_type)type;
	check_object(c, v, p, fields_by_type[type]);
	path_key(path, p, "id");
	if (get_string(c, v, p, "id", true, d->id, sizeof(d->id)))
		for (int j = 0; j < index; j++)
			if (strcmp(cfg->devices[j].id, d->id) == 0)
				error_at(c, path,
					 "duplicate device id \"%s\", already used by devices[%d]",
					 d->id, j);
	path_key(path, p, "bus");
	if (get_string(c, v, p, "bus", true, bus, sizeof(bus))) {
		d->bus = bus_index(cfg, bus);
		if (d->bus < 0)
			error_at(c, path, "unknown bus \"%s\", expected the name of one of buses[]",
				 bus);
	}
	path_key(path, p, "address");
	if (get_int(c, v, p, "address", true, 1, CONFIG_MODBUS_ADDRESS_MAX, &d->address) &&
	    d->bus >= 0)
		for (int j = 0; j < index; j++)
			if (cfg->devices[j].bus == d->bus && cfg->devices[j].address == d->address)
				error_at(c, path,
					 "duplicate address %d on bus \"%s\", already used by "
					 "devices[%d]",
					 d->address, bus, j);
	if (d->type == CONFIG_DEVICE_KIOSK) {
		path_key(path, p, "services");
		parse_kiosk_services(c, field(v, "services"), path, cfg, d);
	} else if (d->type == CONFIG_DEVICE_WINDOW_TERMINAL) {
		int number = 0;
		d->rating_seconds = CONFIG_RATING_SECONDS;
		get_int(c, v, p, "rating_seconds", false, 1, 600, &d->rating_seconds);
		path_key(path, p, "window");
		if (!get_int(c, v, p, "window", true, 1, 999, &number))
			return;
		d->window = window_index(cfg, number);
		if (d->window < 0) {
			error_at(c, path,
				 "unknown window %d, expected the number of one of windows[]",
				 number);
			return;
		}
		for (int j = 0; j < index; j++)
			if (cfg->devices[j].type == CONFIG_DEVICE_WINDOW_TERMINAL &&
			    cfg->devices[j].window == d->window)
				error_at(c, path,
					 "window %d already has a terminal (devices[%d]), expected "
					 "one terminal per window",
					 number, j);
	}
}

static void parse_devices(struct ctx *c, const cJSON *v, struct config *cfg)
{
	char path[PATH_SIZE], what[64];
	const cJSON *e;
	int i = 0;

	if (!v)
		return;
	snprintf(what, sizeof(what), "an array of at most %d devices", CONFIG_MAX_DEVICES);
	if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) > CONFIG_MAX_DEVICES) {
		expected(c, "devices", what, v);
		return;
	}
	cJSON_ArrayForEach(e, v)
	{
		path_index(path, "devices", i);
		parse_device(c, e, path, cfg, i);
		i++;
	}
	cfg->n_devices = i;
}

/* A staff id a keypad can enter: digits, 1 to 65535. */
static bool is_keypad_id(const char *s)
{
	long n = 0;

	if (!*s || strlen(s) > 5)
		return false;
	for (const char *q = s; *q; q++) {
		if (*q < '0' || *q > '9')
			return false;
		n = n * 10 + (*q - '0');
	}
	return n >= 1 && n <= 65535 && s[0] != '0';
}

static void parse_staff(struct ctx *c, const cJSON *v, struct config *cfg)
{
	static const char *const fields[] = {"id", "name", "pin", NULL};
	char p[PATH_SIZE], path[PATH_SIZE], what[64];
	const cJSON *e;
	int i = 0;

	if (!v)
		return;
	snprintf(what, sizeof(what), "an array of at most %d staff", CONFIG_MAX_STAFF);
	if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) > CONFIG_MAX_STAFF) {
		expected(c, "staff", what, v);
		return;
	}
	cJSON_ArrayForEach(e, v)
	{
		struct config_staff *st = &cfg->staff[i];
		path_index(p, "staff", i);
		if (check_object(c, e, p, fields)) {
			path_key(path, p, "id");
			if (get_string(c, e, p, "id", true, st->id, sizeof(st->id))) {
				if (!is_keypad_id(st->id))
					error_at(c, path,
						 "expected a number from 1 to 65535 written in "
						 "digits (what a keypad enters), found \"%s\"",
						 st->id);
				for (int j = 0; j < i; j++)
					if (strcmp(cfg->staff[j].id, st->id) == 0)
						error_at(c, path,
							 "duplicate staff id \"%s\", already used "
							 "by staff[%d]",
							 st->id, j);
			}
			get_string(c, e, p, "name", true, st->name, sizeof(st->name));
			path_key(path, p, "pin");
			if (get_string(c, e, p, "pin", true, st->pin, sizeof(st->pin)) &&
			    (strlen(st->pin) != 4 || strspn(st->pin, "0123456789") != 4))
				error_at(c, path, "expected 4 digits, found \"%s\"", st->pin);
		}
		i++;
	}
	cfg->n_staff = i;
}

static void parse_api(struct ctx *c, const cJSON *v, const char *base_dir, struct config *cfg)
{
	static const char *const fields[] = {"bind", "port", "tokens_file", "web_dir", NULL};
	struct config_api *a = &cfg->api;
	char file[CONFIG_PATH_SIZE] = "", web[CONFIG_PATH_SIZE] = "../web";
	unsigned char addr[16];

	if (!check_object(c, v, "api", fields))
		return;
	if (get_string(c, v, "api", "bind", true, a->bind, sizeof(a->bind)) &&
	    inet_pton(AF_INET, a->bind, addr) != 1 && inet_pton(AF_INET6, a->bind, addr) != 1)
		error_at(c, "api.bind",
			 "expected a numeric IPv4 or IPv6 address such as \"127.0.0.1\", found "
			 "\"%s\"",
			 a->bind);
	get_int(c, v, "api", "port", true, 1, 65535, &a->port);
	get_string(c, v, "api", "web_dir", false, web, sizeof(web));
	if (web[0] == '/' || !base_dir || !*base_dir)
		snprintf(a->web_dir, sizeof(a->web_dir), "%s", web);
	else if ((size_t)snprintf(a->web_dir, sizeof(a->web_dir), "%s/%s", base_dir, web) >=
		 sizeof(a->web_dir))
		error_at(c, "api.web_dir", "expected a path of at most %d bytes, found longer",
			 CONFIG_PATH_SIZE - 1);
	if (!get_string(c, v, "api", "tokens_file", true, file, sizeof(file)))
		return;
	if (file[0] == '/' || !base_dir || !*base_dir)
		snprintf(a->tokens_file, sizeof(a->tokens_file), "%s", file);
	else if ((size_t)snprintf(a->tokens_file, sizeof(a->tokens_file), "%s/%s", base_dir,
				  file) >= sizeof(a->tokens_file))
		error_at(c, "api.tokens_file", "expected a path of at most %d bytes, found longer",
			 CONFIG_PATH_SIZE - 1);
}

/* voice: optional; absent is off. */
static void parse_voice(struct ctx *c, const cJSON *v, const char *base_dir, struct config *cfg)
{
	static const char *const fields[] = {"enabled", "output", "wav_dir",
					     "repeat",  "rate",   NULL};
	static const char *const outputs[] = {"device", "wav", NULL};
	struct config_voice *vo = &cfg->voice;
	char dir[CONFIG_PATH_SIZE] = "";

	vo->repeat = 1;
	if (!v)
		return;
	if (!check_object(c, v, "voice", fields))
		return;
	get_bool(c, v, "voice", "enabled", true, &vo->enabled);
	if (field(v, "output"))
		get_enum(c, v, "voice", "output", outputs, &vo->output);
	get_int(c, v, "voice", "repeat", false, 1, 3, &vo->repeat);
	get_int(c, v, "voice", "rate", false, 80, 450, &vo->rate);
	get_string(c, v, "voice", "wav_dir", false, dir, sizeof(dir));
	if (vo->output == CONFIG_VOICE_WAV && !dir[0])
		error_at(c, "voice.wav_dir",
			 "expected the folder for the WAV files of output \"wav\"");
	if (dir[0] && (dir[0] == '/' || !base_dir || !*base_dir))
		snprintf(vo->wav_dir, sizeof(vo->wav_dir), "%s", dir);
	else if (dir[0] && (size_t)snprintf(vo->wav_dir, sizeof(vo->wav_dir), "%s/%s", base_dir,
					    dir) >= sizeof(vo->wav_dir))
		error_at(c, "voice.wav_dir", "expected a path of at most %d bytes, found longer",
			 CONFIG_PATH_SIZE - 1);
}

/* evaluation.attendance_exempt_windows: numbers of windows of the config
 * that are not checked for attendance (spare or self-service windows). */
static void parse_exempt_windows(struct ctx *c, const cJSON *v, struct config *cfg)
{
	struct config_eval *ev = &cfg->eval;
	const char *p = "evaluation.attendance_exempt_windows";
	char path[PATH_SIZE];
	const cJSON *e;
	int i = 0;

	if (!v)
		return;
	if (!cJSON_IsArray(v)) {
		expected(c, p, "an array of window numbers", v);
		return;
	}
	cJSON_ArrayForEach(e, v)
	{
		int number = 0;
		path_index(path, p, i++);
		if (!check_int(c, e, path, 1, 999, &number))
			continue;
		bool known = false, dup = false;
		for (int w = 0; w < cfg->hall.n_windows; w++)
			known = known || cfg->hall.windows[w].number == number;
		for (int j = 0; j < ev->n_exempt_windows; j++)
			dup = dup || ev->exempt_windows[j] == number;
		if (!known)
			error_at(c, path, "expected the number of one of windows[], found %d",
				 number);
		else if (dup)
			error_at(c, path, "duplicate window %d, expected each window once", number);
		else if (ev->n_exempt_windows < ENGINE_MAX_WINDOWS)
			ev->exempt_windows[ev->n_exempt_windows++] = number;
	}
}

/* "YYYY-MM-DD" of a real date -> yyyymmdd, or -1. */
static int32_t parse_date(const char *text)
{
	static const int days_in[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int y, m, d, n = -1;

	if (strlen(text) != 10 || text[4] != '-' || text[7] != '-' ||
	    sscanf(text, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 || n != 10 || y < 1970 || m < 1 ||
	    m > 12 || d < 1)
		return -1;
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (d > days_in[m - 1] + (m == 2 && leap))
		return -1;
	return (int32_t)(y * 10000 + m * 100 + d);
}

/* evaluation.closed_days: dates the hall did not work (public holidays):
 * not counted for attendance even if something was recorded. */
static void parse_closed_days(struct ctx *c, const cJSON *v, struct config_eval *ev)
{
	const char *p = "evaluation.closed_days";
	char path[PATH_SIZE], what[64];
	const cJSON *e;
	int i = 0;

	if (!v)
		return;
	snprintf(what, sizeof(what), "an array of at most %d dates", CONFIG_MAX_CLOSED_DAYS);
	if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) > CONFIG_MAX_CLOSED_DAYS) {
		expected(c, p, what, v);
		return;
	}
	cJSON_ArrayForEach(e, v)
	{
		path_index(path, p, i++);
		int32_t day = cJSON_IsString(e) ? parse_date(e->valuestring) : -1;
		if (day < 0) {
			expected(c, path, "a date YYYY-MM-DD", e);
			continue;
		}
		ev->closed_days[ev->n_closed_days++] = day;
	}
}

static void parse_eval(struct ctx *c, const cJSON *v, struct config *cfg)
{
	static const char *const fields[] = {"half_day_minutes",
					     "unattended_grace_minutes",
					     "leader_duty",
					     "bulletin_weekday",
					     "complaint_limit_days",
					     "score",
					     "attendance_exempt_windows",
					     "closed_days",
					     NULL};
	static const char *const leader_fields[] = {"points_per_shift", "max_points_per_month",
						    NULL};
	static const char *const score_fields[] = {"base", "weights", "deductions", NULL};
	static const char *const weight_fields[] = {"efficiency", "satisfaction", "attendance",
						    NULL};
	static const char *const deduction_fields[] = {
	    "late_sign_in", "unauthorized_leave", "absence", "dissatisfied_rating",
	    "complaint",    "overtime_ticket",    NULL};
	struct config_eval *ev = &cfg->eval;
	const char *p = "evaluation";

	if (!check_object(c, v, p, fields))
		return;
	get_int(c, v, p, "half_day_minutes", true, 1, 720, &ev->half_day_min);
	ev->unattended_grace_min = CONFIG_UNATTENDED_GRACE_MIN;
	get_int(c, v, p, "unattended_grace_minutes", false, 0, 60, &ev->unattended_grace_min);
	get_enum(c, v, p, "bulletin_weekday", day_names, &ev->bulletin_weekday);
	get_int(c, v, p, "complaint_limit_days", true, 1, 60, &ev->complaint_limit_days);

	parse_exempt_windows(c, field(v, "attendance_exempt_windows"), cfg);
	parse_closed_days(c, field(v, "closed_days"), ev);

	const cJSON *leader = field(v, "leader_duty");
	if (check_object(c, leader, "evaluation.leader_duty", leader_fields)) {
		get_double(c, leader, "evaluation.leader_duty", "points_per_shift", 0, 10,
			   &ev->leader_points_per_shift);
		get_double(c, leader, "evaluation.leader_duty", "max_points_per_month", 0, 100,
			   &ev->leader_max_points_per_month);
	}

	const cJSON *score = field(v, "score");
	if (!check_object(c, score, "evaluation.score", score_fields))
		return;
	get_double(c, score, "evaluation.score", "base", 1, 1000, &ev->score_base);
	const cJSON *w = field(score, "weights");
	const char *wp = "evaluation.score.weights";
	if (check_object(c, w, wp, weight_fields)) {
		bool ok = get_double(c, w, wp, "efficiency", 0, 1, &ev->weight_efficiency);
		ok = get_double(c, w, wp, "satisfaction", 0, 1, &ev->weight_satisfaction) && ok;
		ok = get_double(c, w, wp, "attendance", 0, 1, &ev->weight_attendance) && ok;
		double sum =
		    ev->weight_efficiency + ev->weight_satisfaction + ev->weight_attendance;
		if (ok && (sum < 1 - 1e-9 || sum > 1 + 1e-9))
			error_at(c, wp, "expected weights that sum to 1, found a sum of %g", sum);
	}
	const cJSON *d = field(score, "deductions");
	const char *dp = "evaluation.score.deductions";
	if (check_object(c, d, dp, deduction_fields))
		for (int i = 0; i < CONFIG_DEDUCT_COUNT; i++)
			get_double(c, d, dp, deduction_fields[i], 0, 100, &ev->deductions[i]);
}

/* appointments: optional; the defaults hold without it. */
static void parse_appointments(struct ctx *c, const cJSON *v, struct config *cfg)
{
	static const char *const fields[] = {"booking_url", "max_per_phone_per_day",
					     "requests_per_minute", "no_show_rule", NULL};
	static const char *const rule_fields[] = {"no_shows", "within_days", "block_days", NULL};
	struct engine_booking_rules *b = &cfg->hall.booking;
	struct config_appointments *a = &cfg->appointments;
	const char *p = "appointments", *rp = "appointments.no_show_rule";

	b->max_per_phone_per_day = CONFIG_BOOKINGS_PER_PHONE_PER_DAY;
	b->no_show_within_days = CONFIG_NO_SHOW_WITHIN_DAYS;
	a->requests_per_minute = CONFIG_BOOKING_REQUESTS_PER_MINUTE;
	/* the booking rules skip the days the hall does not work */
	memcpy(b->closed_days, cfg->eval.closed_days, sizeof(b->closed_days));
	b->n_closed_days = cfg->eval.n_closed_days;
	if (!v)
		return;
	if (!check_object(c, v, p, fields))
		return;
	if (get_string(c, v, p, "booking_url", false, a->booking_url, sizeof(a->booking_url)) &&
	    *a->booking_url && strncmp(a->booking_url, "http://", 7) != 0 &&
	    strncmp(a->booking_url, "https://", 8) != 0)
		error_at(c, "appointments.booking_url",
			 "expected an http:// or https:// address, found \"%s\"", a->booking_url);
	get_int(c, v, p, "max_per_phone_per_day", false, 1, 20, &b->max_per_phone_per_day);
	get_int(c, v, p, "requests_per_minute", false, 0, 100000, &a->requests_per_minute);
	const cJSON *rule = field(v, "no_show_rule");
	if (!rule || !check_object(c, rule, rp, rule_fields))
		return;
	get_int(c, rule, rp, "no_shows", true, 1, 31, &b->no_show_count);
	get_int(c, rule, rp, "within_days", false, 1, 366, &b->no_show_within_days);
	get_int(c, rule, rp, "block_days", true, 1, 366, &b->no_show_block_days);
}

/* ---- the file ---- */

/*
 * cJSON stops at or just past the first bad character; the message gives
 * that line and column and the text around it, which is where to look.
 */
static void report_json_error(struct ctx *c, const char *text, size_t len, const char *at)
{
	size_t off = at && at >= text && at <= text + len ? (size_t)(at - text) : len;
	size_t line_start = 0;
	int line = 1;

	for (size_t i = 0; i < off; i++)
		if (text[i] == '\n')
			line++, line_start = i + 1;
	int col = (int)(off - line_start) + 1;

	size_t from = off > line_start + 12 ? off - 12 : line_start, to = from;
	while (to < len && to < off + 12 && text[to] != '\n' && text[to] != '\r')
		to++;
	char msg[PATH_SIZE + 128];
	if (off >= len && from == to)
		snprintf(msg, sizeof(msg),
			 "%s:%d:%d: expected valid JSON, found the end of the file", c->label, line,
			 col);
	else
		snprintf(msg, sizeof(msg),
			 "%s:%d:%d: expected valid JSON, found a syntax error near "
			 "\"%.*s\"",
			 c->label, line, col, (int)(to - from), text + from);
	report_append(c->report, msg);
	c->report->n_errors++;
}

struct config *config_parse(const char *label, const char *text, size_t len, const char *base_dir,
			    struct config_report *report)
{
	static const char *const fields[] = {
	    "hall",  "hours", "services", "windows",    "queue",        "buses", "devices",
	    "staff", "api",   "voice",    "evaluation", "appointments", NULL};
	struct ctx c = {.label = label, .report = report};
	const char *end = NULL;
	int errors_before = report->n_errors;

	cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, false);
	if (!root) {
		report_json_error(&c, text, len, end);
		return NULL;
	}
	for (; end && end < text + len &&
	       (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r' || *end == '\0');
	     end++)
		;
	if (end && end < text + len) {
		report_json_error(&c, text, len, end);
		cJSON_Delete(root);
		return NULL;
	}

	struct config *cfg = calloc(1, sizeof(*cfg));
	if (!cfg) {
		error_at(&c, "", "out of memory");
		cJSON_Delete(root);
		return NULL;
	}
	snprintf(cfg->path, sizeof(cfg->path), "%s", label);
	if (check_object(&c, root, "", fields)) {
		parse_hall(&c, field(root, "hall"), cfg);
		parse_hours(&c, field(root, "hours"), cfg);
		parse_services(&c, field(root, "services"), cfg);
		parse_windows(&c, field(root, "windows"), cfg);
		parse_queue(&c, field(root, "queue"), cfg);
		parse_buses(&c, field(root, "buses"), cfg);
		parse_devices(&c, field(root, "devices"), cfg);
		parse_staff(&c, field(root, "staff"), cfg);
		parse_api(&c, field(root, "api"), base_dir, cfg);
		parse_voice(&c, field(root, "voice"), base_dir, cfg);
		parse_eval(&c, field(root, "evaluation"), cfg);
		parse_appointments(&c, field(root, "appointments"), cfg);
	}
	cJSON_Delete(root);
	if (report->n_errors == errors_before) {
		/* kept so that hostd can record the config it runs with */
		cfg->source = malloc(len + 1);
		if (cfg->source) {
			memcpy(cfg->source, text, len);
			cfg->source[len] = '\0';
			cfg->source_len = len;
		} else {
			error_at(&c, "", "out of memory");
		}
	}
	if (report->n_errors != errors_before) {
		free(cfg);
		return NULL;
	}
	return cfg;
}

struct config *config_load(const char *path, struct config_report *report)
{
	struct ctx c = {.label = path, .report = report};
	char dir[CONFIG_PATH_SIZE];
	struct stat st;
	FILE *f = fopen(path, "rb");

	if (!f) {
		error_at(&c, "", "cannot open: %s", strerror(errno));
		return NULL;
	}
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > FILE_SIZE_MAX) {
		error_at(&c, "", "expected a regular file of at most %d bytes", FILE_SIZE_MAX);
		fclose(f);
		return NULL;
	}
	char *text = malloc((size_t)st.st_size + 1);
	size_t len = text ? fread(text, 1, (size_t)st.st_size, f) : 0;
	bool read_ok = text && !ferror(f);
	fclose(f);
	if (!read_ok) {
		error_at(&c, "", "cannot read: %s", text ? strerror(errno) : "out of memory");
		free(text);
		return NULL;
	}
	text[len] = '\0';

	const char *slash = strrchr(path, '/');
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);

	struct config *cfg = config_parse(path, text, len, dir, report);
	free(text);
	return cfg;
}

char *config_public_source(const struct config *cfg)
{
	cJSON *root = cfg->source ? cJSON_ParseWithLength(cfg->source, cfg->source_len) : NULL;
	const cJSON *staff = root ? field(root, "staff") : NULL, *e;
	char *text = NULL;

	if (!root)
		return NULL;
	cJSON_ArrayForEach(e, staff)
	{
		cJSON *pin = cJSON_GetObjectItemCaseSensitive(e, "pin");
		if (pin && !cJSON_SetValuestring(pin, "0000"))
			goto out;
	}
	text = cJSON_Print(root);
out:
	cJSON_Delete(root);
	return text;
}

void config_free(struct config *cfg)
{
	if (cfg)
		free(cfg->source);
	free(cfg);
}

const struct config_staff *config_staff(const struct config *cfg, const char *id)
{
	for (int i = 0; i < cfg->n_staff; i++)
		if (strcmp(cfg->staff[i].id, id) == 0)
			return &cfg->staff[i];
	return NULL;
}
