/* The process's memory limit: see memcap.h. */
#include "memcap.h"

#include <stdatomic.h>

/* Bytes; 0: none.  Atomic because engine threads may plan graphs while
 * the command thread reads it; it is set once, before they start. */
static _Atomic uint64_t limit;

void apnas_memcap_set_mib(int64_t mib)
{
	uint64_t m = mib > 0 ? (uint64_t)mib : 0;
	atomic_store(&limit, m > (UINT64_MAX >> 20) ? UINT64_MAX : m << 20);
}

uint64_t apnas_memcap_bytes(void)
{
	return atomic_load(&limit);
}

uint64_t apnas_memcap_mul(uint64_t a, uint64_t b)
{
	return a && b > UINT64_MAX / a ? UINT64_MAX : a * b;
}

/* Whole MiB, rounded up, so that an estimate just over the limit never
 * prints as equal to it. */
static unsigned long long mib_up(uint64_t bytes)
{
	return (unsigned long long)(bytes / (1u << 20) +
	                            (bytes % (1u << 20) != 0));
}

int apnas_memcap_check(uint64_t bytes, const char *what, apnas_error *err)
{
	uint64_t cap = apnas_memcap_bytes();
	if (!cap || bytes <= cap)
		return 0;
	if (bytes == UINT64_MAX)
		return apnas_error_set(err, APNAS_EINVAL,
			"%s: more than 2^64 bytes, over the memory limit of "
			"%llu MiB (%s)", what, mib_up(cap), APNAS_MEMCAP_KEY);
	return apnas_error_set(err, APNAS_EINVAL,
		"%s: an estimated %llu MiB, over the memory limit of %llu MiB "
		"(%s raises it; 0 = none)", what, mib_up(bytes), mib_up(cap),
		APNAS_MEMCAP_KEY);
}
