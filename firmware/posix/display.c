/*
 * display.c — display-fw: the LED hall display's firmware on Linux.
 *
 * Room: firmware/posix. The display has no keys: it shows the lines the
 * host writes (SHOW_TEXT). Control commands: text, status, wait-idle.
 */
#include "port.h"

int main(int argc, char **argv)
{
	static struct port p; /* the loop's */
	const char *prog = "display-fw";
	struct fw_identity id;
	int status;

	if (!port_opts_parse(&p.opts, prog, PROTO_DEVICE_DISPLAY, argc, argv, &status))
		return status;
	port_log_init(prog, p.opts.log_level);
	port_identity(&p.opts, &id);
	fw_display_init(&p.dev, &id, port_now_ms());
	return port_run(&p);
}
