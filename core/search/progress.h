/* Progress on stderr: on a terminal one live line redrawn in place at
 * most five times a second; otherwise one line per epoch; nothing with
 * --quiet.  Notes (resume, time limit, interruption) are printed in every
 * mode.  Internal to libapnas. */
#ifndef APNAS_SEARCH_PROGRESS_H
#define APNAS_SEARCH_PROGRESS_H

#include <stdio.h>

enum { APNAS_PROGRESS_NONE = 0, APNAS_PROGRESS_LINES = 1,
       APNAS_PROGRESS_LIVE = 2 };

typedef struct apnas_progress {
	FILE *f;          /* borrowed; NULL: say nothing at all */
	int mode;         /* APNAS_PROGRESS_* */
	double last_draw; /* monotonic seconds of the last live redraw */
	int shown;        /* a live line is on screen */
} apnas_progress;

void apnas_progress_init(apnas_progress *p, FILE *f, int quiet);
/* 1 if a live redraw is due (LIVE mode, 0.2 s since the last). */
int apnas_progress_due(const apnas_progress *p, double now);
/* Redraws the live line (LIVE mode only). */
void apnas_progress_live(apnas_progress *p, double now, const char *text);
/* One line of per-epoch progress (LIVE and LINES modes). */
void apnas_progress_epoch(apnas_progress *p, const char *text);
/* Information for a watching user (start, resume, resolved target):
 * LIVE and LINES modes only. */
void apnas_progress_info(apnas_progress *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A note in every mode but a NULL stream (time limit, interruption). */
void apnas_progress_note(apnas_progress *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Removes the live line, so that what follows starts on a clean line. */
void apnas_progress_clear(apnas_progress *p);

/* apnas_fmt_duration, the run clock's format, comes with rundir.h. */
#include "rundir/rundir.h"

#endif
