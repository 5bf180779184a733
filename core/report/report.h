/* `apnas report` as a library: gathers finished search runs (directories
 * holding summary.json) under one or more roots, groups them over seeds,
 * computes means and standard deviations, the combined Pareto front of
 * accuracy against cycles, and writes tables and gnuplot plots
 * (docs/ablations.md).  Internal to libapnas; the CLI and `apnas
 * ablate` call it. */
#ifndef APNAS_REPORT_H
#define APNAS_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <apnas/error.h>

/* The per-run figures a report aggregates, in table order. */
enum {
	APNAS_RM_REWARD = 0,   /* best.reward of summary.json */
	APNAS_RM_VAL_ACC,      /* best.accuracy (validation, shared weights) */
	APNAS_RM_TEST_ACC,     /* retrain/summary.json test accuracy */
	APNAS_RM_X,            /* best.<x metric> (--x, default cycles) */
	APNAS_RM_PARAMS,       /* best.params */
	APNAS_RM_MACS,         /* best.macs */
	APNAS_RM_WALL,         /* wall_seconds of the search */
	APNAS_RM_COUNT
};

/* Column name of each APNAS_RM_* ("best_reward", "val_accuracy", ...);
 * APNAS_RM_X is named after the report's x metric. */
struct apnas_report;
const char *apnas_report_metric_name(const struct apnas_report *r, int m);

/* One setting of a run's resolved config, flattened: "cost.rows" = "16".
 * Strings are unquoted; lists are written "[1, 2]". */
typedef struct apnas_report_kv {
	char *key;   /* owned */
	char *value; /* owned */
} apnas_report_kv;

typedef struct apnas_report_run {
	char *dir;               /* owned: the directory as found */
	char *name;              /* owned: dir relative to its root (the
	                            root's basename when there are several) */
	apnas_report_kv *set;    /* owned: config.cfg flattened, sorted by
	                            key; none when the run has no config.cfg */
	size_t nset;
	int64_t seed;            /* summary.json seed; -1 if absent */
	char *status;            /* owned: "finished", "time_limit", ... */
	char *controller, *reward, *cost; /* owned plugin names; may be NULL */
	double m[APNAS_RM_COUNT];/* APNAS_RM_* figures; NaN when unknown */
	char *hardware;          /* owned: summary.json "hardware" (the cost
	                            model's one-line description), or the
	                            cost plugin and its settings */
	double *pareto_acc;      /* owned: the run's Pareto points */
	double *pareto_x;        /* owned: their x metric */
	size_t npareto;
	double *epoch_reward;    /* owned: epochs.csv mean_reward per row */
	size_t nepochs;
	size_t group;            /* index into apnas_report.groups */
} apnas_report_run;

/* Mean and sample standard deviation (n - 1 in the denominator) over the
 * values that are not NaN.  n = 0: both NaN; n = 1: sd NaN. */
typedef struct apnas_report_stat {
	double mean, sd;
	size_t n;
} apnas_report_stat;

typedef struct apnas_report_group {
	char *key;               /* owned: what its runs share (identity) */
	char *label;             /* owned: what tells it from the others */
	char *values;            /* owned: when the label is key=value pairs
	                            of apnas_report.label_keys, the values
	                            alone ("evolution, 8"); else NULL */
	size_t *runs;            /* owned: indices into runs, in run order */
	size_t nruns;
	apnas_report_stat stat[APNAS_RM_COUNT];
} apnas_report_group;

/* What the report reads of a run beyond its figures
 * (report/runextra.c): the ranks and files of its Pareto points, its
 * every candidate, where it ran.  Older runs lack some: NULL or 0. */
typedef struct apnas_report_extra {
	int64_t *pareto_rank;    /* owned: each Pareto point's rank by reward
	                            (1: best.arch), 0 when not recorded; as
	                            many as the run's npareto */
	char **pareto_arch;      /* owned: that point's architecture file
	                            relative to the run (best.arch,
	                            top/03.arch), NULL when none was written */
	char **pareto_hw;        /* owned: that point's own hardware in a
	                            co-search ("8x32 ws 48/48/96"), NULL
	                            when the run's hardware is fixed */
	double *cand_acc;        /* owned: candidates.csv accuracy */
	double *cand_x;          /* owned: candidates.csv x metric */
	size_t ncand;
	char *commit, *cpu, *blas, *kern; /* owned: summary.json
	                               "provenance" (commit, cpu,
	                               openblas_core, engine_kernels) */
	char *rt_commit, *rt_cpu, *rt_blas, *rt_kern; /* owned: the
	                               retraining's */
} apnas_report_extra;

/* A point of a combined front: one run's Pareto point. */
typedef struct apnas_report_point {
	double accuracy, x;      /* x: the report's x metric */
	size_t run;              /* index into apnas_report.runs */
	size_t hw;               /* index into apnas_report.hardware */
	size_t k;                /* index into the run's Pareto points, or
	                            SIZE_MAX for a run without them */
} apnas_report_point;

typedef struct apnas_report {
	const char *x;           /* the metric on the fronts' x axis; borrowed
	                            (a string literal or the caller's) */
	char **hardware;         /* owned: the distinct hardware settings of
	                            the runs, in order of first appearance;
	                            one front (and plot panel) each */
	size_t nhardware;
	apnas_report_run *runs;  /* owned; sorted by group, seed, name once
	                            grouped */
	size_t nruns;
	apnas_report_group *groups; /* owned; natural order of labels */
	size_t ngroups;
	char *label_keys;        /* owned: the keys of the groups' values
	                            ("controller.plugin, cost.rows"), or
	                            NULL */
	apnas_report_point *front; /* owned: non-dominated points of each
	                              hardware setting (never compared across
	                              settings), by hw then x ascending */
	size_t nfront;
	size_t npoints;          /* points the front was taken from */
	apnas_report_extra *extra; /* owned: one per run, in runs' order once
	                              grouped (apnas_report_load_extras);
	                              freed by apnas_report_extras_free */
	int bars_range;          /* the paper plot's error bars: min..max
	                            over seeds instead of mean +- sample sd */
	size_t unfinished;       /* run directories without summary.json */
	char *first_unfinished;  /* owned: one of them, for the message */
	size_t grid_runs;        /* runs the planned grids (DIR/ablate.json)
	                            hold */
	size_t grid_missing;     /* of those, runs not finished */
	char *grid_missing_list; /* owned: the first of them, "K DIR (needs
	                            search+retrain)" joined by "; ", for the
	                            message; NULL when none */
} apnas_report;

/* ---- gathering (report/runs.c) ---------------------------------------- */

/* Adds every finished run found under root (root itself included; the
 * search does not descend into a run directory, nor follow symbolic
 * links).  `several`: prefix run names with root's basename.  A
 * summary.json without a "best" record is not a search run and is
 * passed over; a damaged one is an error naming the file. */
int apnas_report_scan(apnas_report *r, const char *root, int several,
                      apnas_error *err);
/* Reads one run directory into *run (name is copied), taking metric x
 * from its best and Pareto records. */
int apnas_report_load_run(const char *dir, const char *name, const char *x,
                          apnas_report_run *run, apnas_error *err);
/* Flattens a libconfig file into sorted key/value pairs. */
int apnas_report_read_settings(const char *path, apnas_report_kv **set,
                               size_t *n, apnas_error *err);
/* The value of key in run's settings, NULL if absent. */
const char *apnas_report_setting(const apnas_report_run *run,
                                 const char *key);
void apnas_report_run_free(apnas_report_run *run);
void apnas_report_free(apnas_report *r);

/* ---- grouping and statistics (report/group.c, report/stats.c) --------- */

void apnas_report_stats(const double *v, size_t n, apnas_report_stat *s);

/* Groups r's runs and fills each group's statistics.  group_by NULL:
 * runs whose settings are equal except run.seed and run.dir form a group
 * (runs without config.cfg: by their parent directory, as `apnas ablate`
 * names them); else a comma-separated list of keys, runs with equal
 * values of those keys forming a group.  A --group-by key no run has is
 * refused with the nearest key.  Sorts runs by group, seed, name. */
int apnas_report_group_runs(apnas_report *r, const char *group_by,
                            apnas_error *err);

/* Compares strings with digit runs taken as numbers ("rows=8" before
 * "rows=16"). */
int apnas_natcmp(const char *a, const char *b);

/* ---- the combined front (report/front.c) ------------------------------ */

/* Takes every run's Pareto points (its best when it lists none) and keeps,
 * for each hardware setting, the non-dominated ones across its runs. */
int apnas_report_front(apnas_report *r, apnas_error *err);

/* ---- beyond the figures (report/runextra.c) --------------------------- */

/* Fills r->extra for every run (after grouping: runs keep their order
 * from then on).  A damaged candidates.csv is an error naming it. */
int apnas_report_load_extras(apnas_report *r, apnas_error *err);
void apnas_report_extras_free(apnas_report *r);
/* Notes on runs of one report that ran on different commits, CPUs or
 * OpenBLAS kernels (search or retraining), one line each on f; the
 * number of lines. */
size_t apnas_report_provenance_notes(FILE *f, const apnas_report *r);

/* ---- output (report/write.c, report/plot.c, report/html.c) ------------ */

typedef enum apnas_report_format {
	APNAS_REPORT_TABLE = 0,
	APNAS_REPORT_CSV,
	APNAS_REPORT_JSON
} apnas_report_format;

/* report.csv: one row per run (kind "run") and per group (kind "group",
 * means with _sd columns). */
int apnas_report_write_csv(FILE *f, const apnas_report *r);
/* front.csv: the combined front; reward.csv: mean reward per epoch per
 * run (long format). */
int apnas_report_write_front_csv(FILE *f, const apnas_report *r);
int apnas_report_write_reward_csv(FILE *f, const apnas_report *r);
int apnas_report_write_json(FILE *f, const apnas_report *r);
/* plots: file names (relative to the markdown) to link, n of them. */
int apnas_report_write_md(FILE *f, const apnas_report *r,
                          const char *const *plots, size_t nplots);
/* The aligned text tables for a terminal. */
int apnas_report_write_table(FILE *f, const apnas_report *r);

/* Draws pareto.{svg,png} and reward.{svg,png} in out_dir with gnuplot
 * (APNAS_GNUPLOT names another binary).  Returns 0 when drawn (names of
 * the files made in *made, malloc()ed strings, *nmade of them), 1 when
 * gnuplot is not installed (nothing drawn, nothing to free), < 0 on
 * failure.  The script and its data stay in out_dir as plots.gp and
 * plot_*.dat, so a user can restyle and rerun them. */
int apnas_report_plot(const apnas_report *r, const char *out_dir,
                      char ***made, size_t *nmade, apnas_error *err);

/* ---- the HTML page (report/html.c, report/write.c) -------------------- */

/* Text with HTML's markup characters escaped. */
void apnas_report_html_text(FILE *f, const char *s);
/* The groups, runs, fronts and provenance tables as HTML. */
int apnas_report_write_html_tables(FILE *f, const apnas_report *r);

/* Draws architecture `arch` (a file in run directory `run_dir`, whose
 * config.cfg it uses) as SVG into out_svg.  Returns 0 when drawn, else
 * non-zero with a one-line reason in why.  `apnas report` passes one
 * that runs `apnas draw`; the drawing code lives in the executable. */
typedef int (*apnas_report_draw_fn)(void *ud, const char *run_dir,
                                    const char *arch, const char *out_svg,
                                    char *why, size_t cap);

/* The drawing of one front's best network. */
typedef struct apnas_report_drawing {
	char *file;     /* owned: the SVG written, NULL when none */
	char *caption;  /* owned: which network it is, or why none */
} apnas_report_drawing;

/* For each hardware setting, draws the best network of its front into
 * out_dir/best-<k>.svg: of the front's points whose run kept an
 * architecture file, the search's pick (rank 1, best.arch) if there is
 * one, else the most accurate.  *d gets r->nhardware entries (free them
 * with apnas_report_drawings_free); drawings that fail are captioned
 * with the reason, not errors. */
int apnas_report_draw_fronts(const apnas_report *r, const char *out_dir,
                             apnas_report_draw_fn draw, void *ud,
                             apnas_report_drawing **d, size_t *n,
                             apnas_error *err);
void apnas_report_drawings_free(apnas_report_drawing *d, size_t n);

/* report.html: one self-contained page (inline style, the tables, the SVG
 * plots and drawings as data: URIs, no network access).  plots: the
 * files apnas_report_plot made; notes: warnings to show first, or NULL. */
int apnas_report_write_html(FILE *f, const apnas_report *r,
                            const char *const *plots, size_t nplots,
                            const apnas_report_drawing *d, size_t nd,
                            const char *notes);

/* ---- the whole command ------------------------------------------------- */

typedef struct apnas_report_args {
	const char *const *dirs;  /* roots to search, ndirs >= 1 */
	size_t ndirs;
	const char *out_dir;      /* NULL: <dirs[0]>/report */
	apnas_report_format format; /* what goes to `out` */
	const char *group_by;     /* NULL: group over seeds */
	const char *x;            /* x metric of the fronts; NULL: cycles */
	int no_plots;             /* skip gnuplot */
	int bars_range;           /* paper plot: min..max bars, not +- sd */
	int html;                 /* also write report.html */
	apnas_report_draw_fn draw; /* draws the fronts' best networks into
	                              report.html; NULL: no drawings */
	void *draw_ud;
	FILE *out;                /* the table / CSV / JSON */
	FILE *msg;                /* notes and the written files' paths */
} apnas_report_args;

/* Gathers, groups, writes report.csv, report.json, report.md, front.csv,
 * reward.csv and the plots into out_dir, prints the chosen format on
 * `out` and the paths on `msg`.  No finished run: APNAS_EINVAL. */
int apnas_report_main(const apnas_report_args *a, apnas_error *err);

#endif
