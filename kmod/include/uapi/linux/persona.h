/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * persona: driver personalities switched at run time through /dev/persona.
 *
 * A driver registers with persona.ko, declares its parameters and names its
 * resources: the devices it drives, each with its own values. Userspace
 * lists the drivers, describes their parameters, reads a resource's values
 * and applies a set of values to some resources all-or-nothing: every value
 * is checked before anything is written, the values are written resource by
 * resource in the order given and read back, and on any failure the ones
 * already written are restored in reverse order. Every change of a driver's
 * values, through persona or behind its back (ethtool, for instance),
 * increases the driver's generation by one and queues an event that read(2)
 * on the open file returns.
 *
 * Values are 64-bit unsigned integers: a plain number for integer parameters
 * (nanoseconds, bytes), the index of the member for enums, and a bit mask
 * over the members for sets (bit i is member i).
 *
 * Every structure is padded to a multiple of 8 bytes; reserved fields must be
 * zero on input and are zero on output. A shipped structure never changes:
 * an extension gets a new structure and a new ioctl number.
 */
#ifndef _UAPI_LINUX_PERSONA_H
#define _UAPI_LINUX_PERSONA_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define PERSONA_API_MAJOR	1
#define PERSONA_API_MINOR	0

/* Length of every name, including its terminating NUL. */
#define PERSONA_NAME_LEN	32
/* Most parameters one driver may declare, and most entries in one apply. */
#define PERSONA_MAX_PARAMS	32
/* Most members of one enum or set parameter. */
#define PERSONA_MAX_MEMBERS	16
/* Most resources of one driver: resource masks are 64 bits. */
#define PERSONA_MAX_RESOURCES	64

/* expected_generation of &struct persona_apply that matches any generation. */
#define PERSONA_GENERATION_ANY	(~(__u64)0)
/* error_index of &struct persona_apply when no entry is to blame. */
#define PERSONA_NO_INDEX	(~(__u32)0)

/**
 * enum persona_param_type - how a parameter's value is encoded
 * @PERSONA_PARAM_INTEGER: a number between min and max
 * @PERSONA_PARAM_ENUM: the index of one member
 * @PERSONA_PARAM_SET: a bit mask of members
 */
enum persona_param_type {
	PERSONA_PARAM_INTEGER = 1,
	PERSONA_PARAM_ENUM = 2,
	PERSONA_PARAM_SET = 3,
};

/**
 * enum persona_unit - unit of an integer parameter
 * @PERSONA_UNIT_NONE: a plain number, or not an integer parameter
 * @PERSONA_UNIT_NS: nanoseconds
 * @PERSONA_UNIT_BYTES: bytes
 */
enum persona_unit {
	PERSONA_UNIT_NONE = 0,
	PERSONA_UNIT_NS = 1,
	PERSONA_UNIT_BYTES = 2,
};

/**
 * enum persona_apply_class - what a change costs the device
 * @PERSONA_APPLY_RUNTIME: takes effect at once
 * @PERSONA_APPLY_DISRUPTIVE: restarts the queues; packets may be lost
 * @PERSONA_APPLY_RELOAD: takes effect when the driver is reloaded
 */
enum persona_apply_class {
	PERSONA_APPLY_RUNTIME = 1,
	PERSONA_APPLY_DISRUPTIVE = 2,
	PERSONA_APPLY_RELOAD = 3,
};

/**
 * struct persona_version - PERSONA_IOC_VERSION
 * @major: PERSONA_API_MAJOR of the running module; changes break the ABI
 * @minor: PERSONA_API_MINOR; increases when ioctls or fields are added
 * @max_params: PERSONA_MAX_PARAMS of the running module
 * @max_members: PERSONA_MAX_MEMBERS of the running module
 * @max_resources: PERSONA_MAX_RESOURCES of the running module
 * @reserved0: zero
 * @reserved: zero
 */
struct persona_version {
	__u32 major;
	__u32 minor;
	__u32 max_params;
	__u32 max_members;
	__u32 max_resources;
	__u32 reserved0;
	__u64 reserved[2];
};

/**
 * struct persona_name - a NUL-terminated name, one entry of a name array
 * @name: the name, NUL-padded
 */
struct persona_name {
	char name[PERSONA_NAME_LEN];
};

/**
 * struct persona_driver_info - one registered driver, as PERSONA_IOC_LIST reports it
 * @id: handle for the other ioctls; never reused while persona.ko is loaded
 * @num_params: number of parameters the driver declares
 * @num_resources: number of devices the driver drives
 * @reserved0: zero
 * @generation: increases by one with every change of the driver's values
 * @name: the driver's name ("pvnic")
 * @version: the driver's version ("1.0.0")
 */
struct persona_driver_info {
	__u32 id;
	__u32 num_params;
	__u32 num_resources;
	__u32 reserved0;
	__u64 generation;
	struct persona_name name;
	struct persona_name version;
};

/**
 * struct persona_list - PERSONA_IOC_LIST: the registered drivers
 * @capacity: in: entries @drivers has room for (0 to only count them)
 * @count: out: number of registered drivers; min(@capacity, @count) entries
 *	are written
 * @drivers: in: user pointer to struct persona_driver_info[@capacity]
 * @reserved: zero
 */
struct persona_list {
	__u32 capacity;
	__u32 count;
	__u64 drivers;
	__u64 reserved[2];
};

/**
 * struct persona_param - one parameter, as PERSONA_IOC_DESCRIBE reports it
 * @type: enum persona_param_type
 * @unit: enum persona_unit
 * @apply_class: enum persona_apply_class
 * @num_members: members of an enum or set; 0 for integers
 * @min: smallest value; 0 for enums and sets
 * @max: largest value; num_members - 1 for enums, the mask of all members
 *	for sets
 * @name: the parameter's name ("interrupt_coalescence_time")
 * @members: names of the members of an enum or set, in value order
 */
struct persona_param {
	__u32 type;
	__u32 unit;
	__u32 apply_class;
	__u32 num_members;
	__u64 min;
	__u64 max;
	struct persona_name name;
	struct persona_name members[PERSONA_MAX_MEMBERS];
};

/**
 * struct persona_describe - PERSONA_IOC_DESCRIBE: a driver's parameters and devices
 * @driver_id: in: &struct persona_driver_info.id
 * @num_params: in: entries @params has room for; out: parameters the driver
 *	declares. min(in, out) entries are written, parameter i at index i.
 * @params: in: user pointer to struct persona_param[@num_params]
 * @num_resources: in: entries @resources has room for; out: devices the
 *	driver drives. min(in, out) entries are written, resource i at index i.
 * @reserved0: zero
 * @resources: in: user pointer to struct persona_name[@num_resources]
 * @reserved: zero
 */
struct persona_describe {
	__u32 driver_id;
	__u32 num_params;
	__u64 params;
	__u32 num_resources;
	__u32 reserved0;
	__u64 resources;
	__u64 reserved[2];
};

/**
 * struct persona_value - the value of one parameter
 * @param: index of the parameter in the driver's declaration
 * @reserved: zero
 * @value: the value, encoded as enum persona_param_type says
 */
struct persona_value {
	__u32 param;
	__u32 reserved;
	__u64 value;
};

/**
 * struct persona_read - PERSONA_IOC_READ: the current values of one resource
 * @driver_id: in: &struct persona_driver_info.id
 * @resource: in: index of the resource in the driver's list
 * @num_values: in: entries @values has room for; out: parameters the driver
 *	declares. min(in, out) entries are written, parameter i at index i.
 * @reserved0: zero
 * @values: in: user pointer to struct persona_value[@num_values]
 * @generation: out: the generation the values belong to
 * @reserved: zero
 *
 * Errors: ENXIO for a resource the driver does not have; otherwise as
 * PERSONA_IOC_APPLY.
 */
struct persona_read {
	__u32 driver_id;
	__u32 resource;
	__u32 num_values;
	__u32 reserved0;
	__u64 values;
	__u64 generation;
	__u64 reserved[2];
};

/* &struct persona_apply.status bits. */
/* A driver failed; the values written before it were restored. */
#define PERSONA_APPLY_ROLLED_BACK	(1U << 0)
/* Restoring a value failed too: the driver is in neither state. */
#define PERSONA_APPLY_ROLLBACK_FAILED	(1U << 1)

/**
 * struct persona_apply - PERSONA_IOC_APPLY: set values on resources, all or none
 * @driver_id: in: &struct persona_driver_info.id
 * @num_values: in: entries in @values, at most PERSONA_MAX_PARAMS; each
 *	parameter at most once
 * @values: in: user pointer to struct persona_value[@num_values], applied in
 *	this order
 * @resources: in: bit i selects resource i; at least one, all existing.
 *	Resources are written in ascending order.
 * @expected_generation: in: the generation the values were computed from;
 *	the call fails with ESTALE when the driver has moved on.
 *	PERSONA_GENERATION_ANY skips the check.
 * @generation: out: the driver's generation after the call
 * @changed: out: bit i is set when parameter i changed on any resource
 * @error_index: out: index in @values of the entry that was refused or that
 *	the driver failed to set, or PERSONA_NO_INDEX
 * @error_resource: out: the resource the driver failed on, or
 *	PERSONA_NO_INDEX
 * @status: out: PERSONA_APPLY_* bits
 * @reserved0: zero
 * @reserved: zero
 *
 * The fd must be open for writing. Errors: EINVAL (a reserved field, no
 * resource, an unknown or repeated parameter), ENXIO (a resource the driver
 * does not have), ERANGE (a value outside the parameter's limits), E2BIG
 * (too many entries), ENOENT (no such driver), ENODEV (the driver went
 * away), ESTALE (generation), EFAULT, or the driver's own error after
 * rollback. The structure is copied back on failure too, for @error_index,
 * @error_resource and @status.
 */
struct persona_apply {
	__u32 driver_id;
	__u32 num_values;
	__u64 values;
	__u64 resources;
	__u64 expected_generation;
	__u64 generation;
	__u64 changed;
	__u32 error_index;
	__u32 error_resource;
	__u32 status;
	__u32 reserved0;
	__u64 reserved[2];
};

/**
 * enum persona_event_type - what &struct persona_event reports
 * @PERSONA_EVENT_APPLIED: values changed through PERSONA_IOC_APPLY
 * @PERSONA_EVENT_DRIFT: values changed behind persona's back (ethtool, a
 *	failed rollback)
 * @PERSONA_EVENT_DRIVER_ADDED: a driver registered
 * @PERSONA_EVENT_DRIVER_REMOVED: a driver went away
 * @PERSONA_EVENT_OVERFLOW: events were lost because the reader was too slow;
 *	read everything again
 */
enum persona_event_type {
	PERSONA_EVENT_APPLIED = 1,
	PERSONA_EVENT_DRIFT = 2,
	PERSONA_EVENT_DRIVER_ADDED = 3,
	PERSONA_EVENT_DRIVER_REMOVED = 4,
	PERSONA_EVENT_OVERFLOW = 5,
};

/* &struct persona_event.flags bits. */
/* The change was applied through this open file. */
#define PERSONA_EVENT_F_OWN	(1U << 0)

/**
 * struct persona_event - one record returned by read(2) on /dev/persona
 * @type: enum persona_event_type
 * @driver_id: the driver concerned; 0 for PERSONA_EVENT_OVERFLOW
 * @generation: the driver's generation after the change
 * @params: bit i is set when parameter i changed
 * @resources: bit i is set when resource i changed
 * @timestamp_ns: CLOCK_MONOTONIC time of the change
 * @flags: PERSONA_EVENT_F_* bits
 * @reserved: zero
 *
 * read(2) returns whole records only, and fails with EINVAL when the buffer
 * cannot hold one. poll(2) reports EPOLLIN while records are queued.
 */
struct persona_event {
	__u32 type;
	__u32 driver_id;
	__u64 generation;
	__u64 params;
	__u64 resources;
	__u64 timestamp_ns;
	__u32 flags;
	__u32 reserved;
};

#define PERSONA_IOC_MAGIC	0xB9

#define PERSONA_IOC_VERSION	_IOR(PERSONA_IOC_MAGIC, 0x00, struct persona_version)
#define PERSONA_IOC_LIST	_IOWR(PERSONA_IOC_MAGIC, 0x01, struct persona_list)
#define PERSONA_IOC_DESCRIBE	_IOWR(PERSONA_IOC_MAGIC, 0x02, struct persona_describe)
#define PERSONA_IOC_READ	_IOWR(PERSONA_IOC_MAGIC, 0x03, struct persona_read)
#define PERSONA_IOC_APPLY	_IOWR(PERSONA_IOC_MAGIC, 0x04, struct persona_apply)

#endif /* _UAPI_LINUX_PERSONA_H */
