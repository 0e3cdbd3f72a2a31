// SPDX-License-Identifier: GPL-2.0
/*
 * Reads a pvnic port's values as fast as it can, the way other programs see
 * them: through the ethtool ioctl (coalescing, ring entries, private flags)
 * and through sysfs (all four in persona's units), until SIGTERM or SIGINT.
 *
 * Two separate reads can straddle an apply and mix two whole personalities
 * without any apply being torn, so each round is framed by persona's
 * generation for the driver, seqlock style: a round whose generation moved
 * is counted as "retried" and dropped. Every other round is one snapshot,
 * counted under its values; an apply seen half done shows up there as a
 * snapshot that matches no personality.
 *
 * Prints one JSON object: {"reads":N,"retried":N,"snapshots":{"<values>":N,...}}
 * Usage: watch_values <interface>
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_SNAPSHOTS 64
#define SNAPSHOT_LEN 384

static const char * const sysfs_params[] = {
	"interrupt_coalescence_time", "DMA_buffer_size", "power_saving_mode", "feature_set",
};
#define NUM_SYSFS (sizeof(sysfs_params) / sizeof(sysfs_params[0]))

struct snapshot {
	char values[SNAPSHOT_LEN];
	unsigned long count;
};

static volatile sig_atomic_t stop;
static struct snapshot snapshots[MAX_SNAPSHOTS];
static unsigned int num_snapshots;

static void on_signal(int sig)
{
	stop = 1;
}

static void die(const char *what)
{
	fprintf(stderr, "watch_values: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int open_or_die(const char *path)
{
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		die(path);
	return fd;
}

/* One sysfs attribute, reread from the start, without its newline. */
static void read_attr(int fd, char *buf, size_t len)
{
	ssize_t n = pread(fd, buf, len - 1, 0);

	if (n < 0)
		die("sysfs read");
	while (n > 0 && buf[n - 1] == '\n')
		n--;
	buf[n] = '\0';
}

static void ethtool_cmd(int sock, const char *ifname, void *data)
{
	struct ifreq ifr = { 0 };

	strncpy(ifr.ifr_name, ifname, IFNAMSIZ - 1);
	ifr.ifr_data = data;
	if (ioctl(sock, SIOCETHTOOL, &ifr))
		die("SIOCETHTOOL");
}

static void count_snapshot(const char *values)
{
	unsigned int i;

	for (i = 0; i < num_snapshots; i++) {
		if (!strcmp(snapshots[i].values, values)) {
			snapshots[i].count++;
			return;
		}
	}
	if (num_snapshots == MAX_SNAPSHOTS) {
		fprintf(stderr, "watch_values: more than %d different snapshots\n", MAX_SNAPSHOTS);
		exit(1);
	}
	snprintf(snapshots[num_snapshots].values, SNAPSHOT_LEN, "%s", values);
	snapshots[num_snapshots++].count = 1;
}

int main(int argc, char **argv)
{
	struct ethtool_coalesce coalesce;
	struct ethtool_ringparam ring;
	struct ethtool_value pflags;
	char path[256], gen_before[32], gen_after[32], attrs[NUM_SYSFS][64], values[SNAPSHOT_LEN];
	unsigned long reads = 0, retried = 0;
	int gen_fd, attr_fd[NUM_SYSFS], sock;
	const char *ifname;
	unsigned int i;

	if (argc != 2) {
		fprintf(stderr, "usage: watch_values <interface>\n");
		return 2;
	}
	ifname = argv[1];
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	gen_fd = open_or_die("/sys/class/misc/persona/drivers/pvnic/generation");
	for (i = 0; i < NUM_SYSFS; i++) {
		snprintf(path, sizeof(path), "/sys/class/net/%s/pvnic/%s", ifname, sysfs_params[i]);
		attr_fd[i] = open_or_die(path);
	}
	sock = socket(AF_INET, SOCK_DGRAM, 0);
	if (sock < 0)
		die("socket");

	while (!stop) {
		read_attr(gen_fd, gen_before, sizeof(gen_before));
		coalesce = (struct ethtool_coalesce){ .cmd = ETHTOOL_GCOALESCE };
		ethtool_cmd(sock, ifname, &coalesce);
		ring = (struct ethtool_ringparam){ .cmd = ETHTOOL_GRINGPARAM };
		ethtool_cmd(sock, ifname, &ring);
		pflags = (struct ethtool_value){ .cmd = ETHTOOL_GPFLAGS };
		ethtool_cmd(sock, ifname, &pflags);
		for (i = 0; i < NUM_SYSFS; i++)
			read_attr(attr_fd[i], attrs[i], sizeof(attrs[i]));
		read_attr(gen_fd, gen_after, sizeof(gen_after));
		reads++;
		if (strcmp(gen_before, gen_after)) {
			retried++;
			continue;
		}
		snprintf(values, sizeof(values), "ethtool rx-usecs=%u rx=%u priv-flags=%#x; sysfs %s %s %s [%s]",
			 coalesce.rx_coalesce_usecs, ring.rx_pending, pflags.data, attrs[0], attrs[1],
			 attrs[2], attrs[3]);
		count_snapshot(values);
	}

	printf("{\"reads\":%lu,\"retried\":%lu,\"snapshots\":{", reads, retried);
	for (i = 0; i < num_snapshots; i++)
		printf("%s\"%s\":%lu", i ? "," : "", snapshots[i].values, snapshots[i].count);
	printf("}}\n");
	return 0;
}
