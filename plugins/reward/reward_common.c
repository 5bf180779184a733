/* Helpers the reward plugins share: the cycle scale (absolute, or a
 * fraction of a reference architecture resolved once by the core) and the
 * validation of metrics records.  Compiled into each reward module with
 * hidden visibility, so every module stays self-contained. */
#include "reward_common.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

int rw_target_init(rw_target *t, const apnas_opts *o, const char *key,
                   apnas_error *err)
{
	memset(t, 0, sizeof *t);
	t->key = key;
	t->value = apnas_opts_float(o, key);
	const char *ref = apnas_opts_string(o, "reference");
	double v = t->value;

	if (ref && ref[0]) {
		if (!(isfinite(v) && v > 0 && v <= RW_MAX_FRACTION))
			return apnas_error_set(err, APNAS_EINVAL,
				"%s = %g: with reference = \"%s\" it is a fraction "
				"of the reference's cycles, expected a number in "
				"(0, %g]", key, v, ref, RW_MAX_FRACTION);
		t->reference = strdup(ref);
		if (!t->reference)
			return apnas_error_set(err, APNAS_ENOMEM,
				"out of memory copying reference name");
		return 0;
	}
	if (isfinite(v) && v > 0 && v < 1)
		return apnas_error_set(err, APNAS_EINVAL,
			"%s = %g is less than one cycle: to give a fraction of "
			"a reference architecture's cycles, also set reference "
			"(e.g. reference = \"all-conv3x3\")", key, v);
	if (!(isfinite(v) && v >= 1))
		return apnas_error_set(err, APNAS_EINVAL,
			"%s = %g: expected a number of cycles > 0", key, v);
	t->cycles = v;
	return 0;
}

void rw_target_free(rw_target *t)
{
	if (!t)
		return;
	free(t->reference);
	t->reference = NULL;
}

const char *rw_target_reference(const rw_target *t)
{
	return t->reference;
}

int rw_target_resolve(rw_target *t, const apnas_metrics *ref, double *cyc,
                      apnas_error *err)
{
	if (!t->reference) {
		/* Nothing to resolve; answering anyway lets the core ask
		 * every reward for its target the same way. */
		*cyc = t->cycles;
		return 0;
	}
	if (!ref)
		return apnas_error_set(err, APNAS_EINVAL,
			"reference \"%s\": no metrics given to resolve %s",
			t->reference, t->key);
	if (!(ref->have & APNAS_METRIC_CYCLES))
		return apnas_error_set(err, APNAS_EINVAL,
			"reference \"%s\": its metrics carry no cycles, which "
			"%s = %g needs", t->reference, t->key, t->value);
	if (!(isfinite(ref->cycles) && ref->cycles > 0))
		return apnas_error_set(err, APNAS_EINVAL,
			"reference \"%s\" has cycles = %g: expected a finite "
			"number > 0", t->reference, ref->cycles);
	/* Always from the configured fraction, so resolving twice never
	 * compounds. */
	t->cycles = t->value * ref->cycles;
	*cyc = t->cycles;
	return 0;
}

int rw_target_cycles(const rw_target *t, double *cyc, apnas_error *err)
{
	if (!(t->cycles > 0))
		return apnas_error_set(err, APNAS_EINVAL,
			"%s = %g is a fraction of reference \"%s\"'s cycles, "
			"which are not known yet: resolve() must be called with "
			"the reference's metrics before reward()", t->key,
			t->value, t->reference ? t->reference : "");
	*cyc = t->cycles;
	return 0;
}

int rw_check_metrics(const apnas_metrics *m, uint32_t needs,
                     apnas_error *err)
{
	static const struct {
		uint32_t bit;
		const char *name;
		size_t off;
	} fields[] = {
		{ APNAS_METRIC_ACCURACY, "accuracy",
		  offsetof(apnas_metrics, accuracy) },
		{ APNAS_METRIC_CYCLES, "cycles",
		  offsetof(apnas_metrics, cycles) },
		{ APNAS_METRIC_MACS, "macs", offsetof(apnas_metrics, macs) },
		{ APNAS_METRIC_PARAMS, "params",
		  offsetof(apnas_metrics, params) },
		{ APNAS_METRIC_UTIL, "utilization",
		  offsetof(apnas_metrics, utilization) },
	};
	if (!m)
		return apnas_error_set(err, APNAS_EINVAL,
			"no metrics record given");
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
		if (!(needs & fields[i].bit))
			continue;
		if (!(m->have & fields[i].bit))
			return apnas_error_set(err, APNAS_EINVAL,
				"metrics lack %s, which this reward needs",
				fields[i].name);
		double v = *(const double *)((const char *)m + fields[i].off);
		if (!isfinite(v) || v < 0)
			return apnas_error_set(err, APNAS_EINVAL,
				"%s = %g: expected a finite number >= 0",
				fields[i].name, v);
		if (fields[i].bit == APNAS_METRIC_ACCURACY && v > 1)
			return apnas_error_set(err, APNAS_EINVAL,
				"accuracy = %g: expected a fraction in [0, 1]",
				v);
	}
	return 0;
}
