/*
 * rig.h — device mode's hall of real programs: the derived config, and
 * lineproxy, kiosk-fw, window-fw, display-fw and hostd started as child
 * processes on pseudo-terminals and loopback TCP, then stopped; and the
 * day's report through hallctl.
 *
 * Room: tools/hallsim. Includes the config's types and cJSON (to write
 * the derived config); never SQLite, never the engine's internals. One
 * struct rig is owned by the thread that made it; the children are its
 * own (each in its own process group, so that a Ctrl-C reaches hallsim
 * alone and hallsim stops them in order, hostd first).
 *
 * tools/hallsim/README.md ("Device mode") describes the hall it builds.
 */
#ifndef HALLQ_HALLSIM_RIG_H
#define HALLQ_HALLSIM_RIG_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "config/config.h"

enum {
	RIG_PATH_SIZE = 512,
	RIG_MAX_KIOSKS = 8,
	RIG_MAX_CHILDREN = 320,
	RIG_TERMINALS_PER_LINE = 8, /* window terminals on one RS-485 line */
	RIG_MAX_TERMINALS = 247,
};

/* Where the programs are (compile-time defaults, overridable). */
struct rig_programs {
	const char *hostd, *lineproxy, *kiosk_fw, *window_fw, *display_fw, *hallctl;
};

struct rig_options {
	struct rig_programs prog;
	const char *work_dir;    /* exists */
	const char *tickets_dir; /* the kiosks' pictures */
	const char *db_path;
	int kiosks;              /* 1 .. RIG_MAX_KIOSKS */
	int human_window;        /* a window number left to a person (window.html), or 0 */
	int api_port;            /* -1: the config's; 0: a free one */
	const char *clock_start; /* "YYYY-MM-DD HH:MM:SS", hostd's --clock-start */
	double speed;
	double lead_s; /* the clock's origin: this long after hostd is started */
};

struct rig_kiosk {
	char sock[RIG_PATH_SIZE];
	int service[15]; /* button -> service index */
	int n_buttons;
};

struct rig_child {
	pid_t pid;
	char name[32];
	char log[RIG_PATH_SIZE];
};

struct rig {
	char config_path[RIG_PATH_SIZE]; /* the derived config */
	int api_port;
	double origin; /* hostd's --clock-origin, epoch seconds */
	struct rig_kiosk kiosks[RIG_MAX_KIOSKS];
	int n_kiosks;
	/* window index -> its terminal's control socket ("" when none) */
	char terminal_sock[ENGINE_MAX_WINDOWS][RIG_PATH_SIZE];
	char display_sock[RIG_PATH_SIZE];
	struct rig_child children[RIG_MAX_CHILDREN];
	int n_children;
	int hostd; /* index in children, or -1 */
};

/*
 * Writes the derived config into the work folder (hall.json): the hall,
 * hours, services, windows, queue, staff and evaluation of cfg; the buses
 * and devices replaced by the simulated ones (window terminals on RS-485
 * lines through lineproxy, RIG_TERMINALS_PER_LINE to a line; kiosks and
 * the hall display each on its own Modbus TCP port); the API on
 * 127.0.0.1 with the original tokens and pages; no voice. Returns 0, or
 * -1 with a sentence in err.
 */
int rig_write_config(struct rig *r, const struct rig_options *o, const struct config *cfg,
		     char *err, size_t err_size);

/*
 * Reads back the derived config an earlier rig_write_config (hallsim
 * --prepare) left in the work folder, for a hostd already running on it
 * (hallsim --attach): the API port, the kiosks, the window terminals and
 * the display, as rig_write_config had planned them. 0, or -1 with a
 * sentence in err (no such file, not a derived config of this hall).
 */
int rig_load_config(struct rig *r, const struct rig_options *o, const struct config *cfg, char *err,
		    size_t err_size);

/* Starts lineproxy and the device programs and waits until they are up.
 * 0, or -1 with a sentence in err (what started is stopped by rig_stop). */
int rig_start_devices(struct rig *r, const struct rig_options *o, const struct config *cfg,
		      char *err, size_t err_size);

/* Starts hostd on the derived config with the simulated clock (origin
 * o->lead_s from now) and waits for its "hostd ready" line. 0 or -1. */
int rig_start_hostd(struct rig *r, const struct rig_options *o, char *err, size_t err_size);

/* The name of a child that has exited (and reaps it), or NULL. */
const char *rig_dead_child(struct rig *r);

/* Stops every child, hostd first, with SIGTERM (SIGKILL after 5 s). */
void rig_stop(struct rig *r);

/* Runs hallctl report --period day --date DATE --format FORMAT --db DB
 * --config CONFIG, its output on our stdout; its exit status, or -1. */
int rig_report(const struct rig *r, const struct rig_options *o, const char *date,
	       const char *format);

#endif /* HALLQ_HALLSIM_RIG_H */
