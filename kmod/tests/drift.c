// SPDX-License-Identifier: GPL-2.0
/*
 * Drift: ethtool changes pvnic behind persona's back. Each change must reach
 * an open /dev/persona as a PERSONA_EVENT_DRIFT naming the parameter, with
 * the next generation, and the new value must read back in persona's unit;
 * ethtool setting the value it already shows is no change. An apply
 * computed before the drift then fails with ESTALE. The other port keeps
 * its values.
 * Usage: drift <interface> <its resource index>
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "persona_test.h"

static int fd;
static uint32_t id, resource;
static const char *ifname;

/* Runs @command_format with the interface name and expects drift of @param to @want. */
static void check_drift(const char *name, const char *command_format, int param, uint64_t want)
{
	uint64_t values[P_COUNT], gen, gen_after;
	struct persona_event ev = { 0 };
	char command[256];
	int rc;

	pt_drain_events(fd);
	pt_read_resource(fd, id, resource, values, &gen);
	snprintf(command, sizeof(command), command_format, ifname);
	rc = system(command);
	pt_read_resource(fd, id, resource, values, &gen_after);
	pt_check(rc == 0 && pt_next_event(fd, 5000, &ev) && ev.type == PERSONA_EVENT_DRIFT &&
		 ev.driver_id == id && ev.params == 1ull << param && ev.resources == 1ull << resource &&
		 ev.generation == gen + 1 && !ev.flags && values[param] == want &&
		 gen_after == gen + 1, name,
		 "`%s` exited %d; event type %u params %#llx resources %#llx generation %llu (before %llu); value %llu",
		 command, rc, ev.type, (unsigned long long)ev.params,
		 (unsigned long long)ev.resources, (unsigned long long)ev.generation,
		 (unsigned long long)gen, (unsigned long long)values[param]);
}

static void check_no_drift(void)
{
	uint64_t values[P_COUNT], gen, gen_after;
	struct persona_event ev;
	char command[256];
	int rc;

	pt_drain_events(fd);
	pt_read_resource(fd, id, resource, values, &gen);
	snprintf(command, sizeof(command), "ethtool -C %s rx-usecs %llu", ifname,
		 (unsigned long long)values[P_COALESCE] / 1000);
	rc = system(command);
	pt_read_resource(fd, id, resource, values, &gen_after);
	pt_check(rc == 0 && !pt_next_event(fd, 300, &ev) && gen_after == gen,
		 "ethtool_same_value_is_no_drift", "`%s` exited %d, generation %llu -> %llu",
		 command, rc, (unsigned long long)gen, (unsigned long long)gen_after);
}

int main(int argc, char **argv)
{
	uint64_t values[P_COUNT], other[P_COUNT], other_after[P_COUNT], gen;
	struct persona_apply req;
	int err;

	if (argc != 3)
		pt_fatal("usage: drift <interface> <its resource index>");
	ifname = argv[1];
	resource = atoi(argv[2]);
	fd = pt_open(O_RDWR | O_NONBLOCK);
	id = pt_pvnic(fd);

	/* Start from values each ethtool command below changes, on both ports. */
	pt_read_resource(fd, id, resource, values, &gen);
	values[P_COALESCE] = 5000;
	values[P_DMA] = 65536;
	values[P_FEATURES] = 0;
	if (pt_apply_to(fd, id, 3, values, PERSONA_GENERATION_ANY, &req))
		pt_fatal("apply of the starting values failed");
	pt_read_resource(fd, id, !resource, other, &gen);
	check_drift("drift_rx_usecs", "ethtool -C %s rx-usecs 77", P_COALESCE, 77000);
	check_no_drift();
	check_drift("drift_rx_buf_len", "ethtool -G %s rx-buf-len 8192", P_DMA, 8192);
	check_drift("drift_rx_ring_entries", "ethtool -G %s rx 8", P_DMA, 16384);
	check_drift("drift_priv_flags", "ethtool --set-priv-flags %s tso on sg on", P_FEATURES,
		    1 << 3 | 1 << 4);

	pt_read_resource(fd, id, !resource, other_after, &gen);
	pt_check(!memcmp(other, other_after, sizeof(other)), "drift_stays_on_its_port",
		 "the other port changed");
	values[P_COALESCE] = 6000;
	err = pt_apply_to(fd, id, 3, values, req.generation, &req);
	pt_check(err == ESTALE, "apply_after_drift_is_stale", "%s", pt_errno_name(err));
	return pt_exit_code();
}
