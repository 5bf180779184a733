/* Scratch directories for tests: made under $TMPDIR (or /tmp), removed
 * with everything in them. */
#ifndef APNAS_TESTS_TMPDIR_H
#define APNAS_TESTS_TMPDIR_H

/* Creates "<tmp>/apnas-<tag>-XXXXXX"; the caller frees the path.  Aborts
 * if it cannot: a test without its scratch directory cannot run. */
char *t_tempdir(const char *tag);
/* Removes path and everything below it, not following links. */
void t_rmtree(const char *path);

#endif
