// SPDX-License-Identifier: GPL-2.0
/*
 * A port's persona parameters in sysfs, read-only, in persona's names and
 * units: /sys/class/net/pvnicN/pvnic/{interrupt_coalescence_time,
 * DMA_buffer_size,power_saving_mode,feature_set}. Read under adapter->lock,
 * as ethtool reads, so a persona apply is seen whole or not at all.
 */
#include <linux/bits.h>
#include <linux/device.h>
#include <linux/netdevice.h>
#include <linux/sysfs.h>

#include "pvnic.h"

static u64 pvnic_sysfs_value(struct device *dev, enum pvnic_param param)
{
	struct pvnic_port *port = netdev_priv(to_net_dev(dev));
	u64 value;

	mutex_lock(&port->adapter->lock);
	value = pvnic_config_get(port, param);
	mutex_unlock(&port->adapter->lock);
	return value;
}

static ssize_t interrupt_coalescence_time_show(struct device *dev, struct device_attribute *attr,
					       char *buf)
{
	return sysfs_emit(buf, "%llu\n", pvnic_sysfs_value(dev, PVNIC_P_COALESCE));
}
static DEVICE_ATTR_RO(interrupt_coalescence_time);

static ssize_t DMA_buffer_size_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n", pvnic_sysfs_value(dev, PVNIC_P_DMA));
}
static DEVICE_ATTR_RO(DMA_buffer_size);

static ssize_t power_saving_mode_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n", pvnic_power_names[pvnic_sysfs_value(dev, PVNIC_P_POWER)]);
}
static DEVICE_ATTR_RO(power_saving_mode);

/* The members in persona's order, space-separated; an empty set is an empty line. */
static ssize_t feature_set_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	u64 features = pvnic_sysfs_value(dev, PVNIC_P_FEATURES);
	ssize_t len = 0;
	int f;

	for (f = 0; f < PVNIC_F_COUNT; f++)
		if (features & BIT_ULL(f))
			len += sysfs_emit_at(buf, len, "%s%s", len ? " " : "", pvnic_feature_names[f]);
	return len + sysfs_emit_at(buf, len, "\n");
}
static DEVICE_ATTR_RO(feature_set);

static struct attribute *pvnic_port_attrs[] = {
	&dev_attr_interrupt_coalescence_time.attr,
	&dev_attr_DMA_buffer_size.attr,
	&dev_attr_power_saving_mode.attr,
	&dev_attr_feature_set.attr,
	NULL,
};

const struct attribute_group pvnic_port_group = {
	.name = PVNIC_NAME,
	.attrs = pvnic_port_attrs,
};
