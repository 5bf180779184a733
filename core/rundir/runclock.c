/* The run clock and how durations are shown: see rundir.h.  A run's wall
 * time is the sum over its sessions, so a time limit or a throughput
 * figure means the same after a resume. */
#include "rundir/rundir.h"

#include <math.h>
#include <stdio.h>
#include <time.h>

double apnas_clock_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void apnas_run_clock_start(apnas_run_clock *c, double earlier)
{
	c->t0 = apnas_clock_now();
	c->wall0 = earlier;
}

double apnas_run_clock_session(const apnas_run_clock *c)
{
	return apnas_clock_now() - c->t0;
}

double apnas_run_clock_wall(const apnas_run_clock *c)
{
	return c->wall0 + apnas_run_clock_session(c);
}

void apnas_fmt_duration(char *buf, size_t cap, double s)
{
	if (!isfinite(s) || s < 0) {
		snprintf(buf, cap, "--");
		return;
	}
	long t = (long)(s + 0.5);
	if (t >= 3600)
		snprintf(buf, cap, "%ldh%02ldm", t / 3600, (t / 60) % 60);
	else if (t >= 60)
		snprintf(buf, cap, "%ldm%02lds", t / 60, t % 60);
	else
		snprintf(buf, cap, "%lds", t);
}
