/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pvnic: a simulated NIC whose parameters persona switches. One adapter
 * drives ports pvnic0..N-1 (module parameter "devices"), each with its own
 * configuration, which persona and ethtool both change; ethtool's changes
 * are reported to persona as drift of that port.
 */
#ifndef _PVNIC_H
#define _PVNIC_H

#include <linux/hrtimer.h>
#include <linux/mutex.h>
#include <linux/netdevice.h>
#include <linux/spinlock.h>
#include <linux/time64.h>

#define PVNIC_NAME		"pvnic"
#define PVNIC_VERSION		"1.0.0"
#define PVNIC_MAX_PORTS		16

/* Bytes of DMA buffer behind one receive descriptor: ethtool counts descriptors. */
#define PVNIC_DESC_BYTES	2048
#define PVNIC_DMA_MIN		4096
#define PVNIC_DMA_MAX		4194304
#define PVNIC_COALESCE_MAX_NS	(100 * NSEC_PER_MSEC)
/* Simulated receive rate: 8 packets per millisecond at load, at most 1,000 per tick. */
#define PVNIC_RX_RATE_DEFAULT	8000
#define PVNIC_RX_RATE_MAX	1000000

/* The parameters, in persona's index order. */
enum pvnic_param {
	PVNIC_P_COALESCE,
	PVNIC_P_DMA,
	PVNIC_P_POWER,
	PVNIC_P_FEATURES,
	PVNIC_P_COUNT,
};

enum pvnic_power {
	PVNIC_POWER_DISABLED,
	PVNIC_POWER_BALANCED,
	PVNIC_POWER_AGGRESSIVE,
	PVNIC_POWER_COUNT,
};

/* Offloads, in persona's member order, also ethtool's private flags. */
enum pvnic_feature {
	PVNIC_F_GRO,
	PVNIC_F_LRO,
	PVNIC_F_RX_CHECKSUM,
	PVNIC_F_SG,
	PVNIC_F_TSO,
	PVNIC_F_TX_CHECKSUM,
	PVNIC_F_COUNT,
};

extern const char * const pvnic_power_names[PVNIC_POWER_COUNT];
extern const char * const pvnic_feature_names[PVNIC_F_COUNT];

/* Counters of the simulated receive path, as ethtool -S shows them. */
enum pvnic_stat {
	PVNIC_S_RX_PACKETS,
	PVNIC_S_RX_INTERRUPTS,
	PVNIC_S_RX_DROPPED,
	PVNIC_S_RX_LATENCY_NS,
	PVNIC_S_TX_PACKETS,
	PVNIC_S_TX_BYTES,
	PVNIC_S_COUNT,
};

struct pvnic_config {
	u64 coalesce_ns;
	u32 dma_bytes;
	u32 power;
	u32 features;
};

struct pvnic_adapter;

/**
 * struct pvnic_port - one network device of the adapter
 * @netdev: its net_device, whose private area this is
 * @adapter: the adapter it belongs to
 * @index: its position among the adapter's ports, and persona's resource index
 * @cfg: its configuration; written under adapter->lock with WRITE_ONCE()
 * @timer: the simulated traffic, one tick per millisecond while up
 * @lock: guards everything below; taken in softirq by @timer
 * @ring: arrival times of received packets not yet signalled by an interrupt
 * @entries: entries of @ring in use, from the DMA buffer size
 * @tail: oldest pending entry
 * @pending: entries waiting for an interrupt
 * @coalesce_ns: copy of the adapter's coalescing time for the tick
 * @wake_ns: interrupt wake-up latency of the adapter's power mode
 * @rx_rate_pps: packets the timer delivers per second (debugfs rx_rate_pps)
 * @rx_credit: packets times 1000 owed by the rate but not yet delivered
 * @stats: counters indexed by enum pvnic_stat
 * @debugfs: its debugfs directory, /sys/kernel/debug/pvnic/<its name at load>
 */
struct pvnic_port {
	struct net_device *netdev;
	struct pvnic_adapter *adapter;
	u32 index;
	struct pvnic_config cfg;
	struct hrtimer timer;
	/* Guards the ring, the counters and the tick's copy of the configuration. */
	spinlock_t lock;
	u64 *ring;
	u32 entries;
	u32 tail;
	u32 pending;
	u64 coalesce_ns;
	u64 wake_ns;
	u32 rx_rate_pps;
	u32 rx_credit;
	u64 stats[PVNIC_S_COUNT];
	struct dentry *debugfs;
};

/**
 * struct pvnic_faults - fault injection through debugfs
 * @fail_at: the fail_at-th persona write from arming fails with -EIO; 0 is off
 * @fail_times: how many writes in a row fail from there
 * @writes: persona writes since arming
 * @silent_get_at: the silent_get_at-th persona read from arming succeeds
 *	without writing the value; 0 is off
 * @gets: persona reads since arming
 */
struct pvnic_faults {
	u32 fail_at;
	u32 fail_times;
	u32 writes;
	u32 silent_get_at;
	u32 gets;
};

/**
 * struct pvnic_adapter - the simulated adapter
 * @lock: serialises writers of the ports' configurations (readers use
 *	READ_ONCE()); guards @faults and @persona
 * @num_ports: number of @ports
 * @ports: the ports
 * @persona: the persona registration, NULL while not registered
 * @faults: injected failures of persona writes
 * @debugfs: the adapter's debugfs directory
 */
struct pvnic_adapter {
	/*
	 * Serialises configuration writers, and readers that must see a whole
	 * persona apply (ethtool, sysfs): persona holds it across an apply.
	 * Guards faults and persona.
	 */
	struct mutex lock;
	u32 num_ports;
	struct pvnic_port *ports[PVNIC_MAX_PORTS];
	struct persona_driver *persona;
	struct pvnic_faults faults;
	struct dentry *debugfs;
};

/* pvnic_config.c: setters with adapter->lock held; the getter without. */
extern const struct pvnic_config pvnic_config_initial;
u64 pvnic_config_get(struct pvnic_port *port, enum pvnic_param param);
void pvnic_config_set(struct pvnic_port *port, enum pvnic_param param, u64 value);
void pvnic_config_changed(struct pvnic_port *port, enum pvnic_param param);

/* pvnic_sysfs.c */
extern const struct attribute_group pvnic_port_group;

/* pvnic_traffic.c */
int pvnic_traffic_init(struct pvnic_port *port, u32 entries);
void pvnic_traffic_start(struct pvnic_port *port);
void pvnic_traffic_stop(struct pvnic_port *port);
void pvnic_traffic_exit(struct pvnic_port *port);
void pvnic_traffic_configure(struct pvnic_port *port, u64 coalesce_ns, u32 power);
void pvnic_traffic_resize(struct pvnic_port *port, u32 entries);
void pvnic_traffic_stats(struct pvnic_port *port, u64 *stats);
void pvnic_traffic_sent(struct pvnic_port *port, unsigned int bytes);
u32 pvnic_traffic_rate(struct pvnic_port *port);
int pvnic_traffic_set_rate(struct pvnic_port *port, u64 pps);

/* pvnic_ethtool.c */
extern const struct ethtool_ops pvnic_ethtool_ops;

/* pvnic_persona.c */
int pvnic_persona_register(struct pvnic_adapter *adapter);
void pvnic_persona_unregister(struct pvnic_adapter *adapter);

/* pvnic_debugfs.c */
void pvnic_debugfs_init(struct pvnic_adapter *adapter);
void pvnic_debugfs_exit(struct pvnic_adapter *adapter);
void pvnic_debugfs_port_init(struct pvnic_port *port);
void pvnic_debugfs_port_exit(struct pvnic_port *port);
int pvnic_fault_check(struct pvnic_adapter *adapter);
bool pvnic_fault_silent_get(struct pvnic_adapter *adapter);

#endif /* _PVNIC_H */
