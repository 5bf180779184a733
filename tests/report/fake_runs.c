/* Writers for fake run directories: the report tests' fixtures, made at
 * test time so the numbers sit next to the assertions that use them. */
#include "../common/readfile.h"
#include "../common/tmpdir.h"
#include "fake_runs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *fr_tempdir(void)
{
	return t_tempdir("report");
}

void fr_rmtree(const char *path)
{
	t_rmtree(path);
}

static void mkdirs(const char *path)
{
	char *p = strdup(path);
	for (char *s = p + 1; *s; s++)
		if (*s == '/') {
			*s = '\0';
			mkdir(p, 0777);
			*s = '/';
		}
	mkdir(p, 0777);
	free(p);
}

void fr_write_file(const char *root, const char *rel, const char *text)
{
	char *p = NULL;
	if (asprintf(&p, "%s/%s", root, rel) < 0)
		abort();
	char *slash = strrchr(p, '/');
	*slash = '\0';
	mkdirs(p);
	*slash = '/';
	FILE *f = fopen(p, "w");
	if (!f)
		abort();
	fputs(text, f);
	fclose(f);
	free(p);
}

char *fr_read(const char *path)
{
	return t_read_file(path, NULL);
}

int fr_exists(const char *dir, const char *rel)
{
	char *p = NULL;
	if (asprintf(&p, "%s/%s", dir, rel) < 0)
		abort();
	int ok = access(p, F_OK) == 0;
	free(p);
	return ok;
}

/* One candidate record, in the layout of the run's format. */
static void cand(FILE *f, int v2, double acc, double cyc, double params,
                 double macs, double reward)
{
	if (v2)
		fprintf(f, "{\"rank\":1,\"accuracy\":%.17g,\"val_images\":100,"
		        "\"macs\":%.17g,\"params\":%.17g,\"cycles\":%.17g,"
		        "\"mapping_efficiency\":100,\"utilization\":50,"
		        "\"reward\":%.17g,\"arch\":[0,1]}", acc, macs, params,
		        cyc, reward);
	else
		fprintf(f, "{\"rank\":1,\"accuracy\":%.17g,\"val_images\":100,"
		        "\"cycles\":%.17g,\"macs\":%.17g,\"params\":%.17g,"
		        "\"utilization\":50,\"reward\":%.17g,\"arch\":[0,1]}",
		        acc, cyc, macs, params, reward);
}

/* summary.json's "metrics" of a run on cost_systolic. */
static const char *const metrics_decl =
	"[{\"name\":\"accuracy\",\"unit\":\"\",\"goal\":\"max\","
	"\"scope\":\"net\"},{\"name\":\"macs\",\"unit\":\"\",\"goal\":"
	"\"min\",\"scope\":\"both\"},{\"name\":\"params\",\"unit\":\"\","
	"\"goal\":\"min\",\"scope\":\"both\"},{\"name\":\"cycles\","
	"\"unit\":\"cycles\",\"goal\":\"min\",\"scope\":\"both\"},"
	"{\"name\":\"mapping_efficiency\",\"unit\":\"%\",\"goal\":\"max\","
	"\"scope\":\"both\"},{\"name\":\"utilization\",\"unit\":\"%\","
	"\"goal\":\"max\",\"scope\":\"both\"}]";

void fr_write(const char *root, const fake_run *r)
{
	char *dir = NULL, *p = NULL;
	if (asprintf(&dir, "%s/%s", root, r->rel) < 0)
		abort();
	mkdirs(dir);
	if (asprintf(&p, "%s/summary.json", dir) < 0)
		abort();
	FILE *f = fopen(p, "w");
	free(p);
	int v2 = r->hardware != NULL;
	fprintf(f, "{\n  \"format\": 1,\n  \"status\": \"finished\",\n"
	        "  \"wall_seconds\": %.17g,\n  \"seed\": %lld,\n"
	        "  \"space\": \"toy\",\n  \"controller\": \"random\",\n"
	        "  \"reward\": \"mnas\",\n  \"cost\": \"systolic\",\n"
	        "  \"reward_reference\": null,\n", r->wall, r->seed);
	if (v2)
		fprintf(f, "  \"reward_metric\": \"cycles\",\n"
		        "  \"reward_target\": null,\n  \"hardware\": \"%s\",\n"
		        "  \"metrics\": %s,\n", r->hardware, metrics_decl);
	else
		fputs("  \"reward_target_cycles\": null,\n", f);
	fputs("  \"best\": ", f);
	cand(f, v2, r->accuracy, r->cycles, r->params, r->macs, r->reward);
	fputs(",\n  \"top\": [],\n  \"pareto\": [", f);
	for (size_t i = 0; i < r->npareto; i++) {
		fputs(i ? ",\n    " : "\n    ", f);
		cand(f, v2, r->pareto[2 * i], r->pareto[2 * i + 1], 1,
		     10 * r->pareto[2 * i + 1], 0.5);
	}
	fputs("]\n}\n", f);
	fclose(f);
	if (r->settings) {
		if (asprintf(&p, "%s/config.cfg", dir) < 0)
			abort();
		f = fopen(p, "w");
		free(p);
		fprintf(f, "# resolved\nrun = {\n  seed = %lld;\n  dir = "
		        "\"runs\";\n};\n%s\n", r->seed, r->settings);
		fclose(f);
	}
	if (r->nepochs) {
		if (asprintf(&p, "%s/epochs.csv", dir) < 0)
			abort();
		f = fopen(p, "w");
		free(p);
		fputs("epoch,train_loss,train_acc,mean_reward,best_reward,"
		      "mean_cycles,samples,images_per_s,seconds,sec_train,"
		      "sec_eval,sec_controller,sec_cost,controller\n", f);
		for (size_t e = 0; e < r->nepochs; e++)
			fprintf(f, "%zu,,,%.17g,1,100,10,,0.1,0,0,0,0,"
			        "\"entropy=1, baseline=0\"\n", e,
			        r->epoch_reward[e]);
		fclose(f);
	}
	if (r->test_accuracy >= 0) {
		char body[128];
		snprintf(body, sizeof body, "{\"test_accuracy\": %.17g, "
		         "\"epochs\": 3}\n", r->test_accuracy);
		if (asprintf(&p, "%s/retrain/summary.json", r->rel) < 0)
			abort();
		fr_write_file(root, p, body);
		free(p);
	}
	free(dir);
}
