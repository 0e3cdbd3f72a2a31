// SPDX-License-Identifier: GPL-2.0
/*
 * Read-only sysfs attributes: /sys/class/misc/persona/api_version, and per
 * driver /sys/class/misc/persona/drivers/<name>/{id,version,generation,resources}.
 */
#include <linux/device.h>
#include <linux/kobject.h>
#include <linux/sysfs.h>

#include "persona_core.h"

static ssize_t api_version_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u.%u\n", PERSONA_API_MAJOR, PERSONA_API_MINOR);
}

static DEVICE_ATTR_RO(api_version);

static struct attribute *persona_dev_attrs[] = {
	&dev_attr_api_version.attr,
	NULL,
};

static const struct attribute_group persona_dev_group = {
	.attrs = persona_dev_attrs,
};

const struct attribute_group *persona_dev_groups[] = {
	&persona_dev_group,
	NULL,
};

static struct persona_driver *to_persona_driver(struct kobject *kobj)
{
	return container_of(kobj, struct persona_driver, kobj);
}

static ssize_t id_show(struct kobject *kobj, struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", to_persona_driver(kobj)->id);
}

static struct kobj_attribute id_attr = __ATTR_RO(id);

static ssize_t version_show(struct kobject *kobj, struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n", to_persona_driver(kobj)->version);
}

static struct kobj_attribute version_attr = __ATTR_RO(version);

static ssize_t generation_show(struct kobject *kobj, struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n", atomic64_read(&to_persona_driver(kobj)->generation));
}

static struct kobj_attribute generation_attr = __ATTR_RO(generation);

/* One device name per line. */
static ssize_t resources_show(struct kobject *kobj, struct kobj_attribute *attr, char *buf)
{
	struct persona_driver *drv = to_persona_driver(kobj);
	int len = 0;
	u32 i;

	for (i = 0; i < drv->num_resources; i++)
		len += sysfs_emit_at(buf, len, "%s\n", drv->resources[i].name);
	return len;
}

static struct kobj_attribute resources_attr = __ATTR_RO(resources);

static struct attribute *persona_driver_attrs[] = {
	&id_attr.attr,
	&version_attr.attr,
	&generation_attr.attr,
	&resources_attr.attr,
	NULL,
};

static const struct attribute_group persona_driver_group = {
	.attrs = persona_driver_attrs,
};

const struct attribute_group *persona_driver_groups[] = {
	&persona_driver_group,
	NULL,
};
