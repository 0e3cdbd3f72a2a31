// SPDX-License-Identifier: GPL-2.0
/*
 * persona_vnic.ko: the pvnic adapter, ports pvnic0..N-1 that simulate
 * receive traffic, with ethtool and persona reaching one shared configuration.
 */
#include <linux/etherdevice.h>
#include <linux/math.h>
#include <linux/module.h>
#include <linux/netdevice.h>

#include "pvnic.h"

/* Two by default, as persona's simulated twin has. */
static unsigned int devices = 2;
module_param(devices, uint, 0444);
MODULE_PARM_DESC(devices, "number of ports, 1 to 16 (default 2)");

static struct pvnic_adapter pvnic_adapter = {
	.lock = __MUTEX_INITIALIZER(pvnic_adapter.lock),
};

static int pvnic_open(struct net_device *dev)
{
	struct pvnic_port *port = netdev_priv(dev);

	pvnic_traffic_start(port);
	netif_start_queue(dev);
	return 0;
}

static int pvnic_stop(struct net_device *dev)
{
	struct pvnic_port *port = netdev_priv(dev);

	netif_stop_queue(dev);
	pvnic_traffic_stop(port);
	return 0;
}

static netdev_tx_t pvnic_start_xmit(struct sk_buff *skb, struct net_device *dev)
{
	pvnic_traffic_sent(netdev_priv(dev), skb->len);
	consume_skb(skb);
	return NETDEV_TX_OK;
}

static void pvnic_get_stats64(struct net_device *dev, struct rtnl_link_stats64 *s)
{
	u64 stats[PVNIC_S_COUNT];

	pvnic_traffic_stats(netdev_priv(dev), stats);
	s->rx_packets = stats[PVNIC_S_RX_PACKETS];
	s->rx_dropped = stats[PVNIC_S_RX_DROPPED];
	s->tx_packets = stats[PVNIC_S_TX_PACKETS];
	s->tx_bytes = stats[PVNIC_S_TX_BYTES];
}

static const struct net_device_ops pvnic_netdev_ops = {
	.ndo_open = pvnic_open,
	.ndo_stop = pvnic_stop,
	.ndo_start_xmit = pvnic_start_xmit,
	.ndo_get_stats64 = pvnic_get_stats64,
	.ndo_set_mac_address = eth_mac_addr,
	.ndo_validate_addr = eth_validate_addr,
};

static struct pvnic_port *pvnic_port_create(struct pvnic_adapter *adapter)
{
	struct net_device *dev;
	struct pvnic_port *port;
	int err;

	dev = alloc_netdev(sizeof(*port), "pvnic%d", NET_NAME_ENUM, ether_setup);
	if (!dev)
		return ERR_PTR(-ENOMEM);
	eth_hw_addr_random(dev);
	dev->netdev_ops = &pvnic_netdev_ops;
	dev->ethtool_ops = &pvnic_ethtool_ops;
	dev->sysfs_groups[0] = &pvnic_port_group;
	port = netdev_priv(dev);
	port->netdev = dev;
	port->adapter = adapter;
	port->index = adapter->num_ports;
	port->cfg = pvnic_config_initial;
	err = pvnic_traffic_init(port, DIV_ROUND_UP(port->cfg.dma_bytes, PVNIC_DESC_BYTES));
	if (err)
		goto err_free_netdev;
	pvnic_traffic_configure(port, port->cfg.coalesce_ns, port->cfg.power);
	err = register_netdev(dev);
	if (err)
		goto err_traffic_exit;
	pvnic_debugfs_port_init(port);
	return port;

err_traffic_exit:
	pvnic_traffic_exit(port);
err_free_netdev:
	free_netdev(dev);
	return ERR_PTR(err);
}

static void pvnic_port_destroy(struct pvnic_port *port)
{
	struct net_device *dev = port->netdev;

	pvnic_debugfs_port_exit(port);
	unregister_netdev(dev);
	pvnic_traffic_exit(port);
	free_netdev(dev);
}

static void pvnic_ports_destroy(struct pvnic_adapter *adapter)
{
	while (adapter->num_ports)
		pvnic_port_destroy(adapter->ports[--adapter->num_ports]);
}

static int __init pvnic_init(void)
{
	struct pvnic_adapter *adapter = &pvnic_adapter;
	struct pvnic_port *port;
	int err;

	if (devices < 1 || devices > PVNIC_MAX_PORTS)
		return -EINVAL;
	pvnic_debugfs_init(adapter);
	while (adapter->num_ports < devices) {
		port = pvnic_port_create(adapter);
		if (IS_ERR(port)) {
			err = PTR_ERR(port);
			goto err_destroy_ports;
		}
		adapter->ports[adapter->num_ports++] = port;
	}
	err = pvnic_persona_register(adapter);
	if (err)
		goto err_destroy_ports;
	return 0;

err_destroy_ports:
	pvnic_ports_destroy(adapter);
	pvnic_debugfs_exit(adapter);
	return err;
}

static void __exit pvnic_exit(void)
{
	struct pvnic_adapter *adapter = &pvnic_adapter;

	pvnic_persona_unregister(adapter);
	pvnic_ports_destroy(adapter);
	pvnic_debugfs_exit(adapter);
}

module_init(pvnic_init);
module_exit(pvnic_exit);

MODULE_DESCRIPTION("pvnic: a simulated NIC whose parameters persona switches");
MODULE_LICENSE("GPL");
MODULE_VERSION(PVNIC_VERSION);
MODULE_IMPORT_NS(PERSONA);
