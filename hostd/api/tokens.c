/*
 * tokens.c — the API tokens file (docs/api.md, "Tokens and roles"): read,
 * checked, looked up.
 *
 * Room: hostd/api. cJSON for the file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static char *read_file(const char *path, char *err, int err_size)
{
	FILE *f = fopen(path, "rb");
	char *text = NULL;
	long len;

	if (!f) {
		snprintf(err, (size_t)err_size, "%s: cannot open the tokens file", path);
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
	char what[160];
	int bad = 0;

	memset(t, 0, sizeof(*t));
	err[0] = '\0';
	char *text = read_file(path, err, err_size);
	if (!text)
		return -1;
	cJSON *root = cJSON_Parse(text);
	free(text);
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
		for (int k = 0; k < t->n; k++)
			if (strcmp(t->list[k].token, tok->valuestring) == 0) {
				problem(err, err_size, &bad, path, i, "token: used twice");
				r = -1;
			}
		if (r < 0)
			continue;
		struct api_token *at = &t->list[t->n];
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
	const struct api_token *found = NULL;
	size_t n = token ? strlen(token) : 0;

	if (n < TOKEN_MIN || n > TOKEN_MAX)
		return NULL;
	for (int k = 0; k < t->n; k++) {
		const char *s = t->list[k].token;
		if (strlen(s) != n)
			continue;
		unsigned diff = 0;
		for (size_t i = 0; i < n; i++)
			diff |= (unsigned)(s[i] ^ token[i]);
		if (diff == 0)
			found = &t->list[k];
	}
	return found;
}
