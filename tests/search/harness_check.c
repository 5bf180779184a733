/* Checks of a finished run directory shared by the search tests: every
 * file present and parsed (JSON lines, CSV columns, the resolved config
 * loaded again, architecture files read back through apnas_archfile_read
 * and parsed by the run's own space). */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archfile.h"
#include "config.h"
#include "harness.h"

/* Parses every record of a CSV file; checks the header and that every row
 * has its column count.  Returns the number of data rows. */
static int check_csv(const char *dir, const char *name, const char *header)
{
	char *s = h_readf(dir, name);
	ck_assert_msg(s, "%s/%s missing", dir, name);
	ck_assert_msg(!strncmp(s, header, strlen(header)),
	              "%s header: %.*s", name, (int)strlen(header), s);
	size_t pos = 0;
	char *f[64];
	int cols = h_csv_record(s, &pos, f, 64), n, rows = 0;
	h_csv_free(f, cols);
	while ((n = h_csv_record(s, &pos, f, 64)) > 0) {
		ck_assert_msg(n == cols, "%s row %d has %d columns, header %d",
		              name, rows + 1, n, cols);
		h_csv_free(f, n);
		rows++;
	}
	free(s);
	return rows;
}

/* Reads an arch file and parses its body with the run's own space; the
 * tokens must be those the row of candidates.csv says. */
static void check_arch(const char *dir, const char *name,
                       apnas_config *cfg, apnas_instance *space,
                       const char *want_tokens)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	apnas_archfile a;
	apnas_error e;
	ck_assert_msg(apnas_archfile_read(path, &a, &e) == 0, "%s: %s", path,
	              e.msg);
	const char *plugin = NULL;
	const apnas_loaded *lib;
	ck_assert_int_eq(apnas_config_plugin(cfg, APNAS_KIND_SPACE, &lib,
	                                     NULL, &e), 0);
	plugin = lib->desc->name;
	ck_assert_str_eq(a.space, plugin);
	int32_t tok[64];
	const apnas_space_ops *ops = space->ops;
	ck_assert_msg(ops->parse(space->self, a.body, tok, &e) == 0,
	              "%s: %s", path, e.msg);
	const apnas_decision *d;
	size_t nd;
	ck_assert_int_eq(ops->decisions(space->self, &d, &nd, &e), 0);
	char text[512] = "";
	for (size_t i = 0; i < nd; i++)
		snprintf(text + strlen(text), sizeof text - strlen(text),
		         i ? " %d" : "%d", (int)tok[i]);
	ck_assert_str_eq(text, want_tokens);
	apnas_archfile_free(&a);
}

/* Everything a finished run directory must hold, each file parsed. */
void h_check_run_dir(const char *dir, const apnas_data_info *data,
                     int top_k, int samples_expected, int epochs_expected)
{
	static const char *const files[] = {
		"config.cfg", "samples.jsonl", "epochs.csv",
		"checkpoint/state.ckpt", "candidates.csv", "pareto.csv",
		"best.arch", "summary.json"};
	for (size_t i = 0; i < sizeof files / sizeof *files; i++)
		ck_assert_msg(h_exists(dir, files[i]), "%s/%s missing", dir,
		              files[i]);

	/* samples.jsonl: one valid JSON object per line, with its fields. */
	char *s = h_readf(dir, "samples.jsonl");
	int lines = 0;
	for (char *line = s, *nl; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		ck_assert_ptr_nonnull(nl);
		*nl = '\0';
		ck_assert_msg(h_json_valid(line), "bad JSON line %d: %s",
		              lines + 1, line);
		static const char *const keys[] = {
			"\"epoch\":", "\"step\":", "\"arch\":[", "\"text\":",
			"\"accuracy\":", "\"macs\":", "\"params\":",
			"\"cycles\":", "\"mapping_efficiency\":",
			"\"utilization\":", "\"reward\":",
			"\"controller_loss\":",
			"\"entropy\":", "\"log_prob\":", "\"wall\":"};
		for (size_t k = 0; k < sizeof keys / sizeof *keys; k++)
			ck_assert_msg(strstr(line, keys[k]), "line %d lacks %s",
			              lines + 1, keys[k]);
		double acc = h_json_number(line, "accuracy");
		ck_assert(acc >= 0 && acc <= 1);
		ck_assert(h_json_number(line, "cycles") > 0);
		/* Every metric of the run by name, in the run's order. */
		const char *m = strstr(line, "\"macs\":");
		ck_assert_msg(m && m < strstr(line, "\"params\":") &&
		              strstr(line, "\"params\":") <
		              strstr(line, "\"cycles\":") &&
		              strstr(line, "\"cycles\":") <
		              strstr(line, "\"mapping_efficiency\":") &&
		              strstr(line, "\"mapping_efficiency\":") <
		              strstr(line, "\"utilization\":"),
		              "line %d: metrics out of order: %s", lines + 1,
		              line);
		double u = h_json_number(line, "utilization");
		ck_assert_msg(u > 0 && u <= 100, "utilization %g", u);
		double me = h_json_number(line, "mapping_efficiency");
		ck_assert_msg(me > 0 && me <= 100, "mapping_efficiency %g", me);
		lines++;
	}
	free(s);
	ck_assert_int_eq(lines, samples_expected);

	int rows = check_csv(dir, "epochs.csv",
		"epoch,train_loss,train_acc,mean_reward,best_reward,"
		"mean_cycles,samples,images_per_s,seconds,");
	ck_assert_int_eq(rows, epochs_expected);
	if (data) {
		/* The shared-weight phase ran: loss and accuracy present. */
		char *e = h_readf(dir, "epochs.csv");
		size_t pos = 0;
		char *f[20];
		int n = h_csv_record(e, &pos, f, 20);
		h_csv_free(f, n);
		n = h_csv_record(e, &pos, f, 20);
		ck_assert(n >= 3 && *f[1] && *f[2] && isfinite(atof(f[1])));
		h_csv_free(f, n);
		free(e);
	}
#define ARRAY_METRICS                                                       \
	"macs,params,cycles,mapping_efficiency,utilization,ifmap_sram_reads,"\
	"filter_sram_reads,ofmap_sram_writes,ifmap_dram_reads,"             \
	"filter_dram_reads,ofmap_dram_writes,dram_bytes,stall_cycles,"      \
	"latency_cycles,energy_pj,edp"
	int cands = check_csv(dir, "candidates.csv",
		"rank,accuracy,val_images," ARRAY_METRICS ",reward,"
		"screen_accuracy,screen_images,pareto,arch\n");
	int front = check_csv(dir, "pareto.csv",
		"accuracy,val_images," ARRAY_METRICS ",reward,rank,arch\n");
	ck_assert_int_gt(cands, 0);
	ck_assert_int_gt(front, 0);
	ck_assert_int_le(front, cands);

	char *sum = h_readf(dir, "summary.json");
	ck_assert_msg(h_json_valid(sum), "summary.json invalid:\n%s", sum);
	ck_assert_ptr_nonnull(strstr(sum, "\"status\": \"finished\""));
	/* The reward's metric and resolved target, the hardware and what
	 * each metric column means. */
	ck_assert_ptr_nonnull(strstr(sum, "\"reward_metric\": \"cycles\""));
	double target = h_json_number(sum, "reward_target");
	ck_assert_msg(target > 0, "reward_target %g", target);
	ck_assert_ptr_nonnull(strstr(sum, "\"metrics\": [{\"name\":"
	                                  "\"accuracy\""));
	ck_assert_ptr_nonnull(strstr(sum, "{\"name\":\"cycles\",\"unit\":"
	                                  "\"cycles\",\"goal\":\"min\""));
	ck_assert_ptr_nonnull(strstr(sum, "{\"name\":\"utilization\","
	                                  "\"unit\":\"%\",\"goal\":\"max\""));

	/* The resolved config loads again, target noted in it. */
	char path[4096];
	snprintf(path, sizeof path, "%s/config.cfg", dir);
	char *cfgtext = h_read(path);
	const char *rt = strstr(cfgtext, "resolved_target = ");
	ck_assert_msg(rt != NULL, "no resolved_target in config.cfg");
	ck_assert_double_eq_tol(atof(rt + strlen("resolved_target = ")),
	                        target, 1e-9 * target);
	/* summary.json names the array the cost group configured. */
	const char *cg = strstr(cfgtext, "\ncost = {");
	ck_assert_ptr_nonnull(cg);
	int arows = 0, acols = 0;
	const char *k = strstr(cg, "rows = "), *c = strstr(cg, "cols = ");
	ck_assert(k && c && sscanf(k, "rows = %d", &arows) == 1 &&
	          sscanf(c, "cols = %d", &acols) == 1);
	const char *df = strstr(cg, "dataflow = \"");
	ck_assert_ptr_nonnull(df);
	/* The array from the resolved cost group, then its memories. */
	char want_hw[64];
	snprintf(want_hw, sizeof want_hw, "\"hardware\": \"%dx%d %.2s, ",
	         arows, acols, df + strlen("dataflow = \""));
	ck_assert_msg(strstr(sum, want_hw) != NULL, "no %s in summary.json",
	              want_hw);
	free(cfgtext);
	free(sum);
	apnas_config *cfg;
	apnas_error e;
	ck_assert_msg(apnas_config_load(path, NULL, 0, &cfg, &e) == 0, "%s",
	              e.msg);
	apnas_instance space;
	memset(&space, 0, sizeof space);
	apnas_plugin_ctx extra;
	memset(&extra, 0, sizeof extra);
	extra.data = data;
	ck_assert_msg(apnas_config_instance(cfg, APNAS_KIND_SPACE, &extra,
	                                    &space, &e) == 0, "%s", e.msg);

	/* best.arch and top/NN.arch hold candidates.csv's first rows. */
	char *cs = h_readf(dir, "candidates.csv");
	size_t pos = 0;
	char *f[64];
	int n = h_csv_record(cs, &pos, f, 64);
	ck_assert_int_le(n, 64);
	/* arch is the last column, whatever metrics the cost model adds. */
	int cols = n;
	ck_assert_str_eq(f[cols - 1], "arch");
	h_csv_free(f, n);
	for (int r = 0; r < top_k; r++) {
		n = h_csv_record(cs, &pos, f, 64);
		ck_assert_int_eq(n, cols);
		char name[32];
		snprintf(name, sizeof name, "top/%02d.arch", r + 1);
		check_arch(dir, name, cfg, &space, f[cols - 1]);
		if (r == 0)
			check_arch(dir, "best.arch", cfg, &space, f[cols - 1]);
		h_csv_free(f, n);
	}
	char name[32];
	snprintf(name, sizeof name, "top/%02d.arch", top_k + 1);
	ck_assert_msg(!h_exists(dir, name), "more than top_k files in top/");
	free(cs);
	apnas_instance_destroy(&space);
	apnas_config_free(cfg);
}

