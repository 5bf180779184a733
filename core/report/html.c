/* report.html: the whole report on one page a browser opens from disk
 * with no network and no other file: the style inline, the tables, the
 * SVG plots and the drawings of each front's best network as data: URIs
 * (each picture its own document, so the ids gnuplot and Graphviz give
 * their elements cannot clash), and a few lines of script that mark a
 * picture the browser could not show instead of leaving a blank. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "report/report.h"

/* ---- the fronts' best networks -------------------------------------------- */

void apnas_report_drawings_free(apnas_report_drawing *d, size_t n)
{
	for (size_t i = 0; d && i < n; i++) {
		free(d[i].file);
		free(d[i].caption);
	}
	free(d);
}

/* The front point of hardware h to draw: the search's pick (rank 1)
 * before any other, then the most accurate; only points whose run kept
 * an architecture file.  Returns the front index, or SIZE_MAX. */
static size_t pick(const apnas_report *r, size_t h, const char **arch,
                   int64_t *rank)
{
	size_t best = SIZE_MAX;
	int best_pick = 0;
	double best_acc = -1;
	for (size_t k = 0; r->extra && k < r->nfront; k++) {
		const apnas_report_point *p = &r->front[k];
		if (p->hw != h)
			continue;
		const apnas_report_run *run = &r->runs[p->run];
		const apnas_report_extra *x = &r->extra[p->run];
		for (size_t j = 0; j < run->npareto; j++) {
			if (run->pareto_x[j] != p->x ||
			    run->pareto_acc[j] != p->accuracy ||
			    !x->pareto_arch[j])
				continue;
			int is_pick = x->pareto_rank[j] == 1;
			if (best == SIZE_MAX || is_pick > best_pick ||
			    (is_pick == best_pick && p->accuracy > best_acc)) {
				best = k;
				best_pick = is_pick;
				best_acc = p->accuracy;
				*arch = x->pareto_arch[j];
				*rank = x->pareto_rank[j];
			}
		}
	}
	return best;
}

int apnas_report_draw_fronts(const apnas_report *r, const char *out_dir,
                             apnas_report_draw_fn draw, void *ud,
                             apnas_report_drawing **d, size_t *n,
                             apnas_error *err)
{
	*d = NULL;
	*n = 0;
	if (!r->nhardware)
		return 0;
	apnas_report_drawing *v = calloc(r->nhardware, sizeof *v);
	if (!v)
		return apnas_error_set(err, APNAS_ENOMEM, "out of memory");
	int rc = 0;
	for (size_t h = 0; rc == 0 && h < r->nhardware; h++) {
		const char *arch = NULL;
		int64_t rank = 0;
		size_t k = pick(r, h, &arch, &rank);
		int made = -1;
		if (k == SIZE_MAX) {
			made = asprintf(&v[h].caption, "%s: no point of this "
			                "front has an architecture file (only "
			                "best.arch and top/ are written)",
			                r->hardware[h]);
		} else {
			const apnas_report_point *p = &r->front[k];
			const apnas_report_run *run = &r->runs[p->run];
			char why[512] = "";
			char *svg = NULL;
			if (asprintf(&svg, "%s/best-%zu.svg", out_dir, h + 1) < 0)
				svg = NULL;
			int ok = svg && draw(ud, run->dir, arch, svg, why,
			                     sizeof why) == 0;
			if (ok) {
				v[h].file = svg;
				svg = NULL;
			}
			free(svg);
			made = asprintf(&v[h].caption, "%s: %s of run %s (rank "
			                "%lld by reward%s), validation accuracy "
			                "%.4f, %s %.6g%s%s", r->hardware[h], arch,
			                run->name, (long long)rank, rank == 1 ?
			                ", the search's pick" : "", p->accuracy,
			                apnas_report_metric_name(r, APNAS_RM_X),
			                p->x, ok ? "" : "; not drawn: ",
			                ok ? "" : why[0] ? why : "no SVG");
		}
		if (made < 0) {
			v[h].caption = NULL;
			rc = apnas_error_set(err, APNAS_ENOMEM, "out of memory");
		}
	}
	if (rc < 0) {
		apnas_report_drawings_free(v, r->nhardware);
		return rc;
	}
	*d = v;
	*n = r->nhardware;
	return 0;
}

/* ---- the page ------------------------------------------------------------- */

static const char b64[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void base64(FILE *f, const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)s[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)s[i + 1] << 8;
		if (i + 2 < n)
			v |= s[i + 2];
		fputc(b64[v >> 18 & 63], f);
		fputc(b64[v >> 12 & 63], f);
		fputc(i + 1 < n ? b64[v >> 6 & 63] : '=', f);
		fputc(i + 2 < n ? b64[v & 63] : '=', f);
	}
}

/* The whole of a file, or NULL (errno set). */
static unsigned char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	unsigned char *buf = NULL;
	size_t cap = 0, len = 0;
	for (;;) {
		if (len == cap) {
			size_t nc = cap ? cap * 2 : 65536;
			unsigned char *b = realloc(buf, nc);
			if (!b) {
				free(buf);
				fclose(f);
				errno = ENOMEM;
				return NULL;
			}
			buf = b;
			cap = nc;
		}
		size_t k = fread(buf + len, 1, cap - len, f);
		len += k;
		if (k == 0)
			break;
	}
	int bad = ferror(f);
	fclose(f);
	if (bad) {
		free(buf);
		errno = EIO;
		return NULL;
	}
	*n = len;
	return buf;
}

/* An SVG file as an <img>; a file that cannot be read becomes a line
 * saying so (the page is still written). */
static void figure(FILE *f, const char *path, const char *alt,
                   const char *caption, const char *cls)
{
	size_t n = 0;
	unsigned char *svg = slurp(path, &n);
	fprintf(f, "<figure class=\"%s\">\n", cls);
	if (svg) {
		fputs("<img alt=\"", f);
		apnas_report_html_text(f, alt);
		fputs("\" src=\"data:image/svg+xml;base64,", f);
		base64(f, svg, n);
		fputs("\">\n", f);
	} else {
		fputs("<p class=\"broken\">", f);
		apnas_report_html_text(f, path);
		fprintf(f, ": %s</p>\n", strerror(errno));
	}
	if (caption) {
		fputs("<figcaption>", f);
		apnas_report_html_text(f, caption);
		fputs("</figcaption>\n", f);
	}
	fputs("</figure>\n", f);
	free(svg);
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

static const char *plot_caption(const char *name)
{
	if (!strncmp(name, "paper.", 6))
		return "Accuracy against the cost metric, one marker per group "
		       "and hardware setting, mean with error bars over seeds "
		       "(plots.gp in the report directory redraws it)";
	if (!strncmp(name, "pareto.", 7))
		return "Pareto points and combined fronts, one panel per "
		       "hardware setting";
	if (!strncmp(name, "reward.", 7))
		return "Mean reward per epoch, one line per run";
	return NULL;
}

static const char style_css[] =
	"body{font-family:sans-serif;margin:2em auto;max-width:80em;"
	"color:#222;background:#fff;padding:0 1em}"
	"h1{font-size:1.6em}h2{font-size:1.25em;margin-top:2em;"
	"border-bottom:1px solid #ddd}"
	"table{border-collapse:collapse;margin:.5em 0;font-size:.9em}"
	"th,td{border:1px solid #ccc;padding:.2em .5em;text-align:left}"
	"th{background:#f0f0f0}td.num{text-align:right;"
	"font-variant-numeric:tabular-nums}"
	"figure{margin:1em 0}figure img{max-width:100%;height:auto;"
	"border:1px solid #eee}figcaption{font-size:.9em;color:#555}"
	".notes{background:#fff4e0;border:1px solid #e0b060;padding:.5em 1em}"
	".broken{color:#b00;font-weight:bold}";

/* Marks each picture the browser showed (data-loaded) and says so
 * under one it could not; the body's data-images counts them. */
static const char check_js[] =
	"window.addEventListener('load',function(){"
	"var im=document.images,ok=0;"
	"for(var i=0;i<im.length;i++){"
	"var good=im[i].complete&&im[i].naturalWidth>0;"
	"im[i].setAttribute('data-loaded',good?'yes':'no');"
	"if(good){ok++;continue;}"
	"var p=document.createElement('p');p.className='broken';"
	"p.textContent='this picture could not be shown: '+im[i].alt;"
	"im[i].parentNode.appendChild(p);}"
	"document.body.setAttribute('data-images',ok+' of '+im.length);});";

int apnas_report_write_html(FILE *f, const apnas_report *r,
                            const char *const *plots, size_t nplots,
                            const apnas_report_drawing *d, size_t nd,
                            const char *notes)
{
	fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	        "<meta charset=\"utf-8\">\n<title>apnas report: %zu run%s"
	        "</title>\n<style>%s</style>\n<script>%s</script>\n</head>\n"
	        "<body>\n<h1>apnas report</h1>\n", r->nruns,
	        r->nruns == 1 ? "" : "s", style_css, check_js);
	fprintf(f, "<p>%zu run%s in %zu group%s, %zu hardware setting%s.",
	        r->nruns, r->nruns == 1 ? "" : "s", r->ngroups,
	        r->ngroups == 1 ? "" : "s", r->nhardware,
	        r->nhardware == 1 ? "" : "s");
	if (r->unfinished)
		fprintf(f, " %zu unfinished run director%s (no summary.json) "
		        "left out.", r->unfinished,
		        r->unfinished == 1 ? "y" : "ies");
	fputs(" Accuracies are fractions; &ldquo;val acc&rdquo; is the best "
	      "architecture's accuracy on the validation split with the "
	      "search's shared weights, &ldquo;test acc&rdquo; its test "
	      "accuracy after retraining from scratch.</p>\n", f);
	if (notes && *notes) {
		fputs("<div class=\"notes\"><pre>", f);
		apnas_report_html_text(f, notes);
		fputs("</pre></div>\n", f);
	}
	int rc = apnas_report_write_html_tables(f, r);
	int any = 0;
	for (size_t i = 0; i < nplots; i++) {
		size_t n = strlen(plots[i]);
		if (n < 4 || strcmp(plots[i] + n - 4, ".svg"))
			continue;
		if (!any++)
			fputs("<h2 id=\"plots\">Plots</h2>\n", f);
		figure(f, plots[i], base_name(plots[i]),
		       plot_caption(base_name(plots[i])), "plot");
	}
	if (nd) {
		fputs("<h2 id=\"drawings\">The best network of each front</h2>\n",
		      f);
		for (size_t h = 0; h < nd; h++) {
			if (d[h].file) {
				figure(f, d[h].file, d[h].caption, d[h].caption,
				       "drawing");
			} else {
				fputs("<p>", f);
				apnas_report_html_text(f, d[h].caption);
				fputs("</p>\n", f);
			}
		}
	}
	fputs("</body>\n</html>\n", f);
	return rc || ferror(f) ? -1 : 0;
}
