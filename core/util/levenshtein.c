/* Edit distance for suggestions: two-row dynamic programme, O(|a||b|). */
#include "util/levenshtein.h"

#include <stdlib.h>
#include <string.h>

size_t apnas_levenshtein(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t *prev = malloc((lb + 1) * sizeof *prev);
	size_t *cur = malloc((lb + 1) * sizeof *cur);
	if (!prev || !cur) {
		free(prev);
		free(cur);
		/* Only used for suggestions: "far away" is a safe answer. */
		return la > lb ? la : lb;
	}
	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
			size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
			size_t m = sub < del ? sub : del;
			cur[j] = m < ins ? m : ins;
		}
		size_t *t = prev;
		prev = cur;
		cur = t;
	}
	size_t d = prev[lb];
	free(prev);
	free(cur);
	return d;
}

const char *apnas_nearest(const char *word, const char *const *cands,
                          size_t n)
{
	size_t limit = strlen(word) / 3;
	if (limit < 2)
		limit = 2;
	const char *best = NULL;
	size_t best_d = (size_t)-1;
	for (size_t i = 0; i < n; i++) {
		if (!cands[i])
			continue;
		size_t d = apnas_levenshtein(word, cands[i]);
		if (d < best_d) {
			best_d = d;
			best = cands[i];
		}
	}
	return best_d <= limit ? best : NULL;
}
