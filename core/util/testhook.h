/* Stopping a process at an exact, reproducible point, for the crash and
 * signal tests: with APNAS_TEST_KILL_AT=k in the environment the process
 * SIGKILLs itself at its k-th event (what an event is belongs to the
 * command: a search's steps, samples and file writes; a training's
 * optimiser steps), with APNAS_TEST_TERM_AT=k it raises SIGTERM there,
 * handled like any SIGTERM.  Unset, they cost one branch per event.
 * Internal to libapnas. */
#ifndef APNAS_CORE_TESTHOOK_H
#define APNAS_CORE_TESTHOOK_H

typedef struct apnas_test_hook {
	long long kill_at, term_at; /* 0: off */
	long long ticks;            /* events so far */
} apnas_test_hook;

void apnas_test_hook_init(apnas_test_hook *h);
void apnas_test_hook_tick(apnas_test_hook *h);

#endif
