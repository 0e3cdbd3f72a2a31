/* SPDX-License-Identifier: GPL-2.0 */
/* persona.ko internals shared by its files; drivers use <linux/persona.h>. */
#ifndef _PERSONA_CORE_H
#define _PERSONA_CORE_H

#include <linux/atomic.h>
#include <linux/kobject.h>
#include <linux/list.h>
#include <linux/miscdevice.h>
#include <linux/mutex.h>
#include <linux/persona.h>
#include <linux/poll.h>

struct persona_file;

/**
 * struct persona_driver - a registered driver
 * @kobj: reference count, and the driver's directory in sysfs
 * @node: entry in the registry, while registered
 * @id: handle userspace names the driver by; never reused
 * @lock: serialises the driver's get/set calls and guards @dead
 * @dead: unregistered; @desc and @priv must no longer be touched
 * @generation: increases by one with every change of the values
 * @desc: the driver's declaration, valid while !@dead
 * @priv: the driver's cookie for its ops, valid while !@dead
 * @num_params: copy of desc->num_params, readable once @dead
 * @name: copy of desc->name
 * @version: copy of desc->version
 * @num_resources: number of @resources
 * @resources: names of the devices the driver drives
 */
struct persona_driver {
	struct kobject kobj;
	struct list_head node;
	u32 id;
	/* Serialises get/set calls and guards dead. */
	struct mutex lock;
	bool dead;
	atomic64_t generation;
	const struct persona_driver_desc *desc;
	void *priv;
	u32 num_params;
	char name[PERSONA_NAME_LEN];
	char version[PERSONA_NAME_LEN];
	u32 num_resources;
	struct persona_name *resources;
};

/* persona_registry.c */
int persona_registry_init(struct kobject *parent);
void persona_registry_exit(void);
struct persona_driver *persona_driver_get(u32 id);
void persona_driver_put(struct persona_driver *drv);
struct persona_driver_info *persona_registry_snapshot(u32 capacity, u32 *count, u32 *written);

/* persona_sysfs.c */
extern const struct attribute_group *persona_dev_groups[];
extern const struct attribute_group *persona_driver_groups[];

/* persona_param.c */
int persona_param_check(const struct persona_param_desc *p, u64 value);
int persona_describe_params(struct persona_driver *drv, struct persona_param *out, u32 n);

/* persona_apply.c */
int persona_apply(struct persona_driver *drv, const struct persona_value *vals,
		  struct persona_apply *req, const struct persona_file *origin);
int persona_read_values(struct persona_driver *drv, u32 resource, struct persona_value *vals,
			u32 n, u64 *generation);

/* persona_main.c */
extern struct miscdevice persona_misc;

/* persona_events.c */
struct persona_file *persona_events_open(void);
void persona_events_release(struct persona_file *pf);
void persona_events_broadcast(u32 type, u32 driver_id, u64 generation, u64 params,
			      u64 resources, const struct persona_file *origin);
ssize_t persona_events_read(struct persona_file *pf, char __user *buf, size_t count,
			    bool nonblock);
__poll_t persona_events_poll(struct persona_file *pf, struct file *file, poll_table *wait);

/* persona_ioctl.c */
long persona_ioctl(struct file *file, unsigned int cmd, unsigned long arg);

#endif /* _PERSONA_CORE_H */
