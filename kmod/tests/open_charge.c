// SPDX-License-Identifier: GPL-2.0
/*
 * What an open file of /dev/persona costs is charged to the opener's memory
 * cgroup: this program moves itself into the cgroup v2 group @dir, opens
 * /dev/persona @n times, and compares the growth of the group's
 * memory.current with the event queue each open file holds.
 * memory.current moves in per-CPU batches of 64 pages, so @n must make the
 * total far larger than a batch.
 * Usage: open_charge <cgroup dir> <n>
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "persona_test.h"

/* Each open file's queue of 128 events, which the kernel allocates at open. */
#define QUEUE_BYTES (128 * sizeof(struct persona_event))

static long long read_number(const char *dir, const char *file)
{
	char path[512];
	long long v;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	f = fopen(path, "r");
	if (!f || fscanf(f, "%lld", &v) != 1)
		pt_fatal("read %s: %s", path, pt_errno_name(errno));
	fclose(f);
	return v;
}

static void join_group(const char *dir)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	f = fopen(path, "w");
	if (!f || fprintf(f, "%d\n", getpid()) < 0 || fclose(f))
		pt_fatal("join %s: %s", dir, pt_errno_name(errno));
}

int main(int argc, char **argv)
{
	long long before, after, per_open;
	int *fds, i, n;

	if (argc != 3)
		pt_fatal("usage: open_charge <cgroup dir> <n>");
	n = atoi(argv[2]);
	fds = calloc(n, sizeof(*fds));
	if (!fds)
		pt_fatal("calloc");
	join_group(argv[1]);
	before = read_number(argv[1], "memory.current");
	for (i = 0; i < n; i++) {
		fds[i] = open(PT_DEVICE, O_RDONLY | O_CLOEXEC);
		if (fds[i] < 0)
			pt_fatal("open %d of %d: %s", i + 1, n, pt_errno_name(errno));
	}
	after = read_number(argv[1], "memory.current");
	per_open = (after - before) / n;
	printf("# memory.current grew by %lld bytes for %d opens: %lld per open\n", after - before,
	       n, per_open);
	pt_check(per_open >= (long long)QUEUE_BYTES, "open_is_charged_to_the_openers_cgroup",
		 "%lld bytes per open, less than the %zu bytes of its event queue", per_open,
		 QUEUE_BYTES);
	for (i = 0; i < n; i++)
		close(fds[i]);
	return pt_exit_code();
}
