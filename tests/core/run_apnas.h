/* Runs the built `apnas` executable as a subprocess and captures its exit
 * status, stdout and stderr, for tests that check what a user sees. */
#ifndef TESTS_CORE_RUN_APNAS_H
#define TESTS_CORE_RUN_APNAS_H

typedef struct run_result {
	int status; /* exit status; 128+N if killed by signal N */
	char *out;  /* stdout, NUL-terminated; owned */
	char *err;  /* stderr, NUL-terminated; owned */
} run_result;

/* Paths the tests get from meson through argv (set by test_init). */
extern const char *apnas_bin;     /* the apnas executable */
extern const char *fx_plugins;    /* build/tests/fixtures/plugins */
extern const char *fx_bad;        /* build/tests/fixtures/bad */
extern const char *fx_dup;        /* build/tests/fixtures/dup */
extern const char *fx_configs;    /* tests/fixtures/configs (source) */

/* Reads argv[1..5] in the order above; exits 77 (skip) with a message if
 * they are missing. */
void test_init(int argc, char **argv);

/* Runs apnas with args (NULL-terminated), APNAS_PLUGIN_PATH set to
 * plugin_path (NULL: unset).  Aborts the test if it cannot run. */
void run_apnas(run_result *r, const char *plugin_path, ...);
void run_free(run_result *r);

/* "<fx_configs>/<name>" in a static buffer (valid until the next call). */
const char *cfg_path(const char *name);

/* Number of lines in s (a final line without '\n' counts). */
int count_lines(const char *s);

#endif
