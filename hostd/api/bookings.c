/*
 * bookings.c — the appointment endpoints of docs/api.md ("Appointments",
 * 预约制度): the services and slots open for booking, booking, a
 * booking's status and its cancel (the citizens', without a token), the
 * check-in at a touch kiosk (kiosk role), and a day's list and CSV export
 * (supervisor).
 *
 * Room: hostd/api. The core decides every booking (core_call with
 * req.booking set), one after another, so the last places of a slot go to
 * exactly as many requests as there are places. api_route_bookings()
 * checks each request whole without the core or the network (a part of
 * api_route(), fuzzed with it); api_bookings_answer() limits the
 * citizens' requests per client address (appointments.requests_per_minute)
 * and asks the core. Phone numbers are shown masked only (the core never
 * hands out more).
 */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "api/api_impl.h"

enum {
	LIMIT_CLIENTS = 1024, /* client addresses the limit remembers */
	KEY_MIN = 8,          /* idempotency key length */
	KEY_MAX = STORE_BOOKING_KEY_SIZE - 1,
	DAYS_MAX = 91, /* days_ahead 0..90 */
	URL_SIZE = CONFIG_TEXT_SIZE + STORE_BOOKING_CODE_SIZE,
};

struct client {
	char addr[INET6_ADDRSTRLEN];
	int64_t minute; /* the minute (monotonic) count belongs to */
	int count;
};

struct api_bookings {
	int per_minute; /* 0: no limit */
	pthread_mutex_t mu;
	struct client clients[LIMIT_CLIENTS];
};

struct api_bookings *api_bookings_new(const struct config *cfg)
{
	struct api_bookings *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	b->per_minute = cfg->appointments.requests_per_minute;
	pthread_mutex_init(&b->mu, NULL);
	return b;
}

void api_bookings_free(struct api_bookings *b)
{
	if (!b)
		return;
	pthread_mutex_destroy(&b->mu);
	free(b);
}

bool api_bookings_has_path(const char *path)
{
	return strcmp(path, "appointments") == 0 || strcmp(path, "slots") == 0 ||
	       strcmp(path, "bookings") == 0 || strncmp(path, "bookings/", 9) == 0;
}

/* ---- the limit per client address ---- */

static int64_t mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec;
}

static void client_address(struct MHD_Connection *con, char *out, size_t size)
{
	const union MHD_ConnectionInfo *info =
	    MHD_get_connection_info(con, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = info ? info->client_addr : NULL;

	snprintf(out, size, "?");
	if (sa && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out,
			  (socklen_t)size);
	else if (sa && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
			  out, (socklen_t)size);
}

/*
 * Counts one request of addr in the current minute; returns 0 when it
 * may go on, else the seconds until the next minute. A full table gives
 * the place of the client seen longest ago.
 */
static int limit_retry_s(struct api_bookings *b, const char *addr)
{
	int64_t now = mono_s(), minute = now / 60;
	struct client *c = NULL, *oldest = &b->clients[0];
	int retry = 0;

	if (b->per_minute <= 0)
		return 0;
	pthread_mutex_lock(&b->mu);
	for (int k = 0; k < LIMIT_CLIENTS && !c; k++) {
		if (strcmp(b->clients[k].addr, addr) == 0)
			c = &b->clients[k];
		else if (b->clients[k].minute < oldest->minute)
			oldest = &b->clients[k];
	}
	if (!c) {
		c = oldest;
		snprintf(c->addr, sizeof(c->addr), "%s", addr);
		c->minute = minute;
		c->count = 0;
	}
	if (c->minute != minute) {
		c->minute = minute;
		c->count = 0;
	}
	if (c->count >= b->per_minute)
		retry = (int)(60 - now % 60);
	else
		c->count++;
	pthread_mutex_unlock(&b->mu);
	return retry;
}

static int send_too_many(struct MHD_Connection *con, int retry_s)
{
	struct api_answer ans =
	    api_error(429, "TOO_MANY_REQUESTS",
		      "too many booking requests from this address; try again in "
		      "%d s",
		      retry_s);
	char *text = cJSON_PrintUnformatted(ans.json);
	char value[16];

	cJSON_Delete(ans.json);
	if (!text)
		return MHD_NO;
	struct MHD_Response *res =
	    MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
	if (!res) {
		free(text);
		return MHD_NO;
	}
	snprintf(value, sizeof(value), "%d", retry_s);
	MHD_add_response_header(res, "Content-Type", "application/json; charset=utf-8");
	MHD_add_response_header(res, "Cache-Control", "no-store");
	MHD_add_response_header(res, "Retry-After", value);
	MHD_add_response_header(res, "X-Content-Type-Options", "nosniff");
	int r = MHD_queue_response(con, 429, res);
	MHD_destroy_response(res);
	return r;
}

/* ---- JSON and text of the hall's things ---- */

static void hhmm_of(int64_t t, char *out, size_t size)
{
	struct engine_clock c;

	core_clock_at(t, &c);
	snprintf(out, size, "%02d:%02d", c.minute / 60 % 24, c.minute % 60);
}

/* "2026-11-30T09:00": what a slot is named by, and booked with. */
static void slot_name(int32_t day, int minute, char *out, size_t size)
{
	char d[16];

	api_day_text(day, d, sizeof(d));
	snprintf(out, size, "%sT%02d:%02d", d, minute / 60 % 24, minute % 60);
}

static cJSON *booking_json(const struct api *a, const struct store_booking *row, bool full)
{
	const struct config *cfg = api_config(a);
	int s = config_service_index(cfg, row->service);
	char text[URL_SIZE], from[16], to[16];
	struct engine_clock at;
	cJSON *o = cJSON_CreateObject();

	core_clock_at(row->slot_s, &at);
	cJSON_AddStringToObject(o, "code", row->code);
	cJSON_AddStringToObject(o, "service", row->service);
	if (s >= 0)
		cJSON_AddStringToObject(o, "service_name", cfg->hall.services[s].name);
	else
		cJSON_AddNullToObject(o, "service_name");
	api_day_text(row->day, text, sizeof(text));
	cJSON_AddStringToObject(o, "date", text);
	slot_name(at.day, at.minute, text, sizeof(text));
	cJSON_AddStringToObject(o, "slot", text);
	hhmm_of(row->slot_s, from, sizeof(from));
	hhmm_of(row->slot_s + (int64_t)row->slot_min * 60, to, sizeof(to));
	cJSON_AddStringToObject(o, "start", from);
	cJSON_AddStringToObject(o, "end", to);
	cJSON_AddStringToObject(o, "phone", row->phone_mask);
	cJSON_AddStringToObject(o, "state", store_booking_state_name(row->state));
	if (row->ticket[0])
		cJSON_AddStringToObject(o, "ticket", row->ticket);
	else
		cJSON_AddNullToObject(o, "ticket");
	cJSON_AddBoolToObject(o, "late", row->late);
	api_add_time(o, "created_at", row->created_s);
	api_add_time(o, "checked_in_at", row->checked_in_s);
	api_add_time(o, "cancelled_at", row->cancelled_s);
	if (full) {
		if (row->check_in_source[0])
			cJSON_AddStringToObject(o, "checked_in_by", row->check_in_source);
		else
			cJSON_AddNullToObject(o, "checked_in_by");
	}
	if (cfg->appointments.booking_url[0]) {
		snprintf(text, sizeof(text), "%s%s", cfg->appointments.booking_url, row->code);
		cJSON_AddStringToObject(o, "url", text);
	} else {
		cJSON_AddNullToObject(o, "url");
	}
	return o;
}

static struct api_answer booking_answer(const struct api *a, unsigned status,
					const struct store_booking *row)
{
	cJSON *root = cJSON_CreateObject();

	cJSON_AddItemToObject(root, "booking", booking_json(a, row, false));
	return (struct api_answer){status, root};
}

/* A refusal of the core, with the particulars a citizen needs. */
static struct api_answer booking_refusal(const struct core_request *req)
{
	char day[16];

	switch (req->err) {
	case CORE_REFUSE_ALREADY_CHECKED_IN:
		return api_error(409, core_error_name(req->err), "%s (ticket %s)",
				 core_strerror(req->err), req->booking.row.ticket);
	case CORE_REFUSE_NOT_TODAY:
		api_day_text(req->booking.row.day, day, sizeof(day));
		return api_error(409, core_error_name(req->err), "the booking is for %s", day);
	case CORE_REFUSE_PHONE_BLOCKED:
		api_day_text(req->booking.blocked_until, day, sizeof(day));
		return api_error(409, core_error_name(req->err), "%s: it may book again after %s",
				 core_strerror(req->err), day);
	}
	return api_refusal(req->err);
}

/* ---- parsing ---- */

/* "2026-11-30" -> 20261130, else -1 (a year from 2000 on). */
static int32_t parse_day(const char *s)
{
	static const int days_in[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int y, m, d, n = -1;

	if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-' ||
	    sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 || n != 10 || y < 2000 || y > 9999 ||
	    m < 1 || m > 12 || d < 1)
		return -1;
	for (int k = 0; k < 10; k++)
		if (k != 4 && k != 7 && (s[k] < '0' || s[k] > '9'))
			return -1;
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (d > days_in[m - 1] + (m == 2 && leap))
		return -1;
	return (int32_t)(y * 10000 + m * 100 + d);
}

/* "2026-11-30T09:00" -> day and minute, else false. */
static bool parse_slot(const char *s, int32_t *day, int *minute)
{
	char d[11];

	if (!s || strlen(s) != 16 || s[10] != 'T' || s[13] != ':')
		return false;
	memcpy(d, s, 10);
	d[10] = '\0';
	*day = parse_day(d);
	for (int k = 11; k < 16; k++)
		if (k != 13 && (s[k] < '0' || s[k] > '9'))
			return false;
	int h = (s[11] - '0') * 10 + (s[12] - '0'), m = (s[14] - '0') * 10 + (s[15] - '0');
	*minute = h * 60 + m;
	return *day > 0 && h < 24 && m < 60;
}

static bool key_is_valid(const char *s)
{
	size_t n = strlen(s);

	if (n < KEY_MIN || n > KEY_MAX)
		return false;
	for (size_t k = 0; k < n; k++)
		if (!((s[k] >= 'a' && s[k] <= 'z') || (s[k] >= 'A' && s[k] <= 'Z') ||
		      (s[k] >= '0' && s[k] <= '9') || s[k] == '-' || s[k] == '_'))
			return false;
	return true;
}

static void new_booking_request(struct core_request *req, int op, const struct api_token *who)
{
	memset(req, 0, sizeof(*req));
	req->cmd.op = CORE_OP_NONE;
	req->cmd.window = -1;
	req->cmd.service = -1;
	req->cmd.target_window = -1;
	req->cmd.ticket = ENGINE_NO_TICKET;
	req->cmd.reason = -1;
	req->booking.op = op;
	req->booking.service = -1;
	snprintf(req->source, sizeof(req->source), "api:%.24s", who ? who->name : "public");
}

/* The business day the core is in. */
static int32_t today(const struct api *a)
{
	struct core_view *v = malloc(sizeof(*v));
	int32_t day = 0;

	if (v) {
		core_view(api_core(a), v);
		day = v->day;
		free(v);
	}
	return day;
}

/* ---- routes: a request checked whole, without the core (api_route) ---- */

/*
 * 404 for a query's service= the config lacks. A query is whatever bytes
 * the address held, not checked UTF-8 as a body is: only a name that
 * could be a service id (letters, digits, - and _) is quoted back, so the
 * answer stays UTF-8 JSON.
 */
static struct api_answer unknown_service(const char *id)
{
	size_t n = strlen(id);
	bool plain = n > 0 && n < ENGINE_ID_SIZE;

	for (size_t k = 0; plain && k < n; k++)
		plain = (id[k] >= 'a' && id[k] <= 'z') || (id[k] >= 'A' && id[k] <= 'Z') ||
			(id[k] >= '0' && id[k] <= '9') || id[k] == '-' || id[k] == '_';
	if (plain)
		return api_error(404, "NOT_FOUND", "no service \"%s\"", id);
	return api_error(404, "NOT_FOUND", "no such service (service= is not a service id)");
}

static void route_error(struct api_route *out, struct api_answer ans)
{
	out->action = API_ANSWER;
	out->answer = ans;
}

/* POST bookings: the body's four fields, each checked. */
static void route_book(const struct config *cfg, const struct api_http_request *rq,
		       struct api_route *out)
{
	static const char *const fields[] = {"service", "slot", "phone", "idempotency_key", NULL};
	const char *service, *slot, *phone, *key;
	struct api_answer err;
	cJSON *body;
	int32_t day = 0;
	int minute = 0, s = -1;

	if (!api_parse_body(rq, fields, &body, &err)) {
		route_error(out, err);
		return;
	}
	bool ok = api_get_str(body, "service", true, &service, &err) &&
		  api_get_str(body, "slot", true, &slot, &err) &&
		  api_get_str(body, "phone", true, &phone, &err) &&
		  api_get_str(body, "idempotency_key", true, &key, &err);
	if (ok && (s = config_service_index(cfg, service)) < 0) {
		err = api_error(404, "NOT_FOUND", "no service \"%.*s\"",
				api_quoted_len(service, 64), service);
		ok = false;
	} else if (ok && !parse_slot(slot, &day, &minute)) {
		err = api_error(400, "BAD_FIELD",
				"\"slot\": expected a slot such as 2026-11-30T09:00 (GET "
				"/api/v1/slots)");
		ok = false;
	} else if (ok && !core_phone_is_valid(phone)) {
		/* the message never repeats the number */
		err = api_error(400, "BAD_FIELD",
				"\"phone\": expected a mobile number, 11 digits: 1, then 3 to 9, "
				"then 9 more");
		ok = false;
	} else if (ok && !key_is_valid(key)) {
		err = api_error(400, "BAD_FIELD",
				"\"idempotency_key\": expected %d to %d letters, digits, - or _",
				KEY_MIN, KEY_MAX);
		ok = false;
	}
	int64_t slot_s = ok ? core_local_time(day, minute) : 0;
	if (ok && slot_s <= 0) {
		err = api_error(400, "BAD_FIELD", "\"slot\": not a time this host can name");
		ok = false;
	}
	if (ok) {
		new_booking_request(&out->req, CORE_BOOKING_BOOK, NULL);
		out->req.booking.service = s;
		out->req.booking.slot_s = slot_s;
		snprintf(out->req.booking.phone, sizeof(out->req.booking.phone), "%s", phone);
		snprintf(out->req.booking.key, sizeof(out->req.booking.key), "%s", key);
		out->action = API_BOOK;
	} else {
		route_error(out, err);
	}
	cJSON_Delete(body);
}

/* GET slots?service=ID&date=YYYY-MM-DD */
static void route_slots(const struct config *cfg, const struct api_http_request *rq,
			struct api_route *out)
{
	if (!rq->query_service || !rq->query_date) {
		route_error(out,
			    api_error(400, "MISSING_FIELD", "give ?service=ID&date=YYYY-MM-DD"));
		return;
	}
	int s = config_service_index(cfg, rq->query_service);
	int32_t day = parse_day(rq->query_date);
	if (s < 0) {
		route_error(out, unknown_service(rq->query_service));
		return;
	}
	if (day < 0) {
		route_error(out,
			    api_error(400, "BAD_FIELD", "\"date\": expected a date YYYY-MM-DD"));
		return;
	}
	new_booking_request(&out->req, CORE_BOOKING_SLOTS, NULL);
	out->req.booking.service = s;
	out->req.booking.day = day;
	out->action = API_SLOTS;
}

/* GET bookings?date=YYYY-MM-DD[&service=ID][&format=json|csv] */
static void route_list(const struct config *cfg, const struct api_token *who,
		       const struct api_http_request *rq, struct api_route *out)
{
	const char *format = rq->query_format;
	int32_t day = rq->query_date ? parse_day(rq->query_date) : -1;
	int s = rq->query_service ? config_service_index(cfg, rq->query_service) : -1;

	struct api_answer err = {0};

	if (who->role != API_ROLE_SUPERVISOR && who->role != API_ROLE_ADMIN)
		err = api_error(403, "FORBIDDEN", "a %s token may not list bookings",
				api_role_name(who->role));
	else if (!rq->query_date)
		err = api_error(400, "MISSING_FIELD", "give ?date=YYYY-MM-DD");
	else if (day < 0)
		err = api_error(400, "BAD_FIELD", "\"date\": expected a date YYYY-MM-DD");
	else if (rq->query_service && s < 0)
		err = unknown_service(rq->query_service);
	else if (format && strcmp(format, "json") != 0 && strcmp(format, "csv") != 0)
		err = api_error(400, "BAD_FIELD", "\"format\": expected json or csv");
	if (err.json) {
		route_error(out, err);
		return;
	}
	new_booking_request(&out->req, CORE_BOOKING_LIST, who);
	out->req.booking.day = day;
	out->req.booking.service = s;
	out->csv = format && strcmp(format, "csv") == 0;
	out->action = API_BOOKINGS;
}

/* bookings/CODE[/cancel|/check-in|/qr.svg]: an empty body; a code not of 8
 * digits is no booking. */
static void route_code(const struct api_token *who, const char *code, const char *tail,
		       const struct api_http_request *rq, struct api_route *out)
{
	static const char *const no_fields[] = {NULL};
	bool check_in = tail && strcmp(tail, "/check-in") == 0;
	bool qr = tail && strcmp(tail, "/qr.svg") == 0;
	struct api_answer err;
	cJSON *body = NULL;
	char source[ENGINE_ID_SIZE];

	if (check_in && !who) {
		route_error(out,
			    api_error(401, "UNAUTHORIZED", "a valid bearer token is required"));
		return;
	}
	if (check_in && who->role != API_ROLE_KIOSK && who->role != API_ROLE_ADMIN) {
		route_error(out, api_error(403, "FORBIDDEN", "a %s token may not check bookings in",
					   api_role_name(who->role)));
		return;
	}
	if (tail && !qr && !api_parse_body(rq, no_fields, &body, &err)) {
		route_error(out, err);
		return;
	}
	cJSON_Delete(body);
	if (!core_booking_code_is_valid(code)) {
		route_error(
		    out, api_error(404, "NOT_FOUND", "%s", core_strerror(CORE_REFUSE_NOT_FOUND)));
		return;
	}
	if (check_in) {
		snprintf(source, sizeof(source), "api:%.*s", api_quoted_len(who->name, 24),
			 who->name);
		core_check_in_request(&out->req, code, source);
		out->action = API_CHECK_IN;
		return;
	}
	bool cancel = tail && !qr;
	new_booking_request(&out->req, cancel ? CORE_BOOKING_CANCEL : CORE_BOOKING_GET, NULL);
	snprintf(out->req.booking.code, sizeof(out->req.booking.code), "%s", code);
	out->action = qr ? API_BOOKING_QR : cancel ? API_CANCEL : API_BOOKING;
}

void api_route_bookings(const struct config *cfg, const struct api_token *who, const char *path,
			const struct api_http_request *rq, struct api_route *out)
{
	bool is_get = strcmp(rq->method, "GET") == 0, is_post = strcmp(rq->method, "POST") == 0;
	char code[STORE_BOOKING_CODE_SIZE + 1] = "";
	const char *tail = NULL;

	out->action = API_ANSWER;
	if (strncmp(path, "bookings/", 9) == 0) {
		tail = strchr(path + 9, '/');
		size_t n = tail ? (size_t)(tail - (path + 9)) : strlen(path + 9);
		if (n >= sizeof(code) ||
		    (tail && strcmp(tail, "/cancel") != 0 && strcmp(tail, "/check-in") != 0 &&
		     strcmp(tail, "/qr.svg") != 0)) {
			route_error(out, api_error(404, "NOT_FOUND", "no such endpoint"));
			return;
		}
		memcpy(code, path + 9, n);
		code[n] = '\0';
	}
	bool is_qr = tail && strcmp(tail, "/qr.svg") == 0;
	bool wants_post = (strcmp(path, "bookings") == 0 && !is_get) || (tail != NULL && !is_qr);
	if ((wants_post && !is_post) || (!wants_post && !is_get)) {
		route_error(out, api_error(405, "METHOD_NOT_ALLOWED", "use %s here",
					   wants_post ? "POST" : "GET"));
		return;
	}
	if (is_post && rq->too_large) {
		route_error(out, api_error(413, "BODY_TOO_LARGE", "the body is over %d bytes",
					   API_BODY_MAX));
		return;
	}
	if (is_post && rq->len > 0 && !api_content_is_json(rq->content_type)) {
		route_error(out, api_error(415, "NOT_JSON", "the body must be application/json"));
		return;
	}
	if (strcmp(path, "appointments") == 0)
		out->action = API_APPOINTMENTS;
	else if (strcmp(path, "slots") == 0)
		route_slots(cfg, rq, out);
	else if (strcmp(path, "bookings") == 0 && is_post)
		route_book(cfg, rq, out);
	else if (strcmp(path, "bookings") == 0 && !who)
		route_error(out,
			    api_error(401, "UNAUTHORIZED", "a valid bearer token is required"));
	else if (strcmp(path, "bookings") == 0)
		route_list(cfg, who, rq, out);
	else
		route_code(who, code, tail, rq, out);
}

/* ---- handlers: the core's part ---- */

static const char *mode_name(int mode)
{
	return mode == ENGINE_APPOINTMENT_REQUIRED ? "required" : "optional";
}

/* GET /api/v1/appointments */
static struct api_answer get_appointments(struct api *a)
{
	const struct config *cfg = api_config(a);
	int32_t day = today(a), days[DAYS_MAX];
	char text[16];

	if (!day)
		return api_error(500, "INTERNAL", "out of memory");
	cJSON *root = cJSON_CreateObject();
	api_day_text(day, text, sizeof(text));
	cJSON_AddStringToObject(root, "today", text);
	cJSON_AddNumberToObject(root, "max_per_phone_per_day",
				cfg->hall.booking.max_per_phone_per_day);
	cJSON *list = cJSON_AddArrayToObject(root, "services");
	for (int s = 0; s < cfg->hall.n_services; s++) {
		const struct engine_service *svc = &cfg->hall.services[s];
		const struct engine_appointment *ap = &svc->appointment;
		if (ap->mode == ENGINE_APPOINTMENT_NONE)
			continue;
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "id", svc->id);
		cJSON_AddStringToObject(o, "name", svc->name);
		cJSON_AddStringToObject(o, "mode", mode_name(ap->mode));
		cJSON_AddNumberToObject(o, "slot_minutes", ap->slot_min);
		cJSON_AddNumberToObject(o, "places_per_slot", core_slot_places(ap));
		cJSON_AddNumberToObject(o, "days_ahead", ap->days_ahead);
		cJSON_AddNumberToObject(o, "close_minutes_before", ap->close_before_min);
		cJSON_AddNumberToObject(o, "grace_minutes", ap->grace_min);
		cJSON_AddStringToObject(o, "late",
					ap->late == ENGINE_LATE_REFUSE ? "refuse" : "normal");
		cJSON *dates = cJSON_AddArrayToObject(o, "dates");
		int n = core_booking_days(&cfg->hall, s, day, days, DAYS_MAX);
		for (int k = 0; k < n; k++) {
			api_day_text(days[k], text, sizeof(text));
			cJSON_AddItemToArray(dates, cJSON_CreateString(text));
		}
		cJSON_AddItemToArray(list, o);
	}
	return (struct api_answer){200, root};
}

/* A core reply: a failure, a refusal, or NULL to go on. */
static bool failed(struct api *a, int rc, const struct core_request *req, struct api_answer *ans)
{
	if (rc != CORE_OK || req->err < 0)
		*ans = api_core_failure(a, rc, req->err);
	else if (req->err != CORE_OK)
		*ans = booking_refusal(req);
	else
		return false;
	return true;
}

/* GET /api/v1/slots */
static struct api_answer get_slots(struct api *a, struct core_request *req)
{
	const struct config *cfg = api_config(a);
	int s = req->booking.service;
	int32_t day = req->booking.day;
	char name[24], text[16];
	struct api_answer ans;

	req->booking.slots = calloc(CORE_MAX_SLOTS, sizeof(*req->booking.slots));
	if (!req->booking.slots)
		return api_error(500, "INTERNAL", "out of memory");
	if (failed(a, core_call(api_core(a), req), req, &ans)) {
		free(req->booking.slots);
		return ans;
	}
	cJSON *root = cJSON_CreateObject();
	cJSON_AddStringToObject(root, "service", cfg->hall.services[s].id);
	cJSON_AddStringToObject(root, "service_name", cfg->hall.services[s].name);
	api_day_text(day, name, sizeof(name));
	cJSON_AddStringToObject(root, "date", name);
	cJSON_AddNumberToObject(root, "slot_minutes", cfg->hall.services[s].appointment.slot_min);
	cJSON *list = cJSON_AddArrayToObject(root, "slots");
	for (int k = 0; k < req->booking.n_slots; k++) {
		const struct core_slot *sl = &req->booking.slots[k];
		int free_places = sl->places - sl->taken;
		cJSON *o = cJSON_CreateObject();
		slot_name(day, sl->start_min, name, sizeof(name));
		cJSON_AddStringToObject(o, "slot", name);
		snprintf(text, sizeof(text), "%02d:%02d", sl->start_min / 60, sl->start_min % 60);
		cJSON_AddStringToObject(o, "start", text);
		snprintf(text, sizeof(text), "%02d:%02d", sl->end_min / 60 % 24, sl->end_min % 60);
		cJSON_AddStringToObject(o, "end", text);
		cJSON_AddNumberToObject(o, "places", sl->places);
		cJSON_AddNumberToObject(o, "free", free_places > 0 ? free_places : 0);
		cJSON_AddBoolToObject(o, "open", sl->open && free_places > 0);
		cJSON_AddItemToArray(list, o);
	}
	free(req->booking.slots);
	req->booking.slots = NULL;
	return (struct api_answer){200, root};
}

/* POST bookings (201 new, 200 the key's own), GET bookings/CODE, POST
 * bookings/CODE/cancel (200) */
static struct api_answer booking_command(struct api *a, struct core_request *req)
{
	struct api_answer ans;
	int rc = core_call(api_core(a), req);

	memset(req->booking.phone, 0, sizeof(req->booking.phone));
	if (failed(a, rc, req, &ans))
		return ans;
	return booking_answer(
	    a, req->booking.op == CORE_BOOKING_BOOK && !req->booking.again ? 201 : 200,
	    &req->booking.row);
}

/* POST bookings/CODE/check-in */
static struct api_answer check_in(struct api *a, struct core_request *req)
{
	struct api_answer ans;

	if (failed(a, core_call(api_core(a), req), req, &ans))
		return ans;
	cJSON *root = cJSON_CreateObject();
	cJSON_AddItemToObject(root, "ticket", api_issued_ticket_json(a, req));
	cJSON_AddItemToObject(root, "booking", booking_json(a, &req->booking.row, false));
	return (struct api_answer){201, root};
}

/* The bookings of a day, copied off the core thread. */
struct booking_list {
	struct store_booking *rows;
	int n, cap;
	bool failed;
};

static int collect(void *arg, const struct store_booking *row)
{
	struct booking_list *l = arg;

	if (l->n == l->cap) {
		int cap = l->cap ? l->cap * 2 : 64;
		struct store_booking *rows = realloc(l->rows, (size_t)cap * sizeof(*rows));
		if (!rows) {
			l->failed = true;
			return 1;
		}
		l->rows = rows;
		l->cap = cap;
	}
	l->rows[l->n++] = *row;
	return 0;
}

/* One CSV field, quoted as RFC 4180 says when it must be. */
static void csv_field(FILE *f, const char *text, bool last)
{
	if (strpbrk(text, ",\"\r\n")) {
		fputc('"', f);
		for (const char *p = text; *p; p++) {
			if (*p == '"')
				fputc('"', f);
			fputc(*p, f);
		}
		fputc('"', f);
	} else {
		fputs(text, f);
	}
	fputs(last ? "\r\n" : ",", f);
}

/* The list as CSV for a spreadsheet: UTF-8 with a byte order mark, CRLF. */
static char *bookings_csv(const struct api *a, const struct booking_list *l, size_t *len)
{
	static const char *const header[] = {
	    "code",       "service",       "service_name", "date",         "start",
	    "end",        "phone",         "state",        "ticket",       "late",
	    "created_at", "checked_in_at", "cancelled_at", "checked_in_by"};
	enum { N = sizeof(header) / sizeof(header[0]) };
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	if (!f)
		return NULL;
	fputs("\xEF\xBB\xBF", f);
	for (int k = 0; k < N; k++)
		csv_field(f, header[k], k == N - 1);
	for (int i = 0; i < l->n; i++) {
		cJSON *o = booking_json(a, &l->rows[i], true);
		for (int k = 0; k < N; k++) {
			const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, header[k]);
			const char *text = cJSON_IsString(v)  ? v->valuestring
					   : cJSON_IsTrue(v)  ? "1"
					   : cJSON_IsFalse(v) ? "0"
							      : "";
			csv_field(f, text, k == N - 1);
		}
		cJSON_Delete(o);
	}
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static int send_csv(struct MHD_Connection *con, char *text, size_t len, int32_t day)
{
	char disposition[64], d[16];
	struct MHD_Response *res =
	    MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);

	if (!res) {
		free(text);
		return MHD_NO;
	}
	api_day_text(day, d, sizeof(d));
	snprintf(disposition, sizeof(disposition), "attachment; filename=\"bookings-%s.csv\"", d);
	MHD_add_response_header(res, "Content-Type", "text/csv; charset=utf-8");
	MHD_add_response_header(res, "Content-Disposition", disposition);
	MHD_add_response_header(res, "Cache-Control", "no-store");
	MHD_add_response_header(res, "X-Content-Type-Options", "nosniff");
	int r = MHD_queue_response(con, MHD_HTTP_OK, res);
	MHD_destroy_response(res);
	return r;
}

/* GET bookings?date=...: JSON or CSV */
static int list_bookings(struct api *a, struct MHD_Connection *con, struct core_request *req,
			 bool csv)
{
	struct booking_list l = {0};
	char text[16];

	req->booking.each = collect;
	req->booking.arg = &l;
	int rc = core_call(api_core(a), req);
	if (rc != CORE_OK || req->err != CORE_OK || l.failed) {
		free(l.rows);
		return api_send(con, l.failed ? api_error(500, "INTERNAL", "out of memory")
					      : api_core_failure(a, rc, req->err));
	}
	if (csv) {
		size_t len = 0;
		char *text_csv = bookings_csv(a, &l, &len);
		free(l.rows);
		if (!text_csv)
			return api_send(con, api_error(500, "INTERNAL", "out of memory"));
		return send_csv(con, text_csv, len, req->booking.day);
	}
	cJSON *root = cJSON_CreateObject();
	api_day_text(req->booking.day, text, sizeof(text));
	cJSON_AddStringToObject(root, "date", text);
	cJSON *list = cJSON_AddArrayToObject(root, "bookings");
	for (int i = 0; i < l.n; i++)
		cJSON_AddItemToArray(list, booking_json(a, &l.rows[i], true));
	free(l.rows);
	return api_send(con, (struct api_answer){200, root});
}

static int send_svg(struct MHD_Connection *con, char *text, size_t len)
{
	struct MHD_Response *res =
	    MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);

	if (!res) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(res, "Content-Type", "image/svg+xml");
	MHD_add_response_header(res, "Cache-Control", "no-store");
	int r = MHD_queue_response(con, MHD_HTTP_OK, res);
	MHD_destroy_response(res);
	return r;
}

/* GET bookings/CODE/qr.svg: the QR code of the booking's url. */
static int booking_qr(struct api *a, struct MHD_Connection *con, struct core_request *req)
{
	const struct config *cfg = api_config(a);
	char url[URL_SIZE];
	size_t len = 0;

	int rc = core_call(api_core(a), req);
	if (rc != CORE_OK || req->err < 0)
		return api_send(con, api_core_failure(a, rc, req->err));
	if (req->err != CORE_OK)
		return api_send(con, booking_refusal(req));
	if (!cfg->appointments.booking_url[0])
		return api_send(con, api_error(404, "NOT_FOUND",
					       "the hall has no booking link "
					       "(appointments.booking_url) to put in a QR code"));
	snprintf(url, sizeof(url), "%s%s", cfg->appointments.booking_url, req->booking.row.code);
	char *svg = api_qr_svg(url, &len);
	if (!svg)
		return api_send(con, api_error(500, "INTERNAL", "cannot make the QR code: %s",
					       "out of memory, or the link is too long"));
	return send_svg(con, svg, len);
}

int api_bookings_answer(struct api *a, struct api_bookings *b, struct MHD_Connection *con,
			struct api_route *r)
{
	if (r->action != API_CHECK_IN && r->action != API_BOOKINGS) {
		/* the citizens' endpoints: a limit per client address */
		char addr[INET6_ADDRSTRLEN];
		client_address(con, addr, sizeof(addr));
		int retry = limit_retry_s(b, addr);
		if (retry > 0)
			return send_too_many(con, retry);
	}
	switch (r->action) {
	case API_APPOINTMENTS:
		return api_send(con, get_appointments(a));
	case API_SLOTS:
		return api_send(con, get_slots(a, &r->req));
	case API_BOOK:
	case API_BOOKING:
	case API_CANCEL:
		return api_send(con, booking_command(a, &r->req));
	case API_BOOKING_QR:
		return booking_qr(a, con, &r->req);
	case API_CHECK_IN:
		return api_send(con, check_in(a, &r->req));
	case API_BOOKINGS:
		return list_bookings(a, con, &r->req, r->csv);
	default:
		return api_send(con, api_error(500, "INTERNAL", "not an appointments' request"));
	}
}
