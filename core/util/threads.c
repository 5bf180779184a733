/* Thread count resolution.  The affinity mask is preferred to the online
 * CPU count because a process pinned to 2 of 64 cores gains nothing from
 * 64 threads and loses much to oversubscription. */
#include "threads.h"

#include <sched.h>
#include <unistd.h>

int apnas_threads_resolve(int requested)
{
	if (requested > 0)
		return requested;
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof set, &set) == 0) {
		int n = CPU_COUNT(&set);
		if (n > 0)
			return n;
	}
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (int)n : 1;
}
