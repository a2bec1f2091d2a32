/*
 * fuzz_api.c — the HTTP API's request handling (hostd/api): api_route(),
 * which checks and routes a whole request (method, path, token, role,
 * content type, body and its fields) before any handler calls the core.
 * The real handler calls exactly this, so the fuzzer reaches every check
 * a request meets; neither a socket nor the core is needed.
 *
 * Input: a request written as on the wire, with the demo hall
 * (config/hall.json) and its tokens (config/tokens.json):
 *     METHOD URL[?access_token=T]
 *     Authorization: Bearer T
 *     Content-Type: application/json
 *
 *     BODY
 * (lines end in \n; headers other than those two are ignored, as the API
 * ignores them). Checked beyond "no crash, no leak", against docs/api.md:
 * a refusal is one of the documented statuses with {"error": {"code",
 * "message"}}, printed as well-formed UTF-8 JSON; a request that gets
 * through names a real token of a role that may do it (window N: window
 * N), and the command for the core holds a service, window, staff,
 * pause reason, rating and ticket number that exist or are well formed;
 * a page is a plain path with a known type; an appointments' request
 * holds what docs/api.md asks of it: a service of the config, a valid
 * phone number, idempotency key, slot, booking code or date, and a role
 * that may make it.
 */
#include <string.h>
#include <strings.h>

#include "api/api_impl.h"
#include "fuzz.h"

#ifndef HALLQ_SOURCE_DIR
#define HALLQ_SOURCE_DIR "."
#endif

enum { TEXT_MAX = 4096 };

static struct config *cfg;
static struct api_tokens tokens;

static void setup(void)
{
	struct config_report report = {0};
	char err[1024] = "";

	cfg = config_load(HALLQ_SOURCE_DIR "/config/hall.json", &report);
	/* The text alone: hostd would refuse the checkout's file for its mode
	 * (readable by all), which is no matter here. */
	char text[1 << 16];
	FILE *f = cfg ? fopen(cfg->api.tokens_file, "rb") : NULL;
	size_t n = f ? fread(text, 1, sizeof(text) - 1, f) : 0;
	if (f)
		fclose(f);
	text[n] = '\0';
	if (!cfg || !n ||
	    api_tokens_parse(&tokens, text, cfg->api.tokens_file, cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "fuzz_api: the demo hall: %s%s\n", report.text ? report.text : "",
			err);
		abort();
	}
	config_report_clear(&report);
}

/* The next line of the input (without its \n) as a C string in out. */
static bool next_line(struct fuzz_in *in, char *out, size_t size)
{
	size_t n = 0;

	if (!fuzz_more(in))
		return false;
	while (fuzz_more(in)) {
		char c = (char)fuzz_u8(in);
		if (c == '\n')
			break;
		if (n + 1 < size)
			out[n++] = c;
	}
	out[n] = '\0';
	return true;
}

/* The tokens file's entry for this bearer text, found independently. */
static const struct api_token *token_entry(const char *text)
{
	for (int k = 0; text && k < tokens.n; k++)
		if (strcmp(tokens.list[k].token, text) == 0)
			return &tokens.list[k];
	return NULL;
}

static bool label_is_ticket(const char *s)
{
	size_t n = strlen(s), letters = n - 3;

	if (n < 4 || n > 5)
		return false;
	for (size_t k = 0; k < n; k++)
		if (!(k < letters ? s[k] >= 'A' && s[k] <= 'Z' : s[k] >= '0' && s[k] <= '9'))
			return false;
	return true;
}

static void check_answer(const struct api_answer *a)
{
	static const unsigned statuses[] = {400, 401, 403, 404, 405, 409, 413, 415};
	bool known = false;

	for (size_t k = 0; k < sizeof(statuses) / sizeof(statuses[0]); k++)
		known = known || a->status == statuses[k];
	FUZZ_CHECK(known);
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(a->json, "error");
	FUZZ_CHECK(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(e, "code")));
	FUZZ_CHECK(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(e, "message")));
	char *text = cJSON_PrintUnformatted(a->json);
	FUZZ_CHECK(text != NULL);
	FUZZ_CHECK(fuzz_utf8_ok((const unsigned char *)text, strlen(text)));
	cJSON *back = cJSON_Parse(text);
	FUZZ_CHECK(back != NULL);
	cJSON_Delete(back);
	free(text);
}

static void check_window_command(const struct core_request *req, int w)
{
	const struct engine_command *c = &req->cmd;
	const struct engine_hall *h = &cfg->hall;

	FUZZ_CHECK(w >= 0 && w < h->n_windows && c->window == w);
	switch (c->op) {
	case ENGINE_OP_LOGIN:
		FUZZ_CHECK(config_staff(cfg, c->staff) != NULL);
		break;
	case ENGINE_OP_PAUSE:
		FUZZ_CHECK(c->reason >= -1 && c->reason < h->queue.n_pause_reasons);
		break;
	case ENGINE_OP_CALL_TICKET:
		FUZZ_CHECK(label_is_ticket(req->ticket_label));
		break;
	case ENGINE_OP_CALL_BACK:
		FUZZ_CHECK(!req->ticket_label[0] || label_is_ticket(req->ticket_label));
		break;
	case ENGINE_OP_RATE:
		FUZZ_CHECK(label_is_ticket(req->ticket_label));
		FUZZ_CHECK(c->rating >= 1 && c->rating <= 5);
		break;
	case ENGINE_OP_TRANSFER:
		FUZZ_CHECK((c->target_window >= 0) != (c->service >= 0));
		FUZZ_CHECK(c->target_window < h->n_windows && c->service < h->n_services);
		break;
	case ENGINE_OP_LOGOUT:
	case ENGINE_OP_RESUME:
	case ENGINE_OP_CALL_NEXT:
	case ENGINE_OP_RECALL:
	case ENGINE_OP_NO_SHOW:
	case ENGINE_OP_START:
	case ENGINE_OP_HOLD:
	case ENGINE_OP_FINISH:
		break;
	default:
		FUZZ_CHECK(!"a window operation the API does not offer");
	}
}

static bool key_ok(const char *s)
{
	size_t n = strlen(s);

	if (n < 8 || n > 64)
		return false;
	for (size_t k = 0; k < n; k++)
		if (!((s[k] >= 'a' && s[k] <= 'z') || (s[k] >= 'A' && s[k] <= 'Z') ||
		      (s[k] >= '0' && s[k] <= '9') || s[k] == '-' || s[k] == '_'))
			return false;
	return true;
}

/* The appointments' requests (docs/api.md, "Appointments"). */
static void check_booking(const struct api_http_request *rq, const struct api_route *r,
			  const struct api_token *who)
{
	const struct core_request *req = &r->req;
	bool is_get = strcmp(rq->method, "GET") == 0, is_post = strcmp(rq->method, "POST") == 0;
	int s = req->booking.service;

	switch (r->action) {
	case API_APPOINTMENTS:
		FUZZ_CHECK(is_get);
		return;
	case API_SLOTS:
		FUZZ_CHECK(is_get && req->booking.op == CORE_BOOKING_SLOTS);
		FUZZ_CHECK(s >= 0 && s < cfg->hall.n_services && req->booking.day > 19700000);
		FUZZ_CHECK(req->booking.slots == NULL);
		return;
	case API_BOOK:
		FUZZ_CHECK(is_post && req->booking.op == CORE_BOOKING_BOOK);
		FUZZ_CHECK(s >= 0 && s < cfg->hall.n_services && req->booking.slot_s > 0);
		FUZZ_CHECK(core_phone_is_valid(req->booking.phone) && key_ok(req->booking.key));
		FUZZ_CHECK(req->cmd.op == CORE_OP_NONE);
		return;
	case API_BOOKING:
	case API_CANCEL:
		FUZZ_CHECK(is_get == (r->action == API_BOOKING) && is_post != is_get);
		FUZZ_CHECK(req->booking.op ==
			   (r->action == API_BOOKING ? CORE_BOOKING_GET : CORE_BOOKING_CANCEL));
		FUZZ_CHECK(core_booking_code_is_valid(req->booking.code));
		return;
	case API_CHECK_IN:
		FUZZ_CHECK(is_post && who &&
			   (who->role == API_ROLE_KIOSK || who->role == API_ROLE_ADMIN));
		FUZZ_CHECK(req->booking.op == CORE_BOOKING_CHECK_IN && req->cmd.op == CORE_OP_NONE);
		FUZZ_CHECK(core_booking_code_is_valid(req->booking.code));
		return;
	case API_BOOKINGS:
		FUZZ_CHECK(is_get && who &&
			   (who->role == API_ROLE_SUPERVISOR || who->role == API_ROLE_ADMIN));
		FUZZ_CHECK(req->booking.op == CORE_BOOKING_LIST && req->booking.day > 19700000);
		FUZZ_CHECK(s >= -1 && s < cfg->hall.n_services && req->booking.each == NULL);
		return;
	default:
		FUZZ_CHECK(!"not an appointments' action");
	}
}

static void check_route(const struct api_http_request *rq, const struct api_route *r,
			const char *bearer)
{
	const struct api_token *who = token_entry(bearer);
	bool is_get = strcmp(rq->method, "GET") == 0;

	switch (r->action) {
	case API_ANSWER:
		check_answer(&r->answer);
		return;
	case API_ISSUE:
		FUZZ_CHECK(who && (who->role == API_ROLE_KIOSK || who->role == API_ROLE_ADMIN));
		FUZZ_CHECK(strcmp(rq->method, "POST") == 0);
		FUZZ_CHECK(r->req.cmd.op == ENGINE_OP_ISSUE);
		FUZZ_CHECK(r->req.cmd.service >= 0 && r->req.cmd.service < cfg->hall.n_services);
		FUZZ_CHECK(r->req.cmd.cls == ENGINE_CLASS_NORMAL ||
			   r->req.cmd.cls == ENGINE_CLASS_GREEN);
		break;
	case API_WINDOW:
		FUZZ_CHECK(who && strcmp(rq->method, "POST") == 0);
		FUZZ_CHECK(who->role == API_ROLE_ADMIN ||
			   (who->role == API_ROLE_WINDOW && r->window >= 0 &&
			    r->window < cfg->hall.n_windows &&
			    who->window == cfg->hall.windows[r->window].number));
		check_window_command(&r->req, r->window);
		break;
	case API_STATE:
	case API_SERVICES:
	case API_EVENTS:
		FUZZ_CHECK(who && is_get);
		break;
	case API_TICKET:
		FUZZ_CHECK(is_get && r->token == rq->url + strlen("/api/v1/tickets/"));
		break;
	case API_PAGE:
		FUZZ_CHECK(is_get || strcmp(rq->method, "HEAD") == 0);
		FUZZ_CHECK(r->page == rq->url && r->page_type != NULL);
		FUZZ_CHECK(!strstr(r->page, "..") && r->page[0] == '/');
		break;
	case API_REDIRECT:
		FUZZ_CHECK(strcmp(rq->url, "/") == 0);
		break;
	case API_APPOINTMENTS:
	case API_SLOTS:
	case API_BOOK:
	case API_BOOKING:
	case API_CANCEL:
	case API_CHECK_IN:
	case API_BOOKINGS:
		check_booking(rq, r, who);
		break;
	default:
		FUZZ_CHECK(!"an action of no known kind");
	}
	FUZZ_CHECK(r->answer.json == NULL);
	FUZZ_CHECK(rq->len == 0 || !rq->too_large || r->action != API_ISSUE);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char line[TEXT_MAX], method[TEXT_MAX], url[TEXT_MAX], auth[TEXT_MAX],
	    ctype[TEXT_MAX];
	struct fuzz_in in = {data, size};
	struct api_http_request rq = {.method = method, .url = url};
	struct api_route *r = malloc(sizeof(*r));

	if (!cfg)
		setup();
	FUZZ_CHECK(r != NULL);
	/* METHOD URL */
	next_line(&in, line, sizeof(line));
	char *sp = strchr(line, ' ');
	snprintf(method, sizeof(method), "%.*s", sp ? (int)(sp - line) : (int)strlen(line), line);
	snprintf(url, sizeof(url), "%s", sp ? sp + 1 : "/");
	char *query = strchr(url, '?');
	if (query) {
		/* the parameters the API reads, each up to the next & */
		static const char *const names[] = {
		    "access_token=", "service=", "date=", "format="};
		const char **values[] = {&rq.access_token, &rq.query_service, &rq.query_date,
					 &rq.query_format};
		*query++ = '\0';
		char *ends[4] = {NULL};
		for (int k = 0; k < 4; k++) {
			char *t = strstr(query, names[k]);
			if (t && (t == query || t[-1] == '&')) {
				*values[k] = t + strlen(names[k]);
				ends[k] = t + strlen(names[k]) + strcspn(t + strlen(names[k]), "&");
			}
		}
		for (int k = 0; k < 4; k++)
			if (ends[k])
				*ends[k] = '\0';
	}
	/* the headers, up to an empty line */
	while (next_line(&in, line, sizeof(line)) && line[0]) {
		if (strncasecmp(line, "Authorization: ", 15) == 0) {
			snprintf(auth, sizeof(auth), "%s", line + 15);
			rq.authorization = auth;
		} else if (strncasecmp(line, "Content-Type: ", 14) == 0) {
			snprintf(ctype, sizeof(ctype), "%s", line + 14);
			rq.content_type = ctype;
		}
	}
	/* the body, with the NUL libmicrohttpd's reader adds */
	char *body = NULL;
	if (in.n > API_BODY_MAX) {
		rq.too_large = true;
	} else if (in.n > 0) {
		body = malloc(in.n + 1);
		FUZZ_CHECK(body != NULL);
		memcpy(body, in.p, in.n);
		body[in.n] = '\0';
		rq.body = body;
		rq.len = in.n;
	}
	api_route(cfg, &tokens, &rq, r);
	const char *bearer = rq.authorization && strncmp(rq.authorization, "Bearer ", 7) == 0
				 ? rq.authorization + 7
			     : !rq.authorization && strcmp(method, "GET") == 0 ? rq.access_token
									       : NULL;
	check_route(&rq, r, bearer);
	cJSON_Delete(r->answer.json);
	free(r);
	free(body);
	return 0;
}
