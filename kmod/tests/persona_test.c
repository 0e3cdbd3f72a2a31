// SPDX-License-Identifier: GPL-2.0
/* Helpers of the /dev/persona test programs; see persona_test.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "persona_test.h"

static const char * const pt_param_names[P_COUNT] = {
	"interrupt_coalescence_time", "DMA_buffer_size", "power_saving_mode", "feature_set",
};

static int pt_failures;

bool pt_check(bool pass, const char *name, const char *fmt, ...)
{
	va_list ap;

	if (pass) {
		printf("ok %s\n", name);
	} else {
		pt_failures++;
		printf("not ok %s: ", name);
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
		printf("\n");
	}
	fflush(stdout);
	return pass;
}

int pt_exit_code(void)
{
	return pt_failures ? 1 : 0;
}

void pt_fatal(const char *fmt, ...)
{
	va_list ap;

	printf("not ok setup: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	exit(1);
}

const char *pt_errno_name(int err)
{
	const char *name = err ? strerrorname_np(err) : "OK";

	return name ? name : "E?";
}

int pt_open(int flags)
{
	int fd = open(PT_DEVICE, flags | O_CLOEXEC);

	if (fd < 0)
		pt_fatal("open %s: %s", PT_DEVICE, pt_errno_name(errno));
	return fd;
}

int pt_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? errno : 0;
}

uint32_t pt_pvnic(int fd)
{
	struct persona_driver_info drivers[8];
	struct persona_param params[P_COUNT];
	struct persona_list list = { .capacity = 8, .drivers = (uintptr_t)drivers };
	struct persona_describe d = { .num_params = P_COUNT, .params = (uintptr_t)params };
	uint32_t i, p;
	int err;

	err = pt_ioctl(fd, PERSONA_IOC_LIST, &list);
	if (err)
		pt_fatal("PERSONA_IOC_LIST: %s", pt_errno_name(err));
	for (i = 0; i < list.count && i < list.capacity; i++) {
		if (strcmp(drivers[i].name.name, "pvnic"))
			continue;
		d.driver_id = drivers[i].id;
		err = pt_ioctl(fd, PERSONA_IOC_DESCRIBE, &d);
		if (err || d.num_params != P_COUNT)
			pt_fatal("describe pvnic: %s, %u parameters", pt_errno_name(err), d.num_params);
		for (p = 0; p < P_COUNT; p++)
			if (strcmp(params[p].name.name, pt_param_names[p]))
				pt_fatal("pvnic parameter %u is %s", p, params[p].name.name);
		return d.driver_id;
	}
	pt_fatal("pvnic is not registered");
}

void pt_read_resource(int fd, uint32_t id, uint32_t resource, uint64_t values[P_COUNT],
		      uint64_t *generation)
{
	struct persona_value v[P_COUNT];
	struct persona_read r = {
		.driver_id = id, .resource = resource, .num_values = P_COUNT, .values = (uintptr_t)v,
	};
	int err = pt_ioctl(fd, PERSONA_IOC_READ, &r);
	int i;

	if (err)
		pt_fatal("PERSONA_IOC_READ: %s", pt_errno_name(err));
	for (i = 0; i < P_COUNT; i++)
		values[i] = v[i].value;
	*generation = r.generation;
}

void pt_read(int fd, uint32_t id, uint64_t values[P_COUNT], uint64_t *generation)
{
	pt_read_resource(fd, id, 0, values, generation);
}

int pt_apply_to(int fd, uint32_t id, uint64_t resources, const uint64_t values[P_COUNT],
		uint64_t expected, struct persona_apply *req)
{
	struct persona_value v[P_COUNT];
	int i;

	for (i = 0; i < P_COUNT; i++)
		v[i] = (struct persona_value){ .param = i, .value = values[i] };
	*req = (struct persona_apply){
		.driver_id = id,
		.num_values = P_COUNT,
		.values = (uintptr_t)v,
		.resources = resources,
		.expected_generation = expected,
	};
	return pt_ioctl(fd, PERSONA_IOC_APPLY, req);
}

int pt_apply(int fd, uint32_t id, const uint64_t values[P_COUNT], uint64_t expected,
	     struct persona_apply *req)
{
	return pt_apply_to(fd, id, 1, values, expected, req);
}

void pt_debugfs_write(const char *knob, unsigned long value)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", PT_DEBUGFS, knob);
	f = fopen(path, "w");
	if (!f || fprintf(f, "%lu\n", value) < 0 || fclose(f))
		pt_fatal("write %s: %s", path, pt_errno_name(errno));
}

bool pt_next_event(int fd, int timeout_ms, struct persona_event *ev)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	if (poll(&p, 1, timeout_ms) != 1)
		return false;
	return read(fd, ev, sizeof(*ev)) == sizeof(*ev);
}

void pt_drain_events(int fd)
{
	struct persona_event ev;

	while (pt_next_event(fd, 0, &ev))
		;
}

uint64_t pt_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}
