// SPDX-License-Identifier: GPL-2.0
/*
 * The cost of a personality switch against the cheapest ioctl: N version
 * ioctls, then N applies of all four pvnic parameters, each changing every
 * value (alternating between two sets, so the DMA ring is reallocated every
 * time), then N applies that change nothing. Prints one JSON line.
 * Usage: bench [N, default 10000]
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>

#include "persona_test.h"

static const uint64_t sets[2][P_COUNT] = {
	{ 1000000, 16384, 1, 0x05 },
	{ 4000000, 65536, 0, 0x15 },
};

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 10000, i, failed = 0;
	int fd = pt_open(O_RDWR | O_NONBLOCK);
	uint32_t id = pt_pvnic(fd);
	uint64_t t0, version_ns, apply_ns, same_ns;
	struct persona_version v;
	struct persona_apply req;

	t0 = pt_now_ns();
	for (i = 0; i < n; i++)
		failed += pt_ioctl(fd, PERSONA_IOC_VERSION, &v) != 0;
	version_ns = pt_now_ns() - t0;

	t0 = pt_now_ns();
	for (i = 0; i < n; i++)
		failed += pt_apply(fd, id, sets[i % 2], PERSONA_GENERATION_ANY, &req) != 0;
	apply_ns = pt_now_ns() - t0;

	t0 = pt_now_ns();
	for (i = 0; i < n; i++)
		failed += pt_apply(fd, id, sets[1], PERSONA_GENERATION_ANY, &req) != 0;
	same_ns = pt_now_ns() - t0;

	printf("{\"n\":%d,\"failed\":%d,\"versionNs\":%.0f,\"applyNs\":%.0f,", n, failed,
	       (double)version_ns / n, (double)apply_ns / n);
	printf("\"applyUnchangedNs\":%.0f,\"ratio\":%.2f}\n", (double)same_ns / n,
	       (double)apply_ns / version_ns);
	return failed ? 1 : 0;
}
