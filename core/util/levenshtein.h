/* Edit distance and "did you mean" suggestions for unknown keys, groups,
 * plugins and commands.  Internal to libapnas (the CLI uses it too). */
#ifndef APNAS_CORE_UTIL_LEVENSHTEIN_H
#define APNAS_CORE_UTIL_LEVENSHTEIN_H

#include <stddef.h>

/* Number of single-character insertions, deletions and substitutions that
 * turn a into b. */
size_t apnas_levenshtein(const char *a, const char *b);

/* The candidate closest to word, or NULL when none is close enough to be a
 * plausible typo (distance above a third of the word, at least 2).
 * cands has n entries; NULL entries are skipped.  Ties go to the first. */
const char *apnas_nearest(const char *word, const char *const *cands,
                          size_t n);

#endif
