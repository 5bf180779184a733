/* `apnas ablate ... --mpi` under mpirun: the grid's runs as a dynamic
 * queue over the ranks (docs/mpi.md).  Internal to libapnas. */
#ifndef APNAS_REPORT_ABLATE_MPI_H
#define APNAS_REPORT_ABLATE_MPI_H

#include "report/ablate.h"

/* Every rank calls it with the same arguments (a->jobs is ignored: each
 * rank runs one run at a time).  Rank 0 plans the grid in a->out_dir as
 * --plan does (the same grid again: a no-op; another: APNAS_EINVAL),
 * hands the runs out to whichever rank asks first, runs runs itself too,
 * then prints the closing line and the report as apnas_ablate_run does;
 * res counts every rank's runs (on rank 0).  *quiet is set on the ranks
 * that must print nothing (rank 0 reports).  Returns as apnas_ablate_run
 * does; --plan and --dry-run are refused (they run nothing). */
int apnas_ablate_mpi(const apnas_ablate_args *a, apnas_ablate_result *res,
                     int *quiet, apnas_error *err);

#endif
