/*
 * main.c — lineproxy: an RS-485 multi-drop line emulated over
 * pseudo-terminals, for testing Modbus RTU masters and slaves on one
 * machine (README.md beside this file).
 *
 * Room: tools/lineproxy. Wiring only: the options, then the proxy or the
 * pacing self-test. Exit status: 0 after SIGINT or SIGTERM, 1 when the
 * system fails, 2 for bad options.
 */
#include "lineproxy.h"

int main(int argc, char **argv)
{
	struct lp_config cfg;
	int rc = lp_options_parse(argc, argv, &cfg);

	if (rc != LP_OPTIONS_RUN)
		return rc;
	if (cfg.selftest)
		return lp_selftest_pacing(&cfg);
	return lp_proxy_main(&cfg);
}
