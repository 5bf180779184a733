/* The grid of `apnas ablate`: parsing --vary arguments, expanding every
 * combination, and naming each combination's directory.  Pure functions
 * (no files), so the tests check them directly.  Internal to libapnas. */
#ifndef APNAS_REPORT_GRID_H
#define APNAS_REPORT_GRID_H

#include <stddef.h>
#include <stdint.h>

#include <apnas/error.h>

/* Most runs one grid may hold (settings times seeds). */
#define APNAS_GRID_MAX_RUNS 100000

typedef struct apnas_vary {
	char *key;     /* owned: the keys as given: "group.key", or linked
	                  keys "cost.rows+cost.cols" */
	char **keys;   /* owned: each key, nkeys of them */
	size_t nkeys;
	char **values; /* owned: n values, written as in a config file */
	size_t n;
} apnas_vary;

/* Parses "group.key=V1,V2,..." or, for keys that change together,
 * "g.k1+g.k2=V1,V2,..." (each value sets every key: 8x8, 16x16 arrays
 * with "cost.rows+cost.cols=8,16").  Commas inside [..], (..), {..} or
 * "..." do not split, so list values work: "space.ops=[0,1],[2,3]".
 * Refuses a malformed key, run.seed (seeds come from --seeds), an empty
 * value and a value given twice. */
int apnas_vary_parse(const char *arg, apnas_vary *v, apnas_error *err);
void apnas_vary_free(apnas_vary *v);

typedef struct apnas_grid_point {
	char **sets;  /* owned: "group.key=value", one per key of each
	                 --vary, in --vary order */
	size_t nsets;
	char *name;   /* owned: its directory name, unique in the grid */
} apnas_grid_point;

typedef struct apnas_grid {
	apnas_grid_point *pts; /* owned; the last --vary changes fastest */
	size_t n;
} apnas_grid;

/* Every combination of the values of v[0..nv).  nv = 0 gives one point,
 * "base", with no settings.  Refuses a key varied twice and grids of more
 * than APNAS_GRID_MAX_RUNS / seeds points.  Names are built from each
 * --vary as given ("cost.rows+cost.cols=16"). */
int apnas_grid_expand(const apnas_vary *v, size_t nv, int64_t seeds,
                      apnas_grid *g, apnas_error *err);
void apnas_grid_free(apnas_grid *g);

/* The directory name of one combination: "key=value" joined with ",",
 * string quotes dropped, every character outside [A-Za-z0-9._+-] of a
 * value replaced by "_" (runs collapsed), e.g. "reward.plugin=mnas,
 * cost.rows=16" (no space).  Names over 200 bytes are cut and end in "~"
 * and 8 hex digits of a hash of the full settings.  malloc()ed; NULL
 * when out of memory. */
char *apnas_grid_name(const char *const *sets, size_t n);

/* 64-bit FNV-1a of s, used for the "~hash" suffixes. */
uint64_t apnas_grid_hash(const char *s);

#endif
