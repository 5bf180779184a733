/* Naive reference ops for the engine tests (see nn_ref.h). */
#include "nn_ref.h"

#include <math.h>
#include <stddef.h>

void ref_conv(const float *x, int n, int c, int h, int w, const float *wt,
              const float *b, int o, int k, int s, int p, float *y)
{
	int ho = ref_out(h, k, s, p), wo = ref_out(w, k, s, p);
	for (int in = 0; in < n; in++)
		for (int oc = 0; oc < o; oc++)
			for (int oh = 0; oh < ho; oh++)
				for (int ow = 0; ow < wo; ow++) {
					double acc = b ? b[oc] : 0.0;
					for (int ic = 0; ic < c; ic++)
						for (int i = 0; i < k; i++)
							for (int j = 0; j < k; j++) {
								int ih = oh * s - p + i, iw = ow * s - p + j;
								if (ih < 0 || ih >= h || iw < 0 || iw >= w)
									continue;
								acc += (double)wt[((oc * c + ic) * k + i) * k + j] *
								       x[((in * c + ic) * h + ih) * w + iw];
							}
					y[((in * o + oc) * ho + oh) * wo + ow] = (float)acc;
				}
}

void ref_dwconv(const float *x, int n, int c, int h, int w, const float *wt,
                int k, int s, int p, float *y)
{
	int ho = ref_out(h, k, s, p), wo = ref_out(w, k, s, p);
	for (int in = 0; in < n; in++)
		for (int ic = 0; ic < c; ic++)
			for (int oh = 0; oh < ho; oh++)
				for (int ow = 0; ow < wo; ow++) {
					double acc = 0;
					for (int i = 0; i < k; i++)
						for (int j = 0; j < k; j++) {
							int ih = oh * s - p + i, iw = ow * s - p + j;
							if (ih < 0 || ih >= h || iw < 0 || iw >= w)
								continue;
							acc += (double)wt[(ic * k + i) * k + j] *
							       x[((in * c + ic) * h + ih) * w + iw];
						}
					y[((in * c + ic) * ho + oh) * wo + ow] = (float)acc;
				}
}

void ref_bn(const float *x, int n, int c, int hw, const float *gamma,
            const float *beta, float eps, const float *use_mean,
            const float *use_var, int relu, float *y, double *mean_out,
            double *var_out)
{
	for (int ic = 0; ic < c; ic++) {
		double mean = 0, var = 0, m = (double)n * hw;
		for (int in = 0; in < n; in++)
			for (int e = 0; e < hw; e++)
				mean += x[(in * c + ic) * hw + e];
		mean /= m;
		for (int in = 0; in < n; in++)
			for (int e = 0; e < hw; e++) {
				double d = x[(in * c + ic) * hw + e] - mean;
				var += d * d;
			}
		var /= m;
		if (mean_out)
			mean_out[ic] = mean;
		if (var_out)
			var_out[ic] = var;
		if (use_mean)
			mean = use_mean[ic];
		if (use_var)
			var = use_var[ic];
		double g = gamma ? gamma[ic] : 1.0, bt = beta ? beta[ic] : 0.0;
		for (int in = 0; in < n; in++)
			for (int e = 0; e < hw; e++) {
				size_t i = (size_t)(in * c + ic) * hw + e;
				double v = (x[i] - mean) / sqrt(var + eps) * g + bt;
				y[i] = (float)(relu && v < 0 ? 0 : v);
			}
	}
}

void ref_maxpool(const float *x, int n, int c, int h, int w, int k, int s,
                 int p, float *y)
{
	int ho = ref_out(h, k, s, p), wo = ref_out(w, k, s, p);
	for (int pl = 0; pl < n * c; pl++)
		for (int oh = 0; oh < ho; oh++)
			for (int ow = 0; ow < wo; ow++) {
				float m = -INFINITY;
				for (int i = 0; i < k; i++)
					for (int j = 0; j < k; j++) {
						int ih = oh * s - p + i, iw = ow * s - p + j;
						if (ih >= 0 && ih < h && iw >= 0 && iw < w &&
						    x[(pl * h + ih) * w + iw] > m)
							m = x[(pl * h + ih) * w + iw];
					}
				y[(pl * ho + oh) * wo + ow] = m;
			}
}

void ref_avgpool(const float *x, int n, int c, int h, int w, int k, int s,
                 int p, int count_pad, float *y)
{
	int ho = ref_out(h, k, s, p), wo = ref_out(w, k, s, p);
	for (int pl = 0; pl < n * c; pl++)
		for (int oh = 0; oh < ho; oh++)
			for (int ow = 0; ow < wo; ow++) {
				double acc = 0;
				int cnt = 0;
				for (int i = 0; i < k; i++)
					for (int j = 0; j < k; j++) {
						int ih = oh * s - p + i, iw = ow * s - p + j;
						if (ih >= 0 && ih < h && iw >= 0 && iw < w) {
							acc += x[(pl * h + ih) * w + iw];
							cnt++;
						}
					}
				y[(pl * ho + oh) * wo + ow] =
				    (float)(acc / (count_pad ? k * k : cnt));
			}
}

void ref_gap(const float *x, int n, int c, int hw, float *y)
{
	for (int pl = 0; pl < n * c; pl++) {
		double acc = 0;
		for (int e = 0; e < hw; e++)
			acc += x[pl * hw + e];
		y[pl] = (float)(acc / hw);
	}
}

void ref_fc(const float *x, int n, int d, const float *wt, const float *b,
            int f, float *y)
{
	for (int i = 0; i < n; i++)
		for (int o = 0; o < f; o++) {
			double acc = b ? b[o] : 0.0;
			for (int e = 0; e < d; e++)
				acc += (double)x[i * d + e] * wt[o * d + e];
			y[i * f + o] = (float)acc;
		}
}

void ref_shift(const float *x, int n, int c, int h, int w, int dy, int dx,
               float *y)
{
	for (int pl = 0; pl < n * c; pl++)
		for (int i = 0; i < h; i++)
			for (int j = 0; j < w; j++) {
				int si = i + dy, sj = j + dx;
				y[(pl * h + i) * w + j] =
				    si >= 0 && si < h && sj >= 0 && sj < w
				        ? x[(pl * h + si) * w + sj]
				        : 0.0f;
			}
}

double ref_xent(const float *z, int n, int k, const int32_t *y,
                int64_t *correct)
{
	double total = 0;
	int64_t ok = 0;
	for (int i = 0; i < n; i++) {
		double s = 0;
		int best = 0;
		for (int j = 0; j < k; j++) {
			s += exp((double)z[i * k + j]);
			if (z[i * k + j] > z[i * k + best])
				best = j;
		}
		total += log(s) - z[i * k + y[i]];
		ok += best == y[i];
	}
	if (correct)
		*correct = ok;
	return total / n;
}
