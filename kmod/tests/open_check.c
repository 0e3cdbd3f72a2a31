// SPDX-License-Identifier: GPL-2.0
/*
 * Opens /dev/persona read-write and for reading, then asks for the version,
 * and prints what happened: "<errno name of open O_RDWR> <of O_RDONLY> <of
 * the version ioctl>", OK for success.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "persona_test.h"

static int try_open(int flags, int *fd)
{
	*fd = open(PT_DEVICE, flags | O_CLOEXEC);
	return *fd < 0 ? errno : 0;
}

int main(void)
{
	struct persona_version v;
	int rw, ro, rw_err, ro_err, version_err = EBADF;

	rw_err = try_open(O_RDWR, &rw);
	ro_err = try_open(O_RDONLY, &ro);
	if (!ro_err)
		version_err = pt_ioctl(ro, PERSONA_IOC_VERSION, &v);
	printf("%s %s %s\n", pt_errno_name(rw_err), pt_errno_name(ro_err),
	       pt_errno_name(version_err));
	return 0;
}
