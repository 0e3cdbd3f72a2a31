// SPDX-License-Identifier: GPL-2.0
/*
 * Events: every open file of /dev/persona has its own queue, and every change
 * of any driver is queued on all of them.
 *
 * Drivers report drift from their own paths (ethtool under RTNL, and a
 * driver may learn of a change in its interrupt handler), so a broadcast may
 * come from any context, hard interrupts included. It walks the open files
 * under RCU and takes one file's lock at a time, only to queue: interrupts
 * stay off for one queueing, whatever the number of open files. A file's
 * lock keeps its kfifo single-producer and its read_lock single-consumer, so
 * readers copy to userspace without a spinlock. When a queue is full the
 * file is marked overflowed and gets nothing more until its reader has taken
 * the queued events and a PERSONA_EVENT_OVERFLOW record, so the record sits
 * exactly where events were lost.
 */
#include <linux/err.h>
#include <linux/kfifo.h>
#include <linux/ktime.h>
#include <linux/rculist.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>
#include <linux/wait.h>

#include "persona_core.h"

#define PERSONA_EVENT_QUEUE	128

struct persona_file {
	struct list_head node;
	struct rcu_head rcu;
	/* Serialises producers of this file's fifo and guards overflow. */
	spinlock_t lock;
	/* Serialises readers: the fifo has one consumer at a time. */
	struct mutex read_lock;
	wait_queue_head_t wait;
	bool overflow;
	DECLARE_KFIFO(fifo, struct persona_event, PERSONA_EVENT_QUEUE);
};

/* Walked under RCU by producers. */
static LIST_HEAD(persona_files);
/* Serialises the opens and releases that change persona_files. */
static DEFINE_MUTEX(persona_files_lock);

/* The queue, some 6 KiB, is the opener's: charged to its memory cgroup, as its fd table is. */
struct persona_file *persona_events_open(void)
{
	struct persona_file *pf;

	pf = kzalloc(sizeof(*pf), GFP_KERNEL_ACCOUNT);
	if (!pf)
		return ERR_PTR(-ENOMEM);
	spin_lock_init(&pf->lock);
	mutex_init(&pf->read_lock);
	init_waitqueue_head(&pf->wait);
	INIT_KFIFO(pf->fifo);
	mutex_lock(&persona_files_lock);
	list_add_tail_rcu(&pf->node, &persona_files);
	mutex_unlock(&persona_files_lock);
	return pf;
}

/* A broadcast may still be queueing on @pf: it is freed after the walks under way. */
void persona_events_release(struct persona_file *pf)
{
	mutex_lock(&persona_files_lock);
	list_del_rcu(&pf->node);
	mutex_unlock(&persona_files_lock);
	mutex_destroy(&pf->read_lock);
	kfree_rcu(pf, rcu);
}

/* Queues one event on every open file; @origin's copy is flagged as its own. */
void persona_events_broadcast(u32 type, u32 driver_id, u64 generation, u64 params,
			      u64 resources, const struct persona_file *origin)
{
	struct persona_event ev = {
		.type = type,
		.driver_id = driver_id,
		.generation = generation,
		.params = params,
		.resources = resources,
		.timestamp_ns = ktime_get_ns(),
	};
	struct persona_file *pf;
	unsigned long flags;
	bool queued;

	rcu_read_lock();
	list_for_each_entry_rcu(pf, &persona_files, node) {
		ev.flags = pf == origin ? PERSONA_EVENT_F_OWN : 0;
		spin_lock_irqsave(&pf->lock, flags);
		queued = !pf->overflow;
		if (queued && !kfifo_put(&pf->fifo, ev))
			WRITE_ONCE(pf->overflow, true);
		spin_unlock_irqrestore(&pf->lock, flags);
		if (queued)
			wake_up_interruptible(&pf->wait);
	}
	rcu_read_unlock();
}

static bool persona_events_pending(struct persona_file *pf)
{
	return !kfifo_is_empty(&pf->fifo) || READ_ONCE(pf->overflow);
}

/* Clears the overflow mark once the events queued before the loss have been taken. */
static bool persona_events_take_overflow(struct persona_file *pf)
{
	unsigned long flags;
	bool taken;

	spin_lock_irqsave(&pf->lock, flags);
	taken = pf->overflow && kfifo_is_empty(&pf->fifo);
	if (taken)
		WRITE_ONCE(pf->overflow, false);
	spin_unlock_irqrestore(&pf->lock, flags);
	return taken;
}

ssize_t persona_events_read(struct persona_file *pf, char __user *buf, size_t count,
			    bool nonblock)
{
	const struct persona_event overflow = { .type = PERSONA_EVENT_OVERFLOW };
	unsigned int copied;
	ssize_t ret;

	if (count < sizeof(struct persona_event))
		return -EINVAL;
	if (mutex_lock_interruptible(&pf->read_lock))
		return -ERESTARTSYS;
	if (nonblock && !persona_events_pending(pf)) {
		ret = -EAGAIN;
		goto unlock;
	}
	ret = wait_event_interruptible(pf->wait, persona_events_pending(pf));
	if (ret)
		goto unlock;
	ret = kfifo_to_user(&pf->fifo, buf, count, &copied);
	if (ret)
		goto unlock;
	if (count - copied >= sizeof(overflow) && persona_events_take_overflow(pf)) {
		if (copy_to_user(buf + copied, &overflow, sizeof(overflow))) {
			ret = -EFAULT;
			goto unlock;
		}
		copied += sizeof(overflow);
	}
	ret = copied;
unlock:
	mutex_unlock(&pf->read_lock);
	return ret;
}

__poll_t persona_events_poll(struct persona_file *pf, struct file *file, poll_table *wait)
{
	poll_wait(file, &pf->wait, wait);
	return persona_events_pending(pf) ? EPOLLIN | EPOLLRDNORM : 0;
}
