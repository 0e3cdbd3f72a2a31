// SPDX-License-Identifier: GPL-2.0
/*
 * ethtool's view of a port's configuration, in ethtool's units:
 *   interrupt_coalescence_time  rx-usecs (ethtool -C), nanoseconds / 1000
 *   DMA_buffer_size             rx-buf-len in bytes, or rx ring entries of
 *                               PVNIC_DESC_BYTES each (ethtool -G)
 *   feature_set                 private flags (ethtool --set-priv-flags)
 * A change made here is drift to persona. Setting the value ethtool already
 * shows changes nothing, even where ethtool's unit is coarser than persona's.
 */
#include <linux/bits.h>
#include <linux/ethtool.h>
#include <linux/math.h>
#include <linux/netlink.h>
#include <linux/string.h>

#include "pvnic.h"

static const char * const pvnic_stat_names[PVNIC_S_COUNT] = {
	[PVNIC_S_RX_PACKETS] = "rx_packets",
	[PVNIC_S_RX_INTERRUPTS] = "rx_interrupts",
	[PVNIC_S_RX_DROPPED] = "rx_dropped",
	[PVNIC_S_RX_LATENCY_NS] = "rx_latency_ns",
	[PVNIC_S_TX_PACKETS] = "tx_packets",
	[PVNIC_S_TX_BYTES] = "tx_bytes",
};

/* The adapter's lock serialises every writer of a port's configuration. */
static struct mutex *pvnic_lock_of(struct pvnic_port *port)
{
	return &port->adapter->lock;
}

static void pvnic_get_drvinfo(struct net_device *dev, struct ethtool_drvinfo *info)
{
	strscpy(info->driver, PVNIC_NAME, sizeof(info->driver));
	strscpy(info->version, PVNIC_VERSION, sizeof(info->version));
}

static int pvnic_get_coalesce(struct net_device *dev, struct ethtool_coalesce *ec,
			      struct kernel_ethtool_coalesce *kec, struct netlink_ext_ack *extack)
{
	struct pvnic_port *port = netdev_priv(dev);

	mutex_lock(pvnic_lock_of(port));
	ec->rx_coalesce_usecs = div_u64(port->cfg.coalesce_ns, NSEC_PER_USEC);
	mutex_unlock(pvnic_lock_of(port));
	return 0;
}

static int pvnic_set_coalesce(struct net_device *dev, struct ethtool_coalesce *ec,
			      struct kernel_ethtool_coalesce *kec, struct netlink_ext_ack *extack)
{
	struct pvnic_port *port = netdev_priv(dev);

	if (ec->rx_coalesce_usecs > PVNIC_COALESCE_MAX_NS / NSEC_PER_USEC) {
		NL_SET_ERR_MSG_MOD(extack, "rx-usecs is at most 100000");
		return -EINVAL;
	}
	mutex_lock(pvnic_lock_of(port));
	if (ec->rx_coalesce_usecs != div_u64(port->cfg.coalesce_ns, NSEC_PER_USEC)) {
		pvnic_config_set(port, PVNIC_P_COALESCE,
				 (u64)ec->rx_coalesce_usecs * NSEC_PER_USEC);
		pvnic_config_changed(port, PVNIC_P_COALESCE);
	}
	mutex_unlock(pvnic_lock_of(port));
	return 0;
}

static void pvnic_get_ringparam(struct net_device *dev, struct ethtool_ringparam *ring,
				struct kernel_ethtool_ringparam *kring,
				struct netlink_ext_ack *extack)
{
	struct pvnic_port *port = netdev_priv(dev);

	mutex_lock(pvnic_lock_of(port));
	ring->rx_max_pending = PVNIC_DMA_MAX / PVNIC_DESC_BYTES;
	ring->rx_pending = DIV_ROUND_UP(port->cfg.dma_bytes, PVNIC_DESC_BYTES);
	kring->rx_buf_len = port->cfg.dma_bytes;
	mutex_unlock(pvnic_lock_of(port));
}

/* The new DMA size from rx-buf-len or rx entries, whichever was changed; 0 when neither. */
static int pvnic_requested_dma(u32 current_bytes, const struct ethtool_ringparam *ring,
			       const struct kernel_ethtool_ringparam *kring,
			       struct netlink_ext_ack *extack, u32 *bytes)
{
	bool by_len = kring->rx_buf_len != current_bytes;
	bool by_entries = ring->rx_pending != DIV_ROUND_UP(current_bytes, PVNIC_DESC_BYTES);

	*bytes = 0;
	if (by_len && by_entries && kring->rx_buf_len != ring->rx_pending * PVNIC_DESC_BYTES) {
		NL_SET_ERR_MSG_MOD(extack, "rx and rx-buf-len disagree: rx-buf-len is rx * 2048");
		return -EINVAL;
	}
	if (by_len)
		*bytes = kring->rx_buf_len;
	else if (by_entries)
		*bytes = ring->rx_pending * PVNIC_DESC_BYTES;
	if (*bytes && (*bytes < PVNIC_DMA_MIN || *bytes > PVNIC_DMA_MAX)) {
		NL_SET_ERR_MSG_MOD(extack, "DMA buffer is 4096..4194304 bytes (rx 2..2048)");
		return -EINVAL;
	}
	return 0;
}

static int pvnic_set_ringparam(struct net_device *dev, struct ethtool_ringparam *ring,
			       struct kernel_ethtool_ringparam *kring,
			       struct netlink_ext_ack *extack)
{
	struct pvnic_port *port = netdev_priv(dev);
	u32 bytes;
	int err;

	mutex_lock(pvnic_lock_of(port));
	err = pvnic_requested_dma(port->cfg.dma_bytes, ring, kring, extack, &bytes);
	if (!err && bytes) {
		pvnic_config_set(port, PVNIC_P_DMA, bytes);
		pvnic_config_changed(port, PVNIC_P_DMA);
	}
	mutex_unlock(pvnic_lock_of(port));
	return err;
}

static u32 pvnic_get_priv_flags(struct net_device *dev)
{
	struct pvnic_port *port = netdev_priv(dev);
	u32 flags;

	mutex_lock(pvnic_lock_of(port));
	flags = port->cfg.features;
	mutex_unlock(pvnic_lock_of(port));
	return flags;
}

static int pvnic_set_priv_flags(struct net_device *dev, u32 flags)
{
	struct pvnic_port *port = netdev_priv(dev);

	if (flags & ~GENMASK(PVNIC_F_COUNT - 1, 0))
		return -EINVAL;
	mutex_lock(pvnic_lock_of(port));
	if (flags != port->cfg.features) {
		pvnic_config_set(port, PVNIC_P_FEATURES, flags);
		pvnic_config_changed(port, PVNIC_P_FEATURES);
	}
	mutex_unlock(pvnic_lock_of(port));
	return 0;
}

static int pvnic_get_sset_count(struct net_device *dev, int sset)
{
	switch (sset) {
	case ETH_SS_STATS:
		return PVNIC_S_COUNT;
	case ETH_SS_PRIV_FLAGS:
		return PVNIC_F_COUNT;
	default:
		return -EOPNOTSUPP;
	}
}

static void pvnic_get_strings(struct net_device *dev, u32 sset, u8 *data)
{
	const char * const *names;
	u32 i, n;

	switch (sset) {
	case ETH_SS_STATS:
		names = pvnic_stat_names;
		n = PVNIC_S_COUNT;
		break;
	case ETH_SS_PRIV_FLAGS:
		names = pvnic_feature_names;
		n = PVNIC_F_COUNT;
		break;
	default:
		return;
	}
	for (i = 0; i < n; i++)
		ethtool_sprintf(&data, "%s", names[i]);
}

static void pvnic_get_ethtool_stats(struct net_device *dev, struct ethtool_stats *stats,
				    u64 *data)
{
	pvnic_traffic_stats(netdev_priv(dev), data);
}

const struct ethtool_ops pvnic_ethtool_ops = {
	.supported_coalesce_params = ETHTOOL_COALESCE_RX_USECS,
	.supported_ring_params = ETHTOOL_RING_USE_RX_BUF_LEN,
	.get_drvinfo = pvnic_get_drvinfo,
	.get_coalesce = pvnic_get_coalesce,
	.set_coalesce = pvnic_set_coalesce,
	.get_ringparam = pvnic_get_ringparam,
	.set_ringparam = pvnic_set_ringparam,
	.get_priv_flags = pvnic_get_priv_flags,
	.set_priv_flags = pvnic_set_priv_flags,
	.get_sset_count = pvnic_get_sset_count,
	.get_strings = pvnic_get_strings,
	.get_ethtool_stats = pvnic_get_ethtool_stats,
};
