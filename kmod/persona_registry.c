// SPDX-License-Identifier: GPL-2.0
/*
 * The registry of drivers: registration, lookup by id, reference counting.
 *
 * A driver's struct persona_driver is reference counted by its kobject. A
 * lookup takes a reference, so the structure outlives a concurrent
 * unregistration; the driver's own data (its declaration, ops and cookie) is
 * only touched under drv->lock while !drv->dead, so once
 * persona_unregister_driver() returns the driver may go away.
 */
#include <linux/bits.h>
#include <linux/err.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "persona_core.h"

static LIST_HEAD(persona_drivers);
/* Guards persona_drivers and persona_next_id. */
static DEFINE_MUTEX(persona_registry_lock);
static u32 persona_next_id = 1;
static struct kobject *persona_drivers_kobj;

static void persona_driver_release(struct kobject *kobj)
{
	struct persona_driver *drv = container_of(kobj, struct persona_driver, kobj);

	mutex_destroy(&drv->lock);
	kfree(drv->resources);
	kfree(drv);
}

static const struct kobj_type persona_driver_ktype = {
	.release = persona_driver_release,
	.sysfs_ops = &kobj_sysfs_ops,
	.default_groups = persona_driver_groups,
};

static bool persona_name_ok(const char *name)
{
	return name && name[0] && strnlen(name, PERSONA_NAME_LEN) < PERSONA_NAME_LEN;
}

static bool persona_param_desc_ok(const struct persona_param_desc *p)
{
	u32 i;

	if (!persona_name_ok(p->name) || p->apply_class < PERSONA_APPLY_RUNTIME ||
	    p->apply_class > PERSONA_APPLY_RELOAD)
		return false;
	switch (p->type) {
	case PERSONA_PARAM_INTEGER:
		return p->min <= p->max && p->unit <= PERSONA_UNIT_BYTES && !p->num_members;
	case PERSONA_PARAM_ENUM:
	case PERSONA_PARAM_SET:
		if (!p->num_members || p->num_members > PERSONA_MAX_MEMBERS ||
		    p->unit != PERSONA_UNIT_NONE)
			return false;
		for (i = 0; i < p->num_members; i++)
			if (!persona_name_ok(p->members[i]))
				return false;
		return true;
	}
	return false;
}

static bool persona_desc_ok(const struct persona_driver_desc *desc)
{
	u32 i;

	if (!persona_name_ok(desc->name) || !persona_name_ok(desc->version) || !desc->ops ||
	    !desc->ops->get || !desc->ops->set || !desc->ops->lock != !desc->ops->unlock ||
	    desc->num_params > PERSONA_MAX_PARAMS)
		return false;
	for (i = 0; i < desc->num_params; i++)
		if (!persona_param_desc_ok(&desc->params[i]))
			return false;
	return true;
}

/**
 * persona_register_driver() - make a driver's parameters reachable from /dev/persona
 * @desc: the driver's declaration; must stay valid until persona_unregister_driver()
 * @resources: names of the devices the driver drives (copied); the ops name
 *	them by index
 * @num_resources: number of @resources, at most PERSONA_MAX_RESOURCES
 * @priv: passed to the driver's ops
 *
 * Return: the registration, or an ERR_PTR: -EINVAL for a bad declaration,
 * -EEXIST when a driver of that name is registered, -ENOMEM.
 */
struct persona_driver *persona_register_driver(const struct persona_driver_desc *desc,
					       const char * const *resources,
					       u32 num_resources, void *priv)
{
	struct persona_driver *drv, *other;
	u32 i;
	int err;

	if (!persona_desc_ok(desc))
		return ERR_PTR(-EINVAL);
	if (num_resources > PERSONA_MAX_RESOURCES)
		return ERR_PTR(-EINVAL);
	for (i = 0; i < num_resources; i++)
		if (!persona_name_ok(resources[i]))
			return ERR_PTR(-EINVAL);

	drv = kzalloc(sizeof(*drv), GFP_KERNEL);
	if (!drv)
		return ERR_PTR(-ENOMEM);
	drv->resources = kcalloc(num_resources, sizeof(*drv->resources), GFP_KERNEL);
	if (!drv->resources) {
		err = -ENOMEM;
		goto err_free_drv;
	}
	for (i = 0; i < num_resources; i++)
		strscpy(drv->resources[i].name, resources[i], PERSONA_NAME_LEN);
	drv->num_resources = num_resources;
	mutex_init(&drv->lock);
	atomic64_set(&drv->generation, 0);
	drv->desc = desc;
	drv->priv = priv;
	drv->num_params = desc->num_params;
	strscpy(drv->name, desc->name, sizeof(drv->name));
	strscpy(drv->version, desc->version, sizeof(drv->version));
	/* From here on the kobject owns drv: kobject_put() frees it. */
	kobject_init(&drv->kobj, &persona_driver_ktype);

	mutex_lock(&persona_registry_lock);
	list_for_each_entry(other, &persona_drivers, node) {
		if (!strcmp(other->name, drv->name)) {
			err = -EEXIST;
			goto err_unlock;
		}
	}
	drv->id = persona_next_id++;
	err = kobject_add(&drv->kobj, persona_drivers_kobj, "%s", drv->name);
	if (err)
		goto err_unlock;
	list_add_tail(&drv->node, &persona_drivers);
	mutex_unlock(&persona_registry_lock);

	persona_events_broadcast(PERSONA_EVENT_DRIVER_ADDED, drv->id, 0, 0, 0, NULL);
	return drv;

err_unlock:
	mutex_unlock(&persona_registry_lock);
	kobject_put(&drv->kobj);
	return ERR_PTR(err);
err_free_drv:
	kfree(drv);
	return ERR_PTR(err);
}
EXPORT_SYMBOL_NS_GPL(persona_register_driver, PERSONA);

/**
 * persona_unregister_driver() - withdraw a driver
 * @drv: the registration
 *
 * Waits for a get or set in progress. Afterwards persona never calls the
 * driver or reads its declaration again; ioctls naming it fail with ENODEV
 * or ENOENT.
 */
void persona_unregister_driver(struct persona_driver *drv)
{
	mutex_lock(&persona_registry_lock);
	list_del(&drv->node);
	mutex_unlock(&persona_registry_lock);
	/* Removes the sysfs directory and waits for readers of its attributes. */
	kobject_del(&drv->kobj);
	mutex_lock(&drv->lock);
	drv->dead = true;
	mutex_unlock(&drv->lock);
	persona_events_broadcast(PERSONA_EVENT_DRIVER_REMOVED, drv->id,
				 atomic64_read(&drv->generation), 0, 0, NULL);
	kobject_put(&drv->kobj);
}
EXPORT_SYMBOL_NS_GPL(persona_unregister_driver, PERSONA);

/**
 * persona_notify_drift() - the driver's values changed without persona
 * @drv: the registration
 * @resource: the resource whose values changed
 * @params: bit i set for each parameter i that changed
 *
 * For changes through the driver's other interfaces (ethtool). May be
 * called from any context, hard interrupts included, with the driver's own
 * locks or RTNL held: it takes no sleeping lock, and keeps interrupts off
 * only to queue on one open file at a time.
 */
void persona_notify_drift(struct persona_driver *drv, u32 resource, u64 params)
{
	u64 generation = atomic64_inc_return(&drv->generation);

	persona_events_broadcast(PERSONA_EVENT_DRIFT, drv->id, generation, params,
				 BIT_ULL(resource), NULL);
}
EXPORT_SYMBOL_NS_GPL(persona_notify_drift, PERSONA);

/* Returns the driver with a reference, or NULL when no driver has that id. */
struct persona_driver *persona_driver_get(u32 id)
{
	struct persona_driver *drv, *found = NULL;

	mutex_lock(&persona_registry_lock);
	list_for_each_entry(drv, &persona_drivers, node) {
		if (drv->id == id) {
			kobject_get(&drv->kobj);
			found = drv;
			break;
		}
	}
	mutex_unlock(&persona_registry_lock);
	return found;
}

void persona_driver_put(struct persona_driver *drv)
{
	kobject_put(&drv->kobj);
}

/*
 * Fills a new array with at most @capacity drivers; *@count is set to the
 * number registered and *@written to the number of entries filled.
 */
struct persona_driver_info *persona_registry_snapshot(u32 capacity, u32 *count, u32 *written)
{
	struct persona_driver_info *infos;
	struct persona_driver *drv;
	u32 n = 0;

	mutex_lock(&persona_registry_lock);
	/* Counted by hand: list_count_nodes() is missing from some 6.1 stable kernels. */
	*count = 0;
	list_for_each_entry(drv, &persona_drivers, node)
		(*count)++;
	*written = min(capacity, *count);
	infos = kcalloc(*written, sizeof(*infos), GFP_KERNEL);
	if (!infos)
		goto unlock;
	list_for_each_entry(drv, &persona_drivers, node) {
		if (n == *written)
			break;
		infos[n].id = drv->id;
		infos[n].num_params = drv->num_params;
		infos[n].num_resources = drv->num_resources;
		infos[n].generation = atomic64_read(&drv->generation);
		strscpy(infos[n].name.name, drv->name, PERSONA_NAME_LEN);
		strscpy(infos[n].version.name, drv->version, PERSONA_NAME_LEN);
		n++;
	}
unlock:
	mutex_unlock(&persona_registry_lock);
	return infos ?: ERR_PTR(-ENOMEM);
}

int persona_registry_init(struct kobject *parent)
{
	persona_drivers_kobj = kobject_create_and_add("drivers", parent);
	return persona_drivers_kobj ? 0 : -ENOMEM;
}

/* Drivers import persona's symbols, so none is registered when persona.ko goes. */
void persona_registry_exit(void)
{
	kobject_put(persona_drivers_kobj);
}
