/* Architecture files: the header, then the body through the space it
 * names (enas_macro or toy), created with the header's options as
 * `apnas train` would.  A body that a space parses must format and parse
 * back to the same tokens. */
#include <stdlib.h>
#include <string.h>

#include "archfile.h"
#include "fuzz_util.h"
#include "opts_internal.h"

static fz_plugin spaces[2]; /* only their loaded libraries are used */
static const char *const names[2] = {"enas_macro", "toy"};
static int ready;

static void body_round_trip(fz_plugin *p, const char *body)
{
	const apnas_space_ops *ops = p->ops;
	const apnas_decision *d;
	size_t nd;
	apnas_error err;
	apnas_error_clear(&err);
	if (ops->decisions(p->self, &d, &nd, &err))
		fz_fail("decisions", err.msg);
	int32_t *tok = calloc(nd ? nd : 1, sizeof *tok);
	int32_t *tok2 = calloc(nd ? nd : 1, sizeof *tok2);
	int rc = ops->parse(p->self, body, tok, &err);
	fz_check_refusal(rc, &err, "space parse");
	if (rc == 0) {
		char *text = NULL;
		if (ops->format(p->self, tok, &text, &err))
			fz_fail("space format", err.msg);
		if (ops->parse(p->self, text, tok2, &err))
			fz_fail("formatted architecture does not parse back",
			        err.msg);
		if (memcmp(tok, tok2, nd * sizeof *tok))
			fz_fail("architecture round trip", "tokens changed");
		free(text);
	}
	free(tok);
	free(tok2);
}

/* An instance of p's space with the header's options ("space.key=value",
 * the first being the plugin), then the body through it. */
static void with_header(const fz_plugin *p, const apnas_archfile *a)
{
	const char **set = calloc(a->n_settings, sizeof *set);
	size_t n = 0;
	for (size_t i = 0; i < a->n_settings; i++)
		if (strncmp(a->settings[i], "space.plugin=", 13))
			set[n++] = a->settings[i] + strlen("space.");
	apnas_opts *opts = NULL;
	apnas_error err;
	apnas_error_clear(&err);
	int rc = apnas_opts_from_settings(p->lib.desc->options, a->space, set,
	                                  n, &opts, &err);
	free(set);
	fz_check_refusal(rc, &err, "archfile options");
	if (rc)
		return;
	apnas_plugin_ctx ctx = {.opts = opts, .seed = 1, .threads = 1};
	fz_plugin inst = *p;
	const apnas_common_ops *ops = p->ops;
	rc = ops->create(&ctx, &inst.self, &err);
	fz_check_refusal(rc, &err, "archfile space create");
	if (rc == 0) {
		body_round_trip(&inst, a->body);
		ops->destroy(inst.self);
	}
	apnas_opts_free(opts);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!ready) {
		apnas_plugin_ctx ctx = {.seed = 1, .threads = 1};
		for (int k = 0; k < 2; k++)
			fz_plugin_open(&spaces[k], APNAS_KIND_SPACE, names[k], NULL,
			               0, &ctx);
		ready = 1;
	}
	char *text = fz_text(data, size);
	apnas_archfile a;
	apnas_error err;
	apnas_error_clear(&err);
	int rc = apnas_archfile_parse("fuzz.arch", text, size, &a, &err);
	fz_check_refusal(rc, &err, "archfile");
	if (rc == 0) {
		if (!a.space || !a.body || a.n_settings < 1)
			fz_fail("archfile", "accepted without space or body");
		for (int k = 0; k < 2; k++)
			if (!strcmp(a.space, names[k]))
				with_header(&spaces[k], &a);
		apnas_archfile_free(&a);
	}
	free(text);
	return 0;
}
