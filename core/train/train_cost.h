/* What `apnas train` reports of the hardware cost of the network it
 * trains: the space's child network on the configured cost model, and
 * every metric it declares (with parameters and MACs) in summary.json, on
 * stdout and in arch.arch's comment.  Kept in one file so that the metrics
 * a cost model declares reach training through one place.  Internal to
 * libapnas. */
#ifndef APNAS_TRAIN_COST_H
#define APNAS_TRAIN_COST_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <apnas/net.h>
#include <apnas/plugin.h>

#include "config.h"
#include "metrics/metrics.h"

typedef struct apnas_train_cost {
	apnas_instance cost;    /* owned: the cost model */
	apnas_metricset ms;     /* owned: the run's metrics */
	apnas_net net;          /* owned: the trained network */
	double *values;         /* owned: ms.n network values (accuracy
	                           NaN: the test accuracy is reported apart) */
} apnas_train_cost;

void apnas_train_cost_init(apnas_train_cost *c);

/* The child network of tok on cfg's cost model, before training: a cost
 * model that refuses the network fails the command at once. */
int apnas_train_cost_net(apnas_train_cost *c, apnas_config *cfg,
                         const apnas_space_ops *ops, void *space,
                         const char *space_name, const int32_t *tok,
                         apnas_error *err);

/* Layers of the network the cost model saw. */
size_t apnas_train_cost_layers(const apnas_train_cost *c);

enum {
	APNAS_TRAIN_COST_JSON = 0,    /* summary.json members, each preceded
	                                 by ",\n  " */
	APNAS_TRAIN_COST_TEXT = 1,    /* stdout lines of the result */
	APNAS_TRAIN_COST_COMMENT = 2  /* one line for arch.arch's comment */
};

/* Writes the figures to f in one of the APNAS_TRAIN_COST_* forms. */
void apnas_train_cost_write(const apnas_train_cost *c, FILE *f, int form);

void apnas_train_cost_free(apnas_train_cost *c);

#endif
