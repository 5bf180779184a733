/* Helpers of the `space` suite; see space_harness.h. */
#include "../common/tmpdir.h"
#include "space_harness.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sp_try_open(sp *s, const char *name, const char *const *settings,
                const apnas_data_info *data, uint64_t seed, int threads,
                apnas_error *err)
{
	memset(s, 0, sizeof *s);
	size_t n = 0;
	while (settings && settings[n])
		n++;
	apnas_plugin_ctx ctx;
	memset(&ctx, 0, sizeof ctx);
	ctx.seed = seed;
	ctx.threads = threads;
	ctx.data = data;
	int rc = apnas_plugin_open(APNAS_KIND_SPACE, name, settings, n, &ctx,
	                           &s->h, err);
	if (rc)
		return rc;
	s->desc = apnas_plugin_desc_of(s->h);
	s->ops = apnas_plugin_ops(s->h);
	s->opts = apnas_plugin_opts(s->h);
	s->self = apnas_plugin_self(s->h);
	return s->ops->decisions(s->self, &s->dec, &s->nd, err);
}

void sp_open(sp *s, const char *name, const char *const *settings,
             const apnas_data_info *data, uint64_t seed, int threads)
{
	apnas_error e;
	apnas_error_clear(&e);
	int rc = sp_try_open(s, name, settings, data, seed, threads, &e);
	ck_assert_msg(rc == 0, "opening space %s: %s", name, e.msg);
}

void sp_close(sp *s)
{
	apnas_plugin_close(s->h);
	memset(s, 0, sizeof *s);
}

static uint64_t next(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

void sp_random_tok(const sp *s, uint64_t *state, int32_t *tok)
{
	for (size_t k = 0; k < s->nd; k++)
		tok[k] = (int32_t)(next(state) % (uint64_t)s->dec[k].n_choices);
}

unsigned char *sp_save(sp *s, size_t *len)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);
	ck_assert_ptr_nonnull(f);
	apnas_error e;
	apnas_error_clear(&e);
	ck_assert_msg(s->ops->save(s->self, f, &e) == 0, "save: %s", e.msg);
	fclose(f);
	*len = n;
	return (unsigned char *)buf;
}

apnas_dataset *sp_synthetic(int c, int hw, int classes, int n)
{
	apnas_data_spec spec;
	apnas_data_spec_init(&spec);
	spec.dataset = "synthetic";
	spec.val_size = n / 5;
	spec.synthetic_n = n;
	spec.synthetic_test_n = n / 5;
	spec.synthetic_classes = classes;
	spec.synthetic_c = c;
	spec.synthetic_h = hw;
	spec.synthetic_w = hw;
	spec.synthetic_noise = 0.3;
	apnas_dataset *ds = NULL;
	apnas_error e;
	apnas_error_clear(&e);
	ck_assert_msg(apnas_data_open_spec(&spec, 7, &ds, &e) == 0,
	              "synthetic data: %s", e.msg);
	return ds;
}

char *sp_tempdir(void)
{
	return t_tempdir("space");
}

void sp_rmtree(const char *path)
{
	t_rmtree(path);
}
