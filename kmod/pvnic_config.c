// SPDX-License-Identifier: GPL-2.0
/*
 * A port's configuration: the one place its values change, whether persona
 * or ethtool asks. Setters run under adapter->lock with values checked
 * against the limits; each value is one word written with WRITE_ONCE(), so
 * pvnic_config_get() needs no lock (persona reads every value twice per
 * apply).
 */
#include <linux/bits.h>
#include <linux/math.h>
#include <linux/persona.h>

#include "pvnic.h"

const char * const pvnic_power_names[PVNIC_POWER_COUNT] = {
	[PVNIC_POWER_DISABLED] = "disabled",
	[PVNIC_POWER_BALANCED] = "balanced",
	[PVNIC_POWER_AGGRESSIVE] = "aggressive",
};

const char * const pvnic_feature_names[PVNIC_F_COUNT] = {
	[PVNIC_F_GRO] = "gro",
	[PVNIC_F_LRO] = "lro",
	[PVNIC_F_RX_CHECKSUM] = "rx_checksum",
	[PVNIC_F_SG] = "sg",
	[PVNIC_F_TSO] = "tso",
	[PVNIC_F_TX_CHECKSUM] = "tx_checksum",
};

/* As persona's simulated twin starts: 2 ms, 64 KiB, balanced, receive checksums. */
const struct pvnic_config pvnic_config_initial = {
	.coalesce_ns = 2 * NSEC_PER_MSEC,
	.dma_bytes = 65536,
	.power = PVNIC_POWER_BALANCED,
	.features = BIT(PVNIC_F_RX_CHECKSUM),
};

u64 pvnic_config_get(struct pvnic_port *port, enum pvnic_param param)
{
	const struct pvnic_config *cfg = &port->cfg;

	switch (param) {
	case PVNIC_P_COALESCE:
		return READ_ONCE(cfg->coalesce_ns);
	case PVNIC_P_DMA:
		return READ_ONCE(cfg->dma_bytes);
	case PVNIC_P_POWER:
		return READ_ONCE(cfg->power);
	default:
		return READ_ONCE(cfg->features);
	}
}

void pvnic_config_set(struct pvnic_port *port, enum pvnic_param param, u64 value)
{
	struct pvnic_config *cfg = &port->cfg;

	switch (param) {
	case PVNIC_P_COALESCE:
		WRITE_ONCE(cfg->coalesce_ns, value);
		break;
	case PVNIC_P_DMA:
		pvnic_traffic_resize(port, DIV_ROUND_UP(value, PVNIC_DESC_BYTES));
		WRITE_ONCE(cfg->dma_bytes, value);
		return;
	case PVNIC_P_POWER:
		WRITE_ONCE(cfg->power, value);
		break;
	default:
		WRITE_ONCE(cfg->features, value);
		return;
	}
	pvnic_traffic_configure(port, cfg->coalesce_ns, cfg->power);
}

/* A change persona did not make: persona must hear of it. */
void pvnic_config_changed(struct pvnic_port *port, enum pvnic_param param)
{
	if (port->adapter->persona)
		persona_notify_drift(port->adapter->persona, port->index, BIT_ULL(param));
}
