/* The plan of an `apnas ablate` grid: its runs in a fixed order, each
 * with its directory, config, settings and seed, and the record of it
 * that DIR/ablate.json holds.  Built from the command line (plan time)
 * or read back from ablate.json (`apnas ablate DIR --run K`, `apnas
 * report DIR`), so that run K means the same run in every process that
 * reads the grid.  Also: what a run still needs, from the files in its
 * directory, and the argv of each of those steps.  Internal to
 * libapnas. */
#ifndef APNAS_REPORT_PLAN_H
#define APNAS_REPORT_PLAN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <apnas/error.h>

/* Most --set and --vary arguments, and points in one run's settings, a
 * read-back ablate.json may hold (more is a damaged or foreign file). */
#define APNAS_PLAN_MAX_ARGS 4096

typedef struct apnas_plan_run {
	char *label;    /* owned: "<setting>/seed-N", its path under DIR */
	size_t config;  /* index into the plan's configs */
	char **sets;    /* owned: the grid point's settings, "g.k=v" */
	size_t nsets;
	size_t point;   /* the grid point (runs of one point differ only in
	                   their seed; its first run is validated) */
	int64_t seed;
} apnas_plan_run;

typedef struct apnas_plan {
	char **configs;        /* owned: absolute paths of the config files */
	size_t nconfigs;
	char **sets;           /* owned: --set for every run */
	size_t nsets;
	char **vary;           /* owned: the --vary arguments as given */
	size_t nvary;
	int64_t seeds, seed_base;
	int retrain;           /* `apnas train` each best.arch */
	int64_t retrain_epochs; /* 0: train's default */
	size_t npoints;        /* settings (grid points x configs) */
	apnas_plan_run *runs;  /* owned: config, then point, then seed */
	size_t nruns;
} apnas_plan;

/* Expands a grid as the command line gives it (docs/ablations.md): the
 * configs as paths (made absolute, so a job started in another
 * directory finds them), every combination of the --vary values, seeds
 * seed_base .. seed_base + seeds - 1.  Refuses what apnas_vary_parse and
 * apnas_grid_expand refuse, and two configs that would share a name. */
int apnas_plan_build(apnas_plan *p, const char *const *configs,
                     size_t nconfigs, const char *const *sets, size_t nsets,
                     const char *const *vary, size_t nvary, int64_t seeds,
                     int64_t seed_base, int retrain, int64_t retrain_epochs,
                     apnas_error *err);

/* Reads DIR/ablate.json.  No file: APNAS_EINVAL, "DIR has no ablate.json
 * (not a planned grid): plan it with apnas ablate CONFIG... --out DIR
 * --plan"; a damaged one: APNAS_EINVAL naming the file and what it
 * lacks. */
int apnas_plan_read(apnas_plan *p, const char *dir, apnas_error *err);

void apnas_plan_free(apnas_plan *p);

/* The record, as ablate.json holds it. */
int apnas_plan_write(FILE *f, const apnas_plan *p);

/* The first field in which a and b differ ("configs", "seeds", ...), or
 * NULL when they plan the same grid. */
const char *apnas_plan_diff(const apnas_plan *a, const apnas_plan *b);

/* ---- what a run needs ----------------------------------------------- */

enum { APNAS_STEP_SEARCH, APNAS_STEP_RESUME, APNAS_STEP_TRAIN };

/* "search", "resume", "retrain". */
const char *apnas_plan_step_name(int step);

/* The steps run `dir` (DIR/<label>) still needs, from its files
 * (docs/ablations.md, Resume): none when finished.  steps has room for
 * 2; returns how many, or APNAS_ENOMEM. */
int apnas_plan_needs(const apnas_plan *p, const char *dir, int steps[2]);

/* "DIR/<label>" of run k (malloc()ed, NULL when out of memory). */
char *apnas_plan_run_dir(const apnas_plan *p, const char *dir, size_t k);

/* The argv (argv[0] "apnas", NULL-terminated) of one step of run k in
 * run_dir.  *owned lists the strings it allocated, *nowned of them; the
 * caller frees those and the array.  NULL when out of memory. */
char **apnas_plan_step_argv(const apnas_plan *p, size_t k,
                            const char *run_dir, int step, char ***owned,
                            size_t *nowned);

#endif
