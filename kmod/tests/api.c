// SPDX-License-Identifier: GPL-2.0
/*
 * What /dev/persona answers when asked properly: version, list, describe
 * (pvnic's declaration, exactly), read, apply (changed mask, generation),
 * events (own and others', overflow), and the sysfs attributes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "persona_test.h"

static int fd, other;
static uint32_t id;

static void check_version(void)
{
	struct persona_version v;
	int err = pt_ioctl(fd, PERSONA_IOC_VERSION, &v);

	pt_check(!err && v.major == PERSONA_API_MAJOR && v.minor == PERSONA_API_MINOR &&
		 v.max_params == PERSONA_MAX_PARAMS && v.max_members == PERSONA_MAX_MEMBERS &&
		 v.max_resources == PERSONA_MAX_RESOURCES && !v.reserved0 && !v.reserved[0] &&
		 !v.reserved[1], "version",
		 "%s: %u.%u max %u/%u", pt_errno_name(err), v.major, v.minor, v.max_params,
		 v.max_members);
}

static void check_list(void)
{
	struct persona_list l = { .capacity = 0 };
	struct persona_driver_info info;
	int err = pt_ioctl(fd, PERSONA_IOC_LIST, &l);

	pt_check(!err && l.count == 1, "list_counts_without_array", "%s, count %u",
		 pt_errno_name(err), l.count);
	l = (struct persona_list){ .capacity = 1, .drivers = (uintptr_t)&info };
	err = pt_ioctl(fd, PERSONA_IOC_LIST, &l);
	pt_check(!err && l.count == 1 && info.id == id && info.num_params == P_COUNT &&
		 info.num_resources == 2 && !strcmp(info.version.name, "1.0.0") &&
		 !info.reserved0, "list_describes_pvnic", "%s: id %u, %u params, version %s",
		 pt_errno_name(err), info.id, info.num_params, info.version.name);
}

static bool members_are(const struct persona_param *p, const char * const *names, uint32_t n)
{
	uint32_t i;

	if (p->num_members != n)
		return false;
	for (i = 0; i < n; i++)
		if (strcmp(p->members[i].name, names[i]))
			return false;
	return !p->members[n].name[0];
}

static void check_describe(void)
{
	static const char * const power[] = { "disabled", "balanced", "aggressive" };
	static const char * const features[] = {
		"gro", "lro", "rx_checksum", "sg", "tso", "tx_checksum",
	};
	struct persona_param p[P_COUNT];
	struct persona_name res[3] = { 0 };
	struct persona_describe d = {
		.driver_id = id, .num_params = P_COUNT, .params = (uintptr_t)p,
		.num_resources = 3, .resources = (uintptr_t)res,
	};
	int err = pt_ioctl(fd, PERSONA_IOC_DESCRIBE, &d);

	if (!pt_check(!err, "describe", "%s", pt_errno_name(err)))
		return;
	pt_check(p[P_COALESCE].type == PERSONA_PARAM_INTEGER && p[P_COALESCE].unit == PERSONA_UNIT_NS &&
		 p[P_COALESCE].min == 0 && p[P_COALESCE].max == 100000000 &&
		 p[P_COALESCE].apply_class == PERSONA_APPLY_RUNTIME, "describe_coalescing",
		 "type %u unit %u %llu..%llu", p[P_COALESCE].type, p[P_COALESCE].unit,
		 (unsigned long long)p[P_COALESCE].min, (unsigned long long)p[P_COALESCE].max);
	pt_check(p[P_DMA].type == PERSONA_PARAM_INTEGER && p[P_DMA].unit == PERSONA_UNIT_BYTES &&
		 p[P_DMA].min == 4096 && p[P_DMA].max == 4194304 &&
		 p[P_DMA].apply_class == PERSONA_APPLY_DISRUPTIVE, "describe_dma",
		 "type %u unit %u %llu..%llu", p[P_DMA].type, p[P_DMA].unit,
		 (unsigned long long)p[P_DMA].min, (unsigned long long)p[P_DMA].max);
	pt_check(p[P_POWER].type == PERSONA_PARAM_ENUM && p[P_POWER].max == 2 &&
		 members_are(&p[P_POWER], power, 3), "describe_power", "type %u max %llu",
		 p[P_POWER].type, (unsigned long long)p[P_POWER].max);
	pt_check(p[P_FEATURES].type == PERSONA_PARAM_SET && p[P_FEATURES].max == 0x3f &&
		 members_are(&p[P_FEATURES], features, 6), "describe_features",
		 "type %u max %#llx", p[P_FEATURES].type, (unsigned long long)p[P_FEATURES].max);
	pt_check(d.num_resources == 2 && !strcmp(res[0].name, "pvnic0") &&
		 !strcmp(res[1].name, "pvnic1") && !res[2].name[0], "describe_resources",
		 "%u resources: %s %s", d.num_resources, res[0].name, res[1].name);
}

static void check_apply_and_events(void)
{
	uint64_t values[P_COUNT], now[P_COUNT], gen, gen2;
	struct persona_apply req;
	struct persona_event ev;
	int err;

	pt_drain_events(fd);
	pt_drain_events(other);
	pt_read(fd, id, values, &gen);
	values[P_POWER] = (values[P_POWER] + 1) % 3;
	values[P_FEATURES] ^= 0x10;
	err = pt_apply(fd, id, values, gen, &req);
	pt_check(!err && req.generation == gen + 1 && req.changed == (1 << P_POWER | 1 << P_FEATURES) &&
		 req.error_index == PERSONA_NO_INDEX && !req.status, "apply_reports_changes",
		 "%s: generation %llu after %llu, changed %#llx", pt_errno_name(err),
		 (unsigned long long)req.generation, (unsigned long long)gen,
		 (unsigned long long)req.changed);
	pt_read(fd, id, now, &gen2);
	pt_check(!memcmp(values, now, sizeof(now)) && gen2 == gen + 1, "apply_reads_back",
		 "generation %llu", (unsigned long long)gen2);
	pt_check(pt_next_event(fd, 1000, &ev) && ev.type == PERSONA_EVENT_APPLIED &&
		 ev.flags == PERSONA_EVENT_F_OWN && ev.generation == gen + 1 && ev.driver_id == id &&
		 ev.params == req.changed && ev.resources == 1 && ev.timestamp_ns, "event_own_apply",
		 "type %u flags %u generation %llu", ev.type, ev.flags,
		 (unsigned long long)ev.generation);
	pt_check(pt_next_event(other, 1000, &ev) && ev.type == PERSONA_EVENT_APPLIED && !ev.flags &&
		 ev.generation == gen + 1, "event_other_file", "type %u flags %u", ev.type, ev.flags);

	err = pt_apply(fd, id, values, PERSONA_GENERATION_ANY, &req);
	pt_check(!err && req.generation == gen + 1 && !req.changed, "apply_same_values_is_no_change",
		 "%s: generation %llu changed %#llx", pt_errno_name(err),
		 (unsigned long long)req.generation, (unsigned long long)req.changed);
	pt_check(!pt_next_event(fd, 100, &ev), "no_event_without_change", "got type %u", ev.type);
}

/* pvnic1 keeps its own values until an apply names it too. */
static void check_resources(void)
{
	uint64_t first[P_COUNT], second[P_COUNT], gen;
	struct persona_apply req;
	struct persona_event ev;
	int err;

	pt_drain_events(fd);
	pt_read(fd, id, first, &gen);
	pt_read_resource(fd, id, 1, second, &gen);
	first[P_COALESCE] += 1000;
	err = pt_apply(fd, id, first, gen, &req);
	pt_read_resource(fd, id, 1, second, &gen);
	pt_check(!err && second[P_COALESCE] != first[P_COALESCE], "apply_leaves_other_resources",
		 "%s, pvnic1 at %llu", pt_errno_name(err), (unsigned long long)second[P_COALESCE]);
	pt_drain_events(fd);
	first[P_COALESCE] += 1000;
	err = pt_apply_to(fd, id, 3, first, gen, &req);
	pt_read_resource(fd, id, 1, second, &gen);
	pt_check(!err && !memcmp(first, second, sizeof(first)), "apply_to_both_resources",
		 "%s, pvnic1 at %llu", pt_errno_name(err), (unsigned long long)second[P_COALESCE]);
	pt_check(pt_next_event(fd, 1000, &ev) && ev.resources == 3 && ev.generation == gen,
		 "event_names_both_resources", "resources %#llx",
		 (unsigned long long)ev.resources);
}

static void check_overflow(void)
{
	uint64_t values[P_COUNT], gen, start;
	struct persona_event ev;
	struct persona_apply req;
	int i, applied = 0, n = 0;

	pt_drain_events(other);
	pt_read(fd, id, values, &gen);
	start = values[P_COALESCE];
	for (i = 0; i < 200; i++) {
		/* Every apply changes the value, so every one queues an event. */
		values[P_COALESCE] = start + (i % 2 ? 0 : 1000);
		applied += !pt_apply(fd, id, values, PERSONA_GENERATION_ANY, &req);
	}
	while (pt_next_event(other, 0, &ev) && ev.type == PERSONA_EVENT_APPLIED)
		n++;
	pt_check(applied == 200 && n == 128 && ev.type == PERSONA_EVENT_OVERFLOW,
		 "events_overflow_after_128", "%d applied, %d events, then type %u", applied, n,
		 ev.type);
	pt_check(!pt_next_event(other, 0, &ev), "events_empty_after_overflow", "type %u",
		 ev.type);
}

static unsigned long long sysfs_number(const char *path)
{
	unsigned long long v = ~0ull;
	FILE *f = fopen(path, "r");

	if (f) {
		if (fscanf(f, "%llu", &v) != 1)
			v = ~0ull;
		fclose(f);
	}
	return v;
}

static void check_sysfs(void)
{
	uint64_t values[P_COUNT], gen;

	pt_read(fd, id, values, &gen);
	pt_check(sysfs_number("/sys/class/misc/persona/drivers/pvnic/generation") == gen,
		 "sysfs_generation", "differs from %llu", (unsigned long long)gen);
	pt_check(sysfs_number("/sys/class/misc/persona/drivers/pvnic/id") == id, "sysfs_id",
		 "differs from %u", id);
}

int main(void)
{
	fd = pt_open(O_RDWR | O_NONBLOCK);
	other = pt_open(O_RDONLY | O_NONBLOCK);
	id = pt_pvnic(fd);

	check_version();
	check_list();
	check_describe();
	check_apply_and_events();
	check_resources();
	check_overflow();
	check_sysfs();
	return pt_exit_code();
}
