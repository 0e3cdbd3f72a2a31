/* SPDX-License-Identifier: GPL-2.0 */
/*
 * persona: the API for drivers that expose parameters through /dev/persona.
 * The symbols live in the PERSONA namespace: MODULE_IMPORT_NS(PERSONA).
 */
#ifndef _LINUX_PERSONA_H
#define _LINUX_PERSONA_H

#include <linux/types.h>
#include <uapi/linux/persona.h>

struct persona_driver;

/**
 * struct persona_param_desc - one parameter a driver declares
 * @name: the parameter's name
 * @type: enum persona_param_type
 * @unit: enum persona_unit
 * @apply_class: enum persona_apply_class
 * @min: smallest value of an integer parameter
 * @max: largest value of an integer parameter
 * @members: names of the members of an enum or set, in value order
 * @num_members: number of @members, at most PERSONA_MAX_MEMBERS
 *
 * persona checks every value against this declaration before the driver
 * sees it: integers against @min and @max, enums against @num_members, sets
 * against the mask of their members.
 */
struct persona_param_desc {
	const char *name;
	u32 type;
	u32 unit;
	u32 apply_class;
	u64 min;
	u64 max;
	const char * const *members;
	u32 num_members;
};

/**
 * struct persona_driver_ops - how persona reaches the driver's values
 * @get: reads parameter @param of resource @resource into @value, which
 *	persona sets to 0 before the call
 * @set: writes a value already checked against the declaration to one
 *	resource; a failure makes persona restore what it already wrote
 * @lock: optional; taken before the first @get of an apply or a read and
 *	released by @unlock after the last @set or @get. A driver whose own
 *	interfaces (ethtool, sysfs) read under the same lock shows them all of
 *	an apply or none of it, never a mix of two personalities.
 * @unlock: releases what @lock took
 *
 * All are called in process context, one at a time per driver, and may
 * sleep. They must not call back into persona except persona_notify_drift().
 */
struct persona_driver_ops {
	int (*get)(void *priv, u32 resource, u32 param, u64 *value);
	int (*set)(void *priv, u32 resource, u32 param, u64 value);
	void (*lock)(void *priv);
	void (*unlock)(void *priv);
};

/**
 * struct persona_driver_desc - what a driver registers
 * @name: unique driver name, shorter than PERSONA_NAME_LEN
 * @version: driver version, shorter than PERSONA_NAME_LEN
 * @params: the parameters, at most PERSONA_MAX_PARAMS
 * @num_params: number of @params
 * @ops: the driver's accessors
 */
struct persona_driver_desc {
	const char *name;
	const char *version;
	const struct persona_param_desc *params;
	u32 num_params;
	const struct persona_driver_ops *ops;
};

struct persona_driver *persona_register_driver(const struct persona_driver_desc *desc,
					       const char * const *resources,
					       u32 num_resources, void *priv);
void persona_unregister_driver(struct persona_driver *drv);
void persona_notify_drift(struct persona_driver *drv, u32 resource, u64 params);

#endif /* _LINUX_PERSONA_H */
