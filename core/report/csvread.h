/* Reading the CSV files of a run directory (epochs.csv, pareto.csv):
 * RFC 4180 records, quoted fields allowed, columns found by their header
 * name.  Internal to libapnas. */
#ifndef APNAS_REPORT_CSVREAD_H
#define APNAS_REPORT_CSVREAD_H

#include <stddef.h>

#include <apnas/error.h>

typedef struct apnas_csv {
	char ***rows;   /* owned: rows[r][c], row 0 is the header */
	size_t *ncols;  /* owned: fields of each row */
	size_t nrows;   /* including the header */
} apnas_csv;

/* Splits text[0..len) into records.  A record with an unterminated quote
 * is refused naming its line.  Empty lines are skipped. */
int apnas_csv_parse(const char *text, size_t len, apnas_csv *out,
                    apnas_error *err);
/* Reads and parses a file; errors name the path. */
int apnas_csv_read_file(const char *path, apnas_csv *out, apnas_error *err);
void apnas_csv_free(apnas_csv *c);

/* Index of the header column `name`, or -1. */
int apnas_csv_col(const apnas_csv *c, const char *name);

/* Row r's field c as a number: *v = NaN for an empty field (the run
 * directory's way of writing "not defined"); returns -1 when the field
 * is missing or is not a number. */
int apnas_csv_get_num(const apnas_csv *c, size_t r, int col, double *v);

#endif
