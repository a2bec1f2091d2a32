/*
 * rig.c — device mode's programs (rig.h): the derived config written with
 * cJSON, the children forked and exec'd with their output in log files of
 * the work folder, readiness awaited, and everything stopped in order.
 *
 * Room: tools/hallsim. Includes the config's types, cJSON and POSIX
 * process calls; nothing of the engine, the store or SQLite.
 */
#define _GNU_SOURCE /* realpath, pipe2 */
#include "rig.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { LINE_BAUD = 115200, READY_TIMEOUT_MS = 30000 };

static double now_real(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* A free TCP port on the loopback, or -1. */
static int free_port(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), port = -1;

	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
		port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

static void absolute(const char *path, char *out, size_t size)
{
	char buf[PATH_MAX];
	const char *p = realpath(path, buf) ? buf : path;

	if (strlen(p) < size)
		memcpy(out, p, strlen(p) + 1);
	else
		snprintf(out, size, "%.*s", (int)size - 1, p);
}

/*
 * Copies the tokens file to `to`, readable by this user alone: hostd
 * refuses a tokens file others may read, and a checkout's demo file
 * (config/tokens.json) is as readable as the checkout.
 */
static int copy_private(const char *from, const char *to, char *err, size_t err_size)
{
	char buf[8192];
	size_t n;
	FILE *in = fopen(from, "rb");
	int fd = in ? open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600) : -1;
	FILE *out = fd >= 0 ? fdopen(fd, "wb") : NULL;
	bool ok = out && fchmod(fd, 0600) == 0;

	while (ok && (n = fread(buf, 1, sizeof(buf), in)) > 0)
		ok = fwrite(buf, 1, n, out) == n;
	ok = ok && !ferror(in);
	if (!ok)
		snprintf(err, err_size, "cannot copy the tokens file %s to %s: %s", from, to,
			 strerror(errno ? errno : EIO));
	if (in)
		fclose(in);
	if (out) {
		if (fclose(out) != 0 && ok) {
			snprintf(err, err_size, "cannot write %s: %s", to, strerror(errno));
			ok = false;
		}
	} else if (fd >= 0) {
		close(fd);
	}
	return ok ? 0 : -1;
}

/* ---- the derived config ---- */

static cJSON *tcp_bus(const char *name, int port)
{
	cJSON *b = cJSON_CreateObject();

	cJSON_AddStringToObject(b, "name", name);
	cJSON_AddStringToObject(b, "type", "tcp");
	cJSON_AddStringToObject(b, "host", "127.0.0.1");
	cJSON_AddNumberToObject(b, "port", port);
	cJSON_AddNumberToObject(b, "timeout_ms", 200);
	cJSON_AddNumberToObject(b, "poll_interval_ms", 20);
	return b;
}

static cJSON *rtu_bus(const char *name, const char *device)
{
	cJSON *b = cJSON_CreateObject();

	cJSON_AddStringToObject(b, "name", name);
	cJSON_AddStringToObject(b, "type", "rtu");
	cJSON_AddStringToObject(b, "device", device);
	cJSON_AddNumberToObject(b, "baud", LINE_BAUD);
	cJSON_AddStringToObject(b, "parity", "none");
	cJSON_AddNumberToObject(b, "data_bits", 8);
	cJSON_AddNumberToObject(b, "stop_bits", 1);
	cJSON_AddNumberToObject(b, "timeout_ms", 100);
	cJSON_AddNumberToObject(b, "poll_interval_ms", 20);
	return b;
}

static cJSON *device(const char *id, const char *type, const char *bus, int address)
{
	cJSON *d = cJSON_CreateObject();

	cJSON_AddStringToObject(d, "id", id);
	cJSON_AddStringToObject(d, "type", type);
	cJSON_AddStringToObject(d, "bus", bus);
	cJSON_AddNumberToObject(d, "address", address);
	return d;
}

/* Kiosks: with up to 15 services every kiosk has them all; with more,
 * they are shared out 15 to a kiosk (group k % groups), with as many
 * kiosks as it takes for every service to have a button. */
static void plan_kiosks(struct rig *r, const struct rig_options *o, const struct config *cfg)
{
	int n_services = cfg->hall.n_services, groups = (n_services + 14) / 15;

	if (groups < 1)
		groups = 1;
	r->n_kiosks = o->kiosks > groups ? o->kiosks : groups;
	if (r->n_kiosks > RIG_MAX_KIOSKS)
		r->n_kiosks = RIG_MAX_KIOSKS;
	for (int k = 0; k < r->n_kiosks; k++) {
		struct rig_kiosk *kk = &r->kiosks[k];
		snprintf(kk->sock, sizeof(kk->sock), "%s/kiosk-%d.sock", o->work_dir, k + 1);
		kk->n_buttons = 0;
		for (int s = (k % groups) * 15; s < n_services && kk->n_buttons < 15; s++)
			kk->service[kk->n_buttons++] = s;
	}
}

int rig_write_config(struct rig *r, const struct rig_options *o, const struct config *cfg,
		     char *err, size_t err_size)
{
	cJSON *root = cJSON_Parse(cfg->source), *buses, *devices, *api, *hall;
	char path[RIG_PATH_SIZE], name[64], url[128], tokens[RIG_PATH_SIZE], web[RIG_PATH_SIZE];
	int n_terms = 0;

	memset(r, 0, sizeof(*r));
	r->hostd = -1;
	if (!root) {
		snprintf(err, err_size, "%s: cannot read it back as JSON", cfg->path);
		return -1;
	}
	r->api_port = o->api_port < 0 ? cfg->api.port : o->api_port ? o->api_port : free_port();
	cJSON_DeleteItemFromObject(root, "buses");
	cJSON_DeleteItemFromObject(root, "devices");
	cJSON_DeleteItemFromObject(root, "voice");
	cJSON_DeleteItemFromObject(root, "api");
	buses = cJSON_AddArrayToObject(root, "buses");
	devices = cJSON_AddArrayToObject(root, "devices");

	for (int w = 0; w < cfg->hall.n_windows; w++) {
		r->terminal_sock[w][0] = 0;
		if (cfg->hall.windows[w].number == o->human_window || n_terms >= RIG_MAX_TERMINALS)
			continue;
		int line = n_terms / RIG_TERMINALS_PER_LINE + 1;
		if (n_terms % RIG_TERMINALS_PER_LINE == 0) {
			snprintf(name, sizeof(name), "line-%d", line);
			snprintf(path, sizeof(path), "%s/line-%d", o->work_dir, line);
			cJSON_AddItemToArray(buses, rtu_bus(name, path));
		}
		snprintf(name, sizeof(name), "line-%d", line);
		char id[32];
		snprintf(id, sizeof(id), "terminal-%d", cfg->hall.windows[w].number);
		cJSON *d =
		    device(id, "window_terminal", name, n_terms % RIG_TERMINALS_PER_LINE + 1);
		cJSON_AddNumberToObject(d, "window", cfg->hall.windows[w].number);
		cJSON_AddItemToArray(devices, d);
		snprintf(r->terminal_sock[w], sizeof(r->terminal_sock[w]), "%s/terminal-%d.sock",
			 o->work_dir, cfg->hall.windows[w].number);
		n_terms++;
	}
	plan_kiosks(r, o, cfg);
	for (int k = 0; k < r->n_kiosks; k++) {
		snprintf(name, sizeof(name), "kiosk-%d", k + 1);
		cJSON_AddItemToArray(buses, tcp_bus(name, free_port()));
		cJSON *d = device(name, "kiosk", name, 1);
		cJSON *svc = cJSON_AddArrayToObject(d, "services");
		for (int b = 0; b < r->kiosks[k].n_buttons; b++)
			cJSON_AddItemToArray(
			    svc,
			    cJSON_CreateString(cfg->hall.services[r->kiosks[k].service[b]].id));
		cJSON_AddItemToArray(devices, d);
	}
	cJSON_AddItemToArray(buses, tcp_bus("display", free_port()));
	cJSON_AddItemToArray(devices, device("hall-display", "hall_display", "display", 1));
	snprintf(r->display_sock, sizeof(r->display_sock), "%s/display.sock", o->work_dir);

	api = cJSON_AddObjectToObject(root, "api");
	snprintf(path, sizeof(path), "%s/tokens.json", o->work_dir);
	if (copy_private(cfg->api.tokens_file, path, err, err_size) != 0) {
		cJSON_Delete(root);
		return -1;
	}
	absolute(path, tokens, sizeof(tokens));
	absolute(cfg->api.web_dir, web, sizeof(web));
	cJSON_AddStringToObject(api, "bind", "127.0.0.1");
	cJSON_AddNumberToObject(api, "port", r->api_port);
	cJSON_AddStringToObject(api, "tokens_file", tokens);
	cJSON_AddStringToObject(api, "web_dir", web);
	hall = cJSON_GetObjectItemCaseSensitive(root, "hall");
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/ticket.html?t=", r->api_port);
	if (cJSON_IsObject(hall)) {
		cJSON_DeleteItemFromObject(hall, "ticket_url");
		cJSON_AddStringToObject(hall, "ticket_url", url);
	}

	snprintf(r->config_path, sizeof(r->config_path), "%s/hall.json", o->work_dir);
	char *text = cJSON_Print(root);
	FILE *f = text ? fopen(r->config_path, "w") : NULL;
	bool ok = f && fputs(text, f) >= 0 && fputc('\n', f) != EOF;
	if (f && fclose(f) != 0)
		ok = false;
	free(text);
	cJSON_Delete(root);
	if (!ok) {
		snprintf(err, err_size, "%s: cannot write the derived config: %s", r->config_path,
			 strerror(errno));
		return -1;
	}
	return 0;
}

static cJSON *read_json(const char *path)
{
	cJSON *root = NULL;
	FILE *f = fopen(path, "r");
	char *text = NULL;
	long len = 0;

	if (f && fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (text = calloc(1, (size_t)len + 1)) && fread(text, 1, (size_t)len, f) == (size_t)len)
		root = cJSON_Parse(text);
	if (f)
		fclose(f);
	free(text);
	return root;
}

static int window_index(const struct config *cfg, int number)
{
	for (int w = 0; w < cfg->hall.n_windows; w++)
		if (cfg->hall.windows[w].number == number)
			return w;
	return -1;
}

static int service_index(const struct config *cfg, const char *id)
{
	for (int s = 0; id && s < cfg->hall.n_services; s++)
		if (strcmp(cfg->hall.services[s].id, id) == 0)
			return s;
	return -1;
}

int rig_load_config(struct rig *r, const struct rig_options *o, const struct config *cfg, char *err,
		    size_t err_size)
{
	cJSON *root, *dev;

	memset(r, 0, sizeof(*r));
	r->hostd = -1;
	snprintf(r->config_path, sizeof(r->config_path), "%s/hall.json", o->work_dir);
	root = read_json(r->config_path);
	if (!root) {
		snprintf(err, err_size,
			 "%s: no derived config to attach to (write it with hallsim --devices "
			 "--prepare --work %s, and run hostd on it)",
			 r->config_path, o->work_dir);
		return -1;
	}
	cJSON *port =
	    cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(root, "api"), "port");
	r->api_port = cJSON_IsNumber(port) ? port->valueint : 0;
	int problems = r->api_port > 0 ? 0 : 1;
	cJSON_ArrayForEach(dev, cJSON_GetObjectItemCaseSensitive(root, "devices"))
	{
		const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(dev, "id"));
		const char *type =
		    cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(dev, "type"));
		cJSON *win = cJSON_GetObjectItemCaseSensitive(dev, "window"), *svc;
		if (!id || !type) {
			problems++;
		} else if (strcmp(type, "window_terminal") == 0) {
			int w = cJSON_IsNumber(win) ? window_index(cfg, win->valueint) : -1;
			if (w < 0)
				problems++;
			else
				snprintf(r->terminal_sock[w], sizeof(r->terminal_sock[w]),
					 "%s/terminal-%d.sock", o->work_dir, win->valueint);
		} else if (strcmp(type, "kiosk") == 0) {
			int k = strncmp(id, "kiosk-", 6) == 0 ? atoi(id + 6) - 1 : -1;
			if (k < 0 || k >= RIG_MAX_KIOSKS) {
				problems++;
				continue;
			}
			struct rig_kiosk *kk = &r->kiosks[k];
			snprintf(kk->sock, sizeof(kk->sock), "%s/kiosk-%d.sock", o->work_dir,
				 k + 1);
			kk->n_buttons = 0;
			cJSON_ArrayForEach(svc, cJSON_GetObjectItemCaseSensitive(dev, "services"))
			{
				int s = service_index(cfg, cJSON_GetStringValue(svc));
				if (s < 0 || kk->n_buttons == 15)
					problems++;
				else
					kk->service[kk->n_buttons++] = s;
			}
			if (k + 1 > r->n_kiosks)
				r->n_kiosks = k + 1;
		} else if (strcmp(type, "hall_display") == 0) {
			snprintf(r->display_sock, sizeof(r->display_sock), "%s/display.sock",
				 o->work_dir);
		}
	}
	cJSON_Delete(root);
	for (int k = 0; k < r->n_kiosks; k++)
		problems += r->kiosks[k].sock[0] == 0;
	if (problems || !r->display_sock[0]) {
		snprintf(err, err_size,
			 "%s: not a config hallsim --prepare wrote for %s (its api, devices, "
			 "windows or services do not match)",
			 r->config_path, cfg->path);
		return -1;
	}
	return 0;
}

/* ---- children ---- */

static int spawn(struct rig *r, const char *work_dir, const char *name, char *const argv[],
		 char *err, size_t err_size)
{
	struct rig_child *c;

	if (r->n_children == RIG_MAX_CHILDREN) {
		snprintf(err, err_size, "too many programs to start");
		return -1;
	}
	c = &r->children[r->n_children];
	snprintf(c->name, sizeof(c->name), "%s", name);
	snprintf(c->log, sizeof(c->log), "%s/%s.log", work_dir, name);
	int log = open(c->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (log < 0) {
		snprintf(err, err_size, "%s: %s", c->log, strerror(errno));
		return -1;
	}
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(err, err_size, "fork: %s", strerror(errno));
		close(log);
		return -1;
	}
	if (pid == 0) {
		/* its own process group: a Ctrl-C reaches hallsim, which stops it */
		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(127);
		int null = open("/dev/null", O_RDONLY);
		if (null >= 0)
			dup2(null, 0);
		dup2(log, 1);
		dup2(log, 2);
		execv(argv[0], argv);
		dprintf(2, "hallsim: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(log);
	c->pid = pid;
	r->n_children++;
	return 0;
}

static bool alive(struct rig_child *c)
{
	int status;

	if (c->pid <= 0)
		return false;
	if (waitpid(c->pid, &status, WNOHANG) == c->pid) {
		c->pid = 0;
		return false;
	}
	return true;
}

/* The last lines of a child's log, for an error message. */
static void tail(const struct rig_child *c, char *out, size_t size)
{
	char buf[4096];
	FILE *f = fopen(c->log, "r");
	size_t n = 0;

	out[0] = 0;
	if (!f)
		return;
	if (fseek(f, 0, SEEK_END) == 0) {
		long len = ftell(f);
		fseek(f, len > (long)sizeof(buf) - 1 ? len - (long)sizeof(buf) + 1 : 0, SEEK_SET);
		n = fread(buf, 1, sizeof(buf) - 1, f);
	}
	fclose(f);
	buf[n] = 0;
	const char *from = buf;
	for (int lines = 0, i = (int)n - 1; i >= 0; i--)
		if (buf[i] == '\n' && ++lines > 6) {
			from = buf + i + 1;
			break;
		}
	snprintf(out, size, "%s", from);
}

static bool file_has(const char *path, const char *needle)
{
	char buf[65536];
	FILE *f = fopen(path, "r");

	if (!f)
		return false;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	return strstr(buf, needle) != NULL;
}

static int start_line(struct rig *r, const struct rig_options *o, int line, int first_window,
		      const struct config *cfg, char *err, size_t err_size)
{
	char *argv[9 + 2 * RIG_TERMINALS_PER_LINE + 1]; /* 9 options, the slaves, NULL */
	char master[RIG_PATH_SIZE], ready[RIG_PATH_SIZE], stats[RIG_PATH_SIZE], baud[16];
	char slaves[RIG_TERMINALS_PER_LINE][RIG_PATH_SIZE], name[32];
	int n = 0, k = 0;

	snprintf(master, sizeof(master), "%s/line-%d", o->work_dir, line);
	snprintf(ready, sizeof(ready), "%s/line-%d.ready", o->work_dir, line);
	snprintf(stats, sizeof(stats), "%s/line-%d.stats", o->work_dir, line);
	snprintf(baud, sizeof(baud), "%d", LINE_BAUD);
	snprintf(name, sizeof(name), "lineproxy-%d", line);
	unlink(ready);
	argv[n++] = (char *)o->prog.lineproxy;
	argv[n++] = "--master";
	argv[n++] = master;
	argv[n++] = "--baud";
	argv[n++] = baud;
	argv[n++] = "--ready";
	argv[n++] = ready;
	argv[n++] = "--stats";
	argv[n++] = stats;
	for (int w = first_window; w < cfg->hall.n_windows && k < RIG_TERMINALS_PER_LINE; w++) {
		if (!r->terminal_sock[w][0])
			continue;
		snprintf(slaves[k], sizeof(slaves[k]), "%s/terminal-%d.tty", o->work_dir,
			 cfg->hall.windows[w].number);
		argv[n++] = "--slave";
		argv[n++] = slaves[k++];
	}
	argv[n] = NULL;
	if (spawn(r, o->work_dir, name, argv, err, err_size) != 0)
		return -1;
	struct rig_child *c = &r->children[r->n_children - 1];
	for (int ms = 0; access(ready, F_OK) != 0; ms += 20) {
		if (!alive(c) || ms > READY_TIMEOUT_MS) {
			char t[1024];
			tail(c, t, sizeof(t));
			snprintf(err, err_size, "%s did not get ready:\n%s", name, t);
			return -1;
		}
		sleep_ms(20);
	}
	return 0;
}

int rig_start_devices(struct rig *r, const struct rig_options *o, const struct config *cfg,
		      char *err, size_t err_size)
{
	char name[32], tty[RIG_PATH_SIZE], unit[16], baud[16], tcp[64], buttons[16];
	char printer[RIG_PATH_SIZE + 8], url[128];
	int n_terms = 0;

	/* the RS-485 lines, RIG_TERMINALS_PER_LINE terminals each */
	for (int w = 0; w < cfg->hall.n_windows; w++) {
		if (!r->terminal_sock[w][0])
			continue;
		if (n_terms % RIG_TERMINALS_PER_LINE == 0 &&
		    start_line(r, o, n_terms / RIG_TERMINALS_PER_LINE + 1, w, cfg, err, err_size) !=
			0)
			return -1;
		snprintf(name, sizeof(name), "terminal-%d", cfg->hall.windows[w].number);
		snprintf(tty, sizeof(tty), "%s/%s.tty", o->work_dir, name);
		snprintf(unit, sizeof(unit), "%d", n_terms % RIG_TERMINALS_PER_LINE + 1);
		snprintf(baud, sizeof(baud), "%d", LINE_BAUD);
		char *argv[] = {(char *)o->prog.window_fw,
				"--rtu",
				tty,
				"--baud",
				baud,
				"--unit",
				unit,
				"--control",
				r->terminal_sock[w],
				NULL};
		if (spawn(r, o->work_dir, name, argv, err, err_size) != 0)
			return -1;
		n_terms++;
	}

	/* the kiosks and the display, each on its own TCP port (the config's) */
	cJSON *root = read_json(r->config_path);
	if (!root) {
		snprintf(err, err_size, "%s: cannot read the derived config", r->config_path);
		return -1;
	}
	cJSON *bus;
	int rc = 0;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/ticket.html?t=", r->api_port);
	cJSON_ArrayForEach(bus, cJSON_GetObjectItemCaseSensitive(root, "buses"))
	{
		const char *bname =
		    cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(bus, "name"));
		cJSON *port = cJSON_GetObjectItemCaseSensitive(bus, "port");
		if (!bname || !cJSON_IsNumber(port) || rc != 0)
			continue;
		snprintf(tcp, sizeof(tcp), "127.0.0.1:%d", port->valueint);
		if (strncmp(bname, "kiosk-", 6) == 0) {
			int k = atoi(bname + 6) - 1;
			snprintf(buttons, sizeof(buttons), "%d", r->kiosks[k].n_buttons);
			snprintf(printer, sizeof(printer), "png:%s", o->tickets_dir);
			char *argv[] = {(char *)o->prog.kiosk_fw,
					"--tcp",
					tcp,
					"--unit",
					"1",
					"--buttons",
					buttons,
					"--printer",
					printer,
					"--hall",
					(char *)cfg->hall.name,
					"--footer",
					(char *)cfg->ticket_footer,
					"--ticket-url",
					url,
					"--control",
					r->kiosks[k].sock,
					NULL};
			rc = spawn(r, o->work_dir, bname, argv, err, err_size);
		} else if (strcmp(bname, "display") == 0) {
			char *argv[] = {(char *)o->prog.display_fw,
					"--tcp",
					tcp,
					"--unit",
					"1",
					"--control",
					r->display_sock,
					NULL};
			rc = spawn(r, o->work_dir, "display", argv, err, err_size);
		}
	}
	cJSON_Delete(root);
	return rc;
}

int rig_start_hostd(struct rig *r, const struct rig_options *o, char *err, size_t err_size)
{
	char speed[32], origin[32];

	r->origin = now_real() + o->lead_s;
	snprintf(speed, sizeof(speed), "%g", o->speed);
	snprintf(origin, sizeof(origin), "%.3f", r->origin);
	char *argv[] = {(char *)o->prog.hostd,
			"--config",
			r->config_path,
			"--db",
			(char *)o->db_path,
			"--clock-start",
			(char *)o->clock_start,
			"--clock-speed",
			speed,
			"--clock-origin",
			origin,
			NULL};
	if (spawn(r, o->work_dir, "hostd", argv, err, err_size) != 0)
		return -1;
	r->hostd = r->n_children - 1;
	struct rig_child *c = &r->children[r->hostd];
	for (int ms = 0; !file_has(c->log, "hostd ready"); ms += 50) {
		if (!alive(c) || ms > READY_TIMEOUT_MS) {
			char t[1024];
			tail(c, t, sizeof(t));
			snprintf(err, err_size, "hostd did not get ready (see %s):\n%s", c->log, t);
			return -1;
		}
		sleep_ms(50);
	}
	return 0;
}

const char *rig_dead_child(struct rig *r)
{
	for (int i = 0; i < r->n_children; i++)
		if (r->children[i].pid > 0 && !alive(&r->children[i]))
			return r->children[i].name;
	return NULL;
}

static void stop_child(struct rig_child *c)
{
	int status;

	if (c->pid <= 0)
		return;
	kill(c->pid, SIGTERM);
	for (int ms = 0; ms < 5000; ms += 10) {
		pid_t got = waitpid(c->pid, &status, WNOHANG);
		if (got == c->pid || (got < 0 && errno != EINTR)) {
			c->pid = 0;
			return;
		}
		sleep_ms(10);
	}
	fprintf(stderr, "hallsim: %s did not stop in 5 s; killed\n", c->name);
	kill(c->pid, SIGKILL);
	waitpid(c->pid, &status, 0);
	c->pid = 0;
}

void rig_stop(struct rig *r)
{
	if (r->hostd >= 0)
		stop_child(&r->children[r->hostd]);
	for (int i = r->n_children - 1; i >= 0; i--)
		stop_child(&r->children[i]);
}

int rig_report(const struct rig *r, const struct rig_options *o, const char *date,
	       const char *format)
{
	char *argv[] = {(char *)o->prog.hallctl,
			"report",
			"--period",
			"day",
			"--date",
			(char *)date,
			"--format",
			(char *)format,
			"--db",
			(char *)o->db_path,
			"--config",
			(char *)r->config_path,
			NULL};
	int status;

	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		execv(argv[0], argv);
		dprintf(2, "hallsim: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}
