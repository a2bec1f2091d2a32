/*
 * drive.h — device mode's loop: the day's citizens and window staff
 * (model.h, the same models as fast mode) played in real time against
 * the real devices, through their control sockets: kiosk button presses
 * for arrivals, window keypad keys for everything staff and citizens do
 * at a window, and what the devices show and print read back.
 *
 * Room: tools/hallsim. Includes the models, the engine's hall type, the
 * config (the staff's ids and PINs), the control socket client and the
 * rig; never the engine's state, the store or SQLite: hostd owns the
 * queue, and the loop learns what happened only from what the devices
 * show (a window terminal's text, a kiosk's printed tickets).
 *
 * Time: the loop and hostd agree on the simulated clock, start_s at the
 * real time origin, speed times as fast (hostd --clock-start/-speed/
 * -origin). Everything the models plan is in simulated seconds.
 */
#ifndef HALLQ_HALLSIM_DRIVE_H
#define HALLQ_HALLSIM_DRIVE_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"
#include "model.h"
#include "rig.h"

struct drive_options {
	const struct config *cfg;
	struct model_params params;
	uint64_t seed;
	int32_t day;     /* yyyymmdd, local */
	int64_t start_s; /* the simulated clock at origin (epoch seconds) */
	double origin;   /* real epoch seconds */
	double speed;
	int64_t until_s; /* stop at this simulated time */
	const struct rig *rig;
	const char *seen_path;       /* the log of what the devices printed and showed */
	bool quiet;                  /* no progress line each simulated hour */
	volatile sig_atomic_t *stop; /* set by a signal handler: stop now */
};

/* What the day came to, as hallsim saw it on the devices. */
struct drive_summary {
	int citizens; /* planned from the start on */
	int pressed;  /* kiosk presses */
	int printed;  /* tickets printed */
	int refused;  /* not offered, or not printed */
	int calls;    /* calls shown on window terminals */
	int finished;
	int no_shows;
	int ratings;
	int problems;    /* keys the host did not take as the model expected */
	bool day_over;   /* every window closed after the last session */
	int64_t ended_s; /* the simulated time it stopped */
};

/* Runs the day until until_s, the day's end (staff gone after the last
 * session) or *stop. Returns 0, or -1 with a sentence in err (a device
 * program or hostd gone, a control socket failed). */
int drive_run(const struct drive_options *o, struct drive_summary *sum, char *err, size_t err_size);

#endif /* HALLQ_HALLSIM_DRIVE_H */
