/* Opening an architecture for a command: see arch_open.h. */
#include "arch/arch_open.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void apnas_arch_close(apnas_arch_open *a)
{
	if (a->space.lib.handle)
		apnas_instance_destroy(&a->space);
	apnas_archfile_free(&a->file);
	apnas_config_free(a->cfg);
	free(a->tok);
	memset(a, 0, sizeof *a);
}

/* The file replaces the config's space values; say which, so a user who
 * edited the config's space group is not surprised. */
static void note_changes(apnas_arch_open *a, apnas_config *base, FILE *msg)
{
	if (!msg || !apnas_config_has_group(base, "space"))
		return;
	const char *was = apnas_config_plugin_name(base, APNAS_KIND_SPACE);
	if (strcmp(was, a->file.space)) {
		fprintf(msg, "apnas: note: %s is an architecture of space "
		        "'%s'; it replaces the config's space '%s'\n", a->path,
		        a->file.space, was);
		return;
	}
	const apnas_opts *o0 = NULL, *o1 = NULL;
	apnas_error e;
	apnas_error_clear(&e);
	/* an invalid config group is reported when the space is created */
	if (apnas_config_plugin(base, APNAS_KIND_SPACE, NULL, &o0, &e) ||
	    apnas_config_plugin(a->cfg, APNAS_KIND_SPACE, NULL, &o1, &e))
		return;
	const apnas_option *t = apnas_opts_table(o1);
	for (size_t k = 0; t && t[k].key; k++) {
		char v0[512], v1[512];
		apnas_opts_text(o0, t[k].key, v0, sizeof v0);
		apnas_opts_text(o1, t[k].key, v1, sizeof v1);
		if (strcmp(v0, v1))
			fprintf(msg, "apnas: note: %s sets space.%s = %s (the "
			        "config has %s)\n", a->path, t[k].key, v1, v0);
	}
	fflush(msg);
}

/* Whether setting "space.key=value" names a recipe option of table t. */
static int is_recipe(const apnas_option *t, const char *setting)
{
	const char *key = strchr(setting, '.');
	key = key ? key + 1 : setting;
	size_t n = strcspn(key, "=");
	for (size_t k = 0; t[k].key; k++)
		if (strlen(t[k].key) == n && !strncmp(t[k].key, key, n))
			return (t[k].flags & APNAS_OPT_RECIPE) != 0;
	return 0;
}

/* A name without a slash that is no file ("all-conv3x3") is one of the
 * space's named architectures, in the space the config sets up. */
static int is_named(const char *config, const char *arch_path)
{
	return config && !strchr(arch_path, '/') && access(arch_path, F_OK) &&
	       errno == ENOENT;
}

/* Config errors are the user's to fix, whatever their code says. */
static int user_fix(int rc)
{
	return rc == APNAS_ENOMEM ? rc : APNAS_EINVAL;
}

static int named_config(apnas_arch_open *a, const char *config,
                        const char *const *pre, size_t npre,
                        const char *const *sets, size_t nsets,
                        apnas_error *err)
{
	const char **all = calloc(npre + nsets + 1, sizeof *all);
	if (!all)
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	for (size_t k = 0; k < npre; k++)
		all[k] = pre[k];
	for (size_t k = 0; k < nsets; k++)
		all[npre + k] = sets[k];
	int rc = apnas_config_load(config, all, npre + nsets, &a->cfg, err);
	free(all);
	if (rc)
		return user_fix(rc);
	a->file.space =
		strdup(apnas_config_plugin_name(a->cfg, APNAS_KIND_SPACE));
	if (!a->file.space)
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	a->named = 1;
	return 0;
}

/* Whether one of the user's settings sets the cost key of hardware
 * setting hs ("cost.rows=16"). */
static const char *overridden(const char *hs, const char *const *sets,
                              size_t nsets)
{
	size_t kl = strcspn(hs, "=");
	for (size_t k = 0; k < nsets; k++)
		if (!strncmp(sets[k], hs, kl) && sets[k][kl] == '=')
			return sets[k];
	return NULL;
}

/* The hardware section's settings go after the file's space settings and
 * before the user's, who still win and are told so. */
static size_t add_hardware(apnas_arch_open *a, const char **all,
                           const char *const *sets, size_t nsets, FILE *msg)
{
	size_t used = 0;
	for (size_t k = 0; k < a->file.n_hw; k++) {
		const char *hs = a->file.hw_settings[k];
		const char *by = overridden(hs, sets, nsets);
		if (by && msg)
			fprintf(msg, "apnas: note: --set %s wins over the "
			        "hardware section of %s (%s)\n", by, a->path,
			        hs);
		all[used++] = hs;
	}
	if (a->file.n_hw && msg)
		fprintf(msg, "apnas: note: costing on the hardware section "
		        "of %s\n", a->path);
	return used;
}

static int arch_config(apnas_arch_open *a, const char *config,
                       const char *arch_path, const char *const *pre,
                       size_t npre, const char *const *sets, size_t nsets,
                       int hardware, FILE *msg, apnas_error *err)
{
	memset(a, 0, sizeof *a);
	a->path = arch_path;
	if (is_named(config, arch_path))
		return named_config(a, config, pre, npre, sets, nsets, err);
	int rc = apnas_archfile_read(arch_path, &a->file, err);
	if (rc)
		/* a missing or unreadable input is the user's to fix */
		return user_fix(rc);
	size_t nf = a->file.n_settings;
	const char **all = calloc(npre + nf + a->file.n_hw + nsets + 1,
	                          sizeof *all);
	if (!all)
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	/* without the file first: its errors are the config's own, and its
	 * space values are what the file's are compared with */
	for (size_t k = 0; k < npre; k++)
		all[k] = pre[k];
	for (size_t k = 0; k < nsets; k++)
		all[npre + k] = sets[k];
	apnas_config *base = NULL;
	rc = apnas_config_load(config, all, npre + nsets, &base, err);
	if (rc) {
		free(all);
		return user_fix(rc);
	}
	/* Only the settings that define the network: a file written before
	 * recipe options became comments still lists them, and its learning
	 * rate schedule is not the retraining's. */
	const apnas_opts *bo = NULL;
	apnas_error e2;
	apnas_error_clear(&e2);
	const apnas_option *bt = NULL;
	if (!strcmp(apnas_config_plugin_name(base, APNAS_KIND_SPACE),
	            a->file.space) &&
	    apnas_config_plugin(base, APNAS_KIND_SPACE, NULL, &bo, &e2) == 0)
		bt = apnas_opts_table(bo);
	size_t used = 0;
	for (size_t k = 0; k < nf; k++) {
		if (bt && is_recipe(bt, a->file.settings[k])) {
			if (msg)
				fprintf(msg, "apnas: note: %s was searched with "
				        "%s; the retraining follows the config's "
				        "recipe\n", a->path, a->file.settings[k]);
			continue;
		}
		all[npre + used++] = a->file.settings[k];
	}
	if (hardware)
		used += add_hardware(a, all + npre + used, sets, nsets, msg);
	for (size_t k = 0; k < nsets; k++)
		all[npre + used + k] = sets[k];
	rc = apnas_config_load(config, all, npre + used + nsets, &a->cfg,
	                       err);
	free(all);
	if (rc) {
		apnas_config_free(base);
		apnas_error_prefix(err, "%s: header", arch_path);
		return user_fix(rc);
	}
	note_changes(a, base, msg);
	apnas_config_free(base);
	/* The section's keys are checked now, so a mistake in it is the
	 * file's, not a --set's. */
	if (hardware && a->file.n_hw &&
	    (rc = apnas_config_plugin(a->cfg, APNAS_KIND_COST, NULL, NULL,
	                              err))) {
		apnas_error_prefix(err, "%s:%d: hardware section", arch_path,
		                   a->file.hw_line);
		return user_fix(rc);
	}
	return 0;
}

int apnas_arch_config(apnas_arch_open *a, const char *config,
                      const char *arch_path, const char *const *pre,
                      size_t npre, const char *const *sets, size_t nsets,
                      FILE *msg, apnas_error *err)
{
	return arch_config(a, config, arch_path, pre, npre, sets, nsets, 0,
	                   msg, err);
}

int apnas_arch_config_hw(apnas_arch_open *a, const char *config,
                         const char *arch_path, const char *const *pre,
                         size_t npre, const char *const *sets, size_t nsets,
                         FILE *msg, apnas_error *err)
{
	return arch_config(a, config, arch_path, pre, npre, sets, nsets, 1,
	                   msg, err);
}

/* The named architecture's tokens, and its text as the body, so that a
 * command shows and records it as it would a file's. */
static int named_tokens(apnas_arch_open *a, const char *space,
                        apnas_error *err)
{
	if (!a->ops->named)
		return apnas_error_set(err, APNAS_EINVAL,
			"--arch %s: no such file, and space '%s' has no named "
			"architectures", a->path, space);
	int rc = a->ops->named(a->space.self, a->path, a->tok, err);
	if (rc)
		return apnas_error_prefix(err, "--arch %s: no such file, nor "
		                          "a named architecture of space '%s'",
		                          a->path, space);
	rc = a->ops->format(a->space.self, a->tok, &a->file.body, err);
	if (rc)
		return apnas_error_prefix(err, "--arch %s", a->path);
	return 0;
}

int apnas_arch_space(apnas_arch_open *a, const apnas_data_info *data,
                     apnas_error *err)
{
	const char *name = apnas_config_plugin_name(a->cfg, APNAS_KIND_SPACE);
	if (!a->named && strcmp(name, a->file.space))
		return apnas_error_set(err, APNAS_EINVAL,
			"%s is an architecture of space '%s', but --set chose "
			"space '%s'", a->path, a->file.space, name);
	apnas_plugin_ctx extra;
	memset(&extra, 0, sizeof extra);
	extra.data = data;
	extra.coll = a->coll;
	int rc = apnas_config_instance(a->cfg, APNAS_KIND_SPACE, &extra,
	                               &a->space, err);
	if (rc)
		return rc;
	a->ops = a->space.ops;
	const apnas_decision *d;
	rc = a->ops->decisions(a->space.self, &d, &a->nd, err);
	if (rc)
		return apnas_error_prefix(err, "space '%s' decisions", name);
	a->tok = calloc(a->nd ? a->nd : 1, sizeof *a->tok);
	if (!a->tok)
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	apnas_error_clear(err);
	if (a->named)
		return named_tokens(a, name, err);
	rc = a->ops->parse(a->space.self, a->file.body, a->tok, err);
	if (rc) {
		if (err->line > 0) {
			int line = a->file.body_line + err->line - 1;
			apnas_error_prefix(err, "%s:%d", a->path, line);
		} else {
			apnas_error_prefix(err, "%s", a->path);
		}
	}
	return rc;
}

int apnas_arch_data_geometry(const apnas_config *cfg, apnas_data_info *info,
                             apnas_error *err)
{
	const apnas_opts *o = apnas_config_core(cfg, "data");
	const char *ds = apnas_opts_string(o, "dataset");
	memset(info, 0, sizeof *info);
	info->classes = 10;
	if (!strcmp(ds, "fashion_mnist") || !strcmp(ds, "mnist")) {
		info->c = 1;
		info->h = info->w = 28;
	} else if (!strcmp(ds, "cifar10")) {
		info->c = 3;
		info->h = info->w = 32;
	} else if (!strcmp(ds, "synthetic")) {
		info->c = (int32_t)apnas_opts_int(o, "synthetic_c");
		info->h = (int32_t)apnas_opts_int(o, "synthetic_h");
		info->w = (int32_t)apnas_opts_int(o, "synthetic_w");
		info->classes = (int32_t)apnas_opts_int(o, "synthetic_classes");
	} else {
		return apnas_error_set(err, APNAS_EINVAL,
			"data.dataset \"%s\": geometry unknown", ds);
	}
	return 0;
}
