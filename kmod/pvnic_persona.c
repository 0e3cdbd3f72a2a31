// SPDX-License-Identifier: GPL-2.0
/*
 * pvnic's parameters as persona sees them, with the units and limits of
 * persona's simulated twin (src/backend/simulated-pvnic.json).
 */
#include <linux/err.h>
#include <linux/persona.h>

#include "pvnic.h"

static const struct persona_param_desc pvnic_params[PVNIC_P_COUNT] = {
	[PVNIC_P_COALESCE] = {
		.name = "interrupt_coalescence_time",
		.type = PERSONA_PARAM_INTEGER,
		.unit = PERSONA_UNIT_NS,
		.apply_class = PERSONA_APPLY_RUNTIME,
		.min = 0,
		.max = PVNIC_COALESCE_MAX_NS,
	},
	[PVNIC_P_DMA] = {
		.name = "DMA_buffer_size",
		.type = PERSONA_PARAM_INTEGER,
		.unit = PERSONA_UNIT_BYTES,
		.apply_class = PERSONA_APPLY_DISRUPTIVE,
		.min = PVNIC_DMA_MIN,
		.max = PVNIC_DMA_MAX,
	},
	[PVNIC_P_POWER] = {
		.name = "power_saving_mode",
		.type = PERSONA_PARAM_ENUM,
		.apply_class = PERSONA_APPLY_RUNTIME,
		.members = pvnic_power_names,
		.num_members = PVNIC_POWER_COUNT,
	},
	[PVNIC_P_FEATURES] = {
		.name = "feature_set",
		.type = PERSONA_PARAM_SET,
		.apply_class = PERSONA_APPLY_RUNTIME,
		.members = pvnic_feature_names,
		.num_members = PVNIC_F_COUNT,
	},
};

/* persona's resource i is port i; persona reads under pvnic_persona_lock(). */
static int pvnic_persona_get(void *priv, u32 resource, u32 param, u64 *value)
{
	struct pvnic_adapter *adapter = priv;

	lockdep_assert_held(&adapter->lock);
	if (!pvnic_fault_silent_get(adapter))
		*value = pvnic_config_get(adapter->ports[resource], param);
	return 0;
}

static int pvnic_persona_set(void *priv, u32 resource, u32 param, u64 value)
{
	struct pvnic_adapter *adapter = priv;
	int err;

	lockdep_assert_held(&adapter->lock);
	err = pvnic_fault_check(adapter);
	if (!err)
		pvnic_config_set(adapter->ports[resource], param, value);
	return err;
}

/* ethtool and sysfs read under adapter->lock: holding it across an apply makes the apply whole to them. */
static void pvnic_persona_lock(void *priv)
{
	struct pvnic_adapter *adapter = priv;

	mutex_lock(&adapter->lock);
}

static void pvnic_persona_unlock(void *priv)
{
	struct pvnic_adapter *adapter = priv;

	mutex_unlock(&adapter->lock);
}

static const struct persona_driver_ops pvnic_persona_ops = {
	.get = pvnic_persona_get,
	.set = pvnic_persona_set,
	.lock = pvnic_persona_lock,
	.unlock = pvnic_persona_unlock,
};

static const struct persona_driver_desc pvnic_persona_desc = {
	.name = PVNIC_NAME,
	.version = PVNIC_VERSION,
	.params = pvnic_params,
	.num_params = PVNIC_P_COUNT,
	.ops = &pvnic_persona_ops,
};

int pvnic_persona_register(struct pvnic_adapter *adapter)
{
	const char *names[PVNIC_MAX_PORTS];
	struct persona_driver *drv;
	u32 i;

	for (i = 0; i < adapter->num_ports; i++)
		names[i] = adapter->ports[i]->netdev->name;
	drv = persona_register_driver(&pvnic_persona_desc, names, adapter->num_ports, adapter);
	if (IS_ERR(drv))
		return PTR_ERR(drv);
	mutex_lock(&adapter->lock);
	adapter->persona = drv;
	mutex_unlock(&adapter->lock);
	return 0;
}

/* Drift reports stop before the registration goes, as they run under adapter->lock. */
void pvnic_persona_unregister(struct pvnic_adapter *adapter)
{
	struct persona_driver *drv;

	mutex_lock(&adapter->lock);
	drv = adapter->persona;
	adapter->persona = NULL;
	mutex_unlock(&adapter->lock);
	persona_unregister_driver(drv);
}
