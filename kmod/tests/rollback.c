// SPDX-License-Identifier: GPL-2.0
/*
 * Rollback: pvnic's debugfs knob makes the k-th write fail. An apply of four
 * changed values must then fail at entry k-1 with every value and the
 * generation as before, for each k; when the rollback's own writes fail too,
 * the apply says so and reports what it could not restore as drift. A
 * failure on the second resource restores the first too.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "persona_test.h"

static int fd;
static uint32_t id;

/* Values differing from @cur in every parameter. */
static void others(const uint64_t cur[P_COUNT], uint64_t next[P_COUNT])
{
	next[P_COALESCE] = cur[P_COALESCE] + 1000;
	next[P_DMA] = cur[P_DMA] == 8192 ? 16384 : 8192;
	next[P_POWER] = (cur[P_POWER] + 1) % 3;
	next[P_FEATURES] = cur[P_FEATURES] ^ 0x21;
}

static void check_failure_at(uint32_t k)
{
	uint64_t before[P_COUNT], next[P_COUNT], after[P_COUNT], gen, gen_after;
	struct persona_apply req;
	struct persona_event ev;
	char name[64];
	int err;

	pt_drain_events(fd);
	pt_read(fd, id, before, &gen);
	others(before, next);
	pt_debugfs_write("fail_set_at", k);
	err = pt_apply(fd, id, next, gen, &req);
	pt_read(fd, id, after, &gen_after);
	snprintf(name, sizeof(name), "rollback_after_failure_at_%u", k);
	pt_check(err == EIO && req.error_index == k - 1 && req.error_resource == 0 &&
		 req.status == PERSONA_APPLY_ROLLED_BACK &&
		 !memcmp(before, after, sizeof(after)) && gen_after == gen &&
		 req.generation == gen && !req.changed, name,
		 "%s, error_index %d, status %#x, values %s, generation %llu -> %llu",
		 pt_errno_name(err), (int)req.error_index, req.status,
		 memcmp(before, after, sizeof(after)) ? "changed" : "restored",
		 (unsigned long long)gen, (unsigned long long)gen_after);
	snprintf(name, sizeof(name), "no_event_after_failure_at_%u", k);
	pt_check(!pt_next_event(fd, 50, &ev), name, "got type %u", ev.type);
}

/*
 * With the 4th write failing and the next one too, the first rollback write
 * fails: it must be the one for entry 2 (rollback runs in reverse), which
 * stays at its new value and is reported as drift.
 */
static void check_rollback_failure(void)
{
	uint64_t before[P_COUNT], next[P_COUNT], after[P_COUNT], gen, gen_after;
	struct persona_apply req;
	struct persona_event ev;
	int err;

	pt_drain_events(fd);
	pt_read(fd, id, before, &gen);
	others(before, next);
	pt_debugfs_write("fail_set_times", 2);
	pt_debugfs_write("fail_set_at", 4);
	err = pt_apply(fd, id, next, gen, &req);
	pt_debugfs_write("fail_set_times", 1);
	pt_read(fd, id, after, &gen_after);
	pt_check(err == EIO && req.error_index == 3 &&
		 req.status == (PERSONA_APPLY_ROLLED_BACK | PERSONA_APPLY_ROLLBACK_FAILED),
		 "rollback_failure_reported", "%s, error_index %d, status %#x", pt_errno_name(err),
		 (int)req.error_index, req.status);
	pt_check(after[P_POWER] == next[P_POWER] && after[P_COALESCE] == before[P_COALESCE] &&
		 after[P_DMA] == before[P_DMA] && after[P_FEATURES] == before[P_FEATURES],
		 "rollback_runs_in_reverse", "only power_saving_mode may keep its new value");
	pt_check(gen_after == gen + 1 && req.generation == gen + 1, "rollback_failure_is_a_change",
		 "generation %llu -> %llu", (unsigned long long)gen, (unsigned long long)gen_after);
	pt_check(pt_next_event(fd, 1000, &ev) && ev.type == PERSONA_EVENT_DRIFT &&
		 ev.params == 1 << P_POWER && ev.generation == gen + 1, "rollback_failure_event",
		 "type %u params %#llx", ev.type, (unsigned long long)ev.params);
}

/*
 * Across resources: with both ports at the same values, the 6th write is
 * pvnic1's second entry; both ports must end as they were.
 */
static void check_failure_across_resources(void)
{
	uint64_t base[P_COUNT], next[P_COUNT], first[P_COUNT], second[P_COUNT], gen, gen_after;
	struct persona_apply req;
	int err;

	pt_read(fd, id, base, &gen);
	if (pt_apply_to(fd, id, 3, base, PERSONA_GENERATION_ANY, &req))
		pt_fatal("apply to both ports failed");
	gen = req.generation;
	others(base, next);
	pt_debugfs_write("fail_set_at", 6);
	err = pt_apply_to(fd, id, 3, next, gen, &req);
	pt_read_resource(fd, id, 0, first, &gen_after);
	pt_read_resource(fd, id, 1, second, &gen_after);
	pt_check(err == EIO && req.error_index == 1 && req.error_resource == 1 &&
		 !memcmp(first, base, sizeof(base)) && !memcmp(second, base, sizeof(base)) &&
		 gen_after == gen, "rollback_across_resources",
		 "%s, error_index %d, error_resource %d, generation %llu -> %llu",
		 pt_errno_name(err), (int)req.error_index, (int)req.error_resource,
		 (unsigned long long)gen, (unsigned long long)gen_after);
}

static void check_disarmed(void)
{
	uint64_t before[P_COUNT], next[P_COUNT], gen;
	struct persona_apply req;
	int err;

	pt_read(fd, id, before, &gen);
	others(before, next);
	err = pt_apply(fd, id, next, gen, &req);
	pt_check(!err && req.generation == gen + 1, "apply_after_faults", "%s",
		 pt_errno_name(err));
}

int main(void)
{
	uint32_t k;

	fd = pt_open(O_RDWR | O_NONBLOCK);
	id = pt_pvnic(fd);
	for (k = 1; k <= P_COUNT; k++)
		check_failure_at(k);
	check_rollback_failure();
	check_failure_across_resources();
	check_disarmed();
	return pt_exit_code();
}
