/*
 * api.c — the HTTP server (libmicrohttpd, a thread per connection), the
 * routes of docs/api.md, and the core observer that turns committed
 * commands into events.
 *
 * Room: hostd/api. api_route() checks and routes a request completely,
 * with neither the core nor the network (tests/fuzz/fuzz_api.c fuzzes
 * it); only then do the handlers call the core, so a bad request changes
 * nothing. Every answer is JSON (or a page from web_dir). The core is
 * reached through core_call(), core_view() and the tokens it makes.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "api/api_impl.h"
#include "log/log.h"
#include "proto/proto.h"

enum { LABEL_SIZE = 8, CONNECTION_LIMIT = 1024, DEVICES_MAX = CONFIG_MAX_DEVICES };

struct recent_call {
	char ticket[LABEL_SIZE];
	int service; /* index */
	int window;  /* number */
	int64_t at_s;
	bool recall;
};

struct api {
	const struct config *cfg;
	struct core *core;
	struct api_hooks hooks;
	pthread_rwlock_t tokens_lock; /* guards tokens: swapped by api_reload_tokens() */
	struct api_tokens tokens;
	struct api_events events;
	struct MHD_Daemon *daemon;

	pthread_mutex_t mu; /* recent calls, last queue counts */
	struct recent_call recent[API_RECENT_CALLS];
	int n_recent;
	int32_t recent_day; /* the business day of recent[] */
	int last_waiting[ENGINE_MAX_SERVICES];
	bool have_waiting;
	struct api_bookings *bookings; /* bookings.c's state */
};

/* The body of a request being received. */
struct request {
	char *body;
	size_t len;
	bool too_large;
};

/* ---- small helpers ---- */

void api_iso_time(int64_t s, char *out, size_t size)
{
	time_t t = (time_t)s;
	struct tm tm;
	char zone[8];

	localtime_r(&t, &tm);
	strftime(out, size, "%Y-%m-%dT%H:%M:%S", &tm);
	strftime(zone, sizeof(zone), "%z", &tm); /* +0800 */
	size_t n = strlen(out);
	if (strlen(zone) == 5)
		snprintf(out + n, size - n, "%.3s:%.2s", zone, zone + 3);
}

static void add_time(cJSON *o, const char *key, int64_t s)
{
	char buf[40];

	if (s <= 0) {
		cJSON_AddNullToObject(o, key);
		return;
	}
	api_iso_time(s, buf, sizeof(buf));
	cJSON_AddStringToObject(o, key, buf);
}

static void add_string_or_null(cJSON *o, const char *key, const char *s)
{
	if (s && *s)
		cJSON_AddStringToObject(o, key, s);
	else
		cJSON_AddNullToObject(o, key);
}

static struct api_answer error_answer(unsigned status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static struct api_answer error_answer(unsigned status, const char *code, const char *fmt, ...)
{
	char message[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	cJSON *root = cJSON_CreateObject();
	cJSON *e = cJSON_AddObjectToObject(root, "error");
	cJSON_AddStringToObject(e, "code", code);
	cJSON_AddStringToObject(e, "message", message);
	return (struct api_answer){status, root};
}

/* A core reply that is not an engine answer: 503 or 500. A failed store
 * is named with its cause (the disk full, the file locked). */
static struct api_answer core_failure(struct api *a, int rc, int err)
{
	int e = rc != CORE_OK ? rc : err;

	if (e == CORE_ERR_STORE) {
		struct core_view *v = malloc(sizeof(*v));
		int cause = STORE_ERR_IO;
		if (v) {
			core_view(a->core, v);
			if (v->store_failing)
				cause = v->store_error;
			free(v);
		}
		return error_answer(503, "STORE_FAILED",
				    "the database failed (%s): nothing was recorded, try again",
				    store_strerror(cause));
	}
	if (e == CORE_ERR_BUSY)
		return error_answer(503, "BUSY", "too many requests waiting, try again");
	if (e == CORE_ERR_STOPPED)
		return error_answer(503, "STOPPING", "hostd is stopping");
	return error_answer(500, "INTERNAL", "%s", core_strerror(e));
}

static struct api_answer engine_refusal(int err)
{
	if (err == ENGINE_ERR_NO_SUCH_SERVICE || err == ENGINE_ERR_NO_SUCH_WINDOW ||
	    err == CORE_REFUSE_NOT_FOUND)
		return error_answer(404, "NOT_FOUND", "%s", core_strerror(err));
	return error_answer(409, core_error_name(err), "%s", core_strerror(err));
}

static int window_index(const struct config *cfg, int number)
{
	for (int w = 0; w < cfg->hall.n_windows; w++)
		if (cfg->hall.windows[w].number == number)
			return w;
	return -1;
}

static void day_text(int32_t day, char *out, size_t size)
{
	snprintf(out, size, "%04d-%02d-%02d", (int)(day / 10000), (int)(day / 100 % 100),
		 (int)(day % 100));
}

/* ---- JSON of the hall's things ---- */

static cJSON *ticket_json(const struct api *a, const struct engine_ticket *t, int32_t day,
			  bool with_token)
{
	const struct engine_hall *h = &a->cfg->hall;
	char label[LABEL_SIZE], token[CORE_TOKEN_SIZE];
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "number", engine_ticket_label(t, label));
	if (with_token) {
		core_ticket_token(a->core, day, t->id, token);
		cJSON_AddStringToObject(o, "token", token);
	}
	cJSON_AddStringToObject(o, "service", h->services[t->service].id);
	cJSON_AddStringToObject(o, "service_name", h->services[t->service].name);
	cJSON_AddStringToObject(o, "class", engine_class_name(t->cls));
	cJSON_AddStringToObject(o, "state", engine_ticket_state_name(t->state));
	if (t->window >= 0 && t->window < h->n_windows)
		cJSON_AddNumberToObject(o, "window", h->windows[t->window].number);
	else
		cJSON_AddNullToObject(o, "window");
	add_time(o, "issued_at", t->issued_s);
	add_time(o, "slot", t->cls == ENGINE_CLASS_APPOINTMENT ? t->slot_s : 0);
	return o;
}

static cJSON *window_json(const struct api *a, const struct core_view *v, int w)
{
	const struct engine_window *win = &a->cfg->hall.windows[w];
	const struct core_window_view *wv = &v->windows[w];
	cJSON *o = cJSON_CreateObject();

	cJSON_AddNumberToObject(o, "number", win->number);
	cJSON_AddStringToObject(o, "name", win->name);
	cJSON_AddStringToObject(o, "state", engine_window_state_name(wv->state));
	/* the engine keeps the last staff id after a logout: nobody is there */
	add_string_or_null(o, "staff", wv->state == ENGINE_WINDOW_LOGGED_OUT ? NULL : wv->staff);
	add_string_or_null(o, "current", wv->label);
	cJSON_AddNumberToObject(o, "held", wv->n_held);
	cJSON_AddNumberToObject(o, "waiting", wv->waiting);
	cJSON *served = cJSON_AddArrayToObject(o, "services");
	for (int k = 0; k < win->n_services; k++)
		cJSON_AddItemToArray(
		    served, cJSON_CreateString(a->cfg->hall.services[win->services[k].service].id));
	return o;
}

static void hhmm(int minute, char *out, size_t size)
{
	snprintf(out, size, "%02d:%02d", minute / 60 % 24, minute % 60);
}

static cJSON *services_json(const struct api *a, const struct core_view *v, bool brief)
{
	const struct engine_hall *h = &a->cfg->hall;
	cJSON *list = cJSON_CreateArray();

	for (int s = 0; s < h->n_services; s++) {
		const struct engine_service *svc = &h->services[s];
		const struct core_service_view *sv = &v->services[s];
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "id", svc->id);
		if (!brief) {
			cJSON_AddStringToObject(o, "name", svc->name);
			cJSON_AddStringToObject(o, "prefix", svc->prefix);
		}
		cJSON_AddNumberToObject(o, "waiting", sv->waiting);
		if (!brief) {
			cJSON_AddNumberToObject(o, "issued", sv->issued);
			if (svc->daily_quota > 0) {
				int left = svc->daily_quota - sv->issued - sv->booked;
				cJSON_AddNumberToObject(o, "quota", svc->daily_quota);
				cJSON_AddNumberToObject(o, "quota_left", left > 0 ? left : 0);
			} else {
				cJSON_AddNullToObject(o, "quota");
				cJSON_AddNullToObject(o, "quota_left");
			}
		}
		cJSON_AddNumberToObject(o, "estimated_wait_min", sv->wait_min);
		if (!brief) {
			static const char *const modes[] = {NULL, "optional", "required"};
			int mode = svc->appointment.mode;
			if (mode > 0 && mode <= ENGINE_APPOINTMENT_REQUIRED)
				cJSON_AddStringToObject(o, "appointment", modes[mode]);
			else
				cJSON_AddNullToObject(o, "appointment");
			cJSON_AddNumberToObject(o, "booked", sv->booked);
		}
		/* a ticket now could not be recorded */
		bool open = sv->issue_err == ENGINE_OK && !v->store_failing;
		cJSON_AddBoolToObject(o, "open", open);
		if (!brief) {
			if (open)
				cJSON_AddNullToObject(o, "refusal");
			else
				cJSON_AddStringToObject(o, "refusal",
							v->store_failing
							    ? "STORE_FAILED"
							    : core_error_name(sv->issue_err));
			cJSON *hours = cJSON_AddArrayToObject(o, "hours");
			const struct engine_period *p =
			    svc->n_hours ? svc->hours : h->hours.sessions;
			int n = svc->n_hours ? svc->n_hours : h->hours.n_sessions;
			for (int k = 0; k < n; k++) {
				char from[8], to[8];
				hhmm(p[k].start_min, from, sizeof(from));
				hhmm(p[k].end_min, to, sizeof(to));
				cJSON *period = cJSON_CreateObject();
				cJSON_AddStringToObject(period, "start", from);
				cJSON_AddStringToObject(period, "end", to);
				cJSON_AddItemToArray(hours, period);
			}
		}
		cJSON_AddItemToArray(list, o);
	}
	return list;
}

static const char *printer_text(uint16_t bits)
{
	if (bits & PROTO_PRINTER_OFFLINE)
		return "offline";
	if (bits & PROTO_PRINTER_COVER_OPEN)
		return "cover_open";
	if (bits & PROTO_PRINTER_PAPER_OUT)
		return "paper_out";
	if (bits & PROTO_PRINTER_NEAR_END)
		return "near_end";
	return bits & PROTO_PRINTER_OK ? "ok" : "unknown";
}

static cJSON *device_json(const struct api_device *d)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "id", d->id);
	cJSON_AddStringToObject(o, "type", d->type);
	cJSON_AddBoolToObject(o, "online", d->online);
	if (strcmp(d->type, "kiosk") == 0)
		cJSON_AddStringToObject(o, "printer", printer_text(d->printer));
	else
		cJSON_AddNullToObject(o, "printer");
	return o;
}

/* Whether the database takes writes, and if not why and since when. */
static cJSON *store_json(const struct core_view *v)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddBoolToObject(o, "ok", !v->store_failing);
	if (v->store_failing) {
		cJSON_AddStringToObject(o, "error", store_error_name(v->store_error));
		cJSON_AddStringToObject(o, "message", store_strerror(v->store_error));
	} else {
		cJSON_AddNullToObject(o, "error");
		cJSON_AddNullToObject(o, "message");
	}
	add_time(o, "since", v->store_failing ? v->store_failing_since : 0);
	return o;
}

/* ---- the core observer: committed commands become events ---- */

static bool is_call(enum engine_op op)
{
	return op == ENGINE_OP_CALL_NEXT || op == ENGINE_OP_CALL_TICKET ||
	       op == ENGINE_OP_CALL_BACK;
}

static void on_change(void *arg, const struct core_change *ch)
{
	struct api *a = arg;
	const struct core_request *r = ch->req;
	const struct core_view *v = ch->view;
	const struct engine_hall *h = &a->cfg->hall;

	if (!r) {
		/* the store started or stopped failing: so did ticket issue */
		cJSON *o = store_json(v);
		api_events_add(&a->events, v->day, "store", o);
		cJSON_Delete(o);
		o = cJSON_CreateObject();
		cJSON_AddItemToObject(o, "services", services_json(a, v, true));
		api_events_add(&a->events, v->day, "queue", o);
		cJSON_Delete(o);
		return;
	}
	int32_t day = r->cmd.clock.day;
	bool has_ticket = r->res.ticket != ENGINE_NO_TICKET;
	enum engine_op op = r->cmd.op;

	if ((is_call(op) || op == ENGINE_OP_RECALL) && has_ticket && r->res.window >= 0) {
		char label[LABEL_SIZE];
		engine_ticket_label(&r->ticket, label);
		int number = h->windows[r->res.window].number;
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "ticket", label);
		cJSON_AddNumberToObject(o, "window", number);
		cJSON_AddStringToObject(o, "service", h->services[r->ticket.service].id);
		add_time(o, "at", r->cmd.clock.now_s);
		api_events_add(&a->events, day, op == ENGINE_OP_RECALL ? "recall" : "call", o);
		cJSON_Delete(o);
		pthread_mutex_lock(&a->mu);
		if (day != a->recent_day) { /* a new day starts with an empty list */
			a->n_recent = 0;
			a->recent_day = day;
		}
		int n = a->n_recent < API_RECENT_CALLS ? a->n_recent + 1 : API_RECENT_CALLS;
		memmove(a->recent + 1, a->recent, sizeof(a->recent[0]) * (size_t)(n - 1));
		a->recent[0] = (struct recent_call){"", r->ticket.service, number,
						    r->cmd.clock.now_s, op == ENGINE_OP_RECALL};
		snprintf(a->recent[0].ticket, sizeof(a->recent[0].ticket), "%s", label);
		a->n_recent = n;
		pthread_mutex_unlock(&a->mu);
	}
	if (has_ticket && !is_call(op) && op != ENGINE_OP_RECALL) {
		cJSON *o = ticket_json(a, &r->ticket, day, false);
		api_events_add(&a->events, day, "ticket", o);
		cJSON_Delete(o);
	}
	for (int k = 0; k < r->res.n_windows && k < 2; k++) {
		int w = r->res.windows[k];
		if (w < 0 || w >= h->n_windows)
			continue;
		cJSON *o = window_json(a, v, w);
		api_events_add(&a->events, day, "window", o);
		cJSON_Delete(o);
	}
	if (r->res.n_windows == 0 && r->res.window >= 0 && r->res.window < h->n_windows) {
		cJSON *o = window_json(a, v, r->res.window);
		api_events_add(&a->events, day, "window", o);
		cJSON_Delete(o);
	}
	/* the queues, when their counts moved */
	bool moved = false;
	pthread_mutex_lock(&a->mu);
	for (int s = 0; s < h->n_services; s++)
		if (!a->have_waiting || a->last_waiting[s] != v->services[s].waiting) {
			moved = true;
			a->last_waiting[s] = v->services[s].waiting;
		}
	a->have_waiting = true;
	pthread_mutex_unlock(&a->mu);
	if (moved) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddItemToObject(o, "services", services_json(a, v, true));
		api_events_add(&a->events, day, "queue", o);
		cJSON_Delete(o);
	}
}

void api_restore_call(struct api *a, int32_t day, const char *ticket, const char *service,
		      int window, int64_t at_s, bool recall)
{
	int s = config_service_index(a->cfg, service);

	pthread_mutex_lock(&a->mu);
	if (day != a->recent_day) {
		a->n_recent = 0;
		a->recent_day = day;
	}
	if (a->n_recent < API_RECENT_CALLS && s >= 0) {
		struct recent_call *c = &a->recent[a->n_recent++];
		*c = (struct recent_call){"", s, window, at_s, recall};
		snprintf(c->ticket, sizeof(c->ticket), "%s", ticket);
	}
	pthread_mutex_unlock(&a->mu);
}

void api_device_changed(struct api *a, const struct api_device *d)
{
	struct core_view *v = malloc(sizeof(*v));

	if (!v)
		return;
	core_view(a->core, v);
	cJSON *o = device_json(d);
	api_events_add(&a->events, v->day, "device", o);
	cJSON_Delete(o);
	free(v);
}

void api_last_event_id(struct api *a, char *out, int size)
{
	api_events_last_id(&a->events, out, (size_t)size);
}

/* ---- request bodies ---- */

/*
 * True when the n bytes at s are UTF-8 without NUL: JSON text must be
 * UTF-8 (RFC 8259), and a message that quotes a field of it must be too,
 * or a client's strict decoder fails on the error it is sent. cJSON
 * checks neither, and a NUL would end the text early.
 */
static bool is_utf8_text(const char *s, size_t n)
{
	static const uint32_t min_of_length[] = {0, 0, 0x80, 0x800, 0x10000};
	const unsigned char *p = (const unsigned char *)s;

	for (size_t i = 0; i < n;) {
		unsigned c = p[i];
		size_t len = c < 0x80                ? 1
			     : c >= 0xc2 && c < 0xe0 ? 2
			     : (c & 0xf0) == 0xe0    ? 3
			     : c >= 0xf0 && c < 0xf5 ? 4
						     : 0;
		if (c == 0 || len == 0 || len > n - i)
			return false;
		uint32_t cp = len == 1 ? c : c & (0x7fu >> len);
		for (size_t k = 1; k < len; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (p[i + k] & 0x3fu);
		}
		if (cp < min_of_length[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += len;
	}
	return true;
}

/* How many bytes of the UTF-8 text s a message quotes: at most max, cut
 * between two characters. */
static int quoted_len(const char *s, int max)
{
	int n = (int)strnlen(s, (size_t)max + 1);

	if (n <= max)
		return n;
	for (n = max; n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80; n--)
		;
	return n;
}

/* The body as a JSON object with only the allowed fields; else an error. */
static bool parse_body(const struct api_http_request *rq, const char *const *allowed, cJSON **out,
		       struct api_answer *err)
{
	*out = NULL;
	if (rq->len == 0) {
		*out = cJSON_CreateObject();
		return true;
	}
	if (!is_utf8_text(rq->body, rq->len)) {
		*err = error_answer(400, "BAD_JSON", "the body is not UTF-8 text");
		return false;
	}
	/* the whole body, nothing after the JSON (body[len] is the NUL) */
	cJSON *root = cJSON_ParseWithLengthOpts(rq->body, rq->len + 1, NULL, true);
	if (!cJSON_IsObject(root)) {
		cJSON_Delete(root);
		*err = error_answer(400, "BAD_JSON", "the body is not a JSON object");
		return false;
	}
	for (const cJSON *f = root->child; f; f = f->next) {
		bool ok = false;
		for (int k = 0; allowed && allowed[k]; k++)
			ok = ok || strcmp(f->string, allowed[k]) == 0;
		if (!ok) {
			*err = error_answer(400, "UNKNOWN_FIELD", "unknown field \"%.*s\"",
					    quoted_len(f->string, 64), f->string);
			cJSON_Delete(root);
			return false;
		}
	}
	*out = root;
	return true;
}

/* A string field: NULL when absent; false (with err) when not a string. */
static bool get_str(const cJSON *o, const char *key, bool required, const char **out,
		    struct api_answer *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	*out = NULL;
	if (!v) {
		if (required)
			*err = error_answer(400, "MISSING_FIELD", "missing field \"%s\"", key);
		return !required;
	}
	if (!cJSON_IsString(v) || !*v->valuestring) {
		*err = error_answer(400, "BAD_FIELD", "\"%s\": expected a non-empty text", key);
		return false;
	}
	*out = v->valuestring;
	return true;
}

/* A whole-number field in lo..hi: *present false when absent. */
static bool get_int(const cJSON *o, const char *key, bool required, int lo, int hi, int *out,
		    bool *present, struct api_answer *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	*present = v != NULL;
	if (!v) {
		if (required)
			*err = error_answer(400, "MISSING_FIELD", "missing field \"%s\"", key);
		return !required;
	}
	/* the range first: converting a huge or infinite double is undefined */
	if (!cJSON_IsNumber(v) || !(v->valuedouble >= lo && v->valuedouble <= hi) ||
	    v->valuedouble != (double)(long long)v->valuedouble) {
		*err = error_answer(400, "BAD_FIELD",
				    "\"%s\": expected a whole number from %d to %d", key, lo, hi);
		return false;
	}
	*out = (int)v->valuedouble;
	return true;
}

/* A ticket number: one or two capital letters and three digits (A023). */
static bool label_ok(const char *s)
{
	size_t n = strlen(s);

	if (n != 4 && n != 5)
		return false;
	for (size_t k = 0; k < n; k++)
		if (!((k < n - 3 && s[k] >= 'A' && s[k] <= 'Z') ||
		      (k >= n - 3 && s[k] >= '0' && s[k] <= '9')))
			return false;
	return true;
}

/* ---- routes: a request checked completely, without the core ---- */

static void new_request(struct core_request *req, const struct api_token *who, enum engine_op op)
{
	memset(req, 0, sizeof(*req));
	req->cmd.op = op;
	req->cmd.window = -1;
	req->cmd.service = -1;
	req->cmd.target_window = -1;
	req->cmd.ticket = ENGINE_NO_TICKET;
	req->cmd.reason = -1;
	const char *name = who ? who->name : "public";
	snprintf(req->source, sizeof(req->source), "api:%.*s", quoted_len(name, 24), name);
}

/* POST tickets: the body checked, the ISSUE ready for the core. */
static void route_issue(const struct config *cfg, const struct api_token *who,
			const struct api_http_request *rq, struct api_route *out)
{
	static const char *const fields[] = {"service", "class", NULL};
	struct api_answer *err = &out->answer;
	cJSON *body;
	const char *service, *cls = NULL;

	out->action = API_ANSWER;
	if (who->role != API_ROLE_KIOSK && who->role != API_ROLE_ADMIN) {
		*err = error_answer(403, "FORBIDDEN", "a %s token may not issue tickets",
				    api_role_name(who->role));
		return;
	}
	if (!parse_body(rq, fields, &body, err))
		return;
	if (!get_str(body, "service", true, &service, err) ||
	    !get_str(body, "class", false, &cls, err)) {
		cJSON_Delete(body);
		return;
	}
	int s = config_service_index(cfg, service);
	int c = cls ? engine_class_parse(cls) : ENGINE_CLASS_NORMAL;
	if (s < 0)
		*err = error_answer(404, "NOT_FOUND", "no service \"%.*s\"",
				    quoted_len(service, 64), service);
	else if (c != ENGINE_CLASS_NORMAL && c != ENGINE_CLASS_GREEN)
		*err = error_answer(400, "BAD_FIELD", "\"class\": expected normal or green");
	cJSON_Delete(body);
	if (s < 0 || (c != ENGINE_CLASS_NORMAL && c != ENGINE_CLASS_GREEN))
		return;
	new_request(&out->req, who, ENGINE_OP_ISSUE);
	out->req.cmd.service = s;
	out->req.cmd.cls = (enum engine_class)c;
	out->action = API_ISSUE;
}

struct window_op {
	const char *name;
	enum engine_op op;
	const char *const *fields;
};

static const char *const no_fields[] = {NULL};
static const char *const login_fields[] = {"staff", "pin", NULL};
static const char *const pause_fields[] = {"reason", NULL};
static const char *const ticket_fields[] = {"ticket", NULL};
static const char *const transfer_fields[] = {"window", "service", NULL};
static const char *const rate_fields[] = {"ticket", "rating", NULL};

static const struct window_op window_ops[] = {
    {"login", ENGINE_OP_LOGIN, login_fields},
    {"logout", ENGINE_OP_LOGOUT, no_fields},
    {"pause", ENGINE_OP_PAUSE, pause_fields},
    {"resume", ENGINE_OP_RESUME, no_fields},
    {"call-next", ENGINE_OP_CALL_NEXT, no_fields},
    {"call-ticket", ENGINE_OP_CALL_TICKET, ticket_fields},
    {"recall", ENGINE_OP_RECALL, no_fields},
    {"no-show", ENGINE_OP_NO_SHOW, no_fields},
    {"start", ENGINE_OP_START, no_fields},
    {"hold", ENGINE_OP_HOLD, no_fields},
    {"call-back", ENGINE_OP_CALL_BACK, ticket_fields},
    {"finish", ENGINE_OP_FINISH, no_fields},
    {"transfer", ENGINE_OP_TRANSFER, transfer_fields},
    {"rate", ENGINE_OP_RATE, rate_fields},
};

/* Fills req from the body for op; false with err on a bad body. */
static bool window_body(const struct config *cfg, const struct window_op *wo, const cJSON *body,
			struct core_request *req, char *label, struct api_answer *err)
{
	const char *s = NULL;
	int n = 0;
	bool present;

	switch (wo->op) {
	case ENGINE_OP_LOGIN: {
		const char *pin;
		if (!get_str(body, "staff", true, &s, err) ||
		    !get_str(body, "pin", true, &pin, err))
			return false;
		const struct config_staff *st = config_staff(cfg, s);
		if (!st || strcmp(st->pin, pin) != 0) {
			*err = error_answer(409, "WRONG_PIN", "the staff id or the PIN is wrong");
			return false;
		}
		snprintf(req->cmd.staff, sizeof(req->cmd.staff), "%s", st->id);
		return true;
	}
	case ENGINE_OP_PAUSE:
		if (!get_int(body, "reason", false, 0, cfg->hall.queue.n_pause_reasons, &n,
			     &present, err))
			return false;
		req->cmd.reason = present ? n - 1 : -1;
		return true;
	case ENGINE_OP_CALL_TICKET:
	case ENGINE_OP_CALL_BACK:
	case ENGINE_OP_RATE:
		if (!get_str(body, "ticket", wo->op != ENGINE_OP_CALL_BACK, &s, err))
			return false;
		if (s && !label_ok(s)) {
			*err = error_answer(400, "BAD_FIELD",
					    "\"ticket\": expected a ticket number such as A023");
			return false;
		}
		if (s)
			snprintf(label, LABEL_SIZE, "%s", s);
		if (wo->op == ENGINE_OP_RATE) {
			if (!get_int(body, "rating", true, 1, 5, &n, &present, err))
				return false;
			req->cmd.rating = n;
		}
		return true;
	case ENGINE_OP_TRANSFER: {
		bool has_service;
		if (!get_int(body, "window", false, 1, INT_MAX, &n, &present, err) ||
		    !get_str(body, "service", false, &s, err))
			return false;
		has_service = s != NULL;
		if (present == has_service) {
			*err = error_answer(400, present ? "BAD_FIELD" : "MISSING_FIELD",
					    "give one of \"window\" and \"service\"");
			return false;
		}
		if (present && (req->cmd.target_window = window_index(cfg, n)) < 0) {
			*err = error_answer(404, "NOT_FOUND", "no window %d", n);
			return false;
		}
		if (has_service && (req->cmd.service = config_service_index(cfg, s)) < 0) {
			*err = error_answer(404, "NOT_FOUND", "no service \"%.*s\"",
					    quoted_len(s, 64), s);
			return false;
		}
		return true;
	}
	default:
		return true;
	}
}

/* POST windows/{number}/{opname}: the window, the operation, the token's
 * right to act for it and the body checked, the command ready. */
static void route_window(const struct config *cfg, const struct api_token *who, int number,
			 const char *opname, const struct api_http_request *rq,
			 struct api_route *out)
{
	const struct window_op *wo = NULL;
	struct api_answer *err = &out->answer;
	cJSON *body;
	char label[LABEL_SIZE] = "";

	out->action = API_ANSWER;
	int w = window_index(cfg, number);
	for (size_t k = 0; k < sizeof(window_ops) / sizeof(window_ops[0]); k++)
		if (strcmp(window_ops[k].name, opname) == 0)
			wo = &window_ops[k];
	if (w < 0) {
		*err = error_answer(404, "NOT_FOUND", "no window %d", number);
		return;
	}
	if (!wo) {
		*err = error_answer(404, "NOT_FOUND", "no window operation \"%.32s\"", opname);
		return;
	}
	if (who->role != API_ROLE_ADMIN &&
	    !(who->role == API_ROLE_WINDOW && who->window == number)) {
		*err =
		    error_answer(403, "FORBIDDEN", "this token may not act for window %d", number);
		return;
	}
	if (!parse_body(rq, wo->fields, &body, err))
		return;
	new_request(&out->req, who, wo->op);
	out->req.cmd.window = w;
	bool ok = window_body(cfg, wo, body, &out->req, label, err);
	cJSON_Delete(body);
	if (!ok)
		return;
	if (label[0])
		snprintf(out->req.ticket_label, sizeof(out->req.ticket_label), "%s", label);
	out->window = w;
	out->action = API_WINDOW;
}

/* ---- handlers: the core's part of a routed request ---- */

static struct api_answer issue_ticket(struct api *a, struct core_request *req)
{
	int rc = core_call(a->core, req);
	if (rc != CORE_OK || req->err < 0)
		return core_failure(a, rc, req->err);
	if (req->err != ENGINE_OK)
		return engine_refusal(req->err);
	cJSON *root = cJSON_CreateObject();
	cJSON_AddItemToObject(root, "ticket", api_issued_ticket_json(a, req));
	return (struct api_answer){201, root};
}

cJSON *api_issued_ticket_json(struct api *a, const struct core_request *req)
{
	int32_t day = req->cmd.clock.day;
	cJSON *t = ticket_json(a, &req->ticket, day, true);

	cJSON_AddNumberToObject(t, "people_ahead", req->res.people_ahead);
	cJSON_AddNumberToObject(t, "estimated_wait_min", req->res.estimated_wait_min);
	if (a->cfg->ticket_url[0]) {
		char url[CONFIG_TEXT_SIZE + CORE_TOKEN_SIZE], token[CORE_TOKEN_SIZE];
		core_ticket_token(a->core, day, req->ticket.id, token);
		snprintf(url, sizeof(url), "%s%s", a->cfg->ticket_url, token);
		cJSON_AddStringToObject(t, "status_url", url);
	} else {
		cJSON_AddNullToObject(t, "status_url");
	}
	return t;
}

static struct api_answer window_operation(struct api *a, struct core_request *req, int w)
{
	int rc = core_call(a->core, req);
	if (rc != CORE_OK || req->err < 0)
		return core_failure(a, rc, req->err);
	if (req->err != ENGINE_OK)
		return engine_refusal(req->err);
	struct core_view *v = malloc(sizeof(*v));
	if (!v)
		return error_answer(500, "INTERNAL", "out of memory");
	core_view(a->core, v);
	cJSON *root = cJSON_CreateObject();
	cJSON_AddItemToObject(root, "window", window_json(a, v, w));
	if (req->res.ticket != ENGINE_NO_TICKET)
		cJSON_AddItemToObject(root, "ticket",
				      ticket_json(a, &req->ticket, req->cmd.clock.day, false));
	else
		cJSON_AddNullToObject(root, "ticket");
	free(v);
	return (struct api_answer){200, root};
}

static struct api_answer get_services(struct api *a)
{
	struct core_view *v = malloc(sizeof(*v));

	if (!v)
		return error_answer(500, "INTERNAL", "out of memory");
	core_view(a->core, v);
	cJSON *root = cJSON_CreateObject();
	cJSON_AddItemToObject(root, "services", services_json(a, v, false));
	free(v);
	return (struct api_answer){200, root};
}

static struct api_answer get_state(struct api *a)
{
	struct core_view *v = malloc(sizeof(*v));
	struct api_device *devs = calloc(DEVICES_MAX, sizeof(*devs));
	char buf[48];

	if (!v || !devs) {
		free(v);
		free(devs);
		return error_answer(500, "INTERNAL", "out of memory");
	}
	/* the event id first: the state read after it is at least that new */
	api_events_last_id(&a->events, buf, sizeof(buf));
	core_view(a->core, v);
	cJSON *root = cJSON_CreateObject();
	cJSON_AddStringToObject(root, "hall", a->cfg->hall.name);
	cJSON *reasons = cJSON_AddArrayToObject(root, "pause_reasons");
	for (int k = 0; k < a->cfg->hall.queue.n_pause_reasons; k++)
		cJSON_AddItemToArray(reasons,
				     cJSON_CreateString(a->cfg->hall.queue.pause_reasons[k]));
	char day[16];
	day_text(v->day, day, sizeof(day));
	cJSON_AddStringToObject(root, "day", day);
	add_time(root, "now", v->now_s);
	cJSON_AddStringToObject(root, "event_id", buf);
	cJSON_AddItemToObject(root, "store", store_json(v));
	cJSON_AddItemToObject(root, "services", services_json(a, v, false));
	cJSON *windows = cJSON_AddArrayToObject(root, "windows");
	for (int w = 0; w < a->cfg->hall.n_windows; w++)
		cJSON_AddItemToArray(windows, window_json(a, v, w));
	cJSON *calls = cJSON_AddArrayToObject(root, "recent_calls");
	pthread_mutex_lock(&a->mu);
	/* calls of an earlier business day are not today's */
	for (int k = 0; a->recent_day == v->day && k < a->n_recent; k++) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "ticket", a->recent[k].ticket);
		cJSON_AddStringToObject(o, "service",
					a->cfg->hall.services[a->recent[k].service].id);
		cJSON_AddNumberToObject(o, "window", a->recent[k].window);
		add_time(o, "at", a->recent[k].at_s);
		cJSON_AddBoolToObject(o, "recall", a->recent[k].recall);
		cJSON_AddItemToArray(calls, o);
	}
	pthread_mutex_unlock(&a->mu);
	cJSON *list = cJSON_AddArrayToObject(root, "devices");
	int n = a->hooks.devices ? a->hooks.devices(a->hooks.arg, devs, DEVICES_MAX) : 0;
	for (int k = 0; k < n; k++)
		cJSON_AddItemToArray(list, device_json(&devs[k]));
	free(v);
	free(devs);
	return (struct api_answer){200, root};
}

static struct api_answer get_ticket(struct api *a, const char *token)
{
	struct core_view *v = malloc(sizeof(*v));

	if (!v)
		return error_answer(500, "INTERNAL", "out of memory");
	core_view(a->core, v);
	int32_t day = v->day;
	free(v);
	uint32_t id = core_token_ticket(a->core, day, token);
	if (id == ENGINE_NO_TICKET)
		return error_answer(404, "NOT_FOUND", "no such ticket today");
	struct core_request req;
	new_request(&req, NULL, CORE_OP_NONE);
	req.query = true;
	req.cmd.ticket = id;
	int rc = core_call(a->core, &req);
	if (rc != CORE_OK || req.err < 0)
		return core_failure(a, rc, req.err);
	if (req.err != ENGINE_OK)
		return error_answer(404, "NOT_FOUND", "no such ticket today");
	cJSON *t = ticket_json(a, &req.ticket, day, false);
	if (req.ticket.state == ENGINE_TICKET_WAITING) {
		cJSON_AddNumberToObject(t, "people_ahead", req.res.people_ahead);
		cJSON_AddNumberToObject(t, "estimated_wait_min", req.res.estimated_wait_min);
	} else {
		cJSON_AddNullToObject(t, "people_ahead");
		cJSON_AddNullToObject(t, "estimated_wait_min");
	}
	cJSON *root = cJSON_CreateObject();
	cJSON_AddItemToObject(root, "ticket", t);
	return (struct api_answer){200, root};
}

/* The caller's token entry, or NULL. GET may carry ?access_token=. */
static const struct api_token *caller(const struct api_tokens *tokens,
				      const struct api_http_request *rq, bool is_get)
{
	if (rq->authorization) {
		if (strncmp(rq->authorization, "Bearer ", 7) != 0)
			return NULL;
		return api_tokens_find(tokens, rq->authorization + 7);
	}
	if (is_get && rq->access_token)
		return api_tokens_find(tokens, rq->access_token);
	return NULL;
}

static bool content_is_json(const char *ct)
{
	return ct && strncmp(ct, "application/json", 16) == 0 && (ct[16] == '\0' || ct[16] == ';');
}

/* Routes a request under /api/v1 (path: what follows it). */
static void route_api(const struct config *cfg, const struct api_tokens *tokens, const char *path,
		      const struct api_http_request *rq, struct api_route *out)
{
	bool is_get = strcmp(rq->method, "GET") == 0, is_post = strcmp(rq->method, "POST") == 0;
	char rest[128];

	out->action = API_ANSWER;
	/* the ticket page's question needs no bearer token */
	if (strncmp(path, "tickets/", 8) == 0) {
		if (!is_get) {
			out->answer = error_answer(405, "METHOD_NOT_ALLOWED",
						   "use GET for a ticket's status");
			return;
		}
		out->action = API_TICKET;
		out->token = path + 8;
		return;
	}
	/* the appointments (bookings.c): the citizens' endpoints need no token */
	if (api_bookings_has_path(path)) {
		api_route_bookings(cfg, caller(tokens, rq, is_get), path, rq, out);
		return;
	}
	bool known = strcmp(path, "tickets") == 0 || strcmp(path, "state") == 0 ||
		     strcmp(path, "services") == 0 || strcmp(path, "events") == 0 ||
		     strncmp(path, "windows/", 8) == 0;
	if (!known) {
		out->answer = error_answer(404, "NOT_FOUND", "no such endpoint");
		return;
	}
	bool wants_post = strcmp(path, "tickets") == 0 || strncmp(path, "windows/", 8) == 0;
	if ((wants_post && !is_post) || (!wants_post && !is_get)) {
		out->answer = error_answer(405, "METHOD_NOT_ALLOWED", "use %s here",
					   wants_post ? "POST" : "GET");
		return;
	}
	const struct api_token *who = caller(tokens, rq, is_get);
	if (!who) {
		out->answer = error_answer(401, "UNAUTHORIZED", "a valid bearer token is required");
		return;
	}
	if (is_post && rq->too_large) {
		out->answer =
		    error_answer(413, "BODY_TOO_LARGE", "the body is over %d bytes", API_BODY_MAX);
		return;
	}
	if (is_post && rq->len > 0 && !content_is_json(rq->content_type)) {
		out->answer = error_answer(415, "NOT_JSON", "the body must be application/json");
		return;
	}
	if (strcmp(path, "tickets") == 0) {
		route_issue(cfg, who, rq, out);
		return;
	}
	if (strcmp(path, "state") == 0) {
		out->action = API_STATE;
		return;
	}
	if (strcmp(path, "services") == 0) {
		out->action = API_SERVICES;
		return;
	}
	if (strcmp(path, "events") == 0) {
		out->action = API_EVENTS;
		return;
	}
	/* windows/{n}/{operation}: n plain decimal digits */
	const char *p = path + 8;
	char *end;
	errno = 0;
	long n = p[0] >= '0' && p[0] <= '9' ? strtol(p, &end, 10) : -1;
	char extra;
	if (n >= 0 && n <= INT_MAX && errno == 0 && *end == '/' &&
	    sscanf(end + 1, "%127[a-z-]%c", rest, &extra) == 1) {
		route_window(cfg, who, (int)n, rest, rq, out);
		return;
	}
	out->answer = error_answer(404, "NOT_FOUND", "no such endpoint");
}

static const char *content_type(const char *path)
{
	static const struct {
		const char *ext, *type;
	} types[] = {
	    {".html", "text/html; charset=utf-8"},
	    {".css", "text/css; charset=utf-8"},
	    {".js", "text/javascript; charset=utf-8"},
	    {".json", "application/json; charset=utf-8"},
	    {".png", "image/png"},
	    {".svg", "image/svg+xml"},
	    {".ico", "image/x-icon"},
	    {".woff2", "font/woff2"},
	};
	const char *dot = strrchr(path, '.');

	for (size_t k = 0; dot && k < sizeof(types) / sizeof(types[0]); k++)
		if (strcmp(dot, types[k].ext) == 0)
			return types[k].type;
	return NULL;
}

/* A page of web_dir: a path from "/" of plain names of letters, digits
 * and ._-/, no "..". (Without its leading slash, a request target named a
 * file beside web_dir: "GET -x.html" read web_dir + "-x.html".) */
static void route_page(const struct api_http_request *rq, struct api_route *out)
{
	const char *url = rq->url, *type = content_type(url);
	bool ok =
	    type && url[0] == '/' && strlen(url) < 200 && !strstr(url, "..") && !strstr(url, "//");

	for (const char *p = url; ok && *p; p++)
		ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		     (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' || *p == '-' || *p == '/';
	if (!ok) {
		out->action = API_ANSWER;
		out->answer = error_answer(404, "NOT_FOUND", "no such page");
		return;
	}
	out->action = API_PAGE;
	out->page = url;
	out->page_type = type;
}

void api_route(const struct config *cfg, const struct api_tokens *tokens,
	       const struct api_http_request *rq, struct api_route *out)
{
	memset(out, 0, sizeof(*out));
	out->window = -1;
	if (strncmp(rq->url, "/api/v1/", 8) == 0) {
		route_api(cfg, tokens, rq->url + 8, rq, out);
	} else if (strcmp(rq->method, "GET") != 0 && strcmp(rq->method, "HEAD") != 0) {
		out->action = API_ANSWER;
		out->answer = error_answer(405, "METHOD_NOT_ALLOWED", "pages are GET only");
	} else if (strcmp(rq->url, "/") == 0) {
		out->action = API_REDIRECT;
	} else {
		route_page(rq, out);
	}
}

/* ---- the server ---- */

static enum MHD_Result send_json(struct MHD_Connection *con, struct api_answer ans)
{
	char *text = cJSON_PrintUnformatted(ans.json);
	cJSON_Delete(ans.json);
	if (!text)
		return MHD_NO;
	struct MHD_Response *res =
	    MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
	if (!res) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(res, "Content-Type", "application/json; charset=utf-8");
	MHD_add_response_header(res, "Cache-Control", "no-store");
	MHD_add_response_header(res, "X-Content-Type-Options", "nosniff");
	enum MHD_Result r = MHD_queue_response(con, ans.status, res);
	MHD_destroy_response(res);
	return r;
}

/*
 * What a browser is told about the pages (docs/security.md): they load
 * nothing but the hall server's own files (no inline code, the icon a
 * data: URL), are never framed, and never pass their address (which
 * carries the API token) on as a Referer; no type is guessed.
 */
static void add_page_headers(struct MHD_Response *res)
{
	MHD_add_response_header(res, "Content-Security-Policy",
				"default-src 'self'; img-src 'self' data:; base-uri 'none'; "
				"form-action 'self'; frame-ancestors 'none'");
	MHD_add_response_header(res, "X-Frame-Options", "DENY");
	MHD_add_response_header(res, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(res, "X-Content-Type-Options", "nosniff");
}

/* The page api_route() let through, if web_dir has it. */
static enum MHD_Result send_file(struct api *a, struct MHD_Connection *con, const char *page,
				 const char *type)
{
	char path[CONFIG_PATH_SIZE + 256];
	struct stat st;

	snprintf(path, sizeof(path), "%s%s", a->cfg->api.web_dir, page);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		if (fd >= 0)
			close(fd);
		return send_json(con, error_answer(404, "NOT_FOUND", "no such page"));
	}
	struct MHD_Response *res = MHD_create_response_from_fd((uint64_t)st.st_size, fd);
	if (!res) {
		close(fd);
		return MHD_NO;
	}
	MHD_add_response_header(res, "Content-Type", type);
	MHD_add_response_header(res, "Cache-Control", "no-cache");
	add_page_headers(res);
	enum MHD_Result r = MHD_queue_response(con, MHD_HTTP_OK, res);
	MHD_destroy_response(res);
	return r;
}

static enum MHD_Result send_redirect(struct MHD_Connection *con)
{
	struct MHD_Response *res =
	    MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	if (!res)
		return MHD_NO;
	MHD_add_response_header(res, "Location", "/hall.html");
	enum MHD_Result r = MHD_queue_response(con, MHD_HTTP_FOUND, res);
	MHD_destroy_response(res);
	return r;
}

static enum MHD_Result send_events(struct api *a, struct MHD_Connection *con)
{
	const char *last = MHD_lookup_connection_value(con, MHD_HEADER_KIND, "Last-Event-ID");
	if (!last) /* a page's first EventSource, from the state it read */
		last = MHD_lookup_connection_value(con, MHD_GET_ARGUMENT_KIND, "last_event_id");
	struct api_stream *s = api_stream_new(&a->events, last);

	if (!s)
		return MHD_NO;
	struct MHD_Response *res = MHD_create_response_from_callback(
	    MHD_SIZE_UNKNOWN, 64 * 1024, api_stream_read, s, api_stream_free);
	if (!res) {
		api_stream_free(s);
		return MHD_NO;
	}
	MHD_add_response_header(res, "Content-Type", "text/event-stream; charset=utf-8");
	MHD_add_response_header(res, "Cache-Control", "no-store");
	enum MHD_Result r = MHD_queue_response(con, MHD_HTTP_OK, res);
	MHD_destroy_response(res);
	return r;
}

/* A complete request: routed by api_route(), then carried out. */
static enum MHD_Result answer_request(struct api *a, struct MHD_Connection *con, const char *url,
				      const char *method, const struct request *body)
{
	const struct api_http_request rq = {
	    .method = method,
	    .url = url,
	    .authorization = MHD_lookup_connection_value(con, MHD_HEADER_KIND, "Authorization"),
	    .access_token = MHD_lookup_connection_value(con, MHD_GET_ARGUMENT_KIND, "access_token"),
	    .content_type = MHD_lookup_connection_value(con, MHD_HEADER_KIND, "Content-Type"),
	    .query_service = MHD_lookup_connection_value(con, MHD_GET_ARGUMENT_KIND, "service"),
	    .query_date = MHD_lookup_connection_value(con, MHD_GET_ARGUMENT_KIND, "date"),
	    .query_format = MHD_lookup_connection_value(con, MHD_GET_ARGUMENT_KIND, "format"),
	    .body = body->body,
	    .len = body->len,
	    .too_large = body->too_large,
	};
	struct api_route *r = malloc(sizeof(*r));
	enum MHD_Result result;

	if (!r)
		return MHD_NO;
	/* The tokens stay put while the request is checked (a reload waits);
	 * the route keeps nothing of them: its core request has the caller's
	 * name copied in. */
	pthread_rwlock_rdlock(&a->tokens_lock);
	api_route(a->cfg, &a->tokens, &rq, r);
	pthread_rwlock_unlock(&a->tokens_lock);
	switch (r->action) {
	case API_ISSUE:
		result = send_json(con, issue_ticket(a, &r->req));
		break;
	case API_WINDOW:
		result = send_json(con, window_operation(a, &r->req, r->window));
		break;
	case API_STATE:
		result = send_json(con, get_state(a));
		break;
	case API_SERVICES:
		result = send_json(con, get_services(a));
		break;
	case API_EVENTS:
		result = send_events(a, con);
		break;
	case API_TICKET:
		result = send_json(con, get_ticket(a, r->token));
		break;
	case API_PAGE:
		result = send_file(a, con, r->page, r->page_type);
		break;
	case API_REDIRECT:
		result = send_redirect(con);
		break;
	case API_APPOINTMENTS:
	case API_SLOTS:
	case API_BOOK:
	case API_BOOKING:
	case API_CANCEL:
	case API_BOOKING_QR:
	case API_CHECK_IN:
	case API_BOOKINGS:
		result = (enum MHD_Result)api_bookings_answer(a, a->bookings, con, r);
		break;
	default:
		result = send_json(con, r->answer);
		break;
	}
	free(r);
	return result;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *con, const char *url,
				  const char *method, const char *version, const char *data,
				  size_t *data_size, void **con_cls)
{
	struct api *a = cls;
	struct request *rq = *con_cls;

	(void)version;
	if (!rq) {
		rq = calloc(1, sizeof(*rq));
		if (!rq)
			return MHD_NO;
		*con_cls = rq;
		return MHD_YES;
	}
	if (*data_size) {
		if (!rq->too_large && rq->len + *data_size <= API_BODY_MAX) {
			char *b = realloc(rq->body, rq->len + *data_size + 1);
			if (!b)
				return MHD_NO;
			memcpy(b + rq->len, data, *data_size);
			rq->body = b;
			rq->len += *data_size;
			rq->body[rq->len] = '\0';
		} else {
			rq->too_large = true; /* read on, answered 413 at the end */
		}
		*data_size = 0;
		return MHD_YES;
	}
	return answer_request(a, con, url, method, rq);
}

static void on_completed(void *cls, struct MHD_Connection *con, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct request *rq = *con_cls;

	(void)cls;
	(void)con;
	(void)toe;
	if (rq) {
		free(rq->body);
		free(rq);
	}
	*con_cls = NULL;
}

static void mhd_log(void *cls, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

/* libmicrohttpd's own messages (a client gone mid-stream, ...) go to the
 * log at debug level, not to stderr. */
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[512];

	(void)cls;
	vsnprintf(line, sizeof(line), fmt, ap);
	size_t n = strlen(line);
	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	log_debug("http: %s", line);
}

struct api *api_new(const struct config *cfg, struct core *core, const struct api_hooks *hooks,
		    char *err, int err_size)
{
	struct api *a = calloc(1, sizeof(*a));

	if (!a) {
		snprintf(err, (size_t)err_size, "out of memory");
		return NULL;
	}
	a->cfg = cfg;
	a->core = core;
	if (hooks)
		a->hooks = *hooks;
	pthread_mutex_init(&a->mu, NULL);
	pthread_rwlock_init(&a->tokens_lock, NULL);
	api_events_init(&a->events);
	a->bookings = api_bookings_new(cfg);
	if (!a->bookings) {
		snprintf(err, (size_t)err_size, "out of memory");
		api_free(a);
		return NULL;
	}
	if (api_tokens_load(&a->tokens, cfg->api.tokens_file, cfg, err, err_size) != 0 ||
	    core_observe(core, on_change, a) != 0) {
		if (!err[0])
			snprintf(err, (size_t)err_size, "the API cannot follow the core");
		api_free(a);
		return NULL;
	}
	return a;
}

int api_start(struct api *a, char *err, int err_size)
{
	struct sockaddr_in in4;
	struct sockaddr_in6 in6;
	const struct sockaddr *addr;
	unsigned flags =
	    MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;

	memset(&in4, 0, sizeof(in4));
	memset(&in6, 0, sizeof(in6));
	if (inet_pton(AF_INET, a->cfg->api.bind, &in4.sin_addr) == 1) {
		in4.sin_family = AF_INET;
		in4.sin_port = htons((uint16_t)a->cfg->api.port);
		addr = (const struct sockaddr *)&in4;
	} else if (inet_pton(AF_INET6, a->cfg->api.bind, &in6.sin6_addr) == 1) {
		in6.sin6_family = AF_INET6;
		in6.sin6_port = htons((uint16_t)a->cfg->api.port);
		addr = (const struct sockaddr *)&in6;
		flags |= MHD_USE_IPv6;
	} else {
		snprintf(err, (size_t)err_size, "api.bind \"%s\" is not an address",
			 a->cfg->api.bind);
		return -1;
	}
	a->daemon = MHD_start_daemon(flags, (uint16_t)a->cfg->api.port, NULL, NULL, on_request, a,
				     MHD_OPTION_SOCK_ADDR, addr, MHD_OPTION_NOTIFY_COMPLETED,
				     on_completed, a, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, a,
				     MHD_OPTION_CONNECTION_LIMIT, (unsigned)CONNECTION_LIMIT,
				     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120, MHD_OPTION_END);
	if (!a->daemon) {
		snprintf(err, (size_t)err_size, "cannot listen on %s port %d: %s", a->cfg->api.bind,
			 a->cfg->api.port, strerror(errno));
		return -1;
	}
	log_info("API listening on http://%s:%d/ (pages from %s)", a->cfg->api.bind,
		 a->cfg->api.port, a->cfg->api.web_dir);
	return 0;
}

void api_stop(struct api *a)
{
	if (!a || !a->daemon)
		return;
	api_events_stop(&a->events); /* the streams end */
	MHD_stop_daemon(a->daemon);
	a->daemon = NULL;
}

void api_free(struct api *a)
{
	if (!a)
		return;
	api_stop(a);
	api_tokens_free(&a->tokens);
	api_bookings_free(a->bookings);
	api_events_free(&a->events);
	pthread_rwlock_destroy(&a->tokens_lock);
	pthread_mutex_destroy(&a->mu);
	free(a);
}

int api_reload_tokens(struct api *a, char *err, int err_size)
{
	struct api_tokens fresh, old;

	if (api_tokens_load(&fresh, a->cfg->api.tokens_file, a->cfg, err, err_size) != 0)
		return -1;
	pthread_rwlock_wrlock(&a->tokens_lock);
	old = a->tokens;
	a->tokens = fresh;
	pthread_rwlock_unlock(&a->tokens_lock);
	api_tokens_free(&old);
	log_info("%s: %d API token%s in force", a->cfg->api.tokens_file, fresh.n,
		 fresh.n == 1 ? "" : "s");
	return 0;
}

/* ---- for the other files of the room (api_impl.h) ---- */

const struct config *api_config(const struct api *a)
{
	return a->cfg;
}

struct core *api_core(const struct api *a)
{
	return a->core;
}

struct api_answer api_error(unsigned status, const char *code, const char *fmt, ...)
{
	char message[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	return error_answer(status, code, "%s", message);
}

struct api_answer api_core_failure(struct api *a, int rc, int err)
{
	return core_failure(a, rc, err);
}

struct api_answer api_refusal(int err)
{
	return engine_refusal(err);
}

int api_send(struct MHD_Connection *con, struct api_answer ans)
{
	return send_json(con, ans);
}

bool api_parse_body(const struct api_http_request *rq, const char *const *allowed, cJSON **out,
		    struct api_answer *err)
{
	return parse_body(rq, allowed, out, err);
}

bool api_get_str(const cJSON *o, const char *key, bool required, const char **out,
		 struct api_answer *err)
{
	return get_str(o, key, required, out, err);
}

bool api_content_is_json(const char *content_type)
{
	return content_is_json(content_type);
}

int api_quoted_len(const char *s, int max)
{
	return quoted_len(s, max);
}

void api_add_time(cJSON *o, const char *key, int64_t s)
{
	add_time(o, key, s);
}

void api_day_text(int32_t day, char *out, size_t size)
{
	day_text(day, out, size);
}
