// SPDX-License-Identifier: GPL-2.0
/*
 * Applies in a loop while persona_vnic is unloaded under it (the VM test
 * runs rmmod meanwhile). Every apply must succeed until the driver is gone,
 * then fail with ENODEV or ENOENT; the driver must leave the list, and the
 * open file must get PERSONA_EVENT_DRIVER_REMOVED.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>

#include "persona_test.h"

#define DEADLINE_NS (60 * 1000000000ull)

static const uint64_t sets[2][P_COUNT] = {
	{ 1000, 8192, 0, 0x01 },
	{ 2000, 16384, 2, 0x3e },
};

int main(void)
{
	struct persona_list list = { 0 };
	struct persona_apply req;
	struct persona_event ev;
	int fd = pt_open(O_RDWR | O_NONBLOCK), err = 0, removed = 0;
	uint32_t id = pt_pvnic(fd);
	uint64_t start = pt_now_ns();
	long applied = 0;

	/* Events are taken as they come, or the queue would overflow and drop the removal. */
	while (pt_now_ns() - start < DEADLINE_NS) {
		err = pt_apply(fd, id, sets[applied % 2], PERSONA_GENERATION_ANY, &req);
		while (pt_next_event(fd, 0, &ev))
			removed |= ev.type == PERSONA_EVENT_DRIVER_REMOVED && ev.driver_id == id;
		if (err)
			break;
		applied++;
	}
	printf("# %ld applies before %s\n", applied, pt_errno_name(err));
	pt_check(applied > 0 && (err == ENODEV || err == ENOENT), "applies_until_driver_gone",
		 "%ld applies, then %s", applied, pt_errno_name(err));
	err = pt_ioctl(fd, PERSONA_IOC_LIST, &list);
	pt_check(!err && list.count == 0, "driver_left_the_list", "%s, %u drivers",
		 pt_errno_name(err), list.count);
	/* rmmod may still be on its way from taking the driver off the list to the event. */
	while (!removed && pt_next_event(fd, 2000, &ev))
		removed |= ev.type == PERSONA_EVENT_DRIVER_REMOVED && ev.driver_id == id;
	pt_check(removed, "driver_removed_event", "no PERSONA_EVENT_DRIVER_REMOVED for %u", id);
	return pt_exit_code();
}
