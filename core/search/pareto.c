/* Non-dominated filtering by pairwise comparison: candidate lists are at
 * most a few thousand long, so O(n^2) costs milliseconds and needs no
 * sorting subtleties around ties. */
#include "pareto.h"

#include <math.h>

void apnas_pareto(const double *accuracy, const double *cycles, size_t n,
                  unsigned char *front)
{
	for (size_t i = 0; i < n; i++) {
		front[i] = !isnan(accuracy[i]) && !isnan(cycles[i]);
		for (size_t j = 0; j < n && front[i]; j++) {
			if (j == i || isnan(accuracy[j]) || isnan(cycles[j]))
				continue;
			if (accuracy[j] >= accuracy[i] &&
			    cycles[j] <= cycles[i] &&
			    (accuracy[j] > accuracy[i] ||
			     cycles[j] < cycles[i]))
				front[i] = 0;
		}
	}
}
