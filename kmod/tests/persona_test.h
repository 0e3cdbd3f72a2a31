/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the /dev/persona test programs. Each program prints one line
 * per check, "ok <name>" or "not ok <name>: <why>", which test/vm/kmod.test.ts
 * turns into one assertion each, and exits 1 when a check failed.
 */
#ifndef _PERSONA_TEST_H
#define _PERSONA_TEST_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/persona.h>

#define PT_DEVICE "/dev/persona"
#define PT_DEBUGFS "/sys/kernel/debug/pvnic"

/* pvnic's parameters, in its declaration order (pt_pvnic() checks the names). */
enum { P_COALESCE, P_DMA, P_POWER, P_FEATURES, P_COUNT };

/* Prints the check's line and counts a failure; returns @pass. */
bool pt_check(bool pass, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Exit code for the checks so far: 0 when all passed. */
int pt_exit_code(void);
/* Prints the line and exits 1: for setup that later checks rely on. */
void pt_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* "EINVAL" for EINVAL, "OK" for 0. */
const char *pt_errno_name(int err);

/* open(2) of /dev/persona; exits when it fails. */
int pt_open(int flags);
/* ioctl(2) returning 0 or the errno. */
int pt_ioctl(int fd, unsigned long cmd, void *arg);

/* The id of pvnic after checking its parameter names; exits when it is not registered. */
uint32_t pt_pvnic(int fd);
/* All values of one resource of pvnic and their generation; exits on failure. */
void pt_read_resource(int fd, uint32_t id, uint32_t resource, uint64_t values[P_COUNT],
		      uint64_t *generation);
/* pt_read_resource() of pvnic0. */
void pt_read(int fd, uint32_t id, uint64_t values[P_COUNT], uint64_t *generation);
/* Applies values[i] to parameter i of the @resources, for every i in order; returns 0 or the errno. */
int pt_apply_to(int fd, uint32_t id, uint64_t resources, const uint64_t values[P_COUNT],
		uint64_t expected, struct persona_apply *req);
/* pt_apply_to() pvnic0. */
int pt_apply(int fd, uint32_t id, const uint64_t values[P_COUNT], uint64_t expected,
	     struct persona_apply *req);

/* Writes a number to a debugfs knob of pvnic; exits on failure. */
void pt_debugfs_write(const char *knob, unsigned long value);

/* Waits up to @timeout_ms for one event; returns false on timeout. */
bool pt_next_event(int fd, int timeout_ms, struct persona_event *ev);
/* Reads and drops every queued event. */
void pt_drain_events(int fd);

uint64_t pt_now_ns(void);

#endif /* _PERSONA_TEST_H */
