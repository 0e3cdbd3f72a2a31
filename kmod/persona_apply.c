// SPDX-License-Identifier: GPL-2.0
/*
 * The transaction: a set of values is applied to a set of resources whole or
 * not at all.
 *
 * Under the driver's lock (and the driver's own, where it has one): check
 * every value, read the current ones, write the new ones resource by
 * resource in the order given, read every written one back; on any failure
 * write the old values back in reverse order. A
 * value equal to the current one is neither written nor read back, so a
 * driver only sees real changes.
 */
#include <linux/bits.h>
#include <linux/device.h>
#include <linux/errno.h>
#include <linux/slab.h>

#include "persona_core.h"

/*
 * One transaction: entry i on the k-th selected resource is slot k * n + i
 * of @old, the value before the apply.
 */
struct persona_txn {
	struct persona_driver *drv;
	const struct persona_value *vals;
	u32 n;
	u32 resources[PERSONA_MAX_RESOURCES];
	u32 num_resources;
	u64 *old;
};

static u32 persona_txn_slots(const struct persona_txn *txn)
{
	return txn->num_resources * txn->n;
}

static u32 persona_txn_resource(const struct persona_txn *txn, u32 slot)
{
	return txn->resources[slot / txn->n];
}

static const struct persona_value *persona_txn_entry(const struct persona_txn *txn, u32 slot)
{
	return &txn->vals[slot % txn->n];
}

/* The driver's own bracket, so its other readers never see half an apply. */
static void persona_driver_lock(struct persona_driver *drv)
{
	if (drv->desc->ops->lock)
		drv->desc->ops->lock(drv->priv);
}

static void persona_driver_unlock(struct persona_driver *drv)
{
	if (drv->desc->ops->unlock)
		drv->desc->ops->unlock(drv->priv);
}

/*
 * A get() that succeeds without writing leaves 0, never what the stack or
 * heap held before: that would reach userspace, or be written back by a
 * rollback.
 */
static int persona_get(struct persona_driver *drv, u32 resource, u32 param, u64 *value)
{
	*value = 0;
	return drv->desc->ops->get(drv->priv, resource, param, value);
}

/* Checks that need no driver data: reserved fields, indices, repeats, resources. */
static int persona_check_request(const struct persona_driver *drv, const struct persona_value *vals,
				 u32 n, u64 resources, u32 *error_index)
{
	u64 seen = 0;
	u32 i;

	for (i = 0; i < n; i++) {
		*error_index = i;
		if (vals[i].reserved || vals[i].param >= drv->num_params ||
		    seen & BIT_ULL(vals[i].param))
			return -EINVAL;
		seen |= BIT_ULL(vals[i].param);
	}
	*error_index = PERSONA_NO_INDEX;
	if (!resources)
		return -EINVAL;
	if (drv->num_resources < 64 && resources >> drv->num_resources)
		return -ENXIO;
	return 0;
}

/* Writes old values back over slots [0, @done), last first; returns the resources it could not. */
static u64 persona_rollback(struct persona_txn *txn, u32 done, u64 *lost_params)
{
	const struct persona_driver_ops *ops = txn->drv->desc->ops;
	const struct persona_value *v;
	u64 lost = 0;
	u32 slot, res;

	for (slot = done; slot-- > 0;) {
		v = persona_txn_entry(txn, slot);
		if (txn->old[slot] == v->value)
			continue;
		res = persona_txn_resource(txn, slot);
		if (ops->set(txn->drv->priv, res, v->param, txn->old[slot])) {
			lost |= BIT_ULL(res);
			*lost_params |= BIT_ULL(v->param);
		}
	}
	return lost;
}

/* Writes every changed slot in order, then reads each back; *@failed is the slot to blame. */
static int persona_write_all(struct persona_txn *txn, u32 *done, u32 *failed)
{
	const struct persona_driver_ops *ops = txn->drv->desc->ops;
	const struct persona_value *v;
	u32 slot, slots = persona_txn_slots(txn);
	void *priv = txn->drv->priv;
	u64 now;
	int err;

	for (*done = 0; *done < slots; (*done)++) {
		v = persona_txn_entry(txn, *done);
		if (txn->old[*done] == v->value)
			continue;
		err = ops->set(priv, persona_txn_resource(txn, *done), v->param, v->value);
		if (err) {
			*failed = *done;
			return err;
		}
	}
	for (slot = 0; slot < slots; slot++) {
		v = persona_txn_entry(txn, slot);
		if (txn->old[slot] == v->value)
			continue;
		err = persona_get(txn->drv, persona_txn_resource(txn, slot), v->param, &now);
		if (!err && now != v->value)
			err = -EIO;
		if (err) {
			*failed = slot;
			return err;
		}
	}
	return 0;
}

/* Checks the values against the declaration and reads the current ones into txn->old. */
static int persona_prepare(struct persona_txn *txn, struct persona_apply *req)
{
	const struct persona_param_desc *params = txn->drv->desc->params;
	const struct persona_value *v;
	u32 i, slot;
	int err;

	for (i = 0; i < txn->n; i++) {
		err = persona_param_check(&params[txn->vals[i].param], txn->vals[i].value);
		if (err) {
			req->error_index = i;
			return err;
		}
	}
	if (req->expected_generation != PERSONA_GENERATION_ANY &&
	    req->expected_generation != atomic64_read(&txn->drv->generation))
		return -ESTALE;
	for (slot = 0; slot < persona_txn_slots(txn); slot++) {
		v = persona_txn_entry(txn, slot);
		err = persona_get(txn->drv, persona_txn_resource(txn, slot), v->param,
				  &txn->old[slot]);
		if (err) {
			req->error_index = slot % txn->n;
			req->error_resource = persona_txn_resource(txn, slot);
			return err;
		}
	}
	return 0;
}

static void persona_report_changes(struct persona_txn *txn, struct persona_apply *req,
				   const struct persona_file *origin)
{
	const struct persona_value *v;
	u64 changed = 0, resources = 0;
	u32 slot;

	for (slot = 0; slot < persona_txn_slots(txn); slot++) {
		v = persona_txn_entry(txn, slot);
		if (txn->old[slot] == v->value)
			continue;
		changed |= BIT_ULL(v->param);
		resources |= BIT_ULL(persona_txn_resource(txn, slot));
	}
	req->changed = changed;
	if (changed)
		persona_events_broadcast(PERSONA_EVENT_APPLIED, txn->drv->id,
					 atomic64_inc_return(&txn->drv->generation), changed,
					 resources, origin);
}

/**
 * persona_apply() - apply req->num_values entries of @vals to req->resources of @drv, all or none
 * @drv: the driver, referenced
 * @vals: the entries, copied from userspace
 * @req: the request; its out fields are filled on success and on failure
 * @origin: the open file applying, for PERSONA_EVENT_F_OWN
 *
 * Return: 0 or a negative errno as &struct persona_apply documents.
 */
int persona_apply(struct persona_driver *drv, const struct persona_value *vals,
		  struct persona_apply *req, const struct persona_file *origin)
{
	struct persona_txn txn = { .drv = drv, .vals = vals, .n = req->num_values };
	/* Enough for a full set on one resource: the common apply allocates nothing. */
	u64 old_on_stack[PERSONA_MAX_PARAMS];
	u64 lost, lost_params = 0;
	u32 done, failed, res;
	int err;

	err = persona_check_request(drv, vals, txn.n, req->resources, &req->error_index);
	if (err)
		return err;
	for (res = 0; res < drv->num_resources; res++)
		if (req->resources & BIT_ULL(res))
			txn.resources[txn.num_resources++] = res;
	txn.old = old_on_stack;
	if (persona_txn_slots(&txn) > ARRAY_SIZE(old_on_stack))
		txn.old = kmalloc_array(persona_txn_slots(&txn), sizeof(*txn.old), GFP_KERNEL);
	if (!txn.old)
		return -ENOMEM;

	mutex_lock(&drv->lock);
	if (drv->dead) {
		err = -ENODEV;
		goto unlock;
	}
	/* The generation moves inside the bracket, so a reader that sees it unchanged saw no apply. */
	persona_driver_lock(drv);
	err = persona_prepare(&txn, req);
	if (err)
		goto unlock_driver;
	err = persona_write_all(&txn, &done, &failed);
	if (err)
		goto rollback;
	persona_report_changes(&txn, req, origin);
	goto unlock_driver;

rollback:
	req->error_index = failed % txn.n;
	req->error_resource = persona_txn_resource(&txn, failed);
	req->status |= PERSONA_APPLY_ROLLED_BACK;
	lost = persona_rollback(&txn, done, &lost_params);
	if (lost) {
		req->status |= PERSONA_APPLY_ROLLBACK_FAILED;
		dev_err(persona_misc.this_device, "%s: rollback failed, parameters %#llx changed\n",
			drv->name, lost_params);
		persona_events_broadcast(PERSONA_EVENT_DRIFT, drv->id,
					 atomic64_inc_return(&drv->generation), lost_params, lost,
					 NULL);
	}
unlock_driver:
	persona_driver_unlock(drv);
unlock:
	req->generation = atomic64_read(&drv->generation);
	mutex_unlock(&drv->lock);
	if (txn.old != old_on_stack)
		kfree(txn.old);
	return err;
}

/* Reads the first @n values of one resource; the generation is read first, so it is never newer. */
int persona_read_values(struct persona_driver *drv, u32 resource, struct persona_value *vals,
			u32 n, u64 *generation)
{
	u32 i;
	int err = 0;

	if (resource >= drv->num_resources)
		return -ENXIO;
	mutex_lock(&drv->lock);
	if (drv->dead) {
		err = -ENODEV;
		goto unlock;
	}
	persona_driver_lock(drv);
	*generation = atomic64_read(&drv->generation);
	for (i = 0; i < n && !err; i++) {
		vals[i].param = i;
		vals[i].reserved = 0;
		err = persona_get(drv, resource, i, &vals[i].value);
	}
	persona_driver_unlock(drv);
unlock:
	mutex_unlock(&drv->lock);
	return err;
}
