// SPDX-License-Identifier: GPL-2.0
/*
 * Every input /dev/persona must refuse, one check each: the errno, the
 * error_index of applies, and that a refused apply changed nothing (values
 * and generation as before).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "persona_test.h"

/* A user address with nothing mapped, and one in the kernel's half. */
static void *unmapped;
#define KERNEL_PTR ((void *)0xffffffff81000000ull)

static int fd, rofd;
static uint32_t id;

static void expect(const char *name, int got, int want)
{
	pt_check(got == want, name, "got %s, want %s", pt_errno_name(got), pt_errno_name(want));
}

static void reject_unknown_commands(void)
{
	struct persona_version v;

	expect("unknown_nr", pt_ioctl(fd, _IOR(PERSONA_IOC_MAGIC, 0x7f, struct persona_version), &v),
	       ENOTTY);
	expect("unknown_size", pt_ioctl(fd, _IOR(PERSONA_IOC_MAGIC, 0x00, __u32), &v), ENOTTY);
	expect("unknown_direction",
	       pt_ioctl(fd, _IOW(PERSONA_IOC_MAGIC, 0x00, struct persona_version), &v), ENOTTY);
	expect("unknown_magic", pt_ioctl(fd, _IOR(0xB8, 0x00, struct persona_version), &v), ENOTTY);
	expect("version_bad_pointer", pt_ioctl(fd, PERSONA_IOC_VERSION, unmapped), EFAULT);
	expect("version_kernel_pointer", pt_ioctl(fd, PERSONA_IOC_VERSION, KERNEL_PTR), EFAULT);
}

static void reject_list(void)
{
	struct persona_driver_info infos[4];
	struct persona_list l;

	l = (struct persona_list){ .capacity = 4, .drivers = (uintptr_t)infos, .reserved[0] = 1 };
	expect("list_reserved0", pt_ioctl(fd, PERSONA_IOC_LIST, &l), EINVAL);
	l = (struct persona_list){ .capacity = 4, .drivers = (uintptr_t)infos, .reserved[1] = 1 };
	expect("list_reserved1", pt_ioctl(fd, PERSONA_IOC_LIST, &l), EINVAL);
	expect("list_bad_pointer", pt_ioctl(fd, PERSONA_IOC_LIST, unmapped), EFAULT);
	l = (struct persona_list){ .capacity = 4, .drivers = (uintptr_t)unmapped };
	expect("list_bad_array", pt_ioctl(fd, PERSONA_IOC_LIST, &l), EFAULT);
	l = (struct persona_list){ .capacity = 4, .drivers = (uintptr_t)KERNEL_PTR };
	expect("list_kernel_array", pt_ioctl(fd, PERSONA_IOC_LIST, &l), EFAULT);
}

static void reject_describe(void)
{
	struct persona_name resources[4];
	struct persona_param params[P_COUNT];
	struct persona_describe d, ok = {
		.driver_id = id,
		.num_params = P_COUNT,
		.params = (uintptr_t)params,
		.num_resources = 4,
		.resources = (uintptr_t)resources,
	};

	d = ok;
	d.driver_id = 0;
	expect("describe_driver_zero", pt_ioctl(fd, PERSONA_IOC_DESCRIBE, &d), ENOENT);
	d = ok;
	d.driver_id = 0xffffffff;
	expect("describe_unknown_driver", pt_ioctl(fd, PERSONA_IOC_DESCRIBE, &d), ENOENT);
	d = ok;
	d.reserved0 = 1;
	expect("describe_reserved0", pt_ioctl(fd, PERSONA_IOC_DESCRIBE, &d), EINVAL);
	d = ok;
	d.reserved[0] = 1;
	expect("describe_reserved", pt_ioctl(fd, PERSONA_IOC_DESCRIBE, &d), EINVAL);
	d = ok;
	d.reserved[1] = 1ull << 63;
	expect("describe_reserved_high_bit", pt_ioctl(fd, PERSONA_IOC_DESCRIBE, &d), EINVAL);
	d = ok;
	d.params = (uintptr_t)unmapped;
	expect("describe_bad_params", pt_ioctl(fd, PERSONA_IOC_DESCRIBE, &d), EFAULT);
	d = ok;
	d.resources = (uintptr_t)KERNEL_PTR;
	expect("describe_kernel_resources", pt_ioctl(fd, PERSONA_IOC_DESCRIBE, &d), EFAULT);
	expect("describe_bad_pointer", pt_ioctl(fd, PERSONA_IOC_DESCRIBE, unmapped), EFAULT);
}

static void reject_read(void)
{
	struct persona_value v[P_COUNT];
	struct persona_read r, ok = { .driver_id = id, .num_values = P_COUNT, .values = (uintptr_t)v };

	r = ok;
	r.driver_id = 12345;
	expect("read_unknown_driver", pt_ioctl(fd, PERSONA_IOC_READ, &r), ENOENT);
	r = ok;
	r.resource = 2;
	expect("read_unknown_resource", pt_ioctl(fd, PERSONA_IOC_READ, &r), ENXIO);
	r = ok;
	r.reserved0 = 1;
	expect("read_reserved_field", pt_ioctl(fd, PERSONA_IOC_READ, &r), EINVAL);
	r = ok;
	r.reserved[0] = 1;
	expect("read_reserved0", pt_ioctl(fd, PERSONA_IOC_READ, &r), EINVAL);
	r = ok;
	r.reserved[1] = 1;
	expect("read_reserved1", pt_ioctl(fd, PERSONA_IOC_READ, &r), EINVAL);
	r = ok;
	r.values = (uintptr_t)unmapped;
	expect("read_bad_values", pt_ioctl(fd, PERSONA_IOC_READ, &r), EFAULT);
	expect("read_bad_pointer", pt_ioctl(rofd, PERSONA_IOC_READ, KERNEL_PTR), EFAULT);
}

/*
 * Runs one apply built by @mutate from a valid one that changes every
 * value, and checks its errno and error_index and that nothing changed.
 */
static void reject_apply(const char *name, int want, uint32_t want_index,
			 void (*mutate)(struct persona_apply *req, struct persona_value *v))
{
	uint64_t before[P_COUNT], after[P_COUNT], gen_before, gen_after;
	struct persona_value v[PERSONA_MAX_PARAMS + 1];
	struct persona_apply req;
	int err, i;

	pt_read(fd, id, before, &gen_before);
	for (i = 0; i < P_COUNT; i++)
		v[i] = (struct persona_value){ .param = i, .value = before[i] };
	v[P_COALESCE].value = before[P_COALESCE] + 1000;
	v[P_DMA].value = before[P_DMA] == 8192 ? 16384 : 8192;
	v[P_POWER].value = (before[P_POWER] + 1) % 3;
	v[P_FEATURES].value = before[P_FEATURES] ^ 1;
	req = (struct persona_apply){
		.driver_id = id,
		.num_values = P_COUNT,
		.values = (uintptr_t)v,
		.resources = 1,
		.expected_generation = PERSONA_GENERATION_ANY,
	};
	mutate(&req, v);
	err = pt_ioctl(fd, PERSONA_IOC_APPLY, &req);
	pt_read(fd, id, after, &gen_after);
	pt_check(err == want && req.error_index == want_index &&
		 !memcmp(before, after, sizeof(before)) && gen_before == gen_after, name,
		 "errno %s (want %s), error_index %d (want %d), values %s, generation %llu -> %llu",
		 pt_errno_name(err), pt_errno_name(want), (int)req.error_index, (int)want_index,
		 memcmp(before, after, sizeof(before)) ? "changed" : "unchanged",
		 (unsigned long long)gen_before, (unsigned long long)gen_after);
}

static void m_reserved_field(struct persona_apply *r, struct persona_value *v)
{
	r->reserved0 = 1;
}

static void m_no_resources(struct persona_apply *r, struct persona_value *v)
{
	r->resources = 0;
}

static void m_unknown_resource(struct persona_apply *r, struct persona_value *v)
{
	r->resources = 1 | 1 << 2;
}

static void m_resource_bit_63(struct persona_apply *r, struct persona_value *v)
{
	r->resources = 1ull << 63;
}

static void m_reserved0(struct persona_apply *r, struct persona_value *v)
{
	r->reserved[0] = 1;
}

static void m_reserved1(struct persona_apply *r, struct persona_value *v)
{
	r->reserved[1] = 4;
}

static void m_too_many(struct persona_apply *r, struct persona_value *v)
{
	r->num_values = PERSONA_MAX_PARAMS + 1;
}

static void m_bad_values(struct persona_apply *r, struct persona_value *v)
{
	r->values = (uintptr_t)unmapped;
}

static void m_kernel_values(struct persona_apply *r, struct persona_value *v)
{
	r->values = (uintptr_t)KERNEL_PTR;
}

static void m_driver_zero(struct persona_apply *r, struct persona_value *v)
{
	r->driver_id = 0;
}

static void m_unknown_driver(struct persona_apply *r, struct persona_value *v)
{
	r->driver_id = 777;
}

static void m_entry_reserved(struct persona_apply *r, struct persona_value *v)
{
	v[1].reserved = 1;
}

static void m_unknown_param(struct persona_apply *r, struct persona_value *v)
{
	v[2].param = 4;
}

static void m_huge_param(struct persona_apply *r, struct persona_value *v)
{
	v[3].param = 0xffffffff;
}

static void m_repeated_param(struct persona_apply *r, struct persona_value *v)
{
	v[1].param = 0;
}

static void m_coalesce_max(struct persona_apply *r, struct persona_value *v)
{
	v[P_COALESCE].value = 100000001;
}

static void m_dma_min(struct persona_apply *r, struct persona_value *v)
{
	v[P_DMA].value = 4095;
}

static void m_dma_max(struct persona_apply *r, struct persona_value *v)
{
	v[P_DMA].value = 4194305;
}

static void m_dma_wrap(struct persona_apply *r, struct persona_value *v)
{
	v[P_DMA].value = (1ull << 32) + 8192;
}

static void m_enum(struct persona_apply *r, struct persona_value *v)
{
	v[P_POWER].value = 3;
}

static void m_set_member(struct persona_apply *r, struct persona_value *v)
{
	v[P_FEATURES].value = 1 << 6;
}

static void m_set_high_bit(struct persona_apply *r, struct persona_value *v)
{
	v[P_FEATURES].value = 1ull << 63;
}

static void m_stale(struct persona_apply *r, struct persona_value *v)
{
	uint64_t values[P_COUNT], gen;

	pt_read(fd, id, values, &gen);
	r->expected_generation = gen + 1;
}

static void reject_applies(void)
{
	struct persona_apply req = { .driver_id = id };

	expect("apply_readonly_fd", pt_ioctl(rofd, PERSONA_IOC_APPLY, &req), EBADF);
	expect("apply_bad_pointer", pt_ioctl(fd, PERSONA_IOC_APPLY, unmapped), EFAULT);
	reject_apply("apply_reserved_field", EINVAL, PERSONA_NO_INDEX, m_reserved_field);
	reject_apply("apply_no_resources", EINVAL, PERSONA_NO_INDEX, m_no_resources);
	reject_apply("apply_unknown_resource", ENXIO, PERSONA_NO_INDEX, m_unknown_resource);
	reject_apply("apply_resource_bit_63", ENXIO, PERSONA_NO_INDEX, m_resource_bit_63);
	reject_apply("apply_reserved0", EINVAL, PERSONA_NO_INDEX, m_reserved0);
	reject_apply("apply_reserved1", EINVAL, PERSONA_NO_INDEX, m_reserved1);
	reject_apply("apply_too_many_entries", E2BIG, PERSONA_NO_INDEX, m_too_many);
	reject_apply("apply_bad_values", EFAULT, PERSONA_NO_INDEX, m_bad_values);
	reject_apply("apply_kernel_values", EFAULT, PERSONA_NO_INDEX, m_kernel_values);
	reject_apply("apply_driver_zero", ENOENT, PERSONA_NO_INDEX, m_driver_zero);
	reject_apply("apply_unknown_driver", ENOENT, PERSONA_NO_INDEX, m_unknown_driver);
	reject_apply("apply_entry_reserved", EINVAL, 1, m_entry_reserved);
	reject_apply("apply_unknown_param", EINVAL, 2, m_unknown_param);
	reject_apply("apply_huge_param", EINVAL, 3, m_huge_param);
	reject_apply("apply_repeated_param", EINVAL, 1, m_repeated_param);
	reject_apply("apply_coalesce_above_max", ERANGE, P_COALESCE, m_coalesce_max);
	reject_apply("apply_dma_below_min", ERANGE, P_DMA, m_dma_min);
	reject_apply("apply_dma_above_max", ERANGE, P_DMA, m_dma_max);
	reject_apply("apply_dma_above_32_bits", ERANGE, P_DMA, m_dma_wrap);
	reject_apply("apply_enum_out_of_range", ERANGE, P_POWER, m_enum);
	reject_apply("apply_set_unknown_member", ERANGE, P_FEATURES, m_set_member);
	reject_apply("apply_set_high_bit", ERANGE, P_FEATURES, m_set_high_bit);
	reject_apply("apply_stale_generation", ESTALE, PERSONA_NO_INDEX, m_stale);
}

static void reject_event_reads(void)
{
	struct persona_event ev[2];
	uint64_t values[P_COUNT], gen;
	struct persona_apply req;

	pt_drain_events(fd);
	expect("events_nonblocking_empty", read(fd, ev, sizeof(ev)) < 0 ? errno : 0, EAGAIN);
	pt_read(fd, id, values, &gen);
	values[P_COALESCE] += 1000;
	if (pt_apply(fd, id, values, gen, &req))
		pt_fatal("apply to queue an event failed");
	expect("events_buffer_too_small", read(fd, ev, sizeof(ev[0]) - 1) < 0 ? errno : 0, EINVAL);
	expect("events_bad_buffer", read(fd, unmapped, sizeof(ev)) < 0 ? errno : 0, EFAULT);
	pt_check(read(fd, ev, sizeof(ev)) == sizeof(ev[0]) && ev[0].type == PERSONA_EVENT_APPLIED,
		 "events_kept_after_bad_buffer", "the event was lost");
}

int main(void)
{
	unmapped = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (unmapped == MAP_FAILED || munmap(unmapped, 4096))
		pt_fatal("mmap: %s", pt_errno_name(errno));
	fd = pt_open(O_RDWR | O_NONBLOCK);
	rofd = pt_open(O_RDONLY);
	id = pt_pvnic(fd);

	reject_unknown_commands();
	reject_list();
	reject_describe();
	reject_read();
	reject_applies();
	reject_event_reads();
	return pt_exit_code();
}
