/* What the search and the training do alike over the ranks, on top of
 * core/mpi/mpi.h (so in a build without MPI too): who failed a setup,
 * which images of a batch are this rank's. */
#include "mpi/mpi.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int apnas_mpi_first_failed(int failed, int *first, apnas_error *err)
{
	*first = failed ? 0 : -1;
	int n = apnas_mpi_size();
	if (n <= 1)
		return 0;
	double *v = calloc((size_t)n, sizeof *v);
	if (!v)
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	v[apnas_mpi_rank()] = failed ? 1 : 0;
	int rc = apnas_mpi_sum_doubles(v, n, err);
	*first = -1;
	for (int r = 0; rc == 0 && r < n && *first < 0; r++)
		if (v[r] > 0)
			*first = r;
	free(v);
	return rc;
}

int apnas_mpi_same_saved(int (*save)(void *self, FILE *f, apnas_error *err),
                         void *self, const char *what, int *bad,
                         apnas_error *err)
{
	*bad = -1;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int rc = f ? save(self, f, err)
	           : apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	if (f && fclose(f) != 0 && rc == 0)
		rc = apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	if (rc == 0)
		rc = apnas_mpi_same(buf, len, bad, err);
	else if (rc < 0 && what)
		apnas_error_prefix(err, "%s", what);
	free(buf);
	return rc;
}

void apnas_mpi_share(const apnas_batch *full, size_t img, apnas_batch *mine)
{
	*mine = *full;
	int n = apnas_mpi_size();
	if (n <= 1)
		return;
	int64_t a, b;
	apnas_coll_share(full->n, apnas_mpi_rank(), n, &a, &b);
	mine->x = full->x + (size_t)a * img;
	mine->y = full->y + a;
	mine->n = (int32_t)(b - a);
}
