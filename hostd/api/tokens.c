/*
 * tokens.c — the API tokens file (docs/api.md, "Tokens and roles"): read,
 * checked, looked up.
 *
 * Room: hostd/api. cJSON for the file, nettle for the digests. A
 * presented token is looked up by comparing its SHA-256 digest with every
 * entry's in constant time (memeql_sec), so that the time an answer takes
 * says nothing of how much of a token was right, nor of how long the real
 * tokens are. The file must be readable by no one but hostd's user and
 * group (docs/security.md).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nettle/memops.h>
#include <nettle/sha2.h>

#include "api/api_impl.h"

enum { TOKEN_MIN = 16, TOKEN_MAX = 128, FILE_MAX = 1024 * 1024 };

static const char *const role_names[] = {"kiosk", "window", "display", "supervisor", "admin"};

const char *api_role_name(enum api_role role)
{
	return (int)role >= 0 && role <= API_ROLE_ADMIN ? role_names[role] : "?";
}

/* Appends one line to err (keeps what fits). */
static void problem(char *err, int err_size, int *n, const char *path, int i, const char *what)
{
	size_t used = strlen(err);

	if (used + 1 < (size_t)err_size)
		snprintf(err + used, (size_t)err_size - used, "%s%s: tokens[%d]: %s",
			 used ? "\n" : "", path, i, what);
	(*n)++;
}

static bool token_text_ok(const char *s)
{
	size_t n = strlen(s);

	if (n < TOKEN_MIN || n > TOKEN_MAX)
		return false;
	for (size_t k = 0; k < n; k++)
		if (s[k] <= ' ' || s[k] > '~')
			return false;
	return true;
}

static bool window_exists(const struct config *cfg, int number)
{
	for (int w = 0; w < cfg->hall.n_windows; w++)
		if (cfg->hall.windows[w].number == number)
			return true;
	return false;
}

static void digest(const char *token, uint8_t out[API_TOKEN_DIGEST_SIZE])
{
	struct sha256_ctx ctx;

	sha256_init(&ctx);
	sha256_update(&ctx, strlen(token), (const uint8_t *)token);
	sha256_digest(&ctx, API_TOKEN_DIGEST_SIZE, out);
}

/*
 * Whoever may read the tokens file may act as any of its tokens: others
 * may have no access at all, and the group only when it is hostd's own
 * (the package's root:hallq 0640). NULL when the mode is right, else why.
 */
static const char *mode_problem(const struct stat *st)
{
	if (st->st_mode & S_IRWXO)
		return "others may access it";
	if ((st->st_mode & S_IRWXG) && st->st_gid != getegid())
		return "its group is not hostd's and may access it";
	return NULL;
}

static char *read_file(const char *path, char *err, int err_size)
{
	FILE *f = fopen(path, "rb");
	char *text = NULL;
	struct stat st;
	const char *why;
	long len;

	if (!f) {
		snprintf(err, (size_t)err_size, "%s: cannot open the tokens file: %s", path,
			 strerror(errno));
		return NULL;
	}
	if (fstat(fileno(f), &st) != 0) {
		snprintf(err, (size_t)err_size, "%s: cannot read the tokens file: %s", path,
			 strerror(errno));
		fclose(f);
		return NULL;
	}
	if ((why = mode_problem(&st)) != NULL) {
		snprintf(err, (size_t)err_size,
			 "%s: refused: the tokens file has mode %04o and %s; make it readable "
			 "by hostd's user alone (chmod 600) or by root and hostd's group "
			 "(chown root:hallq, chmod 640)",
			 path, (unsigned)(st.st_mode & 07777), why);
		fclose(f);
		return NULL;
	}
	if (fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) >= 0 && len <= FILE_MAX &&
	    fseek(f, 0, SEEK_SET) == 0 && (text = malloc((size_t)len + 1)) != NULL) {
		if (fread(text, 1, (size_t)len, f) == (size_t)len) {
			text[len] = '\0';
		} else {
			free(text);
			text = NULL;
		}
	}
	fclose(f);
	if (!text)
		snprintf(err, (size_t)err_size, "%s: cannot read the tokens file (at most 1 MiB)",
			 path);
	return text;
}

int api_tokens_load(struct api_tokens *t, const char *path, const struct config *cfg, char *err,
		    int err_size)
{
	memset(t, 0, sizeof(*t));
	err[0] = '\0';
	char *text = read_file(path, err, err_size);
	if (!text)
		return -1;
	int rc = api_tokens_parse(t, text, path, cfg, err, err_size);
	free(text);
	return rc;
}

int api_tokens_parse(struct api_tokens *t, const char *text, const char *path,
		     const struct config *cfg, char *err, int err_size)
{
	char what[160];
	int bad = 0;

	memset(t, 0, sizeof(*t));
	err[0] = '\0';
	cJSON *root = cJSON_Parse(text);
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(root, "tokens");
	if (!cJSON_IsObject(root) || !cJSON_IsArray(list) || cJSON_GetArraySize(root) != 1) {
		snprintf(err, (size_t)err_size,
			 "%s: expected a JSON object {\"tokens\": [...]} and nothing else", path);
		cJSON_Delete(root);
		return -1;
	}
	int n = cJSON_GetArraySize(list);
	t->list = calloc((size_t)(n ? n : 1), sizeof(*t->list));
	if (!t->list) {
		snprintf(err, (size_t)err_size, "out of memory");
		cJSON_Delete(root);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		const cJSON *e = cJSON_GetArrayItem(list, i);
		const cJSON *tok = cJSON_GetObjectItemCaseSensitive(e, "token");
		const cJSON *role = cJSON_GetObjectItemCaseSensitive(e, "role");
		const cJSON *win = cJSON_GetObjectItemCaseSensitive(e, "window");
		const cJSON *name = cJSON_GetObjectItemCaseSensitive(e, "name");
		if (!cJSON_IsObject(e)) {
			problem(err, err_size, &bad, path, i, "expected an object");
			continue;
		}
		for (const cJSON *f = e->child; f; f = f->next)
			if (strcmp(f->string, "token") && strcmp(f->string, "role") &&
			    strcmp(f->string, "window") && strcmp(f->string, "name")) {
				snprintf(what, sizeof(what), "unknown field \"%.64s\"", f->string);
				problem(err, err_size, &bad, path, i, what);
			}
		if (!cJSON_IsString(tok) || !token_text_ok(tok->valuestring)) {
			problem(err, err_size, &bad, path, i,
				"token: expected 16 to 128 printable characters without spaces");
			continue;
		}
		int r = -1;
		for (int k = 0; cJSON_IsString(role) && k <= API_ROLE_ADMIN; k++)
			if (strcmp(role->valuestring, role_names[k]) == 0)
				r = k;
		if (r < 0) {
			problem(err, err_size, &bad, path, i,
				"role: expected kiosk, window, display, supervisor or admin");
			continue;
		}
		if (r == API_ROLE_WINDOW &&
		    (!cJSON_IsNumber(win) || win->valuedouble != (double)win->valueint ||
		     !window_exists(cfg, win->valueint))) {
			problem(err, err_size, &bad, path, i,
				"window: expected the number of one of the hall's windows");
			continue;
		}
		if (r != API_ROLE_WINDOW && win) {
			problem(err, err_size, &bad, path, i, "window: only for the role window");
			continue;
		}
		if (name && !cJSON_IsString(name)) {
			problem(err, err_size, &bad, path, i, "name: expected a text");
			continue;
		}
		struct api_token *at = &t->list[t->n];
		digest(tok->valuestring, at->digest);
		for (int k = 0; k < t->n; k++)
			if (memcmp(t->list[k].digest, at->digest, API_TOKEN_DIGEST_SIZE) == 0) {
				problem(err, err_size, &bad, path, i, "token: used twice");
				r = -1;
			}
		if (r < 0)
			continue;
		at->token = strdup(tok->valuestring);
		if (!at->token) {
			problem(err, err_size, &bad, path, i, "out of memory");
			continue;
		}
		at->role = (enum api_role)r;
		at->window = r == API_ROLE_WINDOW ? win->valueint : 0;
		snprintf(at->name, sizeof(at->name), "%s",
			 name ? name->valuestring : role_names[r]);
		t->n++;
	}
	cJSON_Delete(root);
	if (bad) {
		api_tokens_free(t);
		return -1;
	}
	return 0;
}

void api_tokens_free(struct api_tokens *t)
{
	for (int k = 0; k < t->n; k++)
		free(t->list[k].token);
	free(t->list);
	memset(t, 0, sizeof(*t));
}

const struct api_token *api_tokens_find(const struct api_tokens *t, const char *token)
{
	uint8_t d[API_TOKEN_DIGEST_SIZE];
	const struct api_token *found = NULL;
	size_t n = token ? strnlen(token, TOKEN_MAX + 1) : 0;

	if (n < TOKEN_MIN || n > TOKEN_MAX) /* no token is outside, as the file says */
		return NULL;
	digest(token, d);
	/* every entry, each whole: no early exit on a match or a mismatch */
	for (int k = 0; k < t->n; k++)
		if (memeql_sec(t->list[k].digest, d, API_TOKEN_DIGEST_SIZE))
			found = &t->list[k];
	return found;
}
