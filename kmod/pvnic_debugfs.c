// SPDX-License-Identifier: GPL-2.0
/*
 * Fault injection, netdevsim style: /sys/kernel/debug/pvnic/
 *   fail_set_at     writing k makes the k-th persona write from now fail
 *                   with -EIO (0 disarms); reads 0 again once they have
 *   fail_set_times  how many writes in a row fail from there (default 1);
 *                   2 or more also fails persona's rollback
 *   silent_get_at   writing k makes the k-th persona read of a value from now
 *                   succeed without writing the value, as a careless driver
 *                   would (0 disarms); reads 0 again once it has
 *   <port>/rx_rate_pps  packets per second the port receives while up,
 *                   0 to 1000000 (default 8000), for workloads that vary the
 *                   load; <port> is the port's name at load (pvnic0, ...)
 */
#include <linux/debugfs.h>

#include "pvnic.h"

static int pvnic_fail_set_at_get(void *data, u64 *val)
{
	struct pvnic_adapter *adapter = data;

	mutex_lock(&adapter->lock);
	*val = adapter->faults.fail_at;
	mutex_unlock(&adapter->lock);
	return 0;
}

static int pvnic_fail_set_at_set(void *data, u64 val)
{
	struct pvnic_adapter *adapter = data;

	if (val > U32_MAX)
		return -EINVAL;
	mutex_lock(&adapter->lock);
	adapter->faults.fail_at = val;
	adapter->faults.writes = 0;
	mutex_unlock(&adapter->lock);
	return 0;
}

DEFINE_DEBUGFS_ATTRIBUTE(pvnic_fail_set_at_fops, pvnic_fail_set_at_get, pvnic_fail_set_at_set,
			 "%llu\n");

/* With adapter->lock held, for each persona write: -EIO when it is one chosen to fail. */
int pvnic_fault_check(struct pvnic_adapter *adapter)
{
	struct pvnic_faults *f = &adapter->faults;
	u32 n;

	if (!f->fail_at)
		return 0;
	n = ++f->writes;
	if (n < f->fail_at)
		return 0;
	if (n - f->fail_at < READ_ONCE(f->fail_times))
		return -EIO;
	f->fail_at = 0;
	return 0;
}

static int pvnic_silent_get_at_get(void *data, u64 *val)
{
	struct pvnic_adapter *adapter = data;

	mutex_lock(&adapter->lock);
	*val = adapter->faults.silent_get_at;
	mutex_unlock(&adapter->lock);
	return 0;
}

static int pvnic_silent_get_at_set(void *data, u64 val)
{
	struct pvnic_adapter *adapter = data;

	if (val > U32_MAX)
		return -EINVAL;
	mutex_lock(&adapter->lock);
	adapter->faults.silent_get_at = val;
	adapter->faults.gets = 0;
	mutex_unlock(&adapter->lock);
	return 0;
}

DEFINE_DEBUGFS_ATTRIBUTE(pvnic_silent_get_at_fops, pvnic_silent_get_at_get,
			 pvnic_silent_get_at_set, "%llu\n");

/* With adapter->lock held, for each persona read: true when it is the one chosen to write nothing. */
bool pvnic_fault_silent_get(struct pvnic_adapter *adapter)
{
	struct pvnic_faults *f = &adapter->faults;

	if (!f->silent_get_at || ++f->gets < f->silent_get_at)
		return false;
	f->silent_get_at = 0;
	return true;
}

static int pvnic_rx_rate_pps_get(void *data, u64 *val)
{
	*val = pvnic_traffic_rate(data);
	return 0;
}

static int pvnic_rx_rate_pps_set(void *data, u64 val)
{
	return pvnic_traffic_set_rate(data, val);
}

DEFINE_DEBUGFS_ATTRIBUTE(pvnic_rx_rate_pps_fops, pvnic_rx_rate_pps_get, pvnic_rx_rate_pps_set,
			 "%llu\n");

void pvnic_debugfs_init(struct pvnic_adapter *adapter)
{
	adapter->faults.fail_times = 1;
	adapter->debugfs = debugfs_create_dir(PVNIC_NAME, NULL);
	debugfs_create_file_unsafe("fail_set_at", 0600, adapter->debugfs, adapter,
				   &pvnic_fail_set_at_fops);
	debugfs_create_u32("fail_set_times", 0600, adapter->debugfs, &adapter->faults.fail_times);
	debugfs_create_file_unsafe("silent_get_at", 0600, adapter->debugfs, adapter,
				   &pvnic_silent_get_at_fops);
}

void pvnic_debugfs_exit(struct pvnic_adapter *adapter)
{
	debugfs_remove_recursive(adapter->debugfs);
}

/* After register_netdev(), which gives the port its name. */
void pvnic_debugfs_port_init(struct pvnic_port *port)
{
	port->debugfs = debugfs_create_dir(netdev_name(port->netdev), port->adapter->debugfs);
	debugfs_create_file_unsafe("rx_rate_pps", 0600, port->debugfs, port,
				   &pvnic_rx_rate_pps_fops);
}

/* Before the port is freed: its files point at it. */
void pvnic_debugfs_port_exit(struct pvnic_port *port)
{
	debugfs_remove_recursive(port->debugfs);
}
