/* Progress output.  The live line is cleared with "\r" and the terminal's
 * erase-to-end-of-line sequence rather than padding, so a shorter line
 * leaves no debris; it is only used when stderr is a terminal. */
#include "progress.h"

#include <math.h>
#include <stdarg.h>
#include <unistd.h>

void apnas_progress_init(apnas_progress *p, FILE *f, int quiet)
{
	p->f = f;
	p->last_draw = -1e9;
	p->shown = 0;
	if (!f || quiet)
		p->mode = APNAS_PROGRESS_NONE;
	else if (isatty(fileno(f)))
		p->mode = APNAS_PROGRESS_LIVE;
	else
		p->mode = APNAS_PROGRESS_LINES;
}

int apnas_progress_due(const apnas_progress *p, double now)
{
	return p->mode == APNAS_PROGRESS_LIVE && now - p->last_draw >= 0.2;
}

void apnas_progress_live(apnas_progress *p, double now, const char *text)
{
	if (p->mode != APNAS_PROGRESS_LIVE)
		return;
	fprintf(p->f, "\r%s\033[K", text);
	fflush(p->f);
	p->last_draw = now;
	p->shown = 1;
}

void apnas_progress_clear(apnas_progress *p)
{
	if (p->shown && p->f) {
		fputs("\r\033[K", p->f);
		fflush(p->f);
	}
	p->shown = 0;
}

void apnas_progress_epoch(apnas_progress *p, const char *text)
{
	if (p->mode == APNAS_PROGRESS_NONE)
		return;
	apnas_progress_clear(p);
	fprintf(p->f, "%s\n", text);
	fflush(p->f);
}

static void vnote(apnas_progress *p, const char *fmt, va_list ap)
{
	apnas_progress_clear(p);
	fputs("apnas search: ", p->f);
	vfprintf(p->f, fmt, ap);
	fputc('\n', p->f);
	fflush(p->f);
}

void apnas_progress_note(apnas_progress *p, const char *fmt, ...)
{
	if (!p->f)
		return;
	va_list ap;
	va_start(ap, fmt);
	vnote(p, fmt, ap);
	va_end(ap);
}

void apnas_progress_info(apnas_progress *p, const char *fmt, ...)
{
	if (!p->f || p->mode == APNAS_PROGRESS_NONE)
		return;
	va_list ap;
	va_start(ap, fmt);
	vnote(p, fmt, ap);
	va_end(ap);
}
