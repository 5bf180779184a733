/* Where a run ran: the apnas commit it was built from, the CPU model, the
 * OpenBLAS kernel set and the engine's kernel build, recorded in every search's and training's
 * summary.json so that a result that does not reproduce can be traced to
 * a change of code or machine (docs/reports.md).  Internal to libapnas. */
#ifndef APNAS_UTIL_PROVENANCE_H
#define APNAS_UTIL_PROVENANCE_H

#include <stdio.h>

typedef struct apnas_provenance {
	char commit[64];        /* `git describe --always --dirty=+` when
	                           built, "unknown" outside git; a trailing
	                           '+' marks a tree with uncommitted edits */
	char cpu[256];          /* /proc/cpuinfo's first "model name", or
	                           "unknown" */
	char blas_core[64];     /* openblas_get_corename(): the kernels
	                           OpenBLAS chose on this CPU */
	char blas_config[256];  /* openblas_get_config(): version and build */
	char engine[16];        /* the engine's direct-convolution build this
	                           process runs: "avx512" or "avx2"
	                           (core/nn/isa.h) */
} apnas_provenance;

/* Fills p (each field NUL-terminated, "unknown" when not known). */
void apnas_provenance_get(apnas_provenance *p);

/* Writes prefix, then "provenance": {"commit": ..., "cpu": ...,
 * "openblas_core": ..., "openblas_config": ..., "engine_kernels": ...},
 * then suffix: one call in each summary writer. */
void apnas_provenance_json(FILE *f, const char *prefix, const char *suffix);

#endif
