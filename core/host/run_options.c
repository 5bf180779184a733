/* The `run` group: what every command that runs something needs. */
#include "config.h"

const apnas_option apnas_run_options[] = {
	{"seed", APNAS_OPT_INT, "1", 0, 9223372036854775807.0, NULL,
	 "run seed: every random stream derives from it", 0},
	{"threads", APNAS_OPT_INT, "0", 0, 1024, NULL,
	 "worker threads; 0 = every CPU this process may run on (its "
	 "affinity: taskset, cgroups)", 0},
	{"memory_limit", APNAS_OPT_INT, "16384", 0, 1073741824.0, NULL,
	 "MiB that one large allocation may take (the dataset's images, the "
	 "network's weights, a graph's activations, a batcher's buffers): "
	 "each is estimated first and refused over it (docs/limits.md); "
	 "0 = no limit", 0},
	{"dir", APNAS_OPT_STRING, "\"runs\"", 1, 0, NULL,
	 "directory under which run directories are created", 0},
	{NULL, 0, NULL, 0, 0, NULL, NULL, 0},
};
