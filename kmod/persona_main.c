// SPDX-License-Identifier: GPL-2.0
/*
 * persona.ko: the /dev/persona misc device. Drivers register their
 * parameters (persona_registry.c); userspace lists, describes, reads and
 * applies them through ioctls (persona_ioctl.c) and reads change events from
 * the same file (persona_events.c). The ABI is include/uapi/linux/persona.h.
 */
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>

#include "persona_core.h"

static int persona_open(struct inode *inode, struct file *file)
{
	struct persona_file *pf = persona_events_open();

	if (IS_ERR(pf))
		return PTR_ERR(pf);
	file->private_data = pf;
	return stream_open(inode, file);
}

static int persona_release(struct inode *inode, struct file *file)
{
	persona_events_release(file->private_data);
	return 0;
}

static ssize_t persona_read(struct file *file, char __user *buf, size_t count, loff_t *ppos)
{
	return persona_events_read(file->private_data, buf, count, file->f_flags & O_NONBLOCK);
}

static __poll_t persona_poll(struct file *file, poll_table *wait)
{
	return persona_events_poll(file->private_data, file, wait);
}

static const struct file_operations persona_fops = {
	.owner = THIS_MODULE,
	.open = persona_open,
	.release = persona_release,
	.read = persona_read,
	.poll = persona_poll,
	.unlocked_ioctl = persona_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = no_llseek,
};

/* 0660: the group is set by udev (kmod/99-persona.rules) to the daemon's group. */
struct miscdevice persona_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "persona",
	.fops = &persona_fops,
	.groups = persona_dev_groups,
	.mode = 0660,
};

static int __init persona_init(void)
{
	int err;

	err = misc_register(&persona_misc);
	if (err)
		return err;
	err = persona_registry_init(&persona_misc.this_device->kobj);
	if (err)
		goto err_deregister;
	return 0;

err_deregister:
	misc_deregister(&persona_misc);
	return err;
}

static void __exit persona_exit(void)
{
	persona_registry_exit();
	misc_deregister(&persona_misc);
}

module_init(persona_init);
module_exit(persona_exit);

MODULE_DESCRIPTION("persona: driver personalities switched at run time through /dev/persona");
MODULE_LICENSE("GPL");
MODULE_VERSION("1.0.0");
