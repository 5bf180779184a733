/* Minimal JSON and CSV writing for the run directory: strings escaped per
 * RFC 8259 and RFC 4180, doubles printed so they read back bit for bit.
 * Internal to libapnas. */
#ifndef APNAS_SEARCH_JSON_OUT_H
#define APNAS_SEARCH_JSON_OUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* A JSON string literal, quotes included. */
void apnas_json_str(FILE *f, const char *s);
/* A number with 17 significant digits (round-trips a double); NaN and
 * infinities, which JSON lacks, as null. */
void apnas_json_num(FILE *f, double v);
/* A JSON array of tokens: [0,3,1]. */
void apnas_json_tokens(FILE *f, const int32_t *tok, size_t n);

/* A CSV field, quoted only when it holds a comma, quote or line break. */
void apnas_csv_str(FILE *f, const char *s);
/* A CSV number as apnas_json_num, but empty for NaN and infinities. */
void apnas_csv_num(FILE *f, double v);
/* Tokens as one CSV field: "0 3 1" (space separated, never quoted). */
void apnas_csv_tokens(FILE *f, const int32_t *tok, size_t n);

#endif
