/* JSON and CSV field writers for the run directory.  Numbers use %.17g so
 * that a reader (Python's json, pandas) gets the exact double back, which
 * the resume test relies on when it compares rewards across runs. */
#include "json_out.h"

#include <math.h>

void apnas_json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)(s ? s : "");
	     *p; p++) {
		switch (*p) {
		case '"': fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\n': fputs("\\n", f); break;
		case '\r': fputs("\\r", f); break;
		case '\t': fputs("\\t", f); break;
		default:
			if (*p < 0x20)
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
}

void apnas_json_num(FILE *f, double v)
{
	if (!isfinite(v))
		fputs("null", f);
	else
		fprintf(f, "%.17g", v);
}

void apnas_json_tokens(FILE *f, const int32_t *tok, size_t n)
{
	fputc('[', f);
	for (size_t i = 0; i < n; i++)
		fprintf(f, i ? ",%d" : "%d", (int)tok[i]);
	fputc(']', f);
}

void apnas_csv_str(FILE *f, const char *s)
{
	s = s ? s : "";
	int quote = 0;
	for (const char *p = s; *p; p++)
		if (*p == ',' || *p == '"' || *p == '\n' || *p == '\r')
			quote = 1;
	if (!quote) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (const char *p = s; *p; p++) {
		if (*p == '"')
			fputc('"', f);
		fputc(*p, f);
	}
	fputc('"', f);
}

void apnas_csv_num(FILE *f, double v)
{
	if (isfinite(v))
		fprintf(f, "%.17g", v);
}

void apnas_csv_tokens(FILE *f, const int32_t *tok, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(f, i ? " %d" : "%d", (int)tok[i]);
}
