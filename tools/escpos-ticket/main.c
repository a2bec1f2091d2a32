/*
 * escpos-ticket — writes the ESC/POS bytes of one queue ticket, from
 * command-line fields, as a kiosk's printer would receive them. For
 * trying a printer by hand (-o /dev/usb/lp0) and for tests.
 *
 *   escpos-ticket --number A023 --service 企业注册 --ahead 5 --wait-min 12 \
 *                 --class normal --url URL --width 58 -o FILE.bin
 *
 * --config FILE takes the hall name, the footer and the QR address (the
 * config's ticket_url followed by the ticket number) from a hall config;
 * --hall, --footer and --url set or override them. See README.md.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config/config.h"
#include "escpos.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: escpos-ticket --number N --service NAME [--ahead N] [--wait-min N]\n"
		   "         [--class normal|green|appointment] [--url URL] [--width 58|80]\n"
		   "         [--chars N] [--hall NAME] [--footer TEXT] [--config FILE]\n"
		   "         [--time 'YYYY-MM-DD HH:MM'] -o FILE.bin|-\n");
}

/* A usage error: "escpos-ticket: what value\n", exit status 2. */
static int bad(const char *what, const char *value)
{
	fprintf(stderr, "escpos-ticket: %s \"%s\"\n", what, value);
	return 2;
}

static int parse_int(const char *s, int lo, int hi, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return -1;
	*out = (int)v;
	return 0;
}

int main(int argc, char **argv)
{
	struct escpos_ticket t = {
	    .cls = ESCPOS_CLASS_NORMAL, .ahead = -1, .wait_min = -1, .width_mm = 58};
	const char *out_path = NULL, *config_path = NULL, *hall = NULL, *footer = NULL, *url = NULL;
	char url_buf[512];
	struct config *cfg = NULL;
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	t.year = tm.tm_year + 1900;
	t.month = tm.tm_mon + 1;
	t.day = tm.tm_mday;
	t.hour = tm.tm_hour;
	t.minute = tm.tm_min;
	for (int i = 1; i < argc; i++) {
		const char *opt = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(opt, "-h") == 0 || strcmp(opt, "--help") == 0) {
			usage(stdout);
			return 0;
		}
		if (!val)
			return bad("this option needs a value:", opt);
		i++;
		if (strcmp(opt, "--number") == 0) {
			t.number = val;
		} else if (strcmp(opt, "--service") == 0) {
			t.service = val;
		} else if (strcmp(opt, "--ahead") == 0) {
			if (parse_int(val, 0, 99999, &t.ahead))
				return bad("--ahead: expected 0 to 99999, found", val);
		} else if (strcmp(opt, "--wait-min") == 0) {
			if (parse_int(val, 0, 99999, &t.wait_min))
				return bad("--wait-min: expected 0 to 99999, found", val);
		} else if (strcmp(opt, "--class") == 0) {
			if (strcmp(val, "normal") == 0)
				t.cls = ESCPOS_CLASS_NORMAL;
			else if (strcmp(val, "green") == 0)
				t.cls = ESCPOS_CLASS_GREEN;
			else if (strcmp(val, "appointment") == 0)
				t.cls = ESCPOS_CLASS_APPOINTMENT;
			else
				return bad("--class: expected normal, green or appointment, found",
					   val);
		} else if (strcmp(opt, "--url") == 0) {
			url = val;
		} else if (strcmp(opt, "--width") == 0) {
			if (parse_int(val, 0, 1000, &t.width_mm) ||
			    (t.width_mm != 58 && t.width_mm != 80))
				return bad("--width: expected 58 or 80, found", val);
		} else if (strcmp(opt, "--chars") == 0) {
			if (parse_int(val, 24, 72, &t.chars))
				return bad("--chars: expected 24 to 72, found", val);
		} else if (strcmp(opt, "--hall") == 0) {
			hall = val;
		} else if (strcmp(opt, "--footer") == 0) {
			footer = val;
		} else if (strcmp(opt, "--config") == 0) {
			config_path = val;
		} else if (strcmp(opt, "--time") == 0) {
			char extra;
			if (sscanf(val, "%d-%d-%d %d:%d%c", &t.year, &t.month, &t.day, &t.hour,
				   &t.minute, &extra) != 5)
				return bad("--time: expected 'YYYY-MM-DD HH:MM', found", val);
		} else if (strcmp(opt, "-o") == 0) {
			out_path = val;
		} else {
			usage(stderr);
			return bad("unknown option", opt);
		}
	}
	if (!t.number || !t.service || !out_path) {
		usage(stderr);
		return 2;
	}
	if (config_path) {
		struct config_report rep = {0};
		cfg = config_load(config_path, &rep);
		if (!cfg) {
			fprintf(stderr, "%s", rep.text ? rep.text : "escpos-ticket: bad config\n");
			config_report_clear(&rep);
			return 1;
		}
		config_report_clear(&rep);
		if (!hall)
			hall = cfg->hall.name;
		if (!footer)
			footer = cfg->ticket_footer;
		if (!url && cfg->ticket_url[0]) {
			snprintf(url_buf, sizeof(url_buf), "%s%s", cfg->ticket_url, t.number);
			url = url_buf;
		}
	}
	t.hall = hall;
	t.footer = footer;
	t.url = url;

	struct escpos_buf b;
	struct escpos_report report;
	char err[256];
	escpos_buf_init(&b);
	int rc = escpos_ticket(&t, &b, &report, err, sizeof(err));
	config_free(cfg);
	if (rc != ESCPOS_OK) {
		fprintf(stderr, "escpos-ticket: %s\n", err);
		escpos_buf_free(&b);
		return 1;
	}
	if (report.replaced)
		fprintf(stderr,
			"escpos-ticket: %d character(s) the printer cannot print became '?'\n",
			report.replaced);
	if (report.cut_fields)
		fprintf(stderr, "escpos-ticket: %d text field(s) too long for two lines were cut\n",
			report.cut_fields);
	FILE *f = strcmp(out_path, "-") == 0 ? stdout : fopen(out_path, "wb");
	bool ok = f && fwrite(b.data, 1, b.len, f) == b.len;
	if (f && f != stdout)
		ok = fclose(f) == 0 && ok;
	else if (f)
		ok = fflush(f) == 0 && ok;
	escpos_buf_free(&b);
	if (!ok) {
		fprintf(stderr, "escpos-ticket: cannot write %s: %s\n", out_path, strerror(errno));
		return 1;
	}
	return 0;
}
