// SPDX-License-Identifier: GPL-2.0
/*
 * Two processes apply concurrently to both ports, each alternating between
 * two sets of values of its own, and read one port back after each apply. The sets differ from
 * each other in every parameter but power_saving_mode (which has only three
 * members), so no read may mix sets (a torn state) and every apply changes
 * something: the generations the applies return must be exactly the numbers
 * after the starting one, each once, and rising within each process.
 * Usage: concurrent [applies per process, default 10000]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "persona_test.h"

#define PROCESSES 2
/* The parameters whose values no two sets share. */
#define UNIQUE_PARAMS (1 << P_COALESCE | 1 << P_DMA | 1 << P_FEATURES)

/* Process p applies sets[2p] and sets[2p + 1] in turn. */
static const uint64_t sets[2 * PROCESSES][P_COUNT] = {
	{ 1000, 8192, 0, 0x01 },
	{ 2000, 16384, 1, 0x02 },
	{ 3000, 32768, 2, 0x04 },
	{ 4000, 65536, 0, 0x08 },
};

/* Values no set shares, so the first apply of each process changes them too. */
static const uint64_t start_values[P_COUNT] = { 500, 4096, 0, 0x30 };

struct outcome {
	int errors;
	int torn;
	int not_rising;
	int unchanged;
	uint64_t generations[];
};

static bool is_a_set(const uint64_t v[P_COUNT])
{
	int s;

	for (s = 0; s < 2 * PROCESSES; s++)
		if (!memcmp(v, sets[s], sizeof(sets[s])))
			return true;
	return false;
}

static void applier(int p, int n, struct outcome *out)
{
	uint64_t read_back[P_COUNT], gen, last = 0;
	struct persona_apply req;
	int fd = pt_open(O_RDWR);
	uint32_t id = pt_pvnic(fd);
	int i;

	for (i = 0; i < n; i++) {
		if (pt_apply_to(fd, id, 3, sets[2 * p + i % 2], PERSONA_GENERATION_ANY, &req)) {
			out->errors++;
			continue;
		}
		out->generations[i] = req.generation;
		out->not_rising += req.generation <= last;
		out->unchanged += (req.changed & UNIQUE_PARAMS) != UNIQUE_PARAMS;
		last = req.generation;
		pt_read_resource(fd, id, i % 2, read_back, &gen);
		out->torn += !is_a_set(read_back);
	}
	exit(0);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 10000;
	size_t size = sizeof(struct outcome) + n * sizeof(uint64_t);
	struct outcome *out[PROCESSES];
	uint64_t values[P_COUNT], start, end, *all;
	int fd = pt_open(O_RDWR), p, i, status, gaps = 0;
	uint32_t id = pt_pvnic(fd);
	struct persona_apply req;
	uint64_t t0;

	if (pt_apply_to(fd, id, 3, start_values, PERSONA_GENERATION_ANY, &req))
		pt_fatal("apply of the starting values failed");
	pt_read(fd, id, values, &start);
	t0 = pt_now_ns();
	for (p = 0; p < PROCESSES; p++) {
		out[p] = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (out[p] == MAP_FAILED)
			pt_fatal("mmap: %s", pt_errno_name(errno));
		if (fork() == 0)
			applier(p, n, out[p]);
	}
	for (p = 0; p < PROCESSES; p++)
		if (wait(&status) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
			pt_fatal("an applier died");
	printf("# %d applies in %d processes in %.2f s\n", n * PROCESSES, PROCESSES,
	       (pt_now_ns() - t0) / 1e9);
	pt_read(fd, id, values, &end);

	all = calloc(n * PROCESSES, sizeof(*all));
	for (p = 0; p < PROCESSES; p++) {
		pt_check(!out[p]->errors, p ? "second_applier_no_errors" : "first_applier_no_errors",
			 "%d failed applies", out[p]->errors);
		pt_check(!out[p]->torn, p ? "second_applier_never_torn" : "first_applier_never_torn",
			 "%d reads mixed sets", out[p]->torn);
		pt_check(!out[p]->not_rising,
			 p ? "second_applier_generations_rise" : "first_applier_generations_rise",
			 "%d generations not above the previous", out[p]->not_rising);
		pt_check(!out[p]->unchanged,
			 p ? "second_applier_changes_values" : "first_applier_changes_values",
			 "%d applies left a value unchanged that differs", out[p]->unchanged);
		memcpy(all + p * n, out[p]->generations, n * sizeof(*all));
	}
	qsort(all, n * PROCESSES, sizeof(*all), cmp_u64);
	for (i = 0; i < n * PROCESSES; i++)
		gaps += all[i] != start + 1 + i;
	pt_check(!gaps && end == start + n * PROCESSES, "no_lost_or_repeated_generation",
		 "%d generations out of place, %llu -> %llu", gaps, (unsigned long long)start,
		 (unsigned long long)end);
	pt_check(is_a_set(values), "final_state_is_one_set", "the final values mix sets");
	free(all);
	return pt_exit_code();
}
