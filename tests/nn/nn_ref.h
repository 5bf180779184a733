/* Naive reference implementations of the engine's ops for the tests:
 * direct loops straight from the definitions, double accumulation, no
 * cleverness, so that a disagreement points at the engine. */
#ifndef APNAS_TESTS_NN_REF_H
#define APNAS_TESTS_NN_REF_H

#include <stdint.h>

/* x [n][c][h][w], w [o][c][k][k], b [o] or NULL -> y [n][o][ho][wo] */
void ref_conv(const float *x, int n, int c, int h, int w, const float *wt,
              const float *b, int o, int k, int s, int p, float *y);
/* x [n][c][h][w], w [c][1][k][k] -> y [n][c][ho][wo] */
void ref_dwconv(const float *x, int n, int c, int h, int w, const float *wt,
                int k, int s, int p, float *y);
/* Batch norm with batch statistics (mean, biased var out) or, when
 * use_mean/use_var are given, with those. */
void ref_bn(const float *x, int n, int c, int hw, const float *gamma,
            const float *beta, float eps, const float *use_mean,
            const float *use_var, int relu, float *y, double *mean_out,
            double *var_out);
void ref_maxpool(const float *x, int n, int c, int h, int w, int k, int s,
                 int p, float *y);
void ref_avgpool(const float *x, int n, int c, int h, int w, int k, int s,
                 int p, int count_pad, float *y);
void ref_gap(const float *x, int n, int c, int hw, float *y);
/* x [n][d], w [f][d], b [f] -> y [n][f] */
void ref_fc(const float *x, int n, int d, const float *wt, const float *b,
            int f, float *y);
void ref_shift(const float *x, int n, int c, int h, int w, int dy, int dx,
               float *y);
/* mean softmax cross-entropy; *correct counts first-argmax hits */
double ref_xent(const float *z, int n, int k, const int32_t *y,
                int64_t *correct);

static inline int ref_out(int in, int k, int s, int p)
{
	return (in + 2 * p - k) / s + 1;
}

#endif
