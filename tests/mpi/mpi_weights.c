/* Compares the space weights of two search checkpoints (their SPAC
 * sections, the engine's parameter file inside): prints the largest
 * relative difference of a tensor, ||a - b|| / max(||a||, ||b||, 1e-3
 * sqrt(n)) (L2 over its n values), and of an element, |a - b| / max(|a|,
 * |b|, 1e-3), each with the tensor it is in.  The floors keep what is
 * zero up to rounding (a batch norm's running mean of zero-mean inputs,
 * about 1e-9) from counting as a difference.  Training amplifies rounding differences in elements near
 * zero within a few dozen steps (the thread count alone does it), so the
 * tensor figure is the one to judge an order of sums by.  --same: exit 1 unless the two SPAC sections are
 * byte for byte equal (the whole trainable state: weights, batch-norm
 * statistics, momentum, the dropout stream).
 *
 * A file that is not a search checkpoint is read whole (apnas train's
 * weights.bin).  --list: every tensor's difference and norms first.
 *
 * usage: mpi_weights [--same | --list] A/checkpoint/state.ckpt
 *                    B/checkpoint/state.ckpt */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export/export.h"
#include "search/ckpt.h"

/* A search checkpoint's SPAC section, or (any other file: apnas train's
 * weights.bin) the whole file. */
static int spac(const char *path, apnas_ckpt *ck, const unsigned char **d,
                size_t *n)
{
	apnas_error err;
	apnas_error_clear(&err);
	memset(ck, 0, sizeof *ck);
	if (apnas_ckpt_read(path, ck, &err) == 0)
		return apnas_ckpt_get(ck, "SPAC", d, n, &err) == 0 ? 0 : -1;
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "mpi_weights: cannot read %s\n", path);
		return -1;
	}
	unsigned char *buf = NULL;
	size_t len = 0, cap = 0, got;
	do {
		if (len == cap) {
			cap = cap ? 2 * cap : 1 << 16;
			unsigned char *nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				fclose(f);
				return -1;
			}
			buf = nb;
		}
		got = fread(buf + len, 1, cap - len, f);
		len += got;
	} while (got > 0);
	fclose(f);
	ck->buf = buf; /* freed by apnas_ckpt_free */
	*d = buf;
	*n = len;
	return 0;
}

int main(int argc, char **argv)
{
	int same = argc > 1 && !strcmp(argv[1], "--same");
	int list = argc > 1 && !strcmp(argv[1], "--list");
	if (list) {
		argv++;
		argc--;
	}
	if (argc != 3 + same) {
		fprintf(stderr, "usage: mpi_weights [--same] A.ckpt B.ckpt\n");
		return 2;
	}
	apnas_ckpt ca, cb;
	const unsigned char *da, *db;
	size_t na, nb;
	if (spac(argv[1 + same], &ca, &da, &na) < 0 ||
	    spac(argv[2 + same], &cb, &db, &nb) < 0)
		return 2;
	if (same) {
		int eq = na == nb && !memcmp(da, db, na);
		printf("%s\n", eq ? "identical" : "different");
		apnas_ckpt_free(&ca);
		apnas_ckpt_free(&cb);
		return eq ? 0 : 1;
	}
	ex_weights wa, wb;
	apnas_error err;
	apnas_error_clear(&err);
	if (ex_weights_parse(da, na, &wa, &err) < 0 ||
	    ex_weights_parse(db, nb, &wb, &err) < 0) {
		fprintf(stderr, "mpi_weights: %s\n", err.msg);
		return 2;
	}
	double worst = 0, tworst = 0;
	const char *where = "-", *twhere = "-";
	size_t count = 0;
	for (size_t i = 0; i < wa.n; i++) {
		const ex_tensor *a = &wa.t[i];
		const ex_tensor *b = ex_weights_find(&wb, a->name);
		if (!b || b->numel != a->numel) {
			fprintf(stderr, "mpi_weights: tensor %s differs in "
			        "shape\n", a->name);
			return 2;
		}
		double d2 = 0, a2 = 0, b2 = 0;
		for (size_t e = 0; e < a->numel; e++) {
			double x = a->v[e], y = b->v[e];
			d2 += (x - y) * (x - y);
			a2 += x * x;
			b2 += y * y;
			double den = fmax(fmax(fabs(x), fabs(y)), 1e-3);
			double r = fabs(x - y) / den;
			if (!(r <= worst)) {
				worst = r;
				where = a->name;
			}
		}
		double den = fmax(sqrt(fmax(a2, b2)),
		                  1e-3 * sqrt((double)a->numel));
		double tr = sqrt(d2) / den;
		if (list)
			printf("%-28s rel %.3g  |a| %.3g  |b| %.3g\n", a->name,
			       tr, sqrt(a2), sqrt(b2));
		if (!(tr <= tworst)) {
			tworst = tr;
			twhere = a->name;
		}
		count += a->numel;
	}
	printf("tensor_rel_diff %.3g in %s; element_rel_diff %.3g in %s; "
	       "%zu tensors, %zu values\n", tworst, twhere, worst, where,
	       wa.n, count);
	ex_weights_free(&wa);
	ex_weights_free(&wb);
	apnas_ckpt_free(&ca);
	apnas_ckpt_free(&cb);
	return 0;
}
