/* Fake run directories for the report tests, written in the formats of
 * docs/run-directory.md (summary.json, config.cfg, epochs.csv) and of
 * `apnas train --out RUN/retrain` (retrain/summary.json), so the report
 * is tested on inputs whose every number the test chose. */
#ifndef APNAS_TEST_REPORT_FAKE_RUNS_H
#define APNAS_TEST_REPORT_FAKE_RUNS_H

#include <stddef.h>

typedef struct fake_run {
	const char *rel;         /* directory under the root, e.g. "a/seed-1" */
	const char *settings;    /* config.cfg body, or NULL: none written */
	long long seed;
	double reward, accuracy, cycles, params, macs, wall;
	const double *pareto;    /* (accuracy, cycles) pairs, npareto pairs;
	                            each point's macs are 10 x its cycles */
	size_t npareto;
	const double *epoch_reward; /* mean_reward per epoch, nepochs */
	size_t nepochs;
	double test_accuracy;    /* < 0: no retrain/summary.json */
	const char *hardware;    /* summary.json "hardware" ("32x32 os"),
	                            written with the reward's metric and the
	                            metric declarations as runs since ABI 2.0
	                            write them; NULL: a summary of an older
	                            run (reward_target_cycles, no hardware) */
} fake_run;

/* A fresh directory under $TMPDIR (or /tmp); malloc()ed path. */
char *fr_tempdir(void);
/* rm -rf. */
void fr_rmtree(const char *path);
/* mkdir -p root/run->rel and writes its files. */
void fr_write(const char *root, const fake_run *run);
/* Writes text to root/rel (parents made). */
void fr_write_file(const char *root, const char *rel, const char *text);
/* Whole file, NUL-terminated, malloc()ed; NULL if unreadable. */
char *fr_read(const char *path);
int fr_exists(const char *dir, const char *rel);

#endif
