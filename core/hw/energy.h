/* The energy table of the systolic memory model: picojoules per action.
 *
 * Defaults (apnas_energy_default), for the word size in use:
 *   - MAC: Horowitz, "Computing's energy problem", ISSCC 2014, 45 nm:
 *     8-bit integer multiply 0.2 pJ + add 0.03 pJ (1-byte words); 16-bit
 *     float multiply 1.1 + add 0.4 (2-byte); 32-bit float multiply 3.7 +
 *     add 0.9 (4-byte).
 *   - PE register access and operand hop between PEs: Eyeriss's normalised
 *     costs (Chen et al., ISCA 2016, 1 : 1 : 2 : 6 : 200 for MAC : register
 *     : array hop : buffer : DRAM), anchored to the MAC above: a register
 *     access costs one MAC, a hop two.
 *   - SRAM: Horowitz's 8 kB SRAM, 64-bit read 10 pJ, i.e. 1.25 pJ per byte
 *     at 8 kB, growing with the square root of the size (his 32 kB: 20 pJ,
 *     1 MB: 100 pJ per 64 bits); a write costs as much as a read.
 *   - DRAM: Horowitz's 1.3 nJ per 64-bit access (the low end of his
 *     1.3-2.6 nJ), 162.5 pJ per byte.  (Eyeriss's 200 x MAC is lower;
 *     override `dram_pj` to use it.)
 *   - leakage: 0 pJ per cycle.
 * Every entry can be overridden by name, and a table loaded from an
 * Accelergy ERT.yaml (energy_ert.c) replaces the entries it names.
 * Plain values, owned by the holder. */
#ifndef APNAS_CORE_HW_ENERGY_H
#define APNAS_CORE_HW_ENERGY_H

#include <stddef.h>

#include <apnas/error.h>

typedef struct apnas_energy_table {
	double mac_pj;        /* one multiply-accumulate */
	double reg_pj;        /* one PE register access */
	double hop_pj;        /* one operand or partial sum to a neighbour PE */
	double sram_read_pj;  /* one word read from an SRAM of sram_ref_kb */
	double sram_write_pj; /* one word written into it */
	double sram_ref_kb;   /* the size the two above are for (> 0) */
	double sram_exp;      /* per-word energy ~ (size / ref)^exp, in [0, 2] */
	double dram_pj;       /* one word read from or written to DRAM */
	double leak_pj;       /* per cycle of latency (whole accelerator) */
} apnas_energy_table;

/* The defaults above for 1-, 2- or 4-byte words; refuses other sizes. */
int apnas_energy_default(int word_bytes, apnas_energy_table *t,
                         apnas_error *err);

/* Refuses an entry that is negative, NaN or infinite (naming it), and a
 * reference size <= 0 or an exponent outside [0, 2]. */
int apnas_energy_check(const apnas_energy_table *t, apnas_error *err);

/* Sets one entry by name ("mac_pj", "reg_pj", "hop_pj", "sram_read_pj",
 * "sram_write_pj", "sram_ref_kb", "sram_exp", "dram_pj", "leak_pj"),
 * refusing unknown names and bad values. */
int apnas_energy_set(apnas_energy_table *t, const char *name, double v,
                     apnas_error *err);

/* Applies "name=value, name=value ..." (commas or blanks between pairs)
 * entry by entry; the first bad pair is refused with its position. */
int apnas_energy_overrides(apnas_energy_table *t, const char *text,
                           apnas_error *err);

/* The table a cost plugin uses, in one call: the defaults for word_bytes,
 * then the entries an Accelergy ERT at ert_path names (NULL or "": none),
 * then the "name=value" overrides (NULL or "": none), then a check.  *t
 * is written only on success. */
int apnas_energy_setup(apnas_energy_table *t, int word_bytes,
                       const char *ert_path, const char *overrides,
                       apnas_error *err);

/* Per-word SRAM energy of a buffer of kb kilobytes: the reference
 * energy times apnas_energy_size_factor, (kb / sram_ref_kb)^sram_exp. */
double apnas_energy_size_factor(const apnas_energy_table *t, double kb);
double apnas_energy_sram_read(const apnas_energy_table *t, double kb);
double apnas_energy_sram_write(const apnas_energy_table *t, double kb);

/* The names in the order above, for listings; n is set to their count. */
const char *const *apnas_energy_names(size_t *n);

/* Accelergy ERT (energy reference table, its ERT.yaml output):
 *
 *   ERT:
 *     version: 0.3
 *     tables:
 *     - name: system.arch.PE[0..255].mac
 *       actions:
 *       - name: mac_random
 *         energy: 2.2
 *
 * Each table's component is the last dot-separated part of its name,
 * without any [..] range, lower-cased.  It sets:
 *   mac_pj        from a component containing "mac": action mac_random
 *                 (else the first action whose name starts with "mac")
 *   reg_pj        from one containing "spad" or "reg", or the word "rf":
 *                 action read
 *   hop_pj        from one containing "noc", "hop" or "network": action
 *                 transfer (else read)
 *   sram_read_pj, sram_write_pj
 *                 from one containing "glb", "buffer" or "sram": actions
 *                 read and write; then sram_exp = 0 (the ERT's figure is
 *                 for its buffer, whatever size apnas's buffers are)
 *   dram_pj       from one containing "dram": action read
 * Entries the file does not name keep their value.  A file that names
 * none is refused, as are a missing file, YAML errors (file:line:column),
 * a missing ERT/tables key, and energies that are not finite numbers >= 0
 * (file:line).  text/len: the file's contents; file names it. */
int apnas_energy_ert_parse(apnas_energy_table *t, const char *text,
                           size_t len, const char *file, apnas_error *err);
int apnas_energy_ert_load(apnas_energy_table *t, const char *path,
                          apnas_error *err);

#endif
