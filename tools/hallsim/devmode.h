/*
 * devmode.h — device mode (hallsim --devices): a simulated business day
 * of the hall of a config, played through hostd and the device programs
 * at an accelerated clock, then the day's report.
 *
 * Room: tools/hallsim. Wiring only: the rig (rig.h) starts and stops the
 * programs, the loop (drive.h) plays the models against the devices.
 * tools/hallsim/README.md ("Device mode") is the user's description.
 */
#ifndef HALLQ_HALLSIM_DEVMODE_H
#define HALLQ_HALLSIM_DEVMODE_H

#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"
#include "rig.h"

struct devmode_options {
	const char *config_path;
	const char *db_path;
	uint64_t seed;
	int32_t date; /* yyyymmdd, local */
	double speed;
	int from_min;            /* the clock starts at this local time of the day */
	int until_min;           /* and hallsim stops there; -1: the day's end */
	const char *work_dir;    /* NULL: a new folder under $TMPDIR or /tmp */
	const char *tickets_dir; /* NULL: WORK/tickets */
	struct rig_programs prog;
	int kiosks;
	int human_window;
	int api_port; /* -1: the config's, 0: a free one */
	double load;
	const char *report; /* hallctl's --format, or "none" */
	bool quiet;
	bool prepare; /* write WORK/hall.json and stop */
	bool attach;  /* hostd runs on WORK/hall.json already: follow its clock */
};

/* db_path may be NULL with prepare (none is written) and attach (no
 * report then). Returns main()'s exit status: 0 the day ran (to its end, --until or a
 * signal), 1 a failure (a program, a socket, the database), 2 bad options. */
int devmode_run(const struct devmode_options *o, const struct config *cfg);

#endif /* HALLQ_HALLSIM_DEVMODE_H */
