// SPDX-License-Identifier: GPL-2.0
/*
 * Simulated receive traffic. While a port is up, a timer delivers the port's
 * rate (PVNIC_RX_RATE_DEFAULT packets per second unless debugfs rx_rate_pps
 * says otherwise) every millisecond, spread evenly over the tick, into the
 * receive ring; a full ring drops them. A rate that is not a whole number of
 * packets per tick carries the fraction over to the next tick. An interrupt
 * is raised once the oldest pending packet has waited the coalescing time (at
 * once when it is 0): it takes every pending packet and adds each one's wait,
 * plus the power mode's wake-up latency, to the latency counter. So a longer
 * coalescing time means fewer interrupts, more latency and, with a small
 * ring, drops.
 */
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/slab.h>

#include "pvnic.h"

#define PVNIC_TICK_NS		NSEC_PER_MSEC
#define PVNIC_TICKS_PER_SEC	MSEC_PER_SEC

/* Wake-up latency of an interrupt in each power mode. */
static const u64 pvnic_wake_ns[PVNIC_POWER_COUNT] = {
	[PVNIC_POWER_DISABLED] = 0,
	[PVNIC_POWER_BALANCED] = 20 * NSEC_PER_USEC,
	[PVNIC_POWER_AGGRESSIVE] = 200 * NSEC_PER_USEC,
};

static void pvnic_traffic_receive(struct pvnic_port *port, u64 now)
{
	u32 i, n;

	port->rx_credit += port->rx_rate_pps;
	n = port->rx_credit / PVNIC_TICKS_PER_SEC;
	port->rx_credit %= PVNIC_TICKS_PER_SEC;
	for (i = 0; i < n; i++) {
		if (port->pending == port->entries) {
			port->stats[PVNIC_S_RX_DROPPED]++;
			continue;
		}
		port->ring[(port->tail + port->pending) % port->entries] =
			now - (u64)(n - 1 - i) * (PVNIC_TICK_NS / n);
		port->pending++;
	}
}

static void pvnic_traffic_interrupt(struct pvnic_port *port, u64 now)
{
	if (!port->pending || now - port->ring[port->tail] < port->coalesce_ns)
		return;
	port->stats[PVNIC_S_RX_INTERRUPTS]++;
	port->stats[PVNIC_S_RX_PACKETS] += port->pending;
	for (; port->pending; port->pending--) {
		port->stats[PVNIC_S_RX_LATENCY_NS] += now - port->ring[port->tail] + port->wake_ns;
		port->tail = (port->tail + 1) % port->entries;
	}
}

static enum hrtimer_restart pvnic_traffic_tick(struct hrtimer *timer)
{
	struct pvnic_port *port = container_of(timer, struct pvnic_port, timer);
	u64 now = ktime_get_ns();

	spin_lock(&port->lock);
	pvnic_traffic_receive(port, now);
	pvnic_traffic_interrupt(port, now);
	spin_unlock(&port->lock);
	hrtimer_forward_now(timer, ns_to_ktime(PVNIC_TICK_NS));
	return HRTIMER_RESTART;
}

/* The ring is allocated at its largest, so a resize never fails half way through the ports. */
int pvnic_traffic_init(struct pvnic_port *port, u32 entries)
{
	spin_lock_init(&port->lock);
	hrtimer_init(&port->timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_SOFT);
	port->timer.function = pvnic_traffic_tick;
	port->ring = kvcalloc(PVNIC_DMA_MAX / PVNIC_DESC_BYTES, sizeof(*port->ring), GFP_KERNEL);
	if (!port->ring)
		return -ENOMEM;
	port->entries = entries;
	port->rx_rate_pps = PVNIC_RX_RATE_DEFAULT;
	return 0;
}

void pvnic_traffic_exit(struct pvnic_port *port)
{
	kvfree(port->ring);
}

void pvnic_traffic_start(struct pvnic_port *port)
{
	hrtimer_start(&port->timer, ns_to_ktime(PVNIC_TICK_NS), HRTIMER_MODE_REL_SOFT);
}

void pvnic_traffic_stop(struct pvnic_port *port)
{
	hrtimer_cancel(&port->timer);
}

void pvnic_traffic_configure(struct pvnic_port *port, u64 coalesce_ns, u32 power)
{
	spin_lock_bh(&port->lock);
	port->coalesce_ns = coalesce_ns;
	port->wake_ns = pvnic_wake_ns[power];
	spin_unlock_bh(&port->lock);
}

/* The queue restarts with the new number of entries: packets still pending are lost. */
void pvnic_traffic_resize(struct pvnic_port *port, u32 entries)
{
	spin_lock_bh(&port->lock);
	port->stats[PVNIC_S_RX_DROPPED] += port->pending;
	port->pending = 0;
	port->tail = 0;
	port->entries = entries;
	spin_unlock_bh(&port->lock);
}

void pvnic_traffic_stats(struct pvnic_port *port, u64 *stats)
{
	spin_lock_bh(&port->lock);
	memcpy(stats, port->stats, sizeof(port->stats));
	spin_unlock_bh(&port->lock);
}

/* Transmitted frames go nowhere; they are only counted. */
void pvnic_traffic_sent(struct pvnic_port *port, unsigned int bytes)
{
	spin_lock(&port->lock);
	port->stats[PVNIC_S_TX_PACKETS]++;
	port->stats[PVNIC_S_TX_BYTES] += bytes;
	spin_unlock(&port->lock);
}

u32 pvnic_traffic_rate(struct pvnic_port *port)
{
	u32 pps;

	spin_lock_bh(&port->lock);
	pps = port->rx_rate_pps;
	spin_unlock_bh(&port->lock);
	return pps;
}

/* The bound keeps one tick's work in softirq small: at most 1,000 packets. */
int pvnic_traffic_set_rate(struct pvnic_port *port, u64 pps)
{
	if (pps > PVNIC_RX_RATE_MAX)
		return -EINVAL;
	spin_lock_bh(&port->lock);
	port->rx_rate_pps = pps;
	port->rx_credit = 0;
	spin_unlock_bh(&port->lock);
	return 0;
}
