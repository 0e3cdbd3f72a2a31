// SPDX-License-Identifier: GPL-2.0
/*
 * A driver whose get() succeeds without writing the value (pvnic's debugfs
 * silent_get_at): persona must see 0 there, never what its kernel stack held
 * before. Each case first runs the same ioctl with real values, so a stale
 * slot would hold exactly those, and arms the knob before that ioctl so that
 * nothing else runs on this task's kernel stack in between.
 */
#define _GNU_SOURCE
#include <fcntl.h>

#include "persona_test.h"

static int fd;
static uint32_t id;

/* READ #1 takes four gets; the fifth is READ #2's first, parameter 0. */
static void check_read(void)
{
	uint64_t first[P_COUNT], second[P_COUNT], gen;

	pt_debugfs_write("silent_get_at", P_COUNT + 1);
	pt_read(fd, id, first, &gen);
	pt_read(fd, id, second, &gen);
	pt_check(first[P_COALESCE] != 0 && second[P_COALESCE] == 0 &&
		 second[P_DMA] == first[P_DMA] && second[P_POWER] == first[P_POWER] &&
		 second[P_FEATURES] == first[P_FEATURES],
		 "read_of_a_value_get_left_unwritten_is_0",
		 "read %llu, then %llu where get() wrote nothing",
		 (unsigned long long)first[P_COALESCE], (unsigned long long)second[P_COALESCE]);
}

/*
 * Apply #1 changes the coalescing from `before` to `before + 1000`: four gets
 * of the old values and one read back. The sixth get is apply #2's read of
 * the old coalescing, which wants `before` again: taken as 0, it differs and
 * is written. Taken as the stale `before` of apply #1, it would look
 * unchanged and the apply would succeed without writing it.
 */
static void check_apply(void)
{
	uint64_t values[P_COUNT], after[P_COUNT], before, gen;
	struct persona_apply req;
	int err1, err2;

	pt_read(fd, id, values, &gen);
	before = values[P_COALESCE];
	pt_debugfs_write("silent_get_at", P_COUNT + 2);
	values[P_COALESCE] = before + 1000;
	err1 = pt_apply(fd, id, values, PERSONA_GENERATION_ANY, &req);
	values[P_COALESCE] = before;
	err2 = pt_apply(fd, id, values, PERSONA_GENERATION_ANY, &req);
	pt_read(fd, id, after, &gen);
	pt_check(!err1 && !err2 && req.changed == 1u << P_COALESCE && after[P_COALESCE] == before,
		 "apply_over_a_value_get_left_unwritten_writes_it",
		 "applies %s, %s; changed %#llx; coalescing %llu, want %llu", pt_errno_name(err1),
		 pt_errno_name(err2), (unsigned long long)req.changed,
		 (unsigned long long)after[P_COALESCE], (unsigned long long)before);
}

int main(void)
{
	fd = pt_open(O_RDWR);
	id = pt_pvnic(fd);
	check_read();
	check_apply();
	return pt_exit_code();
}
