/* `apnas export`: a network found by apnas, for PyTorch or ONNX.  The input
 * is a finished `apnas train` directory (its config, architecture and
 * trained weights) or an architecture file (weights freshly initialised,
 * as `apnas train` would start).  The structure is the space's network
 * description alone (child_net with its data flow, net.h); the weights are
 * the engine's parameter set as the space saves it.  The writers live in
 * core/export. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "arch_load.h"
#include "atomic.h"
#include "cli.h"
#include "export/export.h"

typedef enum ex_format { EX_PYTORCH = 1, EX_ONNX } ex_format;

typedef struct export_args {
	const char *input;   /* DIR or ARCH */
	const char *out;     /* --out, or NULL */
	const char *config;  /* --config, or NULL (ARCH only) */
	ex_format format;
	cli_sets sets;
} export_args;

static void help(void)
{
	printf("usage: apnas export DIR|ARCH --format pytorch|onnx [--out PATH]\n"
	       "                    [--config FILE] [--set group.key=value]...\n"
	       "\n"
	       "Writes the network of a finished `apnas train` directory DIR\n"
	       "(its arch.arch, config.cfg and trained weights.bin) or of an\n"
	       "architecture file ARCH (weights freshly initialised, as apnas\n"
	       "train starts) for use outside apnas:\n"
	       "\n"
	       "--format pytorch  PATH.py defining Net(nn.Module), the exact\n"
	       "                  network apnas trains, and PATH.weights that\n"
	       "                  its load() reads (a state_dict for it)\n"
	       "--format onnx     PATH.onnx, opset 13, the weights as\n"
	       "                  initializers (inference: no dropout)\n"
	       "--out PATH        the file to write (default: DIR/model.py or\n"
	       "                  DIR/model.onnx; ARCH's name with .py/.onnx)\n"
	       "--config FILE     with ARCH: the config (data geometry, space\n"
	       "                  settings, seed of the fresh weights)\n"
	       "--set             with ARCH: override a config key\n"
	       "\n"
	       "The network reads images as apnas's data pipeline gives them\n"
	       "(pixel / 255, normalised per channel: docs/data.md) and returns\n"
	       "the logits.  docs/export.md has the details.  Exit status: 0\n"
	       "written, 1 failed, 2 bad input (no weights, weights of another\n"
	       "architecture, unknown format, unwritable output).\n"
	       "\n"
	       "example:\n"
	       "  apnas export runs/x/train-best --format pytorch\n"
	       "  apnas export runs/x/best.arch --format onnx --out best.onnx\n");
}

static int parse_args(int argc, char **argv, export_args *a)
{
	memset(a, 0, sizeof *a);
	for (int i = 1; i < argc; i++) {
		const char *v = NULL;
		int r;
		if (cli_is_help(argv[i])) {
			help();
			return -1;
		}
		if ((r = cli_take_set(argc, argv, &i, &a->sets)) != 0 ||
		    (r = cli_take_value(argc, argv, &i, "out", &a->out)) != 0 ||
		    (r = cli_take_value(argc, argv, &i, "config",
		                        &a->config)) != 0) {
			if (r < 0)
				return CLI_EXIT_USAGE;
			continue;
		}
		if ((r = cli_take_value(argc, argv, &i, "format", &v)) != 0) {
			if (r < 0)
				return CLI_EXIT_USAGE;
			if (!strcmp(v, "pytorch"))
				a->format = EX_PYTORCH;
			else if (!strcmp(v, "onnx"))
				a->format = EX_ONNX;
			else {
				cli_errorf("export: --format %s: expected pytorch "
				           "or onnx", v);
				return CLI_EXIT_USAGE;
			}
			continue;
		}
		if (argv[i][0] == '-' || a->input)
			return cli_bad_arg("export", argv[i]);
		a->input = argv[i];
	}
	if (!a->input) {
		cli_errorf("export: expected a training directory or an "
		           "architecture file (see apnas export --help)");
		return CLI_EXIT_USAGE;
	}
	if (!a->format) {
		cli_errorf("export: expected --format pytorch or --format onnx");
		return CLI_EXIT_USAGE;
	}
	return 0;
}

static char *join(const char *dir, const char *name)
{
	char *p = NULL;
	return asprintf(&p, "%s/%s", dir, name) < 0 ? NULL : p;
}

static int is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* PATH with its extension (if any) replaced by ext. */
static char *with_ext(const char *path, const char *ext)
{
	const char *slash = strrchr(path, '/');
	const char *dot = strrchr(path, '.');
	size_t n = (dot && (!slash || dot > slash + 1)) ? (size_t)(dot - path)
	                                                : strlen(path);
	char *p = NULL;
	return asprintf(&p, "%.*s%s", (int)n, path, ext) < 0 ? NULL : p;
}

/* ---- the training directory's consistency ----------------------------- */

/* summary.json's "tokens": the architecture the weights were trained for
 * (written with them by apnas train). */
static int summary_tokens(const char *path, int32_t **tok, size_t *n)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	char buf[1 << 16];
	size_t len = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[len] = '\0';
	const char *p = strstr(buf, "\"tokens\":");
	if (!p || !(p = strchr(p, '[')))
		return -1;
	p++;
	*tok = NULL;
	*n = 0;
	for (;;) {
		while (*p == ' ' || *p == '\n' || *p == ',')
			p++;
		if (*p == ']')
			return 0;
		char *end;
		errno = 0;
		long v = strtol(p, &end, 10);
		if (end == p || errno) {
			free(*tok);
			return -1;
		}
		int32_t *t = realloc(*tok, (*n + 1) * sizeof *t);
		if (!t) {
			free(*tok);
			return -1;
		}
		*tok = t;
		t[(*n)++] = (int32_t)v;
		p = end;
	}
}

static int check_dir(const char *dir, const cli_arch *a)
{
	static const char *const need[] = {"weights.bin", "summary.json"};
	for (int k = 0; k < 2; k++)
		if (!apnas_exists_in(dir, need[k])) {
			cli_errorf("export: %s has no %s: not a finished apnas "
			           "train directory (export an architecture file "
			           "for fresh weights)", dir, need[k]);
			return CLI_EXIT_USAGE;
		}
	char *s = join(dir, "summary.json");
	int32_t *tok = NULL;
	size_t n = 0;
	int rc = s ? summary_tokens(s, &tok, &n) : -1;
	free(s);
	if (rc) {
		cli_errorf("export: %s/summary.json: no \"tokens\" list of the "
		           "trained architecture", dir);
		return CLI_EXIT_USAGE;
	}
	int same = n == a->nd && !memcmp(tok, a->tok, n * sizeof *tok);
	free(tok);
	if (!same) {
		cli_errorf("export: %s/arch.arch is not the architecture its "
		           "weights were trained for (summary.json's tokens "
		           "differ)", dir);
		return CLI_EXIT_USAGE;
	}
	return CLI_EXIT_OK;
}

/* ---- weights ----------------------------------------------------------- */

static int load_weights(const char *dir, cli_arch *a)
{
	char *w = join(dir, "weights.bin");
	FILE *f = w ? fopen(w, "rb") : NULL;
	if (!f) {
		cli_errorf("export: %s/weights.bin: %s", dir, strerror(errno));
		free(w);
		return CLI_EXIT_USAGE;
	}
	apnas_error err;
	apnas_error_clear(&err);
	int rc = a->ops->load(a->space.self, f, &err);
	if (!rc && fgetc(f) != EOF)
		rc = apnas_error_set(&err, APNAS_EINVAL, "data after the end");
	fclose(f);
	if (rc) {
		cli_errorf("export: %s: %s (weights of another architecture "
		           "or space options?)", w, err.msg);
		free(w);
		return rc == APNAS_ENOMEM ? CLI_EXIT_FAIL : CLI_EXIT_USAGE;
	}
	free(w);
	return CLI_EXIT_OK;
}

/* The space's whole state through its save(), whose parameter set the
 * export reads (ex_weights_parse). */
static int read_weights(cli_arch *a, ex_weights *w)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f) {
		cli_errorf("out of memory");
		return CLI_EXIT_FAIL;
	}
	apnas_error err;
	apnas_error_clear(&err);
	int rc = a->ops->save(a->space.self, f, &err);
	fclose(f);
	if (!rc)
		rc = ex_weights_parse((const unsigned char *)buf, len, w, &err);
	free(buf);
	if (rc) {
		apnas_error_prefix(&err, "export: space '%s'", a->file.space);
		cli_error(&err);
		return CLI_EXIT_FAIL;
	}
	return CLI_EXIT_OK;
}

/* ---- writing ----------------------------------------------------------- */

typedef struct py_job {
	const ex_model *m;
	const char *wname;
	uint32_t crc;
} py_job;

static int write_pt_weights(FILE *f, void *ud, apnas_error *err)
{
	py_job *j = ud;
	return ex_write_pytorch_weights(j->m, f, &j->crc, err);
}

static int write_py(FILE *f, void *ud, apnas_error *err)
{
	py_job *j = ud;
	return ex_write_pytorch_py(j->m, f, j->wname, j->crc, err);
}

static int write_onnx(FILE *f, void *ud, apnas_error *err)
{
	return ex_write_onnx(ud, f, err);
}

/* An output that cannot be written is the user's to fix: exit 2. */
static int write_fail(const apnas_error *err)
{
	cli_errorf("export: %s", err->msg);
	return err->code == APNAS_ENOMEM ? CLI_EXIT_FAIL : CLI_EXIT_USAGE;
}

static int write_outputs(const export_args *args, const ex_model *m,
                         const char *out)
{
	apnas_error err;
	apnas_error_clear(&err);
	if (args->format == EX_ONNX) {
		if (!ex_onnx_available()) {
			ex_write_onnx(m, NULL, &err);
			cli_errorf("export: %s", err.msg);
			return CLI_EXIT_FAIL;
		}
		if (apnas_write_atomic_with(out, 1, write_onnx, (void *)m, &err))
			return write_fail(&err);
		printf("wrote %s (ONNX opset 13; weights %s)\n", out,
		       m->fresh ? "freshly initialised, not trained"
		                : "trained");
		return CLI_EXIT_OK;
	}
	char *wpath = with_ext(out, ".weights");
	if (!wpath) {
		cli_errorf("out of memory");
		return CLI_EXIT_FAIL;
	}
	const char *wname = strrchr(wpath, '/');
	wname = wname ? wname + 1 : wpath;
	py_job j = {m, wname, 0};
	int rc = apnas_write_atomic_with(wpath, 1, write_pt_weights, &j, &err);
	if (!rc)
		rc = apnas_write_atomic_with(out, 0, write_py, &j, &err);
	if (rc) {
		free(wpath);
		return write_fail(&err);
	}
	printf("wrote %s (PyTorch module Net) and %s (its weights, %s)\n",
	       out, wpath, m->fresh ? "freshly initialised, not trained"
	                            : "trained");
	free(wpath);
	return CLI_EXIT_OK;
}

static int describe(cli_arch *a, apnas_net *net)
{
	apnas_error err;
	apnas_error_clear(&err);
	int rc = a->ops->child_net(a->space.self, a->tok, net, &err);
	if (rc) {
		apnas_error_prefix(&err, "space '%s' child_net", a->file.space);
		cli_error(&err);
		return cli_exit_code(rc);
	}
	return CLI_EXIT_OK;
}

int cmd_export(int argc, char **argv)
{
	export_args args;
	cli_arch a;
	apnas_net net;
	ex_weights w;
	memset(&a, 0, sizeof a);
	memset(&w, 0, sizeof w);
	apnas_net_init(&net);
	char *cfg_path = NULL, *arch_path = NULL, *out = NULL;
	int rc = parse_args(argc, argv, &args);
	if (rc) {
		cli_sets_free(&args.sets);
		return rc < 0 ? CLI_EXIT_OK : rc;
	}
	int dir = is_dir(args.input);
	if (dir && (args.config || args.sets.n)) {
		cli_errorf("export: a training directory brings its own config; "
		           "give no --config or --set with it");
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	if (dir) {
		cfg_path = join(args.input, "config.cfg");
		arch_path = join(args.input, "arch.arch");
		if (!cfg_path || !arch_path) {
			cli_errorf("out of memory");
			rc = CLI_EXIT_FAIL;
			goto out;
		}
		if (!apnas_exists_in(args.input, "arch.arch") ||
		    !apnas_exists_in(args.input, "config.cfg")) {
			cli_errorf("export: %s has no arch.arch or config.cfg: "
			           "not an apnas train directory", args.input);
			rc = CLI_EXIT_USAGE;
			goto out;
		}
	}
	rc = cli_arch_config(&a, dir ? cfg_path : args.config,
	                     dir ? arch_path : args.input, NULL, 0,
	                     args.sets.v, args.sets.n);
	apnas_data_info info;
	if (rc || (rc = cli_data_geometry(a.cfg, &info)))
		goto out;
	/* Geometry alone (no training split) lets a space skip its weights;
	 * the export needs them, built as apnas train builds them. */
	if (info.train_n < 1)
		info.train_n = 1;
	if ((rc = cli_arch_space(&a, &info)))
		goto out;
	if (!a.ops->save || (dir && !a.ops->load)) {
		cli_errorf("export: space '%s' has no weights to export (no "
		           "save/load)", a.file.space);
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	if ((rc = describe(&a, &net)) ||
	    (dir && ((rc = check_dir(args.input, &a)) ||
	             (rc = load_weights(args.input, &a)))) ||
	    (rc = read_weights(&a, &w)))
		goto out;
	ex_model m = {&net, &w, {info.c, info.h, info.w}, a.file.space,
	              a.file.body, args.input, !dir};
	apnas_error err;
	apnas_error_clear(&err);
	if (ex_check(&m, &err)) {
		cli_errorf("export: %s", err.msg);
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	const char *ext = args.format == EX_ONNX ? ".onnx" : ".py";
	if (args.out)
		out = strdup(args.out);
	else if (dir)
		out = join(args.input, args.format == EX_ONNX ? "model.onnx"
		                                               : "model.py");
	else
		out = with_ext(args.input, ext);
	if (!out) {
		cli_errorf("out of memory");
		rc = CLI_EXIT_FAIL;
		goto out;
	}
	if (!dir)
		fprintf(stderr, "apnas: export: %s holds no weights: they are "
		        "freshly initialised (seed %lld), not trained\n",
		        args.input,
		        (long long)apnas_opts_int(apnas_config_core(a.cfg, "run"),
		                                  "seed"));
	rc = write_outputs(&args, &m, out);
out:
	ex_weights_free(&w);
	apnas_net_free(&net);
	cli_arch_free(&a);
	free(cfg_path);
	free(arch_path);
	free(out);
	cli_sets_free(&args.sets);
	return rc;
}
