/* How many worker threads a run uses: the one place that turns run.threads
 * into a number, for search, train and ablate alike.  Internal to
 * libapnas. */
#ifndef APNAS_CORE_THREADS_H
#define APNAS_CORE_THREADS_H

/* requested > 0: that many.  0 (the config default, "all cores") or below:
 * the CPUs this process may run on (its affinity mask, which containers
 * and taskset narrow), else the online CPUs; always >= 1. */
int apnas_threads_resolve(int requested);

#endif
