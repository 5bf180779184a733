/* Opening an architecture file for a command: see arch_load.h. */
#include "arch_load.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void cli_arch_free(cli_arch *a)
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
static void note_changes(cli_arch *a, apnas_config *base)
{
	if (!apnas_config_has_group(base, "space"))
		return;
	const char *was = apnas_config_plugin_name(base, APNAS_KIND_SPACE);
	if (strcmp(was, a->file.space)) {
		cli_errorf("note: %s is an architecture of space '%s'; it "
		           "replaces the config's space '%s'", a->path,
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
			cli_errorf("note: %s sets space.%s = %s (the config "
			           "has %s)", a->path, t[k].key, v1, v0);
	}
}

/* A name without a slash that is no file ("all-conv3x3") is one of the
 * space's named architectures, in the space the config sets up. */
static int is_named(const char *config, const char *arch_path)
{
	return config && !strchr(arch_path, '/') && access(arch_path, F_OK) &&
	       errno == ENOENT;
}

static int named_config(cli_arch *a, const char *config,
                        const char *const *pre, size_t npre,
                        const char *const *sets, size_t nsets)
{
	apnas_error err;
	apnas_error_clear(&err);
	const char **all = calloc(npre + nsets + 1, sizeof *all);
	if (!all) {
		cli_errorf("out of memory");
		return CLI_EXIT_FAIL;
	}
	for (size_t k = 0; k < npre; k++)
		all[k] = pre[k];
	for (size_t k = 0; k < nsets; k++)
		all[npre + k] = sets[k];
	int rc = apnas_config_load(config, all, npre + nsets, &a->cfg, &err);
	free(all);
	if (rc) {
		cli_error(&err);
		return CLI_EXIT_USAGE;
	}
	a->file.space =
		strdup(apnas_config_plugin_name(a->cfg, APNAS_KIND_SPACE));
	if (!a->file.space) {
		cli_errorf("out of memory");
		return CLI_EXIT_FAIL;
	}
	a->named = 1;
	return CLI_EXIT_OK;
}

int cli_arch_config(cli_arch *a, const char *config, const char *arch_path,
                    const char *const *pre, size_t npre,
                    const char *const *sets, size_t nsets)
{
	memset(a, 0, sizeof *a);
	a->path = arch_path;
	if (is_named(config, arch_path))
		return named_config(a, config, pre, npre, sets, nsets);
	apnas_error err;
	apnas_error_clear(&err);
	int rc = apnas_archfile_read(arch_path, &a->file, &err);
	if (rc) {
		cli_error(&err);
		/* a missing or unreadable input is the user's to fix */
		return rc == APNAS_ENOMEM ? CLI_EXIT_FAIL : CLI_EXIT_USAGE;
	}
	size_t nf = a->file.n_settings;
	const char **all = calloc(npre + nf + nsets + 1, sizeof *all);
	if (!all) {
		cli_errorf("out of memory");
		return CLI_EXIT_FAIL;
	}
	/* without the file first: its errors are the config's own, and its
	 * space values are what the file's are compared with */
	for (size_t k = 0; k < npre; k++)
		all[k] = pre[k];
	for (size_t k = 0; k < nsets; k++)
		all[npre + k] = sets[k];
	apnas_config *base = NULL;
	rc = apnas_config_load(config, all, npre + nsets, &base, &err);
	if (rc) {
		free(all);
		cli_error(&err);
		return CLI_EXIT_USAGE;
	}
	for (size_t k = 0; k < nf; k++)
		all[npre + k] = a->file.settings[k];
	for (size_t k = 0; k < nsets; k++)
		all[npre + nf + k] = sets[k];
	rc = apnas_config_load(config, all, npre + nf + nsets, &a->cfg, &err);
	free(all);
	if (rc) {
		apnas_config_free(base);
		apnas_error_prefix(&err, "%s: header", arch_path);
		cli_error(&err);
		return CLI_EXIT_USAGE;
	}
	note_changes(a, base);
	apnas_config_free(base);
	return CLI_EXIT_OK;
}

/* The named architecture's tokens, and its text as the body, so that a
 * command shows and records it as it would a file's. */
static int named_tokens(cli_arch *a, const char *space)
{
	apnas_error err;
	apnas_error_clear(&err);
	if (!a->ops->named) {
		cli_errorf("--arch %s: no such file, and space '%s' has no "
		           "named architectures", a->path, space);
		return CLI_EXIT_USAGE;
	}
	int rc = a->ops->named(a->space.self, a->path, a->tok, &err);
	if (rc) {
		cli_errorf("--arch %s: no such file, nor a named architecture "
		           "of space '%s': %s", a->path, space, err.msg);
		return cli_exit_code(rc);
	}
	rc = a->ops->format(a->space.self, a->tok, &a->file.body, &err);
	if (rc) {
		cli_errorf("--arch %s: %s", a->path, err.msg);
		return cli_exit_code(rc);
	}
	return CLI_EXIT_OK;
}

int cli_arch_space(cli_arch *a, const apnas_data_info *data)
{
	apnas_error err;
	apnas_error_clear(&err);
	const char *name = apnas_config_plugin_name(a->cfg, APNAS_KIND_SPACE);
	if (!a->named && strcmp(name, a->file.space)) {
		cli_errorf("%s is an architecture of space '%s', but --set "
		           "chose space '%s'", a->path, a->file.space, name);
		return CLI_EXIT_USAGE;
	}
	apnas_plugin_ctx extra;
	memset(&extra, 0, sizeof extra);
	extra.data = data;
	int rc = apnas_config_instance(a->cfg, APNAS_KIND_SPACE, &extra,
	                               &a->space, &err);
	if (rc) {
		cli_error(&err);
		return cli_exit_code(rc);
	}
	a->ops = a->space.ops;
	const apnas_decision *d;
	rc = a->ops->decisions(a->space.self, &d, &a->nd, &err);
	if (rc) {
		apnas_error_prefix(&err, "space '%s' decisions", name);
		cli_error(&err);
		return cli_exit_code(rc);
	}
	a->tok = calloc(a->nd ? a->nd : 1, sizeof *a->tok);
	if (!a->tok) {
		cli_errorf("out of memory");
		return CLI_EXIT_FAIL;
	}
	apnas_error_clear(&err);
	if (a->named)
		return named_tokens(a, name);
	rc = a->ops->parse(a->space.self, a->file.body, a->tok, &err);
	if (rc) {
		if (err.line > 0)
			cli_errorf("%s:%d: %s", a->path,
			           a->file.body_line + err.line - 1, err.msg);
		else
			cli_errorf("%s: %s", a->path, err.msg);
		return cli_exit_code(rc);
	}
	return CLI_EXIT_OK;
}

int cli_data_geometry(const apnas_config *cfg, apnas_data_info *info)
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
		cli_errorf("data.dataset \"%s\": geometry unknown", ds);
		return CLI_EXIT_USAGE;
	}
	return CLI_EXIT_OK;
}
