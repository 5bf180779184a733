/* What a training leaves: config.cfg and arch.arch at the start, then
 * weights.bin, arch.arch with the results and summary.json (last: its
 * presence marks the directory finished), each written atomically; and the
 * result lines on stdout. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "atomic.h"
#include "provenance.h"
#include "search/json_out.h"
#include "train/train_int.h"

static int save_weights(FILE *f, void *ud, apnas_error *err)
{
	apnas_trainer *t = ud;
	return t->a.ops->save(t->a.space.self, f, err);
}

static int write_config(FILE *f, void *ud, apnas_error *err)
{
	return apnas_config_write(ud, f, err);
}

static int write_summary(FILE *f, void *ud, apnas_error *err)
{
	(void)err;
	apnas_trainer *t = ud;
	const train_epoch_rec *last = &t->hist[t->epochs - 1];
	fputs("{\n  \"command\": \"train\",\n  \"arch_file\": ", f);
	apnas_json_str(f, t->a.path);
	fputs(",\n  \"space\": ", f);
	apnas_json_str(f, t->a.file.space);
	fputs(",\n  \"tokens\": ", f);
	apnas_json_tokens(f, t->a.tok, t->a.nd);
	fputs(",\n  \"architecture\": ", f);
	apnas_json_str(f, t->a.file.body);
	fputs(",\n  \"dataset\": ", f);
	apnas_json_str(f, apnas_data_name(t->ds));
	fprintf(f, ",\n  \"train_images\": %lld,\n  \"test_images\": %lld,\n"
	        "  \"epochs\": %ld,\n  \"batch_size\": %d,\n  \"seed\": %llu,\n"
	        "  \"threads\": %d,\n  \"test_accuracy\": ",
	        (long long)apnas_data_count(t->ds, APNAS_SPLIT_TRAIN),
	        (long long)t->test_n, t->epochs, (int)t->batch,
	        (unsigned long long)t->seed, t->threads);
	apnas_json_num(f, last->test_acc);
	fputs(",\n  \"train_accuracy\": ", f);
	apnas_json_num(f, last->train_acc);
	fputs(",\n  \"loss\": ", f);
	apnas_json_num(f, last->loss);
	apnas_train_cost_write(&t->cost, f, APNAS_TRAIN_COST_JSON);
	apnas_provenance_json(f, ",\n  ", "");
	fputs(",\n  \"wall_seconds\": ", f);
	apnas_json_num(f, t->wall);
	fputs(",\n  \"history\": [", f);
	for (long e = 0; e < t->epochs; e++) {
		const train_epoch_rec *r = &t->hist[e];
		fprintf(f, "%s\n    {\"epoch\": %ld, \"loss\": ", e ? "," : "",
		        e + 1);
		apnas_json_num(f, r->loss);
		fputs(", \"train_accuracy\": ", f);
		apnas_json_num(f, r->train_acc);
		fputs(", \"test_accuracy\": ", f);
		apnas_json_num(f, r->test_acc);
		fputs(", \"seconds\": ", f);
		apnas_json_num(f, r->seconds);
		fputc('}', f);
	}
	fputs("\n  ],\n  \"files\": {\"weights\": \"weights.bin\", "
	      "\"arch\": \"arch.arch\", \"config\": \"config.cfg\"}\n}\n", f);
	return 0;
}

static int write_arch(apnas_trainer *t, const char *comment,
                      apnas_error *err)
{
	char *ar = apnas_rundir_path(&t->rd, "arch.arch");
	/* Training ignores the hardware section, but the copy keeps it: the
	 * network was found for that hardware. */
	char *hw = apnas_archfile_hw_text(&t->a.file);
	int rc = ar && (hw || !t->a.file.cost)
	                 ? apnas_archfile_write(ar, t->a.file.space,
	                                        t->a.space.opts, t->a.ops,
	                                        t->a.space.self, t->a.tok,
	                                        comment, hw, err)
	                 : apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	free(hw);
	free(ar);
	return rc;
}

/* A write that failed is the run's failure, not the user's input. */
static int write_failed(int rc, apnas_error *err)
{
	return rc == APNAS_EINVAL || rc == APNAS_EPLUGIN
	               ? (err->code = APNAS_EIO)
	               : rc;
}

int apnas_train_write_start(apnas_trainer *t, int resuming, apnas_error *err)
{
	char comment[512];
	snprintf(comment, sizeof comment,
	         "being trained by apnas train from %s (%ld epochs)", t->a.path,
	         t->epochs);
	char *c = apnas_rundir_path(&t->rd, "config.cfg");
	int rc = c ? apnas_write_atomic_with(c, 0, write_config, t->a.cfg, err)
	           : apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	free(c);
	/* a resumed training rewrites only the config, whose train.epochs
	 * --epochs may change */
	if (!rc && !resuming)
		rc = write_arch(t, comment, err);
	return write_failed(rc, err);
}

int apnas_train_write_outputs(apnas_trainer *t, apnas_error *err)
{
	const train_epoch_rec *last = &t->hist[t->epochs - 1];
	char *comment = NULL;
	size_t clen = 0;
	FILE *cf = open_memstream(&comment, &clen);
	if (!cf)
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	fprintf(cf, "trained by apnas train from %s: %ld epochs, test "
	        "accuracy %.6f on %lld images\n", t->a.path, t->epochs,
	        last->test_acc, (long long)t->test_n);
	apnas_train_cost_write(&t->cost, cf, APNAS_TRAIN_COST_COMMENT);
	int rc = fclose(cf) ? apnas_error_set(err, APNAS_ENOMEM,
	                                      "out of memory") : 0;
	char *w = apnas_rundir_path(&t->rd, "weights.bin");
	char *s = apnas_rundir_path(&t->rd, "summary.json");
	if (!rc && (!w || !s))
		rc = apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	if (!rc)
		rc = apnas_write_atomic_with(w, 1, save_weights, t, err);
	if (!rc)
		rc = write_arch(t, comment, err);
	/* last: its presence marks the directory as finished */
	if (!rc)
		rc = apnas_write_atomic_with(s, 0, write_summary, t, err);
	free(w);
	free(s);
	free(comment);
	if (rc)
		return write_failed(rc, err);
	/* weights.bin now holds what the checkpoint held */
	if (remove(t->ckpt) && errno != ENOENT && t->args->msg)
		fprintf(t->args->msg, "apnas: train: note: could not remove "
		        "%s: %s\n", t->ckpt, strerror(errno));
	return 0;
}

void apnas_train_print_result(const apnas_trainer *t)
{
	FILE *o = t->args->out;
	if (!o)
		return;
	const train_epoch_rec *last = &t->hist[t->epochs - 1];
	char wall[32];
	apnas_fmt_duration(wall, sizeof wall, t->wall);
	fprintf(o, "architecture %s (space %s, %zu layers on the array)\n",
	        t->a.path, t->a.file.space, apnas_train_cost_layers(&t->cost));
	fprintf(o, "test accuracy  %.2f%% (%lld test images, after %ld "
	        "epochs on %lld training images)\n", 100 * last->test_acc,
	        (long long)t->test_n, t->epochs,
	        (long long)apnas_data_count(t->ds, APNAS_SPLIT_TRAIN));
	apnas_train_cost_write(&t->cost, o, APNAS_TRAIN_COST_TEXT);
	fprintf(o, "wall time      %s (%.1f s, %d threads)\n", wall, t->wall,
	        t->threads);
	fprintf(o, "files: %s/{weights.bin,arch.arch,config.cfg,summary.json}"
	        "\n", t->rd.dir);
}
