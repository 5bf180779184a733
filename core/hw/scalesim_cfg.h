/* The array settings of a SCALE-Sim config file (.cfg, INI style):
 * ArrayHeight, ArrayWidth and Dataflow from [architecture_presets], so
 * that `apnas cost --scalesim-config` costs the array SCALE-Sim would
 * simulate; and, when present, its memory: IfmapSramSzkB, FilterSramSzkB,
 * OfmapSramSzkB and Bandwidth from [architecture_presets],
 * InterfaceBandwidth (CALC or USER) from [run_presets].  Every key other
 * than the three array keys (the memory keys included) has no bearing on
 * compute cycles and is listed for the caller to mention.
 * Internal to libapnas. */
#ifndef APNAS_CORE_HW_SCALESIM_CFG_H
#define APNAS_CORE_HW_SCALESIM_CFG_H

#include <stddef.h>
#include <stdint.h>

#include <apnas/error.h>

#include "systolic_memory.h"
#include "systolic_model.h"

/* Owned by the caller; nothing inside points elsewhere. */
typedef struct apnas_scalesim_cfg {
	apnas_array array;   /* rows = ArrayHeight, cols = ArrayWidth */
	char ignored[512];   /* owned: the other keys, ", "-separated, cut
	                        with "..." if long; "" if none */
	int n_ignored;
	apnas_mem_cfg mem;   /* the three sizes (kB) as given, else
	                        apnas_mem_cfg_default's; bandwidth = Bandwidth
	                        under InterfaceBandwidth USER, else 0
	                        (unlimited: SCALE-Sim's CALC never stalls);
	                        word_bytes 1 (SCALE-Sim counts words) */
	int mem_keys;        /* how many of the five memory keys were given */
	int user_bandwidth;  /* InterfaceBandwidth: USER */
} apnas_scalesim_cfg;

/* Parses config text (len bytes).  `file` names it in messages, which
 * read "file:line:column: what was expected".  Refuses a missing,
 * repeated, non-positive or non-numeric ArrayHeight or ArrayWidth, and a
 * Dataflow other than os, ws or is; a repeated memory key, a size or
 * Bandwidth that is not a positive integer (up to APNAS_MEM_KB_MAX,
 * APNAS_MEM_BW_MAX), an InterfaceBandwidth other than CALC or USER, and
 * USER without a Bandwidth. */
int apnas_scalesim_cfg_parse(const char *text, size_t len, const char *file,
                             apnas_scalesim_cfg *c, apnas_error *err);
int apnas_scalesim_cfg_load(const char *path, apnas_scalesim_cfg *c,
                            apnas_error *err);

#endif
