/*
 * test_config.c — hostd/config/config.c: the demo hall loads with the
 * values written in it, and each bad config is refused with the exact
 * field path.
 *
 * Each bad case starts from BASE (a small valid hall written here, not
 * the demo file, so that editing config/hall.json cannot change what the
 * cases test), applies one change with cJSON, and expects exactly one error
 * line starting with "t.json:PATH: " and containing a phrase of the
 * message. The values in the demo-hall test are read off config/hall.json
 * by hand.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <cjson/cJSON.h>

#include "config/config.h"

static const char BASE[] =
    "{"
    " \"hall\": {\"name\": \"测试大厅\", \"timezone\": \"Asia/Shanghai\"},"
    " \"hours\": {\"workdays\": [\"mon\", \"tue\"],"
    "   \"sign_in\": {\"start\": \"08:00\", \"end\": \"08:30\"},"
    "   \"sessions\": [{\"start\": \"08:30\", \"end\": \"11:30\"},"
    "                {\"start\": \"14:30\", \"end\": \"17:30\"}]},"
    " \"services\": ["
    "   {\"id\": \"company\", \"name\": \"企业注册\", \"prefix\": \"A\","
    "    \"standard_minutes\": 20, \"wait_target_minutes\": 30},"
    "   {\"id\": \"tax\", \"name\": \"税收服务\", \"prefix\": \"B\","
    "    \"standard_minutes\": 15, \"wait_target_minutes\": 30, \"daily_quota\": 50,"
    "    \"hours\": [{\"start\": \"09:00\", \"end\": \"11:00\"}]}],"
    " \"windows\": ["
    "   {\"number\": 1, \"name\": \"一号\", \"services\": [{\"service\": \"company\", \"level\": "
    "1}]},"
    "   {\"number\": 2, \"name\": \"二号\", \"services\": [{\"service\": \"tax\", \"level\": 1},"
    "                                              {\"service\": \"company\", \"level\": 2}]}],"
    " \"queue\": {\"no_show_requeue_max\": 1, \"no_show_requeue_places\": 3,"
    "   \"appointment_due_before_minutes\": 10, \"estimate_recent_tickets\": 20,"
    "   \"pause_reasons\": [\"休息\", \"会议\"]},"
    " \"buses\": [{\"name\": \"line\", \"type\": \"rtu\", \"device\": \"/dev/ttyS0\", \"baud\": "
    "9600,"
    "   \"parity\": \"even\", \"data_bits\": 8, \"stop_bits\": 1, \"timeout_ms\": 200,"
    "   \"poll_interval_ms\": 100},"
    "   {\"name\": \"lan\", \"type\": \"tcp\", \"host\": \"127.0.0.1\", \"port\": 1502,"
    "    \"timeout_ms\": 500, \"poll_interval_ms\": 100}],"
    " \"devices\": ["
    "   {\"id\": \"kiosk\", \"type\": \"kiosk\", \"bus\": \"lan\", \"address\": 1,"
    "    \"services\": [\"company\", \"tax\"]},"
    "   {\"id\": \"t1\", \"type\": \"window_terminal\", \"bus\": \"line\", \"address\": 1, "
    "\"window\": 1},"
    "   {\"id\": \"t2\", \"type\": \"window_terminal\", \"bus\": \"line\", \"address\": 2, "
    "\"window\": 2},"
    "   {\"id\": \"screen\", \"type\": \"hall_display\", \"bus\": \"line\", \"address\": 30}],"
    " \"staff\": [{\"id\": \"1001\", \"name\": \"王芳\", \"pin\": \"4321\"},"
    "   {\"id\": \"1002\", \"name\": \"李娜\", \"pin\": \"0007\"}],"
    " \"api\": {\"bind\": \"127.0.0.1\", \"port\": 8080, \"tokens_file\": \"tokens.json\"},"
    " \"evaluation\": {\"half_day_minutes\": 180,"
    "   \"leader_duty\": {\"points_per_shift\": 0.1, \"max_points_per_month\": 5},"
    "   \"bulletin_weekday\": \"fri\", \"complaint_limit_days\": 5,"
    "   \"score\": {\"base\": 100,"
    "     \"weights\": {\"efficiency\": 0.4, \"satisfaction\": 0.4, \"attendance\": 0.2},"
    "     \"deductions\": {\"late_sign_in\": 0.5, \"unauthorized_leave\": 2, \"absence\": 5,"
    "       \"dissatisfied_rating\": 1, \"complaint\": 3, \"overtime_ticket\": 0.2}}}"
    "}";

/* ---- a small path language for the changes: a.b[2].c ---- */

/* Finds the parent of the last step of path; *key or *index names that step. */
static cJSON *walk(cJSON *root, const char *path, char *key, int *index)
{
	cJSON *node = root;
	const char *p = path;

	for (;;) {
		char name[64];
		int n = 0, idx = -1;
		if (*p == '[') {
			idx = atoi(p + 1);
			p = strchr(p, ']') + 1;
		} else {
			while (*p && *p != '.' && *p != '[')
				name[n++] = *p++;
			name[n] = '\0';
		}
		if (*p == '.')
			p++;
		if (!*p) {
			strcpy(key, idx < 0 ? name : "");
			*index = idx;
			return node;
		}
		node = idx >= 0 ? cJSON_GetArrayItem(node, idx) : cJSON_GetObjectItem(node, name);
		assert_non_null(node);
	}
}

enum op { SET, DELETE, ADD_DUPLICATE };

/* Returns BASE with one change applied, as JSON text to free(). */
static char *changed(enum op op, const char *path, const char *value_json)
{
	cJSON *root = cJSON_Parse(BASE);
	char key[64];
	int index;

	assert_non_null(root);
	cJSON *parent = walk(root, path, key, &index);
	cJSON *value = value_json ? cJSON_Parse(value_json) : NULL;
	if (value_json)
		assert_non_null(value);
	if (op == DELETE) {
		if (index >= 0)
			cJSON_DeleteItemFromArray(parent, index);
		else
			cJSON_DeleteItemFromObjectCaseSensitive(parent, key);
	} else if (op == ADD_DUPLICATE) {
		cJSON_AddItemToObject(parent, key, value);
	} else if (index >= 0) {
		if (index < cJSON_GetArraySize(parent))
			cJSON_ReplaceItemInArray(parent, index, value);
		else
			cJSON_AddItemToArray(parent, value);
	} else if (cJSON_GetObjectItemCaseSensitive(parent, key)) {
		cJSON_ReplaceItemInObjectCaseSensitive(parent, key, value);
	} else {
		cJSON_AddItemToObject(parent, key, value);
	}
	char *text = cJSON_Print(root);
	cJSON_Delete(root);
	return text;
}

/* ---- the cases ---- */

struct bad_case {
	enum op op;
	const char *path;
	const char *value; /* JSON */
	const char *where; /* the path expected in the message */
	const char *says;  /* a phrase expected in the first message */
	int n_errors;      /* lines expected: 1, or more for true follow-on errors */
};

static const struct bad_case bad_cases[] = {
    {SET, "colour", "1", "colour", "unknown field", 1},
    {SET, "hall.colour", "\"red\"", "hall.colour", "unknown field, expected one of: name", 1},
    {SET, "hall.name", "42", "hall.name", "expected a non-empty text", 1},
    {SET, "hall.timezone", "\"Mars/Olympus\"", "hall.timezone", "found \"Mars/Olympus\"", 1},
    {SET, "hall.ticket_url", "\"ftp://x\"", "hall.ticket_url", "http://", 1},
    {DELETE, "hours", NULL, "hours", "expected an object, found nothing", 1},
    {SET, "hours.workdays[1]", "\"mon\"", "hours.workdays[1]", "found \"mon\" again", 1},
    {SET, "hours.workdays[1]", "\"funday\"", "hours.workdays[1]", "found \"funday\"", 1},
    {SET, "hours.sessions[0].end", "\"25:00\"", "hours.sessions[0].end",
     "expected a time \"HH:MM\" from 00:00 to 23:59, found \"25:00\"", 1},
    {SET, "hours.sessions[1].end", "\"14:00\"", "hours.sessions[1].end",
     "after the start 14:30, found \"14:00\"", 1},
    {SET, "hours.sessions[1].start", "\"11:00\"", "hours.sessions[1].start", "at or after 11:30",
     1},
    {SET, "hours.sign_in", "{\"start\": \"08:40\", \"end\": \"09:00\"}", "hours.sign_in.start",
     "before the first session starts at 08:30", 1},
    {DELETE, "services[0].name", NULL, "services[0].name", "found nothing", 1},
    {SET, "services[1].id", "\"company\"", "services[1].id", "duplicate service id \"company\"",
     3 /* and "tax" is gone: windows[1] and devices[0] name it */},
    {SET, "services[1].prefix", "\"A\"", "services[1].prefix",
     "duplicate ticket prefix \"A\", already used by services[0]", 1},
    {SET, "services[0].prefix", "\"ABC\"", "services[0].prefix", "one or two capital letters A-Z",
     1},
    {SET, "services[0].standard_minutes", "\"20\"", "services[0].standard_minutes", "found \"20\"",
     1},
    {SET, "services[1].daily_quota", "1000", "services[1].daily_quota", "from 1 to 999, found 1000",
     1},
    {SET, "services[1].hours[0].end", "\"12:00\"", "services[1].hours[0]",
     "inside one of hours.sessions, found 09:00-12:00", 1},
    {SET, "windows[1].number", "1", "windows[1].number",
     "duplicate window number 1, already used by windows[0]", 2 /* devices[2] names 2 */},
    {SET, "windows[1].services[1].service", "\"X9\"", "windows[1].services[1]",
     "unknown service \"X9\"", 1},
    {SET, "windows[1].services[1].service", "\"tax\"", "windows[1].services[1]",
     "duplicate service \"tax\"", 1},
    {SET, "windows[0].services[0].level", "0", "windows[0].services[0].level",
     "from 1 to 9, found 0", 1},
    {SET, "windows[0].services", "[]", "windows[0].services", "found an array", 1},
    {SET, "queue.pause_reasons", "[]", "queue.pause_reasons", "1 to 16 reasons", 1},
    {SET, "voice", "{\"enabled\": true, \"output\": \"wav\"}", "voice.wav_dir",
     "expected the folder for the WAV files", 1},
    {SET, "voice", "{\"enabled\": true, \"repeat\": 4}", "voice.repeat", "from 1 to 3, found 4", 1},
    {SET, "voice", "{\"enabled\": true, \"output\": \"speaker\"}", "voice.output",
     "one of device, wav", 1},
    {SET, "voice", "{\"enabled\": true, \"volume\": 3}", "voice.volume", "unknown field", 1},
    {SET, "voice", "{\"output\": \"device\"}", "voice.enabled", "found nothing", 1},
    {SET, "queue.pause_reasons[1]", "\"休息\"", "queue.pause_reasons[1]", "duplicate reason", 1},
    {SET, "buses[0].parity", "\"mark\"", "buses[0].parity", "one of none, even, odd", 1},
    {SET, "buses[0].baud", "9601", "buses[0].baud", "found 9601", 1},
    {SET, "buses[1].type", "\"udp\"", "buses[1].type", "one of rtu, tcp, found \"udp\"", 1},
    {SET, "buses[1].name", "\"line\"", "buses[1].name", "duplicate bus name \"line\"",
     2 /* devices[0] names "lan" */},
    {SET, "buses[1].device", "\"/dev/ttyS1\"", "buses[1].device", "unknown field", 1},
    {SET, "devices[0].bus", "\"can\"", "devices[0].bus", "unknown bus \"can\"", 1},
    {SET, "devices[2].address", "1", "devices[2].address",
     "duplicate address 1 on bus \"line\", already used by devices[1]", 1},
    {SET, "devices[0].address", "248", "devices[0].address", "from 1 to 247", 1},
    {SET, "devices[2].window", "99", "devices[2].window", "unknown window 99", 1},
    {SET, "devices[2].window", "1", "devices[2].window", "already has a terminal", 1},
    {SET, "devices[0].services[1]", "\"X9\"", "devices[0].services[1]", "unknown service \"X9\"",
     1},
    {SET, "devices[3].type", "\"printer\"", "devices[3].type", "found \"printer\"", 1},
    {SET, "api.bind", "\"localhost\"", "api.bind", "numeric IPv4 or IPv6", 1},
    {SET, "api.port", "70000", "api.port", "from 1 to 65535, found 70000", 1},
    {SET, "evaluation.score.weights.attendance", "0.3", "evaluation.score.weights",
     "sum to 1, found a sum of 1.1", 1},
    {SET, "evaluation.bulletin_weekday", "\"friday\"", "evaluation.bulletin_weekday",
     "found \"friday\"", 1},
    {SET, "evaluation.leader_duty.points_per_shift", "-1",
     "evaluation.leader_duty.points_per_shift", "from 0 to 10, found -1", 1},
    {DELETE, "evaluation.score.deductions.absence", NULL, "evaluation.score.deductions.absence",
     "found nothing", 1},
    {SET, "evaluation.attendance_exempt_windows", "[2, 3]",
     "evaluation.attendance_exempt_windows[1]", "expected the number of one of windows[], found 3",
     1},
    {SET, "evaluation.attendance_exempt_windows", "[2, 2]",
     "evaluation.attendance_exempt_windows[1]", "duplicate window 2", 1},
    {SET, "evaluation.attendance_exempt_windows", "2", "evaluation.attendance_exempt_windows",
     "an array of window numbers", 1},
    {SET, "evaluation.closed_days", "[\"2026-10-01\", \"2026-02-29\"]", "evaluation.closed_days[1]",
     "a date YYYY-MM-DD", 1},
    {SET, "evaluation.closed_days", "[\"2026-10-1\"]", "evaluation.closed_days[0]",
     "a date YYYY-MM-DD", 1},
    {SET, "evaluation.closed_days", "[20261001]", "evaluation.closed_days[0]", "a date YYYY-MM-DD",
     1},
    {SET, "evaluation.unattended_grace_minutes", "61", "evaluation.unattended_grace_minutes",
     "from 0 to 60, found 61", 1},
    {ADD_DUPLICATE, "api.port", "8081", "api.port", "duplicate field", 1},
    {SET, "buses[0].rs485", "1", "buses[0].rs485", "expected true or false, found 1", 1},
    {SET, "buses[1].rs485", "true", "buses[1].rs485", "unknown field", 1}, /* TCP */
    {SET, "buses[1].host", "\"kiosk-gateway.hall.local\"", "buses[1].host",
     "expected an IPv4 address such as 192.168.1.20, found \"kiosk-gateway.hall.local\"", 1},
    {SET, "buses[1].host", "\"10.0.0.256\"", "buses[1].host", "found \"10.0.0.256\"", 1},
    {SET, "buses[1].events_per_poll", "17", "buses[1].events_per_poll", "from 1 to 16, found 17",
     1},
    {SET, "devices[1].rating_seconds", "0", "devices[1].rating_seconds", "from 1 to 600, found 0",
     1},
    {SET, "devices[0].rating_seconds", "30", "devices[0].rating_seconds", "unknown field", 1},
    {SET, "devices[0].services",
     "[\"company\",\"tax\",\"company\",\"tax\",\"company\",\"tax\",\"company\",\"tax\","
     "\"company\",\"tax\",\"company\",\"tax\",\"company\",\"tax\",\"company\",\"tax\"]",
     "devices[0].services", "1 to 15 service ids", 1},
    {SET, "staff[0].pin", "\"12a4\"", "staff[0].pin", "expected 4 digits, found \"12a4\"", 1},
    {SET, "staff[0].pin", "\"12345\"", "staff[0].pin", "expected 4 digits", 1},
    {SET, "staff[1].id", "\"0123\"", "staff[1].id", "from 1 to 65535 written in digits", 1},
    {SET, "staff[1].id", "\"70000\"", "staff[1].id", "found \"70000\"", 1},
    {SET, "staff[1].id", "\"1001\"", "staff[1].id", "duplicate staff id \"1001\"", 1},
    {DELETE, "staff[1].name", NULL, "staff[1].name", "found nothing", 1},
    {SET, "staff", "{}", "staff", "an array of at most 1024 staff", 1},
    /* appointments: company has the hall's sessions (2 x 180 minutes), tax
     * 09:00-11:00 and a daily quota of 50 */
    {SET, "services[0].appointment",
     "{\"mode\": \"sometimes\", \"slot_minutes\": 30, \"places_per_slot\": 4}",
     "services[0].appointment.mode", "one of none, optional, required, found \"sometimes\"", 1},
    {SET, "services[0].appointment", "{\"mode\": \"optional\", \"places_per_slot\": 4}",
     "services[0].appointment.slot_minutes", "found nothing", 1},
    {SET, "services[0].appointment",
     "{\"mode\": \"optional\", \"slot_minutes\": 4, \"places_per_slot\": 4}",
     "services[0].appointment.slot_minutes", "from 5 to 240, found 4", 1},
    {SET, "services[0].appointment",
     "{\"mode\": \"optional\", \"slot_minutes\": 30, \"places_per_slot\": 4, \"colour\": 1}",
     "services[0].appointment.colour", "unknown field", 1},
    {SET, "services[0].appointment",
     "{\"mode\": \"required\", \"slot_minutes\": 30, \"places_per_slot\": 4, "
     "\"walk_in_percent\": 10}",
     "services[0].appointment.walk_in_percent",
     "expected 0 for a service that requires appointments", 1},
    {SET, "services[0].appointment",
     "{\"mode\": \"optional\", \"slot_minutes\": 30, \"places_per_slot\": 5, "
     "\"walk_in_percent\": 90}",
     "services[0].appointment.walk_in_percent", "at least one of the 5 places", 1},
    {SET, "services[0].appointment",
     "{\"mode\": \"optional\", \"slot_minutes\": 30, \"places_per_slot\": 4, "
     "\"walk_in_percent\": 100}",
     "services[0].appointment.walk_in_percent", "from 0 to 99, found 100", 1},
    {SET, "services[1].appointment",
     "{\"mode\": \"optional\", \"slot_minutes\": 180, \"places_per_slot\": 4}",
     "services[1].appointment.slot_minutes", "fits in the service's hours", 1},
    {SET, "services[1].appointment",
     "{\"mode\": \"optional\", \"slot_minutes\": 30, \"places_per_slot\": 20}",
     "services[1].appointment.places_per_slot",
     "at most 50 places to book a day (the service's daily_quota), found 4 slots x 20 places "
     "to book = 80",
     1},
    {SET, "services[0].appointment",
     "{\"mode\": \"optional\", \"slot_minutes\": 5, \"places_per_slot\": 14}",
     "services[0].appointment.places_per_slot", "found 72 slots x 14 places to book = 1008", 1},
    {SET, "services[0].appointment",
     "{\"mode\": \"optional\", \"slot_minutes\": 30, \"places_per_slot\": 4, \"late\": "
     "\"never\"}",
     "services[0].appointment.late", "one of normal, refuse", 1},
    {SET, "services[0].appointment",
     "{\"mode\": \"optional\", \"slot_minutes\": 30, \"places_per_slot\": 4, "
     "\"days_ahead\": 91}",
     "services[0].appointment.days_ahead", "from 0 to 90, found 91", 1},
    {SET, "services[0].appointment",
     "{\"mode\": \"optional\", \"slot_minutes\": 30, \"places_per_slot\": 4, "
     "\"grace_minutes\": 121}",
     "services[0].appointment.grace_minutes", "from 0 to 120, found 121", 1},
    {SET, "services[0].appointment", "[]", "services[0].appointment", "expected an object", 1},
    {SET, "appointments", "{\"booking_url\": \"ftp://x\"}", "appointments.booking_url",
     "http:// or https://", 1},
    {SET, "appointments", "{\"max_per_phone_per_day\": 0}", "appointments.max_per_phone_per_day",
     "from 1 to 20, found 0", 1},
    {SET, "appointments", "{\"requests_per_minute\": -1}", "appointments.requests_per_minute",
     "from 0 to 100000, found -1", 1},
    {SET, "appointments", "{\"no_show_rule\": {\"no_shows\": 3}}",
     "appointments.no_show_rule.block_days", "found nothing", 1},
    {SET, "appointments", "{\"no_show_rule\": {\"no_shows\": 0, \"block_days\": 30}}",
     "appointments.no_show_rule.no_shows", "from 1 to 31, found 0", 1},
    {SET, "appointments", "{\"colour\": 1}", "appointments.colour", "unknown field", 1},
};

/* n error lines; the first must start with "t.json:WHERE: " and hold says. */
static void expect_errors(const struct config_report *r, int n, const char *where, const char *says)
{
	char prefix[256];

	snprintf(prefix, sizeof(prefix), "t.json:%s: ", where);
	if (r->n_errors != n || !r->text || strncmp(r->text, prefix, strlen(prefix)) != 0 ||
	    !strstr(r->text, says))
		fail_msg("expected %d error(s), the first \"%s...%s\", got %d:\n%s", n, prefix,
			 says, r->n_errors, r->text ? r->text : "(none)");
}

static void test_base_is_valid(void **state)
{
	struct config_report r = {0};
	(void)state;

	struct config *cfg = config_parse("t.json", BASE, strlen(BASE), "/etc/hallq", &r);
	if (!cfg)
		fail_msg("BASE refused:\n%s", r.text);
	assert_int_equal(cfg->hall.n_services, 2);
	assert_int_equal(cfg->hall.services[1].daily_quota, 50);
	assert_int_equal(cfg->hall.services[1].hours[0].start_min, 9 * 60);
	assert_int_equal(cfg->hall.windows[1].services[1].service, 0);
	assert_int_equal(cfg->hall.windows[1].services[1].level, 2);
	assert_int_equal(cfg->devices[2].window, 1);
	assert_int_equal(cfg->devices[0].bus, 1);
	assert_int_equal(cfg->devices[3].type, CONFIG_DEVICE_HALL_DISPLAY);
	assert_int_equal(cfg->devices[1].rating_seconds, 30); /* the default */
	assert_false(cfg->buses[0].rs485);                    /* the default */
	assert_int_equal(cfg->buses[0].events_per_poll, 4);   /* the default */
	assert_int_equal(cfg->n_staff, 2);
	assert_string_equal(cfg->staff[1].pin, "0007");
	assert_ptr_equal(config_staff(cfg, "1002"), &cfg->staff[1]);
	assert_null(config_staff(cfg, "1003"));
	assert_string_equal(cfg->api.tokens_file, "/etc/hallq/tokens.json");
	assert_string_equal(cfg->api.web_dir, "/etc/hallq/../web"); /* the default */
	assert_false(cfg->voice.enabled);                           /* no voice section */
	assert_int_equal(cfg->voice.repeat, 1);
	assert_int_equal(cfg->eval.unattended_grace_min, 5); /* the default */
	assert_int_equal(cfg->eval.n_exempt_windows, 0);
	assert_int_equal(cfg->eval.n_closed_days, 0);
	config_free(cfg);
	config_report_clear(&r);
}

/* A service's appointments and the hall's booking rules, with the
 * defaults of what is left out. */
static void test_appointments(void **state)
{
	struct config_report r = {0};
	(void)state;

	char *a = changed(SET, "services[1].appointment",
			  "{\"mode\": \"required\", \"slot_minutes\": 20, \"places_per_slot\": 8,"
			  " \"days_ahead\": 3, \"close_minutes_before\": 0, \"grace_minutes\": 5,"
			  " \"late\": \"refuse\"}");
	cJSON *root = cJSON_Parse(a);
	cJSON *svc0 = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "services"), 0);
	cJSON_AddItemToObject(svc0, "appointment",
			      cJSON_Parse("{\"mode\": \"optional\", \"slot_minutes\": 30,"
					  " \"places_per_slot\": 6, \"walk_in_percent\": 40}"));
	cJSON_AddItemToObject(
	    root, "appointments",
	    cJSON_Parse("{\"booking_url\": \"https://hall.example/book?c=\","
			" \"requests_per_minute\": 0,"
			" \"no_show_rule\": {\"no_shows\": 2, \"block_days\": 9}}"));
	cJSON *ev = cJSON_GetObjectItemCaseSensitive(root, "evaluation");
	cJSON_AddItemToObject(ev, "closed_days", cJSON_Parse("[\"2026-10-01\"]"));
	char *text = cJSON_Print(root);
	cJSON_Delete(root);
	free(a);

	struct config *cfg = config_parse("t.json", text, strlen(text), ".", &r);
	if (!cfg)
		fail_msg("refused:\n%s", r.text);
	const struct engine_appointment *c = &cfg->hall.services[0].appointment;
	const struct engine_appointment *t = &cfg->hall.services[1].appointment;
	assert_int_equal(c->mode, ENGINE_APPOINTMENT_OPTIONAL);
	assert_int_equal(c->slot_min, 30);
	assert_int_equal(c->places_per_slot, 6);
	assert_int_equal(c->walk_in_percent, 40);
	assert_int_equal(c->days_ahead, 7);        /* the defaults */
	assert_int_equal(c->close_before_min, 30); /* ... */
	assert_int_equal(c->grace_min, 15);
	assert_int_equal(c->late, ENGINE_LATE_NORMAL);
	assert_int_equal(t->mode, ENGINE_APPOINTMENT_REQUIRED);
	assert_int_equal(t->slot_min, 20);
	assert_int_equal(t->places_per_slot, 8); /* 6 slots of 20 in 09:00-11:00: 48 <= 50 */
	assert_int_equal(t->walk_in_percent, 0);
	assert_int_equal(t->days_ahead, 3);
	assert_int_equal(t->close_before_min, 0);
	assert_int_equal(t->grace_min, 5);
	assert_int_equal(t->late, ENGINE_LATE_REFUSE);
	assert_string_equal(cfg->appointments.booking_url, "https://hall.example/book?c=");
	assert_int_equal(cfg->appointments.requests_per_minute, 0);
	assert_int_equal(cfg->hall.booking.max_per_phone_per_day, 2); /* the default */
	assert_int_equal(cfg->hall.booking.no_show_count, 2);
	assert_int_equal(cfg->hall.booking.no_show_within_days, 30); /* the default */
	assert_int_equal(cfg->hall.booking.no_show_block_days, 9);
	assert_int_equal(cfg->hall.booking.n_closed_days, 1); /* evaluation.closed_days */
	assert_int_equal(cfg->hall.booking.closed_days[0], 20261001);
	config_free(cfg);
	config_report_clear(&r);
	free(text);

	/* without the section and the objects: walk-ins only, the defaults */
	cfg = config_parse("t.json", BASE, strlen(BASE), ".", &r);
	assert_non_null(cfg);
	assert_int_equal(cfg->hall.services[0].appointment.mode, ENGINE_APPOINTMENT_NONE);
	assert_int_equal(cfg->hall.booking.max_per_phone_per_day, 2);
	assert_int_equal(cfg->hall.booking.no_show_count, 0);
	assert_int_equal(cfg->appointments.requests_per_minute, 60);
	assert_string_equal(cfg->appointments.booking_url, "");
	config_free(cfg);
	config_report_clear(&r);
}

/* The optional evaluation fields, and the source kept without PINs. */
static void test_eval_options_and_public_source(void **state)
{
	struct config_report r = {0};
	(void)state;

	char *a = changed(SET, "evaluation.attendance_exempt_windows", "[2]");
	cJSON *root = cJSON_Parse(a);
	cJSON *ev = cJSON_GetObjectItemCaseSensitive(root, "evaluation");
	cJSON_AddItemToObject(ev, "closed_days", cJSON_Parse("[\"2026-10-01\", \"2028-02-29\"]"));
	cJSON_AddNumberToObject(ev, "unattended_grace_minutes", 0);
	char *text = cJSON_Print(root);
	cJSON_Delete(root);
	free(a);

	struct config *cfg = config_parse("t.json", text, strlen(text), ".", &r);
	if (!cfg)
		fail_msg("refused:\n%s", r.text);
	assert_int_equal(cfg->eval.n_exempt_windows, 1);
	assert_int_equal(cfg->eval.exempt_windows[0], 2);
	assert_int_equal(cfg->eval.n_closed_days, 2);
	assert_int_equal(cfg->eval.closed_days[0], 20261001);
	assert_int_equal(cfg->eval.closed_days[1], 20280229); /* a leap day */
	assert_int_equal(cfg->eval.unattended_grace_min, 0);

	/* the public source: the same config, every PIN 0000 */
	assert_non_null(strstr(cfg->source, "\"4321\""));
	char *pub = config_public_source(cfg);
	assert_non_null(pub);
	assert_null(strstr(pub, "4321"));
	assert_null(strstr(pub, "0007"));
	struct config *again = config_parse("pub.json", pub, strlen(pub), ".", &r);
	if (!again)
		fail_msg("public source refused:\n%s", r.text);
	assert_string_equal(again->staff[0].pin, "0000");
	assert_string_equal(again->staff[1].pin, "0000");
	assert_string_equal(again->staff[1].name, cfg->staff[1].name);
	assert_int_equal(again->eval.closed_days[1], 20280229);
	assert_int_equal(again->hall.n_windows, cfg->hall.n_windows);
	config_free(again);
	free(pub);
	config_free(cfg);
	free(text);
	config_report_clear(&r);
}

/* One bad case; *state points at it. */
static void test_bad_case(void **state)
{
	const struct bad_case *bc = *state;
	struct config_report r = {0};
	char *text = changed(bc->op, bc->path, bc->value);

	struct config *cfg = config_parse("t.json", text, strlen(text), ".", &r);
	assert_null(cfg);
	expect_errors(&r, bc->n_errors, bc->where, bc->says);
	config_report_clear(&r);
	free(text);
}

/* Several faults in one file: every one is reported, in file order. */
static void test_all_errors_reported(void **state)
{
	struct config_report r = {0};
	(void)state;

	cJSON *root = cJSON_Parse(BASE);
	cJSON *w1 = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "windows"), 1);
	cJSON_ReplaceItemInObject(w1, "name", cJSON_CreateNumber(7));
	cJSON *s0 = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "services"), 0);
	cJSON_ReplaceItemInObject(s0, "prefix", cJSON_CreateString("a"));
	cJSON_ReplaceItemInObject(cJSON_GetObjectItem(root, "api"), "port", cJSON_CreateTrue());
	char *text = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);

	assert_null(config_parse("t.json", text, strlen(text), ".", &r));
	assert_int_equal(r.n_errors, 3);
	const char *a = strstr(r.text, "t.json:services[0].prefix: ");
	const char *b = strstr(r.text, "t.json:windows[1].name: ");
	const char *c = strstr(r.text, "t.json:api.port: expected a whole number from 1 to 65535, "
				       "found true\n");
	assert_true(a && b && c && a < b && b < c);
	config_report_clear(&r);
	free(text);
}

static void test_json_syntax_error_has_line_and_column(void **state)
{
	static const char text[] = "{\n  \"hall\": {\n    \"name\": \"x\",,\n  }\n}\n";
	struct config_report r = {0};
	(void)state;

	assert_null(config_parse("t.json", text, strlen(text), ".", &r));
	assert_int_equal(r.n_errors, 1);
	/* The stray comma is on line 3; cJSON stops at or just after it. */
	assert_true(strncmp(r.text, "t.json:3:", 9) == 0);
	assert_non_null(strstr(r.text, ": expected valid JSON, found a syntax error near \""));
	assert_non_null(strstr(r.text, "\"x\",,"));
	config_report_clear(&r);
}

static void test_trailing_garbage_refused(void **state)
{
	char text[sizeof(BASE) + 8];
	struct config_report r = {0};
	(void)state;

	snprintf(text, sizeof(text), "%s\n{}", BASE);
	assert_null(config_parse("t.json", text, strlen(text), ".", &r));
	assert_int_equal(r.n_errors, 1);
	assert_non_null(
	    strstr(r.text, "t.json:2:1: expected valid JSON, found a syntax error near \"{}\""));
	config_report_clear(&r);
}

static void test_invalid_utf8_refused(void **state)
{
	struct config_report r = {0};
	(void)state;

	char *text = changed(SET, "hall.name", "\"ok\"");
	char *at = strstr(text, "\"ok\"");
	at[1] = (char)0xC3; /* a lead byte followed by 'k': not UTF-8 */
	assert_null(config_parse("t.json", text, strlen(text), ".", &r));
	expect_errors(&r, 1, "hall.name", "UTF-8");
	config_report_clear(&r);
	free(text);
}

/* A key or a value with control characters (found by tests/fuzz):
 * each error stays one line, the characters shown escaped. */
static void test_control_characters_stay_on_one_line(void **state)
{
	struct config_report r = {0};
	(void)state;

	cJSON *root = cJSON_Parse(BASE);
	cJSON_AddNumberToObject(cJSON_GetObjectItem(root, "api"), "web\ndir\x01", 1);
	cJSON_ReplaceItemInObject(cJSON_GetObjectItem(root, "api"), "port",
				  cJSON_CreateString("80\t80\r"));
	char *text = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);

	assert_null(config_parse("t.json", text, strlen(text), ".", &r));
	assert_int_equal(r.n_errors, 2);
	/* two lines, each a whole error */
	const char *second = strchr(r.text, '\n') + 1;
	assert_string_equal(strchr(second, '\n'), "\n");
	assert_non_null(
	    strstr(r.text, "t.json:api.web\\ndir\\x01: unknown field, expected one of"));
	assert_non_null(strstr(r.text, "t.json:api.port: expected a whole number from 1 to 65535, "
				       "found \"80\\t80\\r\"\n"));
	config_report_clear(&r);
	free(text);
}

static void test_missing_file(void **state)
{
	struct config_report r = {0};
	(void)state;

	assert_null(config_load("/nonexistent/hall.json", &r));
	assert_int_equal(r.n_errors, 1);
	assert_string_equal(r.text,
			    "/nonexistent/hall.json: cannot open: No such file or directory\n");
	config_report_clear(&r);
}

/* The demo hall: figures read off config/hall.json by hand. */
static void test_demo_hall(void **state)
{
	struct config_report r = {0};
	(void)state;

	struct config *cfg = config_load(HALLQ_SOURCE_DIR "/config/hall.json", &r);
	if (!cfg)
		fail_msg("demo hall refused:\n%s", r.text);
	const struct engine_hall *h = &cfg->hall;
	assert_string_equal(h->name, "市政务服务中心");
	assert_string_equal(cfg->timezone, "Asia/Shanghai");
	assert_int_equal(h->hours.workdays, 0x3E); /* mon..fri = bits 1..5 */
	assert_int_equal(h->hours.sign_in.start_min, 480);
	assert_int_equal(h->hours.sign_in.end_min, 510);
	assert_int_equal(h->hours.n_sessions, 2);
	assert_int_equal(h->hours.sessions[0].start_min, 510);
	assert_int_equal(h->hours.sessions[0].end_min, 690);
	assert_int_equal(h->hours.sessions[1].start_min, 870);
	assert_int_equal(h->hours.sessions[1].end_min, 1050);
	assert_true(h->n_services >= 8);
	assert_true(h->n_windows >= 12);
	assert_string_equal(h->services[0].name, "企业注册");
	assert_string_equal(h->services[0].prefix, "A");
	assert_int_equal(h->services[0].daily_quota, 200);
	assert_int_equal(h->services[2].n_hours, 1);
	assert_int_equal(h->services[2].hours[0].end_min, 690);
	assert_int_equal(h->queue.n_pause_reasons, 5);
	assert_int_equal(cfg->buses[0].parity, 'E');
	assert_true(cfg->buses[0].rs485);
	assert_int_equal(cfg->n_staff, 13);
	assert_int_equal(cfg->api.port, 8080);
	assert_string_equal(cfg->api.tokens_file, HALLQ_SOURCE_DIR "/config/tokens.json");
	assert_int_equal(cfg->eval.half_day_min, 180);
	assert_int_equal(cfg->eval.bulletin_weekday, 5);
	assert_true(cfg->eval.leader_points_per_shift == 0.1);
	assert_true(cfg->eval.leader_max_points_per_month == 5.0);
	/* appointments: 企业注册 and 不动产登记 */
	assert_int_equal(h->services[0].appointment.mode, ENGINE_APPOINTMENT_OPTIONAL);
	assert_int_equal(h->services[0].appointment.slot_min, 30);
	assert_int_equal(h->services[0].appointment.places_per_slot, 6);
	assert_int_equal(h->services[0].appointment.walk_in_percent, 50);
	assert_string_equal(h->services[5].name, "不动产登记");
	assert_int_equal(h->services[5].appointment.mode, ENGINE_APPOINTMENT_OPTIONAL);
	assert_int_equal(h->services[5].appointment.slot_min, 60);
	assert_int_equal(h->services[5].appointment.places_per_slot, 4);
	assert_int_equal(h->services[5].appointment.walk_in_percent, 25);
	assert_int_equal(h->services[5].appointment.days_ahead, 14);
	assert_int_equal(h->services[5].appointment.close_before_min, 60);
	assert_int_equal(h->services[5].appointment.grace_min, 10);
	assert_int_equal(h->services[1].appointment.mode, ENGINE_APPOINTMENT_NONE);
	assert_int_equal(h->booking.max_per_phone_per_day, 2);
	assert_int_equal(h->booking.no_show_count, 3);
	assert_int_equal(h->booking.no_show_within_days, 30);
	assert_int_equal(h->booking.no_show_block_days, 30);
	assert_string_equal(cfg->appointments.booking_url, "http://127.0.0.1:8080/book.html?code=");
	config_free(cfg);
	config_report_clear(&r);
}

int main(void)
{
	static const struct CMUnitTest fixed[] = {
	    cmocka_unit_test(test_base_is_valid),
	    cmocka_unit_test(test_eval_options_and_public_source),
	    cmocka_unit_test(test_appointments),
	    cmocka_unit_test(test_all_errors_reported),
	    cmocka_unit_test(test_json_syntax_error_has_line_and_column),
	    cmocka_unit_test(test_trailing_garbage_refused),
	    cmocka_unit_test(test_invalid_utf8_refused),
	    cmocka_unit_test(test_control_characters_stay_on_one_line),
	    cmocka_unit_test(test_missing_file),
	    cmocka_unit_test(test_demo_hall),
	};
	enum {
		N_FIXED = sizeof(fixed) / sizeof(fixed[0]),
		N_BAD = sizeof(bad_cases) / sizeof(bad_cases[0])
	};
	static struct CMUnitTest tests[N_FIXED + N_BAD];
	static char names[N_BAD][96];

	memcpy(tests, fixed, sizeof(fixed));
	for (size_t i = 0; i < N_BAD; i++) {
		snprintf(names[i], sizeof(names[i]), "bad config %zu: %s", i + 1,
			 bad_cases[i].where);
		tests[N_FIXED + i] = (struct CMUnitTest){
		    .name = names[i],
		    .test_func = test_bad_case,
		    .initial_state = (void *)&bad_cases[i],
		};
	}
	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
