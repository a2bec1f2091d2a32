/*
 * test_tokens.c — hostd/api/tokens.c: the tokens file is refused when
 * anyone but hostd's user and group may read it; a token is found only
 * when it is exactly one of the file's, however close another is (same
 * length and one character off at the start or the end, a prefix, an
 * extension).
 *
 * Constant time is by construction (every entry's SHA-256 digest compared
 * with memeql_sec, nettle's constant-time comparison), not measured here:
 * tests assert no durations.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "api/api_impl.h"

struct fixture {
	char dir[64], path[96];
	struct config *cfg;
};

static const char *const good_file =
    "{\"tokens\": [\n"
    " {\"token\": \"kiosk-token-0123456789\", \"role\": \"kiosk\", \"name\": \"k1\"},\n"
    " {\"token\": \"window-2-token-abcdefgh\", \"role\": \"window\", \"window\": 2},\n"
    " {\"token\": \"admin-token-ZYXWVUTSRQ\", \"role\": \"admin\"}\n"
    "]}\n";

static void write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fchmod(fileno(f), mode), 0);
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/hallq-tokens-XXXXXX");
	if (!f || !mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/tokens.json", f->dir);
	f->cfg = calloc(1, sizeof(*f->cfg));
	f->cfg->hall.n_windows = 2;
	f->cfg->hall.windows[0].number = 1;
	f->cfg->hall.windows[1].number = 2;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	unlink(f->path);
	rmdir(f->dir);
	free(f->cfg);
	free(f);
	return 0;
}

static int load(struct fixture *f, struct api_tokens *t, char *err, int size)
{
	return api_tokens_load(t, f->path, f->cfg, err, size);
}

/* Modes: the file may be read by hostd's user, and by its group only when
 * the group is hostd's own; others never. */
static void test_modes(void **state)
{
	struct fixture *f = *state;
	struct api_tokens t;
	char err[512];
	static const struct {
		mode_t mode;
		bool ok;
	} cases[] = {
	    {0600, true},  {0400, true},  {0640, true},  {0660, true},
	    {0644, false}, {0604, false}, {0606, false}, {0601, false},
	};

	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		write_file(f->path, good_file, cases[k].mode);
		int rc = load(f, &t, err, (int)sizeof(err));
		if (cases[k].ok) {
			if (rc != 0)
				fail_msg("mode %04o refused: %s", (unsigned)cases[k].mode, err);
			assert_int_equal(t.n, 3);
			api_tokens_free(&t);
		} else {
			assert_int_equal(rc, -1);
			char want[160];
			snprintf(want, sizeof(want), "has mode %04o and others may access it",
				 (unsigned)cases[k].mode);
			if (!strstr(err, want) || !strstr(err, f->path))
				fail_msg("mode %04o: %s", (unsigned)cases[k].mode, err);
			assert_int_equal(t.n, 0);
		}
	}

	/* group access for a group that is not hostd's: refused. Needs a file
	 * we may give away (root, as in CI); skipped otherwise. */
	write_file(f->path, good_file, 0640);
	gid_t other = getegid() == 4242 ? 4243 : 4242;
	if (chown(f->path, (uid_t)-1, other) == 0) {
		assert_int_equal(load(f, &t, err, (int)sizeof(err)), -1);
		assert_non_null(strstr(err, "has mode 0640 and its group is not hostd's"));
		assert_int_equal(chmod(f->path, 0600), 0); /* no group access: fine */
		assert_int_equal(load(f, &t, err, (int)sizeof(err)), 0);
		api_tokens_free(&t);
	} else {
		print_message("not root: the foreign-group case is skipped\n");
	}

	unlink(f->path);
	assert_int_equal(load(f, &t, err, (int)sizeof(err)), -1);
	assert_non_null(strstr(err, "cannot open the tokens file: No such file or directory"));
}

static void test_find(void **state)
{
	struct fixture *f = *state;
	struct api_tokens t;
	const struct api_token *who;
	char err[512];

	write_file(f->path, good_file, 0600);
	assert_int_equal(load(f, &t, err, (int)sizeof(err)), 0);
	assert_int_equal(t.n, 3);

	who = api_tokens_find(&t, "window-2-token-abcdefgh");
	assert_ptr_equal(who, &t.list[1]);
	assert_int_equal(who->role, API_ROLE_WINDOW);
	assert_int_equal(who->window, 2);
	assert_string_equal(who->name, "window");
	who = api_tokens_find(&t, "kiosk-token-0123456789");
	assert_ptr_equal(who, &t.list[0]);
	assert_int_equal(who->role, API_ROLE_KIOSK);
	assert_string_equal(who->name, "k1");
	who = api_tokens_find(&t, "admin-token-ZYXWVUTSRQ");
	assert_ptr_equal(who, &t.list[2]);
	assert_int_equal(who->role, API_ROLE_ADMIN);

	static const char *const near_misses[] = {
	    "admin-token-ZYXWVUTSRq",  /* last character's case */
	    "Admin-token-ZYXWVUTSRQ",  /* first character */
	    "admin-token-ZYXWVUTSR",   /* a prefix */
	    "admin-token-ZYXWVUTSRQ1", /* an extension */
	    "kiosk-token-012345678",   /* a prefix */
	    "window-2-token-abcdefgi", /* one off at the end */
	    "short",                   /* under 16 characters */
	    "",
	};
	for (size_t k = 0; k < sizeof(near_misses) / sizeof(near_misses[0]); k++)
		if (api_tokens_find(&t, near_misses[k]))
			fail_msg("\"%s\" was taken", near_misses[k]);
	assert_null(api_tokens_find(&t, NULL));
	char longer[200];
	memset(longer, 'a', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	assert_null(api_tokens_find(&t, longer)); /* over 128 characters */
	api_tokens_free(&t);
	assert_null(api_tokens_find(&t, "kiosk-token-0123456789")); /* empty list */
}

/* The text, not the file: api_tokens_parse() reads and checks no mode. */
static void test_parse(void **state)
{
	struct fixture *f = *state;
	struct api_tokens t;
	char err[512];

	assert_int_equal(api_tokens_parse(&t, good_file, "T", f->cfg, err, (int)sizeof(err)), 0);
	assert_int_equal(t.n, 3);
	api_tokens_free(&t);
	assert_int_equal(api_tokens_parse(&t,
					  "{\"tokens\": [{\"token\": \"window-3-token-abcdefgh\","
					  " \"role\": \"window\", \"window\": 3}]}",
					  "T", f->cfg, err, (int)sizeof(err)),
			 -1);
	assert_string_equal(err, "T: tokens[0]: window: expected the number of one of the hall's "
				 "windows");
	assert_int_equal(t.n, 0);
}

/* The same token twice is refused even though only digests are kept. */
static void test_duplicate(void **state)
{
	struct fixture *f = *state;
	struct api_tokens t;
	char err[512];

	write_file(f->path,
		   "{\"tokens\": [{\"token\": \"same-token-0123456789\", \"role\": \"kiosk\"},"
		   " {\"token\": \"same-token-0123456789\", \"role\": \"admin\"}]}",
		   0600);
	assert_int_equal(load(f, &t, err, (int)sizeof(err)), -1);
	assert_non_null(strstr(err, "tokens[1]: token: used twice"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_modes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_find, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_duplicate, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_parse, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
