/* RFC 4180 record splitting.  The run directory's writers quote only
 * fields that need it, but a file touched by a spreadsheet may quote
 * every field, and both read the same here. */
#include "report/csvread.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hw/textfile.h"

#define CSV_MAX_FILE (512u << 20)

static int push_field(char ***fields, size_t *n, size_t *cap, char *f)
{
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 16;
		char **nf = realloc(*fields, nc * sizeof *nf);
		if (!nf)
			return -1;
		*fields = nf;
		*cap = nc;
	}
	(*fields)[(*n)++] = f;
	return 0;
}

static int push_row(apnas_csv *c, size_t *cap, char **fields, size_t n)
{
	if (c->nrows == *cap) {
		size_t nc = *cap ? *cap * 2 : 64;
		char ***nr = realloc(c->rows, nc * sizeof *nr);
		if (!nr)
			return -1;
		c->rows = nr;
		size_t *nn = realloc(c->ncols, nc * sizeof *nn);
		if (!nn)
			return -1;
		c->ncols = nn;
		*cap = nc;
	}
	c->rows[c->nrows] = fields;
	c->ncols[c->nrows] = n;
	c->nrows++;
	return 0;
}

int apnas_csv_parse(const char *text, size_t len, apnas_csv *out,
                    apnas_error *err)
{
	memset(out, 0, sizeof *out);
	size_t pos = 0, rows_cap = 0;
	int line = 1;
	while (pos < len) {
		if (text[pos] == '\n' || text[pos] == '\r') {
			line += text[pos] == '\n';
			pos++;
			continue;
		}
		char **fields = NULL;
		size_t nf = 0, fcap = 0;
		int start_line = line, done = 0;
		while (!done) {
			/* One field: quoted or bare.  The copy can only be
			 * shorter than the span, so the span sizes it. */
			size_t q = pos, end;
			int quoted = q < len && text[q] == '"';
			char *f;
			if (quoted) {
				end = q + 1;
				for (;;) {
					if (end >= len) {
						for (size_t i = 0; i < nf; i++)
							free(fields[i]);
						free(fields);
						apnas_csv_free(out);
						if (err)
							err->line = start_line;
						return apnas_error_set(err,
							APNAS_EINVAL,
							"line %d: unterminated "
							"quoted field",
							start_line);
					}
					if (text[end] == '"') {
						if (end + 1 < len &&
						    text[end + 1] == '"') {
							end += 2;
							continue;
						}
						break;
					}
					if (text[end] == '\n')
						line++;
					end++;
				}
				f = malloc(end - q);
				if (f) {
					size_t k = 0;
					for (size_t i = q + 1; i < end; i++) {
						f[k++] = text[i];
						if (text[i] == '"')
							i++;
					}
					f[k] = '\0';
				}
				pos = end + 1;
			} else {
				end = q;
				while (end < len && text[end] != ',' &&
				       text[end] != '\n' && text[end] != '\r')
					end++;
				f = malloc(end - q + 1);
				if (f) {
					memcpy(f, text + q, end - q);
					f[end - q] = '\0';
				}
				pos = end;
			}
			if (!f || push_field(&fields, &nf, &fcap, f) < 0) {
				free(f);
				for (size_t i = 0; i < nf; i++)
					free(fields[i]);
				free(fields);
				apnas_csv_free(out);
				return apnas_error_set(err, APNAS_ENOMEM,
				                       "out of memory");
			}
			if (pos < len && text[pos] == ',') {
				pos++;
				continue;
			}
			/* Anything between a closing quote and the next
			 * separator is malformed; it ends the record. */
			while (pos < len && text[pos] != '\n' &&
			       text[pos] != ',')
				pos++;
			if (pos < len && text[pos] == ',') {
				pos++;
				continue;
			}
			done = 1;
		}
		if (push_row(out, &rows_cap, fields, nf) < 0) {
			for (size_t i = 0; i < nf; i++)
				free(fields[i]);
			free(fields);
			apnas_csv_free(out);
			return apnas_error_set(err, APNAS_ENOMEM,
			                       "out of memory");
		}
	}
	return 0;
}

int apnas_csv_read_file(const char *path, apnas_csv *out, apnas_error *err)
{
	char *buf = NULL;
	size_t len = 0;
	memset(out, 0, sizeof *out);
	int rc = apnas_text_read(path, CSV_MAX_FILE, &buf, &len, err);
	if (rc < 0)
		return rc;
	rc = apnas_csv_parse(buf, len, out, err);
	free(buf);
	if (rc < 0)
		return apnas_error_prefix(err, "%s", path);
	return 0;
}

void apnas_csv_free(apnas_csv *c)
{
	for (size_t r = 0; r < c->nrows; r++) {
		for (size_t i = 0; i < c->ncols[r]; i++)
			free(c->rows[r][i]);
		free(c->rows[r]);
	}
	free(c->rows);
	free(c->ncols);
	memset(c, 0, sizeof *c);
}

int apnas_csv_col(const apnas_csv *c, const char *name)
{
	if (c->nrows == 0)
		return -1;
	for (size_t i = 0; i < c->ncols[0]; i++)
		if (!strcmp(c->rows[0][i], name))
			return (int)i;
	return -1;
}

int apnas_csv_get_num(const apnas_csv *c, size_t r, int col, double *v)
{
	if (r >= c->nrows || col < 0 || (size_t)col >= c->ncols[r])
		return -1;
	const char *s = c->rows[r][col];
	if (!*s) {
		*v = NAN;
		return 0;
	}
	char *end;
	*v = strtod(s, &end);
	while (*end == ' ')
		end++;
	return *end ? -1 : 0;
}
