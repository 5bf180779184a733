/* `apnas report` end to end: gather, group, take the combined front,
 * write the files, draw the plots, print the chosen format.  Every file
 * is written to a temporary name and renamed (core/atomic.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "atomic.h"
#include "report/report.h"

typedef struct html_args {
	const apnas_report *r;
	const char *const *plots;
	size_t nplots;
	const apnas_report_drawing *d;
	size_t nd;
	const char *notes;
} html_args;

static int w_html(FILE *f, void *ud, apnas_error *err)
{
	const html_args *h = ud;
	return apnas_report_write_html(f, h->r, h->plots, h->nplots, h->d,
	                               h->nd, h->notes) ?
		apnas_error_set(err, APNAS_EIO, "write failed") : 0;
}

/* The provenance warnings, as the page shows them; NULL when none. */
static char *notes_text(const apnas_report *r)
{
	char *s = NULL;
	size_t n = 0;
	FILE *m = open_memstream(&s, &n);
	if (!m)
		return NULL;
	size_t k = apnas_report_provenance_notes(m, r);
	fclose(m);
	if (!k) {
		free(s);
		return NULL;
	}
	return s;
}

typedef struct md_args {
	const apnas_report *r;
	const char *const *plots;
	size_t nplots;
} md_args;

static int w_csv(FILE *f, void *ud, apnas_error *err)
{
	return apnas_report_write_csv(f, ud) ? apnas_error_set(err,
		APNAS_EIO, "write failed") : 0;
}

static int w_front(FILE *f, void *ud, apnas_error *err)
{
	return apnas_report_write_front_csv(f, ud) ? apnas_error_set(err,
		APNAS_EIO, "write failed") : 0;
}

static int w_reward(FILE *f, void *ud, apnas_error *err)
{
	return apnas_report_write_reward_csv(f, ud) ? apnas_error_set(err,
		APNAS_EIO, "write failed") : 0;
}

static int w_json(FILE *f, void *ud, apnas_error *err)
{
	return apnas_report_write_json(f, ud) ? apnas_error_set(err,
		APNAS_EIO, "write failed") : 0;
}

static int w_md(FILE *f, void *ud, apnas_error *err)
{
	const md_args *m = ud;
	return apnas_report_write_md(f, m->r, m->plots, m->nplots) ?
		apnas_error_set(err, APNAS_EIO, "write failed") : 0;
}

static int write_in(const char *dir, const char *name,
                    int (*fn)(FILE *, void *, apnas_error *), void *ud,
                    apnas_error *err)
{
	char *path = NULL;
	if (asprintf(&path, "%s/%s", dir, name) < 0)
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	int rc = apnas_write_atomic_with(path, 0, fn, ud, err);
	free(path);
	return rc;
}

/* File names relative to out_dir, for the markdown's links. */
static const char *base(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

int apnas_report_main(const apnas_report_args *a, apnas_error *err)
{
	if (a->ndirs == 0)
		return apnas_error_set(err, APNAS_EINVAL,
			"give at least one directory to report on");
	apnas_report r;
	memset(&r, 0, sizeof r);
	r.x = a->x ? a->x : "cycles";
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < a->ndirs; i++)
		rc = apnas_report_scan(&r, a->dirs[i], a->ndirs > 1, err);
	if (rc == 0 && r.nruns == 0) {
		if (r.unfinished)
			rc = apnas_error_set(err, APNAS_EINVAL,
				"no finished run under %s%s (%zu unfinished, "
				"e.g. %s: finish it with apnas search "
				"--resume)", a->dirs[0], a->ndirs > 1 ?
				" and the others" : "", r.unfinished,
				r.first_unfinished);
		else
			rc = apnas_error_set(err, APNAS_EINVAL,
				"no finished run under %s%s (a run directory "
				"holds summary.json)", a->dirs[0],
				a->ndirs > 1 ? " and the others" : "");
	}
	if (rc == 0)
		rc = apnas_report_group_runs(&r, a->group_by, err);
	if (rc == 0)
		rc = apnas_report_front(&r, err);
	if (rc == 0)
		rc = apnas_report_load_extras(&r, err);
	r.bars_range = a->bars_range;
	char *out = NULL;
	if (rc == 0) {
		if (a->out_dir)
			out = strdup(a->out_dir);
		else if (asprintf(&out, "%s/report", a->dirs[0]) < 0)
			out = NULL;
		if (!out)
			rc = apnas_error_set(err, APNAS_ENOMEM,
			                     "out of memory");
	}
	if (rc == 0)
		rc = apnas_mkdir_p(out, err);
	if (rc == 0)
		rc = write_in(out, "report.csv", w_csv, &r, err);
	if (rc == 0)
		rc = write_in(out, "front.csv", w_front, &r, err);
	if (rc == 0)
		rc = write_in(out, "reward.csv", w_reward, &r, err);
	if (rc == 0)
		rc = write_in(out, "report.json", w_json, &r, err);

	char **plots = NULL;
	size_t nplots = 0;
	int no_gnuplot = 0;
	if (rc == 0 && !a->no_plots) {
		int p = apnas_report_plot(&r, out, &plots, &nplots, err);
		if (p < 0)
			rc = p;
		no_gnuplot = p == 1;
	}
	const char **links = NULL;
	if (rc == 0 && nplots) {
		links = malloc(nplots * sizeof *links);
		if (!links)
			rc = apnas_error_set(err, APNAS_ENOMEM,
			                     "out of memory");
		for (size_t i = 0; links && i < nplots; i++)
			links[i] = base(plots[i]);
	}
	md_args md = {&r, links, nplots};
	if (rc == 0)
		rc = write_in(out, "report.md", w_md, &md, err);
	free(links);

	apnas_report_drawing *drawings = NULL;
	size_t ndrawings = 0;
	if (rc == 0 && a->html && a->draw)
		rc = apnas_report_draw_fronts(&r, out, a->draw, a->draw_ud,
		                              &drawings, &ndrawings, err);
	if (rc == 0 && a->html) {
		char *notes = notes_text(&r);
		html_args h = {&r, (const char *const *)plots, nplots,
		               drawings, ndrawings, notes};
		rc = write_in(out, "report.html", w_html, &h, err);
		free(notes);
	}

	if (rc == 0) {
		FILE *o = a->out;
		if (o) {
			if (a->format == APNAS_REPORT_CSV)
				apnas_report_write_csv(o, &r);
			else if (a->format == APNAS_REPORT_JSON)
				apnas_report_write_json(o, &r);
			else
				apnas_report_write_table(o, &r);
			fflush(o);
		}
		FILE *m = a->msg;
		if (m) {
			apnas_report_provenance_notes(m, &r);
			if (r.unfinished)
				fprintf(m, "apnas: report: %zu unfinished run "
				        "director%s left out (e.g. %s)\n",
				        r.unfinished, r.unfinished == 1 ? "y"
				        : "ies", r.first_unfinished);
			if (r.grid_missing)
				fprintf(m, "apnas: report: %zu of the %zu "
				        "planned runs not finished: %s%s; run "
				        "each with apnas ablate DIR --run K\n",
				        r.grid_missing, r.grid_runs,
				        r.grid_missing_list, r.grid_missing >
				        20 ? "; ..." : "");
			if (no_gnuplot)
				fprintf(m, "apnas: report: gnuplot not found "
				        "(install gnuplot-nox): no plots drawn, "
				        "tables written\n");
			fprintf(m, "apnas: report: %s/report.md %s/report.csv "
			        "%s/report.json %s/front.csv %s/reward.csv\n",
			        out, out, out, out, out);
			if (a->html)
				fprintf(m, "apnas: report: %s/report.html\n",
				        out);
			for (size_t h = 0; h < ndrawings; h++)
				if (!drawings[h].file)
					fprintf(m, "apnas: report: note: %s\n",
					        drawings[h].caption);
			if (nplots) {
				fputs("apnas: report: plots:", m);
				for (size_t i = 0; i < nplots; i++)
					fprintf(m, " %s", plots[i]);
				fputc('\n', m);
			}
			fflush(m);
		}
	}
	apnas_report_drawings_free(drawings, ndrawings);
	for (size_t i = 0; i < nplots; i++)
		free(plots[i]);
	free(plots);
	free(out);
	apnas_report_extras_free(&r);
	apnas_report_free(&r);
	return rc;
}
