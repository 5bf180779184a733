/* SGD with momentum, Nesterov and L2 weight decay over the parameters the
 * last backward pass used, and the cosine learning-rate schedule with warm
 * restarts.  The update follows PyTorch's torch.optim.SGD exactly, so that
 * results can be compared with the reference benchmark. */
#include "nn/nn_internal.h"

#include <math.h>

static int check_opts(const apnas_sgd *o, double lr, apnas_error *err)
{
	if (!o)
		return apnas_error_set(err, APNAS_EINVAL, "nn: sgd: NULL settings");
	if (!(o->momentum >= 0 && o->momentum < 1))
		return apnas_error_set(err, APNAS_EINVAL,
		                       "nn: sgd: momentum must be in [0, 1), got %g",
		                       o->momentum);
	if (o->nesterov && o->momentum <= 0)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "nn: sgd: nesterov needs momentum > 0");
	if (!(o->weight_decay >= 0 && isfinite(o->weight_decay)))
		return apnas_error_set(err, APNAS_EINVAL,
		                       "nn: sgd: weight_decay must be finite and "
		                       ">= 0, got %g", o->weight_decay);
	if (!(o->grad_clip >= 0 && isfinite(o->grad_clip)))
		return apnas_error_set(err, APNAS_EINVAL,
		                       "nn: sgd: grad_clip must be finite and >= 0, "
		                       "got %g", o->grad_clip);
	if (!(lr >= 0 && isfinite(lr)))
		return apnas_error_set(err, APNAS_EINVAL,
		                       "nn: sgd: learning rate must be finite and "
		                       ">= 0, got %g", lr);
	return 0;
}

int apnas_sgd_step(apnas_params *ps, const apnas_sgd *opt, double lr,
                   apnas_error *err)
{
	int rc = check_opts(opt, lr, err);
	if (rc < 0)
		return rc;
	if (!ps)
		return apnas_error_set(err, APNAS_EINVAL, "nn: sgd: NULL set");
	/* One pass to refuse non-finite gradients before anything moves, and
	 * to take the global norm for clipping, in a fixed order. */
	double sq = 0;
	for (size_t i = 0; i < ps->n; i++) {
		apnas_param *p = ps->v[i];
		if (!p->used)
			continue;
		for (size_t j = 0; j < p->numel; j++)
			sq += (double)p->grad[j] * p->grad[j];
		if (!isfinite(sq))
			return apnas_error_set(err, APNAS_ENUM,
			                       "nn: sgd: non-finite gradient in '%s'; "
			                       "no weight updated", p->name);
	}
	float scale = 1.0f;
	if (opt->grad_clip > 0 && sqrt(sq) > opt->grad_clip)
		scale = (float)(opt->grad_clip / sqrt(sq));
	const float mu = (float)opt->momentum, flr = (float)lr;
	for (size_t i = 0; i < ps->n; i++) {
		apnas_param *p = ps->v[i];
		if (!p->used)
			continue;
		const float wd = p->decay ? (float)opt->weight_decay : 0.0f;
		float *w = p->value, *gr = p->grad, *m = p->mom;
		for (size_t j = 0; j < p->numel; j++) {
			float g = gr[j] * scale + wd * w[j];
			float mj = mu * m[j] + g;
			m[j] = mj;
			w[j] -= flr * (opt->nesterov ? g + mu * mj : mj);
		}
		p->used = 0;
	}
	return 0;
}

double apnas_cosine_lr(const apnas_cosine *c, double epoch_pos)
{
	if (!c || !(c->t0 > 0) || epoch_pos < 0)
		return c ? c->lr_max : 0.0;
	double t = epoch_pos, T = c->t0;
	double tmul = c->tmul >= 1 ? c->tmul : 1.0;
	if (tmul == 1.0) {
		t = fmod(t, T);
	} else {
		while (t >= T) {
			t -= T;
			T *= tmul;
		}
	}
	return c->lr_min +
	       (c->lr_max - c->lr_min) * 0.5 * (1.0 + cos(M_PI * t / T));
}
