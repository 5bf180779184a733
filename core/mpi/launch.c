/* Whether an MPI launcher started this process: read from the
 * environment every launcher sets, so a build without MPI can tell too. */
#include "mpi/mpi.h"

#include <stdlib.h>

/* Open MPI's mpirun, Hydra and Slurm's PMI, Intel MPI */
static const char *const vars[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE",
                                   "MPI_LOCALNRANKS"};

void apnas_mpi_hide_launch(void)
{
	for (size_t i = 0; i < sizeof vars / sizeof *vars; i++)
		unsetenv(vars[i]);
	unsetenv("PMIX_RANK");
}

int apnas_mpi_launched(void)
{
	for (size_t i = 0; i < sizeof vars / sizeof *vars; i++) {
		const char *v = getenv(vars[i]);
		if (v && *v)
			return atoi(v) > 0 ? atoi(v) : -1;
	}
	return getenv("PMIX_RANK") ? -1 : 0;
}
