/* The trained network's hardware cost: see train_cost.h. */
#include "train/train_cost.h"

#include <stdlib.h>
#include <string.h>

#include "search/json_out.h"

void apnas_train_cost_init(apnas_train_cost *c)
{
	memset(c, 0, sizeof *c);
	apnas_net_init(&c->net);
}

int apnas_train_cost_net(apnas_train_cost *c, apnas_config *cfg,
                         const apnas_space_ops *ops, void *space,
                         const char *space_name, const int32_t *tok,
                         apnas_error *err)
{
	int rc = ops->child_net(space, tok, &c->net, err);
	if (rc)
		return apnas_error_prefix(err, "space '%s' child_net",
		                          space_name);
	rc = apnas_config_instance(cfg, APNAS_KIND_COST, NULL, &c->cost, err);
	if (rc)
		return rc;
	if ((rc = apnas_metricset_init(&c->ms, &c->cost, err)))
		return rc;
	c->values = calloc(c->ms.n, sizeof *c->values);
	if (!c->values)
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	return apnas_metricset_cost(&c->ms, &c->net, c->values, NULL, err);
}

size_t apnas_train_cost_layers(const apnas_train_cost *c)
{
	return c->net.n;
}

void apnas_train_cost_write(const apnas_train_cost *c, FILE *f, int form)
{
	const char *model = c->cost.lib.desc->name;
	char hw[512], text[1024];
	apnas_metricset_hardware(&c->ms, &c->cost, hw, sizeof hw);
	switch (form) {
	case APNAS_TRAIN_COST_JSON:
		fprintf(f, ",\n  \"layers\": %zu,\n  \"cost_model\": ",
		        c->net.n);
		apnas_json_str(f, model);
		fputs(",\n  \"hardware\": ", f);
		apnas_json_str(f, hw);
		fputs(",\n  \"metrics\": ", f);
		apnas_metrics_json_decl(f, &c->ms);
		for (size_t i = 0; i < c->ms.n; i++) {
			if (i == APNAS_MX_ACCURACY ||
			    !apnas_metricset_net(&c->ms, i))
				continue;
			fprintf(f, ",\n  \"%s\": ", c->ms.decl[i].name);
			apnas_json_num(f, c->values[i]);
		}
		break;
	case APNAS_TRAIN_COST_TEXT:
		fprintf(f, "hardware       %s (cost model %s)\n", hw, model);
		for (size_t i = 0; i < c->ms.n; i++) {
			if (i == APNAS_MX_ACCURACY ||
			    !apnas_metricset_net(&c->ms, i))
				continue;
			char num[64];
			apnas_metric_str(c->values[i], num, sizeof num);
			fprintf(f, "%-14s %s%s%s\n", c->ms.decl[i].name, num,
			        c->ms.decl[i].unit[0] ? " " : "",
			        c->ms.decl[i].unit);
		}
		break;
	default:
		apnas_metrics_text(text, sizeof text, &c->ms, c->values);
		fprintf(f, "%s on %s", text, hw);
		break;
	}
}

void apnas_train_cost_free(apnas_train_cost *c)
{
	apnas_metricset_free(&c->ms);
	free(c->values);
	c->values = NULL;
	if (c->cost.lib.handle)
		apnas_instance_destroy(&c->cost);
	apnas_net_free(&c->net);
}
