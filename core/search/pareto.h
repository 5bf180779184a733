/* The Pareto front of candidates on (accuracy: higher is better, cycles:
 * lower is better).  Internal to libapnas. */
#ifndef APNAS_SEARCH_PARETO_H
#define APNAS_SEARCH_PARETO_H

#include <stddef.h>

/* front[i] = 1 when no other point has accuracy >= and cycles <= point i's
 * with at least one of the two strictly better; 0 otherwise.  Points equal
 * in both are all kept.  NaN accuracy or cycles never make the front. */
void apnas_pareto(const double *accuracy, const double *cycles, size_t n,
                  unsigned char *front);

#endif
