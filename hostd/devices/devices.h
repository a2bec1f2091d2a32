/*
 * devices.h — the hall's bus devices wired to the core: kiosk buttons
 * become tickets, window keys become window operations, and the results
 * go back as prints, display texts and enabled buttons.
 *
 * Room: hostd/devices. The bridge between drivers/modbus (which knows the
 * wire and nothing of hostd) and the core (which knows the hall and
 * nothing of the wire). It posts every device event to the core with the
 * device's seq, so the event and its effect are one transaction, and
 * writes to a device only what the core has committed. Display texts and
 * kiosk buttons are derived from the core's view and pushed whenever they
 * differ from what the device was last sent, so a device that reboots or
 * comes back is brought up to date within a poll cycle or two.
 */
#ifndef HALLQ_DEVICES_H
#define HALLQ_DEVICES_H

#include "config/config.h"
#include "core/core.h"

struct devices;

/*
 * One bus thread per config bus. Must be called before core_start(): it
 * reads from the store what was processed of each device and the prints
 * still owed. Returns NULL with a sentence in err.
 */
struct devices *devices_new(const struct config *cfg, struct core *core, struct store *st,
			    char *err, int err_size);
int devices_start(struct devices *d);
/* Stops the bus threads; call before core_stop(). */
void devices_stop(struct devices *d);
void devices_free(struct devices *d); /* stops first; NULL is fine */

/* Config device i now: online, and its PRINTER bits (kiosks). False when
 * it has no bus. Any thread. */
bool devices_status(struct devices *d, int i, bool *online, uint16_t *printer);
/* Before devices_start(): fn(arg, i) is called on a bus thread when config
 * device i comes online, goes offline or its printer changes. */
void devices_listen(struct devices *d, void (*fn)(void *arg, int i), void *arg);

#endif /* HALLQ_DEVICES_H */
