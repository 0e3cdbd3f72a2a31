// SPDX-License-Identifier: GPL-2.0
/*
 * The ioctls of /dev/persona: copy the request in, check every reserved
 * field, do the work, copy the answer out. The command number encodes the
 * structure's size, so a size this module does not know is an unknown
 * command: -ENOTTY.
 */
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "persona_core.h"

static int persona_ioc_version(void __user *argp)
{
	const struct persona_version version = {
		.major = PERSONA_API_MAJOR,
		.minor = PERSONA_API_MINOR,
		.max_params = PERSONA_MAX_PARAMS,
		.max_members = PERSONA_MAX_MEMBERS,
		.max_resources = PERSONA_MAX_RESOURCES,
	};

	return copy_to_user(argp, &version, sizeof(version)) ? -EFAULT : 0;
}

static int persona_ioc_list(void __user *argp)
{
	struct persona_driver_info *infos;
	struct persona_list req;
	u32 written;
	int err = 0;

	if (copy_from_user(&req, argp, sizeof(req)))
		return -EFAULT;
	if (memchr_inv(req.reserved, 0, sizeof(req.reserved)))
		return -EINVAL;
	infos = persona_registry_snapshot(req.capacity, &req.count, &written);
	if (IS_ERR(infos))
		return PTR_ERR(infos);
	if (copy_to_user(u64_to_user_ptr(req.drivers), infos, written * sizeof(*infos)) ||
	    copy_to_user(argp, &req, sizeof(req)))
		err = -EFAULT;
	kfree(infos);
	return err;
}

static int persona_ioc_describe(void __user *argp)
{
	struct persona_param *params = NULL;
	struct persona_describe req;
	struct persona_driver *drv;
	u32 n;
	int err;

	if (copy_from_user(&req, argp, sizeof(req)))
		return -EFAULT;
	if (req.reserved0 || memchr_inv(req.reserved, 0, sizeof(req.reserved)))
		return -EINVAL;
	drv = persona_driver_get(req.driver_id);
	if (!drv)
		return -ENOENT;
	n = min(req.num_params, drv->num_params);
	params = kcalloc(n, sizeof(*params), GFP_KERNEL);
	if (!params) {
		err = -ENOMEM;
		goto out;
	}
	err = persona_describe_params(drv, params, n);
	if (err)
		goto out;
	req.num_params = drv->num_params;
	if (copy_to_user(u64_to_user_ptr(req.params), params, n * sizeof(*params)))
		err = -EFAULT;
	n = min(req.num_resources, drv->num_resources);
	req.num_resources = drv->num_resources;
	if (!err && (copy_to_user(u64_to_user_ptr(req.resources), drv->resources,
				  n * sizeof(*drv->resources)) ||
		     copy_to_user(argp, &req, sizeof(req))))
		err = -EFAULT;
out:
	kfree(params);
	persona_driver_put(drv);
	return err;
}

static int persona_ioc_read(void __user *argp)
{
	struct persona_value vals[PERSONA_MAX_PARAMS];
	struct persona_driver *drv;
	struct persona_read req;
	u32 n;
	int err;

	if (copy_from_user(&req, argp, sizeof(req)))
		return -EFAULT;
	if (req.reserved0 || memchr_inv(req.reserved, 0, sizeof(req.reserved)))
		return -EINVAL;
	drv = persona_driver_get(req.driver_id);
	if (!drv)
		return -ENOENT;
	n = min(req.num_values, drv->num_params);
	err = persona_read_values(drv, req.resource, vals, n, &req.generation);
	req.num_values = drv->num_params;
	persona_driver_put(drv);
	if (err)
		return err;
	if (copy_to_user(u64_to_user_ptr(req.values), vals, n * sizeof(vals[0])) ||
	    copy_to_user(argp, &req, sizeof(req)))
		return -EFAULT;
	return 0;
}

/* Once the request is in, every outcome is copied back: error_index and status explain failures. */
static int persona_ioc_apply(struct file *file, void __user *argp)
{
	struct persona_value vals[PERSONA_MAX_PARAMS];
	struct persona_driver *drv;
	struct persona_apply req;
	int err;

	if (!(file->f_mode & FMODE_WRITE))
		return -EBADF;
	if (copy_from_user(&req, argp, sizeof(req)))
		return -EFAULT;
	req.generation = 0;
	req.changed = 0;
	req.error_index = PERSONA_NO_INDEX;
	req.error_resource = PERSONA_NO_INDEX;
	req.status = 0;
	if (req.reserved0 || memchr_inv(req.reserved, 0, sizeof(req.reserved))) {
		err = -EINVAL;
		goto out;
	}
	if (req.num_values > PERSONA_MAX_PARAMS) {
		err = -E2BIG;
		goto out;
	}
	if (copy_from_user(vals, u64_to_user_ptr(req.values), req.num_values * sizeof(vals[0]))) {
		err = -EFAULT;
		goto out;
	}
	drv = persona_driver_get(req.driver_id);
	if (!drv) {
		err = -ENOENT;
		goto out;
	}
	err = persona_apply(drv, vals, &req, file->private_data);
	persona_driver_put(drv);
out:
	if (copy_to_user(argp, &req, sizeof(req)))
		return -EFAULT;
	return err;
}

long persona_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	void __user *argp = (void __user *)arg;

	switch (cmd) {
	case PERSONA_IOC_VERSION:
		return persona_ioc_version(argp);
	case PERSONA_IOC_LIST:
		return persona_ioc_list(argp);
	case PERSONA_IOC_DESCRIBE:
		return persona_ioc_describe(argp);
	case PERSONA_IOC_READ:
		return persona_ioc_read(argp);
	case PERSONA_IOC_APPLY:
		return persona_ioc_apply(file, argp);
	default:
		return -ENOTTY;
	}
}
