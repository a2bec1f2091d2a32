/*
 * attach.c — hostd's clock and devices over its API (attach.h).
 *
 * Room: tools/hallsim. libcurl and cJSON only.
 */
#define _DEFAULT_SOURCE /* timegm */
#include "attach.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { MAX_ANSWER = 4 << 20 };

struct answer {
	char *text;
	size_t len;
};

static double now_real(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_s(double s)
{
	struct timespec ts = {(time_t)s, (long)((s - floor(s)) * 1e9)};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static size_t gather(char *data, size_t size, size_t n, void *arg)
{
	struct answer *a = arg;
	size_t add = size * n;

	if (a->len + add > MAX_ANSWER)
		return 0; /* libcurl stops with CURLE_WRITE_ERROR */
	char *grown = realloc(a->text, a->len + add + 1);
	if (!grown)
		return 0;
	memcpy(grown + a->len, data, add);
	a->text = grown;
	a->len += add;
	a->text[a->len] = 0;
	return add;
}

/* GET /api/v1/state: its JSON, or NULL with a sentence in err. *mid is
 * the real time halfway through the request. */
static cJSON *get_state(CURL *curl, int port, const char *token, double *mid, char *err,
			size_t err_size)
{
	char url[96], auth[512];
	struct answer a = {0};
	struct curl_slist *headers = NULL;
	long status = 0;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/api/v1/state", port);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
	headers = curl_slist_append(headers, auth);
	curl_easy_reset(curl);
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, gather);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &a);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 5000L);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	double before = now_real();
	CURLcode rc = curl_easy_perform(curl);
	*mid = (before + now_real()) / 2;
	curl_slist_free_all(headers);
	if (rc == CURLE_OK)
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	cJSON *root = rc == CURLE_OK && status == 200 && a.text ? cJSON_Parse(a.text) : NULL;
	if (rc != CURLE_OK)
		snprintf(err, err_size, "%s: %s", url, curl_easy_strerror(rc));
	else if (status != 200)
		snprintf(err, err_size, "%s: HTTP %ld%s", url, status,
			 status == 401 || status == 403 ? " (the tokens file's display token?)"
							: "");
	else if (!root)
		snprintf(err, err_size, "%s: not JSON", url);
	free(a.text);
	return root;
}

/* "2026-11-28T09:05:07+08:00" -> epoch seconds; false when malformed. */
static bool parse_now(const char *s, int64_t *out)
{
	int y, mo, d, h, mi, sec, oh, om;
	char sign;

	if (!s ||
	    sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%c%2d:%2d", &y, &mo, &d, &h, &mi, &sec, &sign, &oh,
		   &om) != 9 ||
	    (sign != '+' && sign != '-'))
		return false;
	struct tm tm = {.tm_year = y - 1900,
			.tm_mon = mo - 1,
			.tm_mday = d,
			.tm_hour = h,
			.tm_min = mi,
			.tm_sec = sec};
	int64_t offset = (int64_t)(oh * 3600 + om * 60) * (sign == '+' ? 1 : -1);
	*out = (int64_t)timegm(&tm) - offset;
	return true;
}

/* The clock of a state answer; the ids of devices offline in off. */
static int read_state(cJSON *root, struct attach_clock *c, double mid, char *off, size_t off_size,
		      char *err, size_t err_size)
{
	const char *now = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(root, "now"));
	const char *day = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(root, "day"));
	int y, m, d;
	cJSON *dev;
	size_t used = 0;

	if (!parse_now(now, &c->sim_s) || !day || sscanf(day, "%4d-%2d-%2d", &y, &m, &d) != 3) {
		snprintf(err, err_size, "hostd's state has no \"now\" and \"day\" as expected");
		return -1;
	}
	c->day = y * 10000 + m * 100 + d;
	c->real_s = mid;
	off[0] = 0;
	cJSON_ArrayForEach(dev, cJSON_GetObjectItemCaseSensitive(root, "devices"))
	{
		const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(dev, "id"));
		if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(dev, "online")) && id &&
		    used + strlen(id) + 2 < off_size)
			used += (size_t)snprintf(off + used, off_size - used, "%s%s",
						 used ? ", " : "", id);
	}
	return 0;
}

int attach_hostd(int port, const char *token, double speed, double timeout_s,
		 struct attach_clock *clock, char *err, size_t err_size)
{
	CURL *curl = curl_easy_init();
	struct attach_clock first = {0};
	char off[1024] = "";
	double deadline = now_real() + timeout_s, mid;
	int rc = -1;

	if (!curl) {
		snprintf(err, err_size, "libcurl: cannot start");
		return -1;
	}
	for (;;) { /* every device online */
		cJSON *root = get_state(curl, port, token, &mid, err, err_size);
		int got =
		    root ? read_state(root, &first, mid, off, sizeof(off), err, err_size) : -1;
		cJSON_Delete(root);
		if (got == 0 && !off[0])
			break;
		if (now_real() > deadline) {
			if (got == 0)
				snprintf(err, err_size,
					 "hostd on port %d still has devices offline after %.0f s: "
					 "%s (is it running on the config --prepare wrote?)",
					 port, timeout_s, off);
			goto done;
		}
		sleep_s(0.2);
	}
	/* the speed: two readings far enough apart that a second's rounding of
	 * "now" is small beside what the clock ran */
	double settle_s = 2.0;
	sleep_s(settle_s);
	cJSON *root = get_state(curl, port, token, &mid, err, err_size);
	int got = root ? read_state(root, clock, mid, off, sizeof(off), err, err_size) : -1;
	cJSON_Delete(root);
	if (got != 0)
		goto done;
	double expect = (clock->real_s - first.real_s) * speed;
	double ran = (double)(clock->sim_s - first.sim_s);
	if (fabs(ran - expect) > 1.5 + 0.05 * expect) {
		snprintf(err, err_size,
			 "hostd's clock ran %.0f s in %.2f real seconds: it runs at about %.1fx, "
			 "not --speed %g (give hostd's --clock-speed)",
			 ran, clock->real_s - first.real_s, ran / (clock->real_s - first.real_s),
			 speed);
		goto done;
	}
	rc = 0;
done:
	curl_easy_cleanup(curl);
	return rc;
}
