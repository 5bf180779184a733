/* nn_isa_wide: the CPU's features and APNAS_NN_ISA, read once. */
#include "nn/isa.h"

#include <stdlib.h>
#include <string.h>

/* 0 not decided yet, 1 narrow, 2 wide.  Deciding twice gives the same
 * answer, so threads racing on the first call need no lock. */
static int chosen;

int nn_isa_wide_possible(void)
{
#if defined(NN_HAVE_V4) && (defined(__x86_64__) || defined(__i386__))
	__builtin_cpu_init();
	return __builtin_cpu_supports("avx512f") &&
	       __builtin_cpu_supports("avx512bw") &&
	       __builtin_cpu_supports("avx512dq") &&
	       __builtin_cpu_supports("avx512vl");
#else
	return 0;
#endif
}

/* Anything but "avx2" is the default, "auto": the apnas command refuses
 * other values before the engine runs (core/cli/main.c). */
static int decide(void)
{
	const char *env = getenv("APNAS_NN_ISA");
	if (env && !strcmp(env, "avx2"))
		return 1;
	return nn_isa_wide_possible() ? 2 : 1;
}

void nn_isa_force(int wide)
{
	__atomic_store_n(&chosen, wide && nn_isa_wide_possible() ? 2 : 1,
	                 __ATOMIC_RELAXED);
}

int nn_isa_wide(void)
{
	int c = __atomic_load_n(&chosen, __ATOMIC_RELAXED);
	if (!c) {
		c = decide();
		__atomic_store_n(&chosen, c, __ATOMIC_RELAXED);
	}
	return c == 2;
}

const char *nn_isa_name(void)
{
#if defined(__x86_64__) || defined(__i386__)
	return nn_isa_wide() ? "avx512" : "avx2";
#else
	return "generic"; /* the 8-float kernels, compiled for this CPU */
#endif
}
