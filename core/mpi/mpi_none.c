/* core/mpi/mpi.h in a build without MPI (meson -Dmpi=disabled, or auto
 * without Open MPI): one process, and a clear refusal when mpirun starts
 * several copies, which would otherwise each run the whole job and race
 * for the same run directory. */
#include "mpi/mpi.h"

#include <stdlib.h>

int apnas_mpi_built(void)
{
	return 0;
}

int apnas_mpi_start(const char *what, apnas_error *err)
{
	int n = apnas_mpi_launched();
	if (n == 0 || n == 1)
		return 0;
	if (n < 0)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "%s: started by an MPI launcher, but "
		                       "this apnas was built without MPI: "
		                       "rebuild with -Dmpi=enabled", what);
	return apnas_error_set(err, APNAS_EINVAL,
	                       "%s: started as %d MPI ranks, but this apnas "
	                       "was built without MPI: rebuild with "
	                       "-Dmpi=enabled", what, n);
}

void apnas_mpi_finish(void)
{
}

void apnas_mpi_abort(int code)
{
	(void)code;
}

int apnas_mpi_rank(void)
{
	return 0;
}

int apnas_mpi_size(void)
{
	return 1;
}

const apnas_collective *apnas_mpi_collective(void)
{
	return NULL;
}

void apnas_mpi_set_solo(int on)
{
	(void)on;
}

int apnas_mpi_max_ints(int *v, int n, apnas_error *err)
{
	(void)v;
	(void)n;
	(void)err;
	return 0;
}

int apnas_mpi_bcast(void *buf, size_t n, apnas_error *err)
{
	(void)buf;
	(void)n;
	(void)err;
	return 0;
}

int apnas_mpi_sum_doubles(double *v, int n, apnas_error *err)
{
	(void)v;
	(void)n;
	(void)err;
	return 0;
}

int apnas_mpi_same(const void *buf, size_t n, int *bad, apnas_error *err)
{
	(void)buf;
	(void)n;
	(void)err;
	*bad = -1;
	return 0;
}

int apnas_mpi_send(int to, const int64_t *v, int n, apnas_error *err)
{
	(void)to;
	(void)v;
	(void)n;
	(void)err;
	return 0;
}

int apnas_mpi_recv(int from, int64_t *v, int n, apnas_error *err)
{
	(void)from;
	(void)v;
	(void)n;
	(void)err;
	return 0;
}

int apnas_mpi_poll(int64_t *v, int n, int *from, apnas_error *err)
{
	(void)v;
	(void)n;
	(void)err;
	*from = -1;
	return 0;
}
