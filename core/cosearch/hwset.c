/* See hwset.h. */
#include "hwset.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opts_internal.h"

struct hw_inst {
	uint64_t key;
	int used;
	apnas_opts *opts; /* owned: the configured options with the choice
	                     applied; the instance reads them until destroy */
	void *self;       /* owned: the plugin's instance */
};

/* One "key = value" of a choice's settings, trimmed, into k and v. */
typedef struct kv {
	char k[64];
	char v[256];
} kv;

static const char *trim_span(const char *p, const char *e, size_t *n)
{
	while (p < e && (*p == ' ' || *p == '\t'))
		p++;
	while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	*n = (size_t)(e - p);
	return p;
}

/* The next pair of settings text at *p; 1 when one was read, 0 at the
 * end, -1 when malformed. */
static int next_pair(const char **p, kv *out)
{
	const char *s = *p;
	while (*s == ' ' || *s == '\t' || *s == ';')
		s++;
	if (!*s)
		return 0;
	const char *end = s + strcspn(s, ";");
	const char *eq = memchr(s, '=', (size_t)(end - s));
	*p = end;
	if (!eq)
		return -1;
	size_t kn, vn;
	const char *k = trim_span(s, eq, &kn);
	const char *v = trim_span(eq + 1, end, &vn);
	if (!kn || !vn || kn >= sizeof out->k || vn >= sizeof out->v)
		return -1;
	memcpy(out->k, k, kn);
	out->k[kn] = '\0';
	memcpy(out->v, v, vn);
	out->v[vn] = '\0';
	return 1;
}

/* Applies choice c of decision k to o. */
static int apply(const apnas_hwset *h, size_t k, int32_t c, apnas_opts *o,
                 apnas_error *err)
{
	const char *p = h->d[k].settings[c];
	kv pair;
	int r;
	while ((r = next_pair(&p, &pair)) > 0) {
		int rc = apnas_opts_set_text(o, pair.k, pair.v, err);
		if (rc)
			return apnas_error_prefix(err, "cost '%s': hardware "
			                          "decision %s, choice %s",
			                          h->cost_name, h->d[k].name,
			                          h->d[k].labels[c]);
	}
	if (r < 0)
		return apnas_error_set(err, APNAS_EPLUGIN,
		                       "cost '%s': hardware decision %s, choice "
		                       "%s: settings '%s' are not 'key = value; "
		                       "...'", h->cost_name, h->d[k].name,
		                       h->d[k].labels[c], h->d[k].settings[c]);
	return 0;
}

static int valid_name(const char *s)
{
	if (!s || !*s || strlen(s) > APNAS_METRIC_NAME_MAX)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		      *s == '_'))
			return 0;
	return 1;
}

/* Every decision well formed, and every choice applies to the options. */
static int check(apnas_hwset *h, apnas_error *err)
{
	uint64_t combos = 1;
	for (size_t k = 0; k < h->nd; k++) {
		const apnas_hw_decision *d = &h->d[k];
		if (!valid_name(d->name) || d->n_choices < 1 ||
		    d->n_choices > APNAS_HW_CHOICES_MAX || !d->labels ||
		    !d->settings)
			return apnas_error_set(err, APNAS_EPLUGIN,
			                       "cost '%s': hardware decision %zu "
			                       "is malformed (name [a-z0-9_]+, 1 "
			                       "to %d choices, labels and "
			                       "settings)", h->cost_name, k,
			                       APNAS_HW_CHOICES_MAX);
		for (size_t j = 0; j < k; j++)
			if (!strcmp(h->d[j].name, d->name))
				return apnas_error_set(err, APNAS_EPLUGIN,
				                       "cost '%s': hardware "
				                       "decision %s declared "
				                       "twice", h->cost_name,
				                       d->name);
		combos *= (uint64_t)d->n_choices;
		if (combos > APNAS_HW_COMBOS_MAX)
			return apnas_error_set(err, APNAS_EINVAL,
			                       "cost '%s': the hardware "
			                       "decisions allow more than %d "
			                       "combinations; narrow the search "
			                       "options", h->cost_name,
			                       APNAS_HW_COMBOS_MAX);
		for (int32_t c = 0; c < d->n_choices; c++) {
			if (!d->labels[c] || !d->settings[c])
				return apnas_error_set(err, APNAS_EPLUGIN,
				                       "cost '%s': hardware "
				                       "decision %s: choice %d "
				                       "has no label or settings",
				                       h->cost_name, d->name,
				                       (int)c);
			apnas_opts *o;
			if (apnas_opts_clone(h->base->opts, &o))
				return apnas_error_set(err, APNAS_ENOMEM,
				                       "out of memory");
			int rc = apply(h, k, c, o, err);
			apnas_opts_free(o);
			if (rc)
				return rc == APNAS_EINVAL ? (err->code =
				                             APNAS_EPLUGIN) : rc;
		}
	}
	return 0;
}

int apnas_hwset_init(apnas_hwset *h, const apnas_instance *base,
                     const char *cost_name, uint64_t seed, int32_t threads,
                     apnas_error *err)
{
	memset(h, 0, sizeof *h);
	h->base = base;
	h->cost_name = cost_name;
	h->seed = seed;
	h->threads = threads;
	const apnas_cost_ops *ops = base->ops;
	if (!APNAS_HAS_OP(apnas_cost_ops, ops, base->lib.desc->ops_size,
	                  hw_decisions))
		return 0;
	const apnas_hw_decision *d = ops->hw_decisions(base->self);
	size_t n = 0;
	while (d && d[n].name) {
		if (++n > APNAS_HW_DECISIONS_MAX)
			return apnas_error_set(err, APNAS_EPLUGIN,
			                       "cost '%s': more than %d hardware "
			                       "decisions", cost_name,
			                       APNAS_HW_DECISIONS_MAX);
	}
	h->d = d;
	h->nd = n;
	int rc = check(h, err);
	if (!rc && n) {
		h->dec_of_tok = malloc(n * sizeof *h->dec_of_tok);
		if (!h->dec_of_tok)
			rc = apnas_error_set(err, APNAS_ENOMEM, "out of memory");
		for (size_t k = 0; !rc && k < n; k++)
			if (d[k].n_choices >= 2)
				h->dec_of_tok[h->n_tok++] = k;
	}
	if (rc)
		apnas_hwset_free(h);
	return rc;
}

void apnas_hwset_free(apnas_hwset *h)
{
	if (!h)
		return;
	const apnas_cost_ops *ops = h->base ? h->base->ops : NULL;
	for (size_t i = 0; i < h->cap_inst; i++)
		if (h->inst[i].used) {
			ops->destroy(h->inst[i].self);
			apnas_opts_free(h->inst[i].opts);
		}
	free(h->inst);
	free(h->dec_of_tok);
	memset(h, 0, sizeof *h);
}

void apnas_hwset_decisions(const apnas_hwset *h, apnas_decision *out)
{
	for (size_t t = 0; t < h->n_tok; t++) {
		out[t].kind = APNAS_DECISION_CHOICE;
		out[t].n_choices = h->d[h->dec_of_tok[t]].n_choices;
		out[t].layer = -1;
		out[t].skip_from = -1;
	}
}

/* The choice decision k takes under hw (0 for a fixed one). */
static int32_t choice_of(const apnas_hwset *h, const int32_t *hw, size_t k)
{
	for (size_t t = 0; t < h->n_tok; t++)
		if (h->dec_of_tok[t] == k)
			return hw[t];
	return 0;
}

static uint64_t key_of(const apnas_hwset *h, const int32_t *hw)
{
	uint64_t key = 0;
	for (size_t t = 0; t < h->n_tok; t++)
		key = key * (uint64_t)h->d[h->dec_of_tok[t]].n_choices +
		      (uint64_t)hw[t];
	return key;
}

static size_t slot_of(const hw_inst *tab, size_t cap, uint64_t key)
{
	size_t i = (size_t)(key * 0x9e3779b97f4a7c15ull) & (cap - 1);
	while (tab[i].used && tab[i].key != key)
		i = (i + 1) & (cap - 1);
	return i;
}

static int grow(apnas_hwset *h, apnas_error *err)
{
	size_t cap = h->cap_inst ? h->cap_inst * 2 : 16;
	hw_inst *t = calloc(cap, sizeof *t);
	if (!t)
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	for (size_t i = 0; i < h->cap_inst; i++)
		if (h->inst[i].used)
			t[slot_of(t, cap, h->inst[i].key)] = h->inst[i];
	free(h->inst);
	h->inst = t;
	h->cap_inst = cap;
	return 0;
}

/* The instance's metrics must be the base's, name for name: the run's
 * value vectors are laid out once. */
static int same_metrics(const apnas_hwset *h, void *self, const char *label,
                        apnas_error *err)
{
	const apnas_cost_ops *ops = h->base->ops;
	const apnas_metric_decl *a = ops->metrics(h->base->self);
	const apnas_metric_decl *b = ops->metrics(self);
	size_t i = 0;
	for (; a && b && a[i].name && b[i].name; i++)
		if (strcmp(a[i].name, b[i].name))
			break;
	if (a && b && !a[i].name && !b[i].name)
		return 0;
	return apnas_error_set(err, APNAS_EPLUGIN,
	                       "cost '%s': the instance for hardware %s "
	                       "declares other metrics than the configured "
	                       "one", h->cost_name, label);
}

static int create(apnas_hwset *h, const int32_t *hw, hw_inst *e,
                  apnas_error *err)
{
	if (apnas_opts_clone(h->base->opts, &e->opts))
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	int rc = 0;
	for (size_t k = 0; !rc && k < h->nd; k++)
		rc = apply(h, k, choice_of(h, hw, k), e->opts, err);
	char label[256];
	apnas_hwset_label(h, hw, label, sizeof label);
	if (!rc) {
		apnas_plugin_ctx ctx;
		memset(&ctx, 0, sizeof ctx);
		ctx.opts = e->opts;
		ctx.seed = h->seed;
		ctx.threads = h->threads;
		apnas_error perr;
		apnas_error_clear(&perr);
		const apnas_cost_ops *ops = h->base->ops;
		if (ops->create(&ctx, &e->self, &perr))
			rc = apnas_error_set(err, APNAS_EPLUGIN,
			                     "cost '%s' on hardware %s: %s",
			                     h->cost_name, label,
			                     perr.msg[0] ? perr.msg
			                                 : "create failed");
		else if ((rc = same_metrics(h, e->self, label, err)))
			ops->destroy(e->self);
	}
	if (rc) {
		apnas_opts_free(e->opts);
		memset(e, 0, sizeof *e);
	}
	return rc;
}

int apnas_hwset_instance(apnas_hwset *h, const int32_t *hw, void **self,
                         apnas_error *err)
{
	uint64_t key = key_of(h, hw);
	if (h->cap_inst) {
		size_t i = slot_of(h->inst, h->cap_inst, key);
		if (h->inst[i].used) {
			*self = h->inst[i].self;
			return 0;
		}
	}
	if ((h->n_inst + 1) * 2 > h->cap_inst) {
		int rc = grow(h, err);
		if (rc)
			return rc;
	}
	hw_inst e;
	memset(&e, 0, sizeof e);
	int rc = create(h, hw, &e, err);
	if (rc)
		return rc;
	e.key = key;
	e.used = 1;
	h->inst[slot_of(h->inst, h->cap_inst, key)] = e;
	h->n_inst++;
	*self = e.self;
	return 0;
}

void apnas_hwset_label(const apnas_hwset *h, const int32_t *hw, char *buf,
                       size_t cap)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t k = 0; k < h->nd && used < cap; k++) {
		int n = snprintf(buf + used, cap - used, "%s%s", k ? " " : "",
		                 h->d[k].labels[choice_of(h, hw, k)]);
		if (n < 0)
			break;
		used += (size_t)n;
	}
}

char *apnas_hwset_section(const apnas_hwset *h, const int32_t *hw)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return NULL;
	char label[256];
	apnas_hwset_label(h, hw, label, sizeof label);
	fprintf(f, "cost %s\n# chosen by the co-search:", h->cost_name);
	for (size_t k = 0; k < h->nd; k++)
		fprintf(f, " %s %s%s", h->d[k].name,
		        h->d[k].labels[choice_of(h, hw, k)],
		        k + 1 < h->nd ? "," : "\n");
	for (size_t k = 0; k < h->nd; k++) {
		const char *p = h->d[k].settings[choice_of(h, hw, k)];
		kv pair;
		while (next_pair(&p, &pair) > 0)
			fprintf(f, "option %s = %s\n", pair.k, pair.v);
	}
	if (fclose(f)) {
		free(text);
		return NULL;
	}
	return text;
}

/* value as the option table would write it back, so that "ws" and
 * "\"ws\"" or "16" and "0x10" compare equal. */
static int normal(const apnas_hwset *h, const char *key, const char *value,
                  char *buf, size_t cap)
{
	apnas_opts *o;
	if (apnas_opts_clone(h->base->opts, &o))
		return -1;
	apnas_error e;
	int rc = apnas_opts_set_text(o, key, value, &e);
	if (!rc)
		apnas_opts_text(o, key, buf, cap);
	apnas_opts_free(o);
	return rc;
}

/* The value settings give key (after "cost."), or NULL. */
static const char *setting(const char *const *settings, size_t n,
                           const char *key)
{
	size_t kl = strlen(key);
	for (size_t i = 1; i < n; i++) {
		const char *k = settings[i] + strlen("cost.");
		if (!strncmp(k, key, kl) && k[kl] == '=')
			return k + kl + 1;
	}
	return NULL;
}

/* Whether choice c of decision k is what settings say. */
static int choice_matches(const apnas_hwset *h, size_t k, int32_t c,
                          const char *const *settings, size_t n,
                          const char **missing)
{
	const char *p = h->d[k].settings[c];
	kv pair;
	while (next_pair(&p, &pair) > 0) {
		const char *v = setting(settings, n, pair.k);
		if (!v) {
			*missing = h->d[k].settings[c];
			return 0;
		}
		char a[256], b[256];
		if (normal(h, pair.k, v, a, sizeof a) ||
		    normal(h, pair.k, pair.v, b, sizeof b) || strcmp(a, b))
			return 0;
	}
	return 1;
}

int apnas_hwset_match(const apnas_hwset *h, const char *const *settings,
                      size_t n, int32_t *hw, apnas_error *err)
{
	for (size_t t = 0; t < h->n_tok; t++) {
		size_t k = h->dec_of_tok[t];
		const char *missing = NULL;
		int32_t c = 0;
		while (c < h->d[k].n_choices &&
		       !choice_matches(h, k, c, settings, n, &missing))
			c++;
		if (c == h->d[k].n_choices)
			return apnas_error_set(err, APNAS_EINVAL,
			                       "hardware section: %s is none of "
			                       "the cost model's %d choices "
			                       "(first: %s = '%s')%s",
			                       h->d[k].name,
			                       (int)h->d[k].n_choices,
			                       h->d[k].labels[0],
			                       h->d[k].settings[0],
			                       missing ? ": it does not set "
			                       "every key" : "");
		hw[t] = c;
	}
	return 0;
}
