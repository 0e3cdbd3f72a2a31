// SPDX-License-Identifier: GPL-2.0
/*
 * Events: every open file of /dev/persona has its own queue, and every change
 * of any driver is queued on all of them.
 *
 * Producers are serialised by persona_events_lock and readers of one file by
 * its read_lock, which keeps each kfifo single-producer single-consumer, so
 * readers copy to userspace without the spinlock. When a queue is full the
 * file is marked overflowed and gets nothing more until its reader has taken
 * the queued events and a PERSONA_EVENT_OVERFLOW record, so the record sits
 * exactly where events were lost.
 */
#include <linux/err.h>
#include <linux/kfifo.h>
#include <linux/ktime.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>
#include <linux/wait.h>

#include "persona_core.h"

#define PERSONA_EVENT_QUEUE	128

struct persona_file {
	struct list_head node;
	/* Serialises readers: the fifo has one consumer at a time. */
	struct mutex read_lock;
	wait_queue_head_t wait;
	/* Guarded by persona_events_lock. */
	bool overflow;
	DECLARE_KFIFO(fifo, struct persona_event, PERSONA_EVENT_QUEUE);
};

static LIST_HEAD(persona_files);
/* Guards persona_files and every file's overflow flag; taken by producers. */
static DEFINE_SPINLOCK(persona_events_lock);

/* The queue, some 6 KiB, is the opener's: charged to its memory cgroup, as its fd table is. */
struct persona_file *persona_events_open(void)
{
	struct persona_file *pf;
	unsigned long flags;

	pf = kzalloc(sizeof(*pf), GFP_KERNEL_ACCOUNT);
	if (!pf)
		return ERR_PTR(-ENOMEM);
	mutex_init(&pf->read_lock);
	init_waitqueue_head(&pf->wait);
	INIT_KFIFO(pf->fifo);
	spin_lock_irqsave(&persona_events_lock, flags);
	list_add_tail(&pf->node, &persona_files);
	spin_unlock_irqrestore(&persona_events_lock, flags);
	return pf;
}

void persona_events_release(struct persona_file *pf)
{
	unsigned long flags;

	spin_lock_irqsave(&persona_events_lock, flags);
	list_del(&pf->node);
	spin_unlock_irqrestore(&persona_events_lock, flags);
	mutex_destroy(&pf->read_lock);
	kfree(pf);
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

	spin_lock_irqsave(&persona_events_lock, flags);
	list_for_each_entry(pf, &persona_files, node) {
		if (pf->overflow)
			continue;
		ev.flags = pf == origin ? PERSONA_EVENT_F_OWN : 0;
		if (!kfifo_put(&pf->fifo, ev))
			pf->overflow = true;
		wake_up_interruptible(&pf->wait);
	}
	spin_unlock_irqrestore(&persona_events_lock, flags);
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

	spin_lock_irqsave(&persona_events_lock, flags);
	taken = pf->overflow && kfifo_is_empty(&pf->fifo);
	if (taken)
		pf->overflow = false;
	spin_unlock_irqrestore(&persona_events_lock, flags);
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
