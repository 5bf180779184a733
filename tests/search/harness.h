/* Helpers shared by the search tests: run the apnas binary, read and
 * parse what a run directory holds, compare two runs. */
#ifndef APNAS_TEST_SEARCH_HARNESS_H
#define APNAS_TEST_SEARCH_HARNESS_H

#include <stddef.h>
#include <stdint.h>

#include <apnas/batch.h>

/* From argv: the apnas binary and the directory holding the fixture
 * space plugin.  Set by harness_init(). */
extern const char *h_apnas;
extern const char *h_fixture_dir;

/* Reads argv[1] (apnas) and argv[2] (fixture dir); exits 77 with a message
 * when they are missing. */
void harness_init(int argc, char **argv);

/* A fresh directory under $TMPDIR (or /tmp); malloc()ed path. */
char *h_tempdir(void);
/* Removes a directory tree (rm -rf). */
void h_rmtree(const char *path);

/* Writes text to dir/name; returns the malloc()ed path. */
char *h_write(const char *dir, const char *name, const char *text);
/* Whole file, NUL-terminated, malloc()ed; NULL if unreadable. */
char *h_read(const char *path);
char *h_readf(const char *dir, const char *name);
int h_exists(const char *dir, const char *name);

/* The toy-space config (fast, no data) and the fixture-space config
 * (synthetic data, really trains), with `extra` appended verbatim (may be
 * NULL: e.g. "search = { epochs = 5; };" is not allowed twice, so extras
 * are --set arguments instead). */
char *h_toy_config(const char *dir);
char *h_fixture_config(const char *dir);
/* enas_macro (the real supernet, L = 4, 8 channels) on 12x12 synthetic
 * data: 31 train steps and 5 x 4 samples per epoch, 2 epochs. */
char *h_enas_config(const char *dir);

/* Runs apnas with args (NULL-terminated), stdout and stderr into
 * dir/stdout.txt and dir/stderr.txt (dir may be NULL: /dev/null), with
 * APNAS_TEST_KILL_AT=kill_at when kill_at > 0.  Returns the wait status. */
int h_run(const char *dir, long long kill_at, const char *const *args);
/* APNAS_TEST_TERM_AT for the runs started from now on (0: unset). */
extern long long h_term_at;
/* Starts it without waiting; returns the pid. */
int h_spawn(const char *dir, long long kill_at, const char *const *args);

/* Lines of a file (0 if unreadable). */
size_t h_count_lines(const char *path);

/* JSON: 1 if s is exactly one valid JSON value (surrounding white space
 * allowed). */
int h_json_valid(const char *s);
/* The number after "\"key\":" in s (first occurrence); NaN if absent. */
double h_json_number(const char *s, const char *key);

/* CSV: splits one record of s (RFC 4180, quoted fields allowed) starting
 * at *pos; returns the number of fields (fills at most max of them,
 * malloc()ed, into f) and advances *pos past the line end; -1 at the end
 * of s. */
int h_csv_record(const char *s, size_t *pos, char **f, int max);
void h_csv_free(char **f, int n);

/* Compares every deterministic output of two run directories (pareto.csv,
 * candidates.csv, the arch files, summary.json without timing lines,
 * samples.jsonl without wall times, epochs.csv without timing columns,
 * the checkpoint's state sections).  Returns NULL if equal, else a
 * malloc()ed description of the first difference. */
char *h_compare_runs(const char *a, const char *b);

/* Asserts (check) that dir holds a finished run: every file present and
 * parsed, samples_expected JSON lines, epochs_expected CSV rows, best.arch
 * and top/01..top_k equal to candidates.csv's first rows when parsed by
 * the run's space.  data: the geometry the space trains on, NULL for a
 * space that scores itself. */
void h_check_run_dir(const char *dir, const apnas_data_info *data,
                     int top_k, int samples_expected, int epochs_expected);

#endif
