/* What the search and the training do alike over the ranks, on top of
 * core/mpi/mpi.h (so in a build without MPI too): who failed a setup,
 * which images of a batch are this rank's. */
#include "mpi/mpi.h"

#include <stdint.h>
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
