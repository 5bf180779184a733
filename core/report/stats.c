/* Means and sample standard deviations over seeds, and the natural string
 * order the report sorts names in. */
#include <ctype.h>
#include <math.h>
#include <string.h>

#include "report/report.h"

void apnas_report_stats(const double *v, size_t n, apnas_report_stat *s)
{
	double sum = 0;
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (!isnan(v[i])) {
			sum += v[i];
			k++;
		}
	s->n = k;
	s->mean = k ? sum / (double)k : NAN;
	if (k < 2) {
		s->sd = NAN;
		return;
	}
	/* Two passes: the deviations are summed around the mean, which keeps
	 * cycle counts in the millions from cancelling catastrophically. */
	double ss = 0;
	for (size_t i = 0; i < n; i++)
		if (!isnan(v[i]))
			ss += (v[i] - s->mean) * (v[i] - s->mean);
	s->sd = sqrt(ss / (double)(k - 1));
}

static int natcmp(const char *a, const char *b)
{
	while (*a && *b) {
		if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
			while (*a == '0' && isdigit((unsigned char)a[1]))
				a++;
			while (*b == '0' && isdigit((unsigned char)b[1]))
				b++;
			size_t na = 0, nb = 0;
			while (isdigit((unsigned char)a[na]))
				na++;
			while (isdigit((unsigned char)b[nb]))
				nb++;
			if (na != nb)
				return na < nb ? -1 : 1;
			int c = strncmp(a, b, na);
			if (c)
				return c;
			a += na;
			b += nb;
			continue;
		}
		if (*a != *b)
			return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
		a++;
		b++;
	}
	return *a ? 1 : *b ? -1 : 0;
}

int apnas_natcmp(const char *a, const char *b)
{
	int c = natcmp(a, b);
	/* "a01" and "a1" tie as numbers; a total order keeps sorts stable
	 * across runs of the tool. */
	return c ? c : strcmp(a, b);
}
