/* The test hooks of testhook.h. */
#include "testhook.h"

#include <signal.h>
#include <stdlib.h>

void apnas_test_hook_init(apnas_test_hook *h)
{
	const char *v = getenv("APNAS_TEST_KILL_AT");
	h->kill_at = v ? atoll(v) : 0;
	v = getenv("APNAS_TEST_TERM_AT");
	h->term_at = v ? atoll(v) : 0;
	h->ticks = 0;
}

void apnas_test_hook_tick(apnas_test_hook *h)
{
	if (h->kill_at <= 0 && h->term_at <= 0)
		return;
	h->ticks++;
	if (h->ticks == h->kill_at)
		raise(SIGKILL);
	if (h->ticks == h->term_at)
		raise(SIGTERM);
}
