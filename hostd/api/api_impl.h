/*
 * api_impl.h — what the files of hostd/api share: the tokens, the event
 * log, the server's state. Not for other rooms.
 */
#ifndef HALLQ_API_IMPL_H
#define HALLQ_API_IMPL_H

#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h> /* ssize_t */

#include "api/api.h"

/* ---- tokens.c ---- */

enum api_role {
	API_ROLE_KIOSK,
	API_ROLE_WINDOW,
	API_ROLE_DISPLAY,
	API_ROLE_SUPERVISOR,
	API_ROLE_ADMIN,
};

enum { API_TOKEN_DIGEST_SIZE = 32 }; /* SHA-256 */

struct api_token {
	char *token;                           /* the text, as the file has it */
	uint8_t digest[API_TOKEN_DIGEST_SIZE]; /* its SHA-256: what lookups compare */
	enum api_role role;
	int window; /* window number, for API_ROLE_WINDOW */
	char name[64];
};

struct api_tokens {
	struct api_token *list;
	int n;
};

/* Reads and checks the tokens file: its mode (no access for others; for
 * the group only when it is hostd's), then its text as
 * api_tokens_parse() does. One line per problem in err. */
int api_tokens_load(struct api_tokens *t, const char *path, const struct config *cfg, char *err,
		    int err_size);
/* Checks a tokens file's text (path names it in the messages). */
int api_tokens_parse(struct api_tokens *t, const char *text, const char *path,
		     const struct config *cfg, char *err, int err_size);
void api_tokens_free(struct api_tokens *t);
/* The entry of this token, or NULL. The token's SHA-256 is compared with
 * every entry's in constant time (memeql_sec), no early exit. */
const struct api_token *api_tokens_find(const struct api_tokens *t, const char *token);
const char *api_role_name(enum api_role role);

/* ---- events.c: the day's events, for the streams ---- */

struct api_event {
	uint64_t n;
	char *text; /* "id: ...\nevent: ...\ndata: ...\n\n" */
	size_t len;
};

struct api_events {
	pthread_mutex_t mu;
	pthread_cond_t added;
	int64_t boot;           /* the second the API started: the ids' prefix */
	struct api_event *ring; /* oldest first, from first_n */
	size_t n_ring, cap;
	size_t bytes;    /* of the texts in the ring */
	uint64_t next_n; /* the n the next event gets (from 1) */
	int32_t day;     /* the business day the ring holds */
	bool stopping;
};

void api_events_init(struct api_events *ev);
void api_events_free(struct api_events *ev);
/* Appends an event (data: a cJSON object, printed and kept); a new day
 * empties the log first. Wakes the streams. */
void api_events_add(struct api_events *ev, int32_t day, const char *name, const cJSON *data);
void api_events_stop(struct api_events *ev);
void api_events_last_id(struct api_events *ev, char *out, size_t size);

/* One stream: where it is in the log. */
struct api_stream {
	struct api_events *ev;
	uint64_t next; /* the n of the next event to send */
	bool reset;    /* send a reset event first */
	char *pending; /* bytes of an event not yet sent */
	size_t pending_len, pending_off;
};

/* A stream starting after Last-Event-ID last_id (NULL: from now). */
struct api_stream *api_stream_new(struct api_events *ev, const char *last_id);
/* libmicrohttpd's content reader: blocks until there is something. */
ssize_t api_stream_read(void *cls, uint64_t pos, char *buf, size_t max);
void api_stream_free(void *cls);

/* ---- api.c: a request checked and routed without the core ---- */

/* An answer: an HTTP status and a JSON body. */
struct api_answer {
	unsigned status;
	cJSON *json; /* owned */
};

/* A request as libmicrohttpd gave it. */
struct api_http_request {
	const char *method;        /* "GET", "POST", ... */
	const char *url;           /* the path, decoded, without the query */
	const char *authorization; /* the header; NULL when absent */
	const char *access_token;  /* the query's access_token (GET only); NULL when absent */
	const char *content_type;  /* the header; NULL when absent */
	/* the query's service=, date= and format= (the appointments' GETs);
	 * NULL when absent */
	const char *query_service, *query_date, *query_format;
	const char *body; /* len bytes and a NUL; NULL when len is 0 */
	size_t len;
	bool too_large; /* the body was over API_BODY_MAX (and was not kept) */
};

enum api_action {
	API_ANSWER,   /* refused: send answer */
	API_ISSUE,    /* POST tickets: req goes to the core */
	API_WINDOW,   /* POST windows/N/op: req goes to the core, for window index `window` */
	API_STATE,    /* GET state */
	API_SERVICES, /* GET services */
	API_EVENTS,   /* GET events: a stream */
	API_TICKET,   /* GET tickets/TOKEN (public): the status of the ticket of `token` */
	API_PAGE,     /* GET a page: `page` of web_dir, served as `page_type` */
	API_REDIRECT, /* GET /: to the hall display */
	/* the appointments (bookings.c); req is ready for core_call() */
	API_APPOINTMENTS, /* GET appointments (no token) */
	API_SLOTS,        /* GET slots (no token): req.booking SLOTS, slots left NULL */
	API_BOOK,         /* POST bookings (no token): req.booking BOOK */
	API_BOOKING,      /* GET bookings/CODE (no token): req.booking GET */
	API_CANCEL,       /* POST bookings/CODE/cancel (no token): req.booking CANCEL */
	API_BOOKING_QR,   /* GET bookings/CODE/qr.svg (no token): req.booking GET */
	API_CHECK_IN,     /* POST bookings/CODE/check-in (kiosk, admin): core_check_in_request */
	API_BOOKINGS,     /* GET bookings?date= (supervisor, admin): req.booking LIST, each NULL */
};

struct api_route {
	enum api_action action;
	struct api_answer answer;     /* API_ANSWER (owned) */
	struct core_request req;      /* API_ISSUE, API_WINDOW: ready for core_call() */
	int window;                   /* API_WINDOW: the window's index, else -1 */
	const char *token;            /* API_TICKET: in rq->url */
	const char *page, *page_type; /* API_PAGE: rq->url, its content type */
	bool csv;                     /* API_BOOKINGS: format=csv */
};

/*
 * Checks and routes a request completely, without the core or the
 * network: method and path, the token and its role, the content type,
 * the body and every field in it. Anything refused is API_ANSWER with the
 * error to send; API_ISSUE and API_WINDOW carry the command exactly as it
 * goes to the core. The handlers of api.c carry out the rest;
 * tests/fuzz/fuzz_api.c fuzzes this.
 */
void api_route(const struct config *cfg, const struct api_tokens *tokens,
	       const struct api_http_request *rq, struct api_route *out);

/* ---- api.c: helpers events.c and the handlers share ---- */

/* "2026-11-28T09:05:00+08:00" for an epoch second (the hall's time zone). */
void api_iso_time(int64_t s, char *out, size_t size);

struct MHD_Connection;

const struct config *api_config(const struct api *a);
struct core *api_core(const struct api *a);
/* An error answer {"error": {"code", "message"}}. */
struct api_answer api_error(unsigned status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A core reply that is not an answer of the hall: 503 or 500. */
struct api_answer api_core_failure(struct api *a, int rc, int err);
/* A refusal (the engine's or the core's): 404 NOT_FOUND for what does
 * not exist, else 409 with core_error_name(). */
struct api_answer api_refusal(int err);
/* Sends the answer (and frees its JSON); an MHD_Result. */
int api_send(struct MHD_Connection *con, struct api_answer ans);
/* The body as an object of the allowed fields only; else *err. */
bool api_parse_body(const struct api_http_request *rq, const char *const *allowed, cJSON **out,
		    struct api_answer *err);
/* A non-empty string field: NULL when absent; false (with *err) when not
 * a string, or absent and required. */
bool api_get_str(const cJSON *o, const char *key, bool required, const char **out,
		 struct api_answer *err);
bool api_content_is_json(const char *content_type);
/* How many bytes of UTF-8 text s a message quotes: at most max. */
int api_quoted_len(const char *s, int max);
/* An ISO time, or null for 0. */
void api_add_time(cJSON *o, const char *key, int64_t s);
/* A ticket just issued, as POST /api/v1/tickets answers it (token,
 * people ahead, estimated wait, status_url). */
cJSON *api_issued_ticket_json(struct api *a, const struct core_request *req);
/* "2026-11-28" */
void api_day_text(int32_t day, char *out, size_t size);

/* ---- qr.c ---- */

/* The QR code of text (8-bit mode, error correction M) as an SVG picture,
 * NUL-terminated, *len its length; NULL when text does not fit a QR code
 * or memory runs out. The caller frees it. */
char *api_qr_svg(const char *text, size_t *len);

/* ---- bookings.c: the appointment endpoints (docs/api.md) ---- */

struct api_bookings;

struct api_bookings *api_bookings_new(const struct config *cfg);
void api_bookings_free(struct api_bookings *b); /* NULL is fine */
/* Whether path (under /api/v1/) is one of bookings.c's. */
bool api_bookings_has_path(const char *path);
/* api_route()'s part for those paths: checks the whole request (who is
 * the caller's token entry, or NULL: the citizens' endpoints need none)
 * without the core. */
void api_route_bookings(const struct config *cfg, const struct api_token *who, const char *path,
			const struct api_http_request *rq, struct api_route *out);
/* Carries out a routed request of those actions: the limit per client
 * address for the citizens' ones, then the core. An MHD_Result. */
int api_bookings_answer(struct api *a, struct api_bookings *b, struct MHD_Connection *con,
			struct api_route *r);

#endif /* HALLQ_API_IMPL_H */
