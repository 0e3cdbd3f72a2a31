// SPDX-License-Identifier: GPL-2.0
/*
 * Random ioctls on /dev/persona: our commands with random contents, our
 * magic with random numbers, sizes and directions, and anything at all;
 * structures with random counts, bad pointers (NULL, unmapped, kernel,
 * read-only, straddling a guard page) and set reserved bits; random read()s.
 * Every call must end in success or a documented errno. The VM test then
 * checks the kernel log and unloads both modules.
 * Usage: fuzz <ioctls> <seed>
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "persona_test.h"

#define PAGE 4096
#define KERNEL_ADDR 0xffffffff81000000ull

static uint64_t rng;
static char *scratch;	/* PAGE writable, then a PROT_NONE guard page */
static char *ro_page;	/* PROT_READ: the kernel cannot write answers there */
static uint32_t pvnic_id;

static const unsigned long commands[] = {
	PERSONA_IOC_VERSION, PERSONA_IOC_LIST, PERSONA_IOC_DESCRIBE, PERSONA_IOC_READ,
	PERSONA_IOC_APPLY,
};

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static uint64_t pick_pointer(void)
{
	switch (rnd() % 8) {
	case 0:
		return 0;
	case 1:
		return KERNEL_ADDR + rnd() % PAGE;
	case 2:
		return (uintptr_t)(scratch + PAGE);
	case 3:
		return (uintptr_t)ro_page;
	case 4:
		return (uintptr_t)(scratch + PAGE - 1 - rnd() % 64);
	case 5:
		return rnd();
	default:
		return (uintptr_t)(scratch + 1024 + rnd() % 2048);
	}
}

static uint32_t pick_count(void)
{
	return rnd() % 4 ? rnd() % (PERSONA_MAX_PARAMS + 4) : (uint32_t)rnd();
}

/* Mostly zero, as valid requests have them, sometimes any bits. */
static uint64_t pick_reserved(void)
{
	return rnd() % 4 ? 0 : rnd() >> (rnd() % 64);
}

static uint32_t pick_id(void)
{
	return rnd() % 4 ? pvnic_id : (uint32_t)rnd();
}

/* Random bytes, then the fields of the command's structure made plausible most of the time. */
static void fill(unsigned long cmd)
{
	struct persona_value *v = (struct persona_value *)(scratch + 1024);
	struct persona_describe *d = (void *)scratch;
	struct persona_apply *a = (void *)scratch;
	struct persona_list *l = (void *)scratch;
	struct persona_read *r = (void *)scratch;
	uint64_t *words = (uint64_t *)scratch;
	int i;

	for (i = 0; i < 1024 / 8; i++)
		words[i] = rnd();
	for (i = 0; i < PERSONA_MAX_PARAMS + 4; i++)
		v[i] = (struct persona_value){ .param = rnd() % 6, .reserved = pick_reserved(),
					       .value = rnd() >> (rnd() % 64) };
	if (rnd() % 4 == 0)
		return;
	switch (cmd) {
	case PERSONA_IOC_LIST:
		*l = (struct persona_list){ .capacity = pick_count(), .drivers = pick_pointer(),
					    .reserved = { pick_reserved(), pick_reserved() } };
		break;
	case PERSONA_IOC_DESCRIBE:
		*d = (struct persona_describe){
			.driver_id = pick_id(), .num_params = pick_count(), .params = pick_pointer(),
			.num_resources = pick_count(), .reserved0 = pick_reserved(),
			.resources = pick_pointer(), .reserved = { pick_reserved(), pick_reserved() } };
		break;
	case PERSONA_IOC_READ:
		*r = (struct persona_read){
			.driver_id = pick_id(), .resource = rnd() % 4, .num_values = pick_count(),
			.reserved0 = pick_reserved(), .values = pick_pointer(),
			.reserved = { pick_reserved(), pick_reserved() } };
		break;
	case PERSONA_IOC_APPLY:
		*a = (struct persona_apply){
			.driver_id = pick_id(), .num_values = pick_count(),
			.values = rnd() % 2 ? (uintptr_t)v : pick_pointer(),
			.resources = rnd() % 4 ? rnd() % 4 : rnd(),
			.expected_generation = rnd() % 2 ? PERSONA_GENERATION_ANY : rnd() % 100000,
			.reserved0 = pick_reserved(), .reserved = { pick_reserved(), pick_reserved() } };
		break;
	}
}

/*
 * A random command number. Types the VFS handles itself before a driver sees
 * the ioctl (FIONBIO 'T', FIFREEZE 'X', FS_IOC_* 'f', FICLONE 0x94, FIBMAP 0)
 * are left out: they would test the VFS, and freezing /dev is no test at all.
 */
static unsigned long pick_command(void)
{
	unsigned long cmd;
	uint32_t type;

	switch (rnd() % 10) {
	case 0 ... 4:
		return commands[rnd() % 5];
	case 5 ... 6:
		return _IOC(rnd() % 4, PERSONA_IOC_MAGIC, rnd() % 16, rnd() % (1 << 14));
	case 7:
		cmd = commands[rnd() % 5];
		return _IOC(_IOC_DIR(cmd), PERSONA_IOC_MAGIC, _IOC_NR(cmd),
			    (_IOC_SIZE(cmd) + 1 + rnd() % 16) % (1 << 14));
	default:
		do {
			cmd = (uint32_t)rnd();
			type = _IOC_TYPE(cmd);
		} while (type == 0 || type == 'T' || type == 'X' || type == 'f' || type == 0x94);
		return cmd;
	}
}

static bool documented(int err)
{
	switch (err) {
	case 0: case ENOTTY: case EINVAL: case EFAULT: case ENOENT: case ENXIO: case ERANGE:
	case E2BIG: case ESTALE: case EBADF: case EAGAIN:
		return true;
	default:
		return false;
	}
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 100000, i, ioctls = 0, reads = 0, undocumented = 0;
	long counts[256] = { 0 };
	int fds[2], err;
	char *pages;

	rng = argc > 2 ? strtoull(argv[2], NULL, 0) : 0x5eed;
	pages = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (pages == MAP_FAILED || mprotect(pages + PAGE, PAGE, PROT_NONE) ||
	    mprotect(pages + 2 * PAGE, PAGE, PROT_READ))
		pt_fatal("mmap: %s", pt_errno_name(errno));
	scratch = pages;
	ro_page = pages + 2 * PAGE;
	fds[0] = pt_open(O_RDWR | O_NONBLOCK);
	fds[1] = pt_open(O_RDONLY | O_NONBLOCK);
	pvnic_id = pt_pvnic(fds[0]);

	for (i = 0; i < n; i++) {
		int fd = fds[rnd() % 8 == 0];
		unsigned long cmd = pick_command();

		fill(cmd);
		err = ioctl(fd, cmd, rnd() % 5 ? (uintptr_t)scratch : pick_pointer()) ? errno : 0;
		ioctls++;
		if (!documented(err) && undocumented++ < 10)
			printf("# undocumented %s from ioctl %#lx\n", pt_errno_name(err), cmd);
		counts[err & 0xff]++;
		if (rnd() % 16 == 0) {
			err = read(fd, (void *)(uintptr_t)pick_pointer(), rnd() % 200) < 0 ? errno : 0;
			reads++;
			if (!documented(err) && undocumented++ < 10)
				printf("# undocumented %s from read\n", pt_errno_name(err));
		}
	}
	printf("# %ld ioctls and %ld reads:", ioctls, reads);
	for (i = 0; i < 256; i++)
		if (counts[i])
			printf(" %s %ld", pt_errno_name(i), counts[i]);
	printf("\n");
	pt_check(ioctls == n, "fuzz_ran_every_ioctl", "%ld of %ld", ioctls, n);
	pt_check(!undocumented, "fuzz_only_documented_errnos", "%ld undocumented", undocumented);
	pt_check(pt_pvnic(fds[0]) == pvnic_id, "fuzz_driver_still_answers", "pvnic changed id");
	return pt_exit_code();
}
