// SPDX-License-Identifier: GPL-2.0
/*
 * Many open files during a burst of drift: @openers files of /dev/persona
 * are open while the coalescing of @interface changes @events times through
 * the ethtool ioctl, each change a DRIFT event. Every file must then hold
 * every event in order, or the first 128 and the OVERFLOW record where the
 * rest were lost, and nothing after it.
 * Usage: burst <interface> <its resource index> <openers> <events>
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "persona_test.h"

#define QUEUE 128

static int sock;
static struct ifreq ifr;

static void coalesce(uint32_t cmd, struct ethtool_coalesce *ec)
{
	ec->cmd = cmd;
	ifr.ifr_data = (void *)ec;
	if (ioctl(sock, SIOCETHTOOL, &ifr))
		pt_fatal("SIOCETHTOOL %#x: %s", cmd, pt_errno_name(errno));
}

/* Whether @fd holds exactly what @events drifts of @resource from @gen leave in a queue. */
static bool holds_the_burst(int fd, uint32_t id, uint32_t resource, uint64_t gen, int events)
{
	struct persona_event evs[QUEUE + 2];
	int want = events < QUEUE ? events : QUEUE, i;
	ssize_t n = read(fd, evs, sizeof(evs));

	if (n != (ssize_t)((want + (events > QUEUE)) * sizeof(evs[0])))
		return false;
	for (i = 0; i < want; i++)
		if (evs[i].type != PERSONA_EVENT_DRIFT || evs[i].driver_id != id ||
		    evs[i].generation != gen + 1 + i || evs[i].params != 1u << P_COALESCE ||
		    evs[i].resources != 1ull << resource || evs[i].flags)
			return false;
	if (events > QUEUE && evs[want].type != PERSONA_EVENT_OVERFLOW)
		return false;
	return read(fd, evs, sizeof(evs)) < 0 && errno == EAGAIN;
}

int main(int argc, char **argv)
{
	struct rlimit files;
	struct ethtool_coalesce ec = { 0 };
	uint64_t values[P_COUNT], gen, start, took;
	uint32_t id, resource, base;
	int fd, *fds, openers, events, i, whole = 0;

	if (argc != 5)
		pt_fatal("usage: burst <interface> <its resource index> <openers> <events>");
	resource = atoi(argv[2]);
	openers = atoi(argv[3]);
	events = atoi(argv[4]);
	files.rlim_cur = files.rlim_max = openers + 16;
	if (setrlimit(RLIMIT_NOFILE, &files))
		pt_fatal("setrlimit: %s", pt_errno_name(errno));
	fds = calloc(openers, sizeof(*fds));
	sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (!fds || sock < 0)
		pt_fatal("setup: %s", pt_errno_name(errno));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", argv[1]);

	fd = pt_open(O_RDWR);
	id = pt_pvnic(fd);
	for (i = 0; i < openers; i++) {
		fds[i] = open(PT_DEVICE, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (fds[i] < 0)
			pt_fatal("open %d of %d: %s", i + 1, openers, pt_errno_name(errno));
	}
	coalesce(ETHTOOL_GCOALESCE, &ec);
	base = ec.rx_coalesce_usecs;
	pt_read_resource(fd, id, resource, values, &gen);

	start = pt_now_ns();
	for (i = 0; i < events; i++) {
		/* Never the value it has, so every change is a drift. */
		ec.rx_coalesce_usecs = base + 1 + i % 2;
		coalesce(ETHTOOL_SCOALESCE, &ec);
	}
	took = pt_now_ns() - start;
	printf("# %d drift events to %d open files in %.1f ms\n", events, openers + 1, took / 1e6);

	for (i = 0; i < openers; i++)
		whole += holds_the_burst(fds[i], id, resource, gen, events);
	pt_check(whole == openers, "every_open_file_holds_the_burst",
		 "%d of %d files hold the %d events%s", whole, openers, events,
		 events > QUEUE ? " up to the overflow record" : "");

	ec.rx_coalesce_usecs = base;
	coalesce(ETHTOOL_SCOALESCE, &ec);
	return pt_exit_code();
}
