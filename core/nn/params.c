/* Parameter sets: named tensors with gradient and momentum buffers,
 * initialisation, lookup and checkpoint save/load.  A set is owned by one
 * plugin instance and shared by every graph it builds. */
#include "nn/nn_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memcap.h"

int apnas_params_create(uint64_t seed, apnas_params **out, apnas_error *err)
{
	*out = NULL;
	apnas_params *ps = calloc(1, sizeof *ps);
	if (!ps)
		return apnas_error_set(err, APNAS_ENOMEM,
		                       "nn: out of memory creating a parameter set");
	apnas_rng_derive(&ps->rng, seed, "nn.params");
	*out = ps;
	return 0;
}

static void param_free(apnas_param *p)
{
	if (!p)
		return;
	free(p->name);
	free(p->value);
	free(p);
}

void apnas_params_destroy(apnas_params *ps)
{
	if (!ps)
		return;
	for (size_t i = 0; i < ps->n; i++)
		param_free(ps->v[i]);
	free(ps->v);
	free(ps->sum_buf);
	free(ps);
}

static int valid_name(const char *name)
{
	if (!name || !*name || strlen(name) > 255)
		return 0;
	for (const char *c = name; *c; c++)
		if ((unsigned char)*c <= ' ' || *c == 0x7f)
			return 0;
	return 1;
}

/* Adds a tensor; `trainable` 0 makes a running-statistics buffer with no
 * gradient or momentum. */
static int param_new(apnas_params *ps, const char *name, int ndim,
                     const int32_t *dims, apnas_init init, int decay,
                     int trainable, apnas_param **out, apnas_error *err)
{
	if (out)
		*out = NULL;
	if (!ps || !dims)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "nn: parameter '%s': NULL set or dims",
		                       name ? name : "(null)");
	if (!valid_name(name))
		return apnas_error_set(err, APNAS_EINVAL,
		                       "nn: parameter name '%s' is empty, longer "
		                       "than 255 or has spaces or control characters",
		                       name ? name : "(null)");
	if (ndim < 1 || ndim > 4)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "nn: parameter '%s': ndim must be in [1, 4], "
		                       "got %d", name, ndim);
	size_t numel = 1;
	for (int i = 0; i < ndim; i++) {
		if (dims[i] < 1 || dims[i] > (1 << 24))
			return apnas_error_set(err, APNAS_EINVAL,
			                       "nn: parameter '%s': dimension %d must "
			                       "be in [1, 16777216], got %d",
			                       name, i, (int)dims[i]);
		numel *= (size_t)dims[i];
		if (numel > ((size_t)1 << 31))
			return apnas_error_set(err, APNAS_EINVAL,
			                       "nn: parameter '%s' has more than 2^31 "
			                       "elements", name);
	}
	if (apnas_params_find(ps, name))
		return apnas_error_set(err, APNAS_EINVAL,
		                       "nn: parameter '%s' already exists in the set",
		                       name);
	if (init < APNAS_INIT_HE || init > APNAS_INIT_FANIN_UNIFORM)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "nn: parameter '%s': unknown init %d", name,
		                       (int)init);
	if (ps->n == ps->cap) {
		size_t cap = ps->cap ? ps->cap * 2 : 32;
		apnas_param **v = realloc(ps->v, cap * sizeof *v);
		if (!v)
			goto oom;
		ps->v = v;
		ps->cap = cap;
	}
	size_t per = nn_round_up(numel * sizeof(float));
	size_t nbuf = trainable ? 3 : 1;
	char what[300];
	snprintf(what, sizeof what, "nn: the weights through parameter '%s'",
	         name);
	/* the set so far and this tensor, against the memory limit */
	int rc = apnas_memcap_check((uint64_t)apnas_params_bytes(ps) +
	                            per * nbuf, what, err);
	if (rc)
		return rc;
	apnas_param *p = calloc(1, sizeof *p);
	if (!p)
		goto oom;
	p->name = strdup(name);
	if (!p->name || posix_memalign((void **)&p->value, NN_ALIGN,
	                               per * nbuf) != 0) {
		p->value = NULL;
		param_free(p);
		goto oom;
	}
	p->ndim = ndim;
	for (int i = 0; i < 4; i++)
		p->dims[i] = i < ndim ? dims[i] : 1;
	p->numel = numel;
	p->trainable = trainable;
	p->decay = decay && trainable;
	if (trainable) {
		p->grad = (float *)((char *)p->value + per);
		p->mom = (float *)((char *)p->value + 2 * per);
		memset(p->grad, 0, numel * sizeof(float));
		memset(p->mom, 0, numel * sizeof(float));
	}
	size_t fan_in = numel / (size_t)dims[0];
	if (ndim == 1)
		fan_in = numel;
	switch (init) {
	case APNAS_INIT_HE: {
		double sd = sqrt(2.0 / (double)fan_in);
		for (size_t i = 0; i < numel; i++)
			p->value[i] = (float)(apnas_rng_normal(&ps->rng) * sd);
		break;
	}
	case APNAS_INIT_ZERO:
		memset(p->value, 0, numel * sizeof(float));
		break;
	case APNAS_INIT_ONE:
		for (size_t i = 0; i < numel; i++)
			p->value[i] = 1.0f;
		break;
	case APNAS_INIT_FANIN_UNIFORM: {
		double a = 1.0 / sqrt((double)fan_in);
		for (size_t i = 0; i < numel; i++)
			p->value[i] = (float)((2.0 * apnas_rng_uniform(&ps->rng) - 1.0) * a);
		break;
	}
	}
	ps->v[ps->n++] = p;
	if (out)
		*out = p;
	return 0;
oom:
	return apnas_error_set(err, APNAS_ENOMEM,
	                       "nn: out of memory adding parameter '%s'", name);
}

int apnas_param_add(apnas_params *ps, const char *name, int ndim,
                    const int32_t *dims, apnas_init init, int decay,
                    apnas_param **out, apnas_error *err)
{
	return param_new(ps, name, ndim, dims, init, decay, 1, out, err);
}

int apnas_param_conv(apnas_params *ps, const char *name, int out_c,
                     int in_c, int k, apnas_param **out, apnas_error *err)
{
	int32_t d[4] = {out_c, in_c, k, k};
	return param_new(ps, name, 4, d, APNAS_INIT_HE, 1, 1, out, err);
}

int apnas_param_dwconv(apnas_params *ps, const char *name, int c, int k,
                       apnas_param **out, apnas_error *err)
{
	int32_t d[4] = {c, 1, k, k};
	return param_new(ps, name, 4, d, APNAS_INIT_HE, 1, 1, out, err);
}

int apnas_param_fc(apnas_params *ps, const char *name, int out_f, int in_f,
                   apnas_param **w, apnas_param **b, apnas_error *err)
{
	char buf[300];
	if (!name || strlen(name) > 250)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "nn: fc parameter name missing or too long");
	int32_t dw[2] = {out_f, in_f};
	snprintf(buf, sizeof buf, "%s.w", name);
	int rc = param_new(ps, buf, 2, dw, APNAS_INIT_HE, 1, 1, w, err);
	if (rc < 0 || !b)
		return rc;
	/* PyTorch draws the bias from the weight's fan-in (in_f), which a
	 * 1-D tensor cannot know: create it zeroed and fill it here. */
	snprintf(buf, sizeof buf, "%s.b", name);
	int32_t db = out_f;
	rc = param_new(ps, buf, 1, &db, APNAS_INIT_ZERO, 0, 1, b, err);
	if (rc < 0)
		return rc;
	double a = 1.0 / sqrt((double)in_f);
	for (int i = 0; i < out_f; i++)
		(*b)->value[i] = (float)((2.0 * apnas_rng_uniform(&ps->rng) - 1.0) * a);
	return 0;
}

int apnas_bn_add(apnas_params *ps, const char *name, int c, int affine,
                 apnas_bn *bn, apnas_error *err)
{
	char buf[300];
	if (!bn)
		return apnas_error_set(err, APNAS_EINVAL, "nn: apnas_bn_add: NULL bn");
	memset(bn, 0, sizeof *bn);
	if (!name || strlen(name) > 250)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "nn: batch-norm name missing or too long");
	int32_t d = c;
	int rc;
	if (affine) {
		snprintf(buf, sizeof buf, "%s.gamma", name);
		if ((rc = param_new(ps, buf, 1, &d, APNAS_INIT_ONE, 0, 1,
		                    &bn->gamma, err)) < 0)
			return rc;
		snprintf(buf, sizeof buf, "%s.beta", name);
		if ((rc = param_new(ps, buf, 1, &d, APNAS_INIT_ZERO, 0, 1,
		                    &bn->beta, err)) < 0)
			return rc;
	}
	snprintf(buf, sizeof buf, "%s.mean", name);
	if ((rc = param_new(ps, buf, 1, &d, APNAS_INIT_ZERO, 0, 0, &bn->mean,
	                    err)) < 0)
		return rc;
	snprintf(buf, sizeof buf, "%s.var", name);
	if ((rc = param_new(ps, buf, 1, &d, APNAS_INIT_ONE, 0, 0, &bn->var,
	                    err)) < 0)
		return rc;
	bn->c = c;
	bn->momentum = 0.1f;
	bn->eps = 1e-5f;
	return 0;
}

apnas_param *apnas_params_find(const apnas_params *ps, const char *name)
{
	if (!ps || !name)
		return NULL;
	for (size_t i = 0; i < ps->n; i++)
		if (strcmp(ps->v[i]->name, name) == 0)
			return ps->v[i];
	return NULL;
}

size_t apnas_params_count(const apnas_params *ps)
{
	return ps ? ps->n : 0;
}

apnas_param *apnas_params_at(const apnas_params *ps, size_t i)
{
	return ps && i < ps->n ? ps->v[i] : NULL;
}

size_t apnas_params_numel(const apnas_params *ps)
{
	size_t s = 0;
	for (size_t i = 0; ps && i < ps->n; i++)
		if (ps->v[i]->trainable)
			s += ps->v[i]->numel;
	return s;
}

size_t apnas_params_bytes(const apnas_params *ps)
{
	size_t s = 0;
	for (size_t i = 0; ps && i < ps->n; i++)
		s += ps->v[i]->numel * sizeof(float) * (ps->v[i]->trainable ? 3 : 1);
	return s;
}

const char *apnas_param_name(const apnas_param *p) { return p->name; }
int apnas_param_ndim(const apnas_param *p) { return p->ndim; }
const int32_t *apnas_param_dims(const apnas_param *p) { return p->dims; }
size_t apnas_param_numel(const apnas_param *p) { return p->numel; }
float *apnas_param_value(apnas_param *p) { return p->value; }
float *apnas_param_grad(apnas_param *p) { return p->grad; }
float *apnas_param_momentum(apnas_param *p) { return p->mom; }
int apnas_param_used(const apnas_param *p) { return p->used; }

void apnas_params_clear_used(apnas_params *ps)
{
	for (size_t i = 0; ps && i < ps->n; i++)
		ps->v[i]->used = 0;
}
