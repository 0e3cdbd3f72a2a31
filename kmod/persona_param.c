// SPDX-License-Identifier: GPL-2.0
/* Parameter declarations: their limits, the check of a value, their description. */
#include <linux/bits.h>
#include <linux/errno.h>
#include <linux/string.h>

#include "persona_core.h"

/* Integers declare their own limits; enums count their members; sets mask them. */
static void persona_param_limits(const struct persona_param_desc *p, u64 *min, u64 *max)
{
	switch (p->type) {
	case PERSONA_PARAM_ENUM:
		*min = 0;
		*max = p->num_members - 1;
		break;
	case PERSONA_PARAM_SET:
		*min = 0;
		*max = GENMASK_ULL(p->num_members - 1, 0);
		break;
	default:
		*min = p->min;
		*max = p->max;
	}
}

/* Return: 0, or -ERANGE when @value is not one @p accepts. */
int persona_param_check(const struct persona_param_desc *p, u64 value)
{
	u64 min, max;

	persona_param_limits(p, &min, &max);
	if (p->type == PERSONA_PARAM_SET)
		return value & ~max ? -ERANGE : 0;
	return value < min || value > max ? -ERANGE : 0;
}

/* Describes the first @n parameters of @drv into @out; n <= drv->num_params. */
int persona_describe_params(struct persona_driver *drv, struct persona_param *out, u32 n)
{
	const struct persona_param_desc *p;
	u32 i, m;
	int err = 0;

	mutex_lock(&drv->lock);
	if (drv->dead) {
		err = -ENODEV;
		goto unlock;
	}
	for (i = 0; i < n; i++) {
		p = &drv->desc->params[i];
		memset(&out[i], 0, sizeof(out[i]));
		out[i].type = p->type;
		out[i].unit = p->unit;
		out[i].apply_class = p->apply_class;
		out[i].num_members = p->num_members;
		persona_param_limits(p, &out[i].min, &out[i].max);
		strscpy(out[i].name.name, p->name, PERSONA_NAME_LEN);
		for (m = 0; m < p->num_members; m++)
			strscpy(out[i].members[m].name, p->members[m], PERSONA_NAME_LEN);
	}
unlock:
	mutex_unlock(&drv->lock);
	return err;
}
