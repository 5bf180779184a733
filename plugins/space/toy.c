/* toy: a search space with a known optimum and no data, for testing and
 * comparing controllers without training anything.  Its decisions follow
 * enas_macro's layout (per layer one op of `ops` choices, then, when
 * `skips` is on, one skip bit per earlier layer); a hidden target
 * architecture is drawn from `target_seed`, and an architecture's score is
 * the fraction of its decisions equal to the target's.  Its child network
 * is a small conv chain on an 8x8x1 input (a 3x3 stem to 8 channels, then
 * per layer a stride-1 conv whose kernel the op picks: 1x1, 3x3 or 5x5 for
 * op % 3 = 0, 1, 2, and an element-wise add when skips are chosen), so a
 * cost model gives toy architectures different, plausible cycle counts.
 * Architecture text: one line per layer, "op 3" or "op 3 skips 0 2". */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apnas/plugin.h>
#include <apnas/rng.h>

#define TOY_CHANNELS 8
#define TOY_SIDE 8

static const apnas_option toy_options[] = {
	{"layers", APNAS_OPT_INT, "20", 1, 100, NULL,
	 "layers, one op decision each", 0},
	{"ops", APNAS_OPT_INT, "6", 2, 64, NULL, "choices per op decision", 0},
	{"skips", APNAS_OPT_BOOL, "true", 1, 0, NULL,
	 "one skip bit per earlier layer, as enas_macro", 0},
	{"target_seed", APNAS_OPT_INT, "1", 0, 9007199254740991.0, NULL,
	 "seed of the hidden target architecture", 0},
	{.key = NULL},
};

typedef struct toy_space {
	int layers, ops, skips;
	apnas_decision *dec;  /* [n] owned */
	size_t n;
	int32_t *target;      /* [n] owned */
	size_t *first;        /* [layers] token index of each layer's op */
} toy_space;

static void toy_destroy(void *self)
{
	toy_space *s = self;
	if (!s)
		return;
	free(s->dec);
	free(s->target);
	free(s->first);
	free(s);
}

static int toy_create(const apnas_plugin_ctx *ctx, void **self,
                      apnas_error *err)
{
	*self = NULL;
	toy_space *s = calloc(1, sizeof *s);
	if (!s)
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	s->layers = (int)apnas_opts_int(ctx->opts, "layers");
	s->ops = (int)apnas_opts_int(ctx->opts, "ops");
	s->skips = apnas_opts_bool(ctx->opts, "skips");
	size_t L = (size_t)s->layers;
	s->n = L + (s->skips ? L * (L - 1) / 2 : 0);
	s->dec = malloc(s->n * sizeof *s->dec);
	s->target = malloc(s->n * sizeof *s->target);
	s->first = malloc(L * sizeof *s->first);
	if (!s->dec || !s->target || !s->first) {
		toy_destroy(s);
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	}
	size_t k = 0;
	for (int l = 0; l < s->layers; l++) {
		s->first[l] = k;
		s->dec[k++] = (apnas_decision){APNAS_DECISION_OP, s->ops, l, -1};
		for (int j = 0; s->skips && j < l; j++)
			s->dec[k++] = (apnas_decision){APNAS_DECISION_SKIP, 2,
			                               l, j};
	}
	/* The target depends on target_seed alone, not on the run seed, so a
	 * config names one fixed problem. */
	apnas_rng r;
	apnas_rng_seed(&r, (uint64_t)apnas_opts_int(ctx->opts, "target_seed"));
	for (size_t i = 0; i < s->n; i++)
		s->target[i] = (int32_t)apnas_rng_below(
			&r, (uint64_t)s->dec[i].n_choices);
	*self = s;
	return 0;
}

static int toy_decisions(void *self, const apnas_decision **d, size_t *n,
                         apnas_error *err)
{
	(void)err;
	toy_space *s = self;
	*d = s->dec;
	*n = s->n;
	return 0;
}

static int check_tokens(const toy_space *s, const int32_t *tok,
                        apnas_error *err)
{
	for (size_t i = 0; i < s->n; i++)
		if (tok[i] < 0 || tok[i] >= s->dec[i].n_choices)
			return apnas_error_set(err, APNAS_EINVAL,
			                       "toy: decision %zu (layer %d) is "
			                       "%d, expected in [0, %d)", i,
			                       (int)s->dec[i].layer, (int)tok[i],
			                       (int)s->dec[i].n_choices);
	return 0;
}

static int toy_format(void *self, const int32_t *tok, char **text,
                      apnas_error *err)
{
	toy_space *s = self;
	*text = NULL;
	int rc = check_tokens(s, tok, err);
	if (rc)
		return rc;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	for (int l = 0; l < s->layers; l++) {
		size_t k = s->first[l];
		fprintf(f, "op %d", (int)tok[k]);
		int any = 0;
		for (int j = 0; s->skips && j < l; j++) {
			if (!tok[k + 1 + (size_t)j])
				continue;
			fprintf(f, "%s %d", any ? "" : " skips", j);
			any = 1;
		}
		fputc('\n', f);
	}
	if (fclose(f) || !buf) {
		free(buf);
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	}
	*text = buf;
	return 0;
}

/* Reads a non-negative decimal integer at *p; -1 if there is none. */
static long read_int(const char **p)
{
	const char *q = *p;
	while (*q == ' ' || *q == '\t')
		q++;
	if (!isdigit((unsigned char)*q))
		return -1;
	char *end;
	errno = 0;
	long v = strtol(q, &end, 10);
	if (errno || v > 1000000)
		return -1;
	*p = end;
	return v;
}

static int word(const char **p, const char *w)
{
	const char *q = *p;
	while (*q == ' ' || *q == '\t')
		q++;
	size_t n = strlen(w);
	if (strncmp(q, w, n) || (q[n] && !isspace((unsigned char)q[n])))
		return 0;
	*p = q + n;
	return 1;
}

static int at_end(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\r')
		p++;
	return *p == '\0';
}

static int parse_line(const toy_space *s, const char *line, int l,
                      int32_t *tok, apnas_error *err)
{
	size_t k = s->first[l];
	const char *p = line;
	long op;
	if (!word(&p, "op") || (op = read_int(&p)) < 0 || op >= s->ops)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "toy: layer %d: expected \"op <0..%d>\" "
		                       "[\"skips <layers>\"], got \"%s\"", l,
		                       s->ops - 1, line);
	tok[k] = (int32_t)op;
	for (int j = 0; s->skips && j < l; j++)
		tok[k + 1 + (size_t)j] = 0;
	if (at_end(p))
		return 0;
	if (!word(&p, "skips"))
		return apnas_error_set(err, APNAS_EINVAL,
		                       "toy: layer %d: expected \"skips\" or the"
		                       " end of the line after the op, got "
		                       "\"%s\"", l, line);
	if (!s->skips)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "toy: layer %d: skips are off in this "
		                       "space (skips = false)", l);
	long prev = -1, j;
	while (!at_end(p)) {
		if ((j = read_int(&p)) < 0 || j >= l || j <= prev)
			return apnas_error_set(
				err, APNAS_EINVAL,
				"toy: layer %d: skips must be earlier layers "
				"in increasing order, each in [0, %d), in "
				"\"%s\"", l, l, line);
		tok[k + 1 + (size_t)j] = 1;
		prev = j;
	}
	return 0;
}

static int toy_parse(void *self, const char *text, int32_t *tok,
                     apnas_error *err)
{
	toy_space *s = self;
	const char *p = text;
	int l = 0, lineno = 0;
	char line[4096];
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		lineno++;
		if (len >= sizeof line) {
			if (err)
				err->line = lineno;
			return apnas_error_set(err, APNAS_EINVAL,
			                       "toy: line %d is too long", lineno);
		}
		memcpy(line, p, len);
		line[len] = '\0';
		p += len + (nl ? 1 : 0);
		if (at_end(line))
			continue;
		if (l == s->layers) {
			if (err)
				err->line = lineno;
			return apnas_error_set(err, APNAS_EINVAL,
			                       "toy: more than %d layer lines",
			                       s->layers);
		}
		int rc = parse_line(s, line, l, tok, err);
		if (rc) {
			if (err)
				err->line = lineno;
			return rc;
		}
		l++;
	}
	if (l != s->layers) {
		if (err)
			err->line = lineno;
		return apnas_error_set(err, APNAS_EINVAL,
		                       "toy: %d layer lines, expected %d", l,
		                       s->layers);
	}
	return 0;
}

static int toy_named(void *self, const char *name, int32_t *tok,
                     apnas_error *err)
{
	toy_space *s = self;
	if (!strcmp(name, "target"))
		memcpy(tok, s->target, s->n * sizeof *tok);
	else if (!strcmp(name, "zeros"))
		memset(tok, 0, s->n * sizeof *tok);
	else
		return apnas_error_set(err, APNAS_EINVAL,
		                       "toy: no architecture named \"%s\"; "
		                       "names: target, zeros", name);
	return 0;
}

static int toy_child_net(void *self, const int32_t *tok, apnas_net *net,
                         apnas_error *err)
{
	toy_space *s = self;
	int rc = check_tokens(s, tok, err);
	if (rc)
		return rc;
	apnas_shape x = {1, TOY_SIDE, TOY_SIDE};
	rc = apnas_net_conv(net, "stem", x, TOY_CHANNELS, 3, 1, 1, err);
	x = (apnas_shape){TOY_CHANNELS, TOY_SIDE, TOY_SIDE};
	for (int l = 0; l < s->layers && !rc; l++) {
		size_t k = s->first[l];
		int ks = 2 * (tok[k] % 3) + 1, on = 0;
		char name[64];
		snprintf(name, sizeof name, "l%d.conv%dx%d", l, ks, ks);
		rc = apnas_net_conv(net, name, x, TOY_CHANNELS, ks, 1, ks / 2,
		                    err);
		for (int j = 0; s->skips && j < l; j++)
			on += tok[k + 1 + (size_t)j];
		if (!rc && on) {
			snprintf(name, sizeof name, "l%d.add", l);
			rc = apnas_net_add_op(net, name, x, on + 1, err);
		}
	}
	return rc;
}

static int toy_score(void *self, const int32_t *tok, double *accuracy,
                     apnas_error *err)
{
	toy_space *s = self;
	int rc = check_tokens(s, tok, err);
	if (rc)
		return rc;
	size_t same = 0;
	for (size_t i = 0; i < s->n; i++)
		same += tok[i] == s->target[i];
	*accuracy = (double)same / (double)s->n;
	return 0;
}

static const apnas_space_ops toy_ops = {
	.create = toy_create,
	.destroy = toy_destroy,
	.decisions = toy_decisions,
	.format = toy_format,
	.parse = toy_parse,
	.named = toy_named,
	.child_net = toy_child_net,
	.train_step = NULL,
	.evaluate = NULL,
	.save = NULL,
	.load = NULL,
	.score = toy_score,
};

APNAS_PLUGIN_DEFINE(APNAS_KIND_SPACE, "toy", "1.0",
                    "toy objective with a hidden target architecture: "
                    "score = fraction of decisions equal to it",
                    toy_options, &toy_ops);
