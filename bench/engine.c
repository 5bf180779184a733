/* bench/engine: the CNN engine beside PyTorch, in one run.
 *
 * Trains and runs inference on the reference nets of
 * ../shared/docs/baselines.md ("child" and "plain", batch 128, 1x28x28,
 * Fashion-MNIST if installed, random data otherwise) with the apnas
 * engine, then runs ../shared/bench/torch_child_bench.py (Debian's
 * python3-torch) on the same nets and thread count, and reports:
 *   - training and inference images/s (median of runs) and the ratios;
 *   - GFLOP/s of each conv layer of a training step, next to OpenBLAS's
 *     large square sgemm on the same threads;
 *   - peak memory of training the child, split into activations,
 *     activation gradients, workspace and parameters.
 * apnas and PyTorch runs are interleaved, A B A B: each of --rounds
 * rounds times one run of each net and mode on apnas, then one run of the
 * torch script (--runs 1); medians, min and max per side over the rounds
 * and the ratio of medians (and against PyTorch's best round) are
 * reported.  The FMA peak of the cores is measured in the same run by
 * register-only FMA loops on every thread, 8-float and 16-float vectors,
 * the larger taken.  APNAS_NN_ISA=avx2 runs the engine's AVX2 kernels on
 * an AVX-512 CPU (core/nn/isa.h).
 * The last lines are `train_ratio=X infer_ratio=Y` (apnas over PyTorch's
 * median, the smaller of the two nets' ratios for each) and
 * `step_peak_share=Z` (the plain net's training step: conv and depthwise
 * FLOPs per median step time, over the measured FMA peak).
 *
 * Shared-machine guard as in the torch script: every timed run measures
 * the CPU time other processes took during it; a run with more than
 * (cores - threads) + 0.10 foreign cores is repeated (up to 6 tries)
 * after waiting for a quiet machine (at most $BENCH_QUIET_WAIT_S s).
 *
 * Usage: engine [--threads N] [--nets child,plain] [--steps S]
 *               [--rounds R] [--warmup W] [--no-torch] */
#include <apnas/nn.h>

#include <cblas.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

/* Engine internals used for the per-layer report (core/nn/nn_internal.h). */
int apnas_nn_profile(apnas_graph *g, int on);
const double *apnas_nn_profile_times(const apnas_graph *g, size_t *n_nodes);
/* "avx512" or "avx2": the direct convolutions' build (core/nn/isa.h). */
const char *nn_isa_name(void);
int apnas_nn_node_info(const apnas_graph *g, size_t i, const char **op,
                       int *k, int *stride, apnas_dims4 *in,
                       apnas_dims4 *out);

#ifndef APNAS_SOURCE_ROOT
#define APNAS_SOURCE_ROOT "."
#endif
#define TORCH_SCRIPT APNAS_SOURCE_ROOT "/../shared/bench/torch_child_bench.py"
#define FMNIST "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"
#define FMNIST_LABELS "/usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz"

#define BATCH 128
#define C 32
#define CLASSES 10

static apnas_error E;

static void die(const char *what)
{
	fprintf(stderr, "engine: %s: %s\n", what, E.msg);
	exit(1);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---- the shared-machine guard ---- */

static double busy_s(void)
{
	FILE *f = fopen("/proc/stat", "r");
	unsigned long long v[10] = {0};
	if (!f)
		return 0;
	if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0],
	           &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) != 8) {
		fclose(f);
		return 0;
	}
	fclose(f);
	unsigned long long busy = 0;
	for (int i = 0; i < 8; i++)
		if (i != 3 && i != 4)
			busy += v[i];
	return (double)busy / (double)sysconf(_SC_CLK_TCK);
}

static double own_s(void)
{
	struct rusage r;
	getrusage(RUSAGE_SELF, &r);
	return r.ru_utime.tv_sec + r.ru_stime.tv_sec +
	       1e-6 * (r.ru_utime.tv_usec + r.ru_stime.tv_usec);
}

static int ncpu;

static void wait_quiet(void)
{
	const char *e = getenv("BENCH_QUIET_WAIT_S");
	double limit = e ? atof(e) : 600, t_end = now() + limit;
	while (now() < t_end) {
		double b0 = busy_s(), c0 = own_s(), t0 = now();
		sleep(2);
		double b1 = busy_s(), c1 = own_s(), t1 = now();
		if (((b1 - b0) - (c1 - c0)) / (t1 - t0) < 0.05)
			return;
	}
}

/* ---- data ---- */

static float *X;
static int32_t *Y;
static int N_IMG;
static const char *data_name = "random";

static int load_fmnist(void)
{
	gzFile fi = gzopen(FMNIST, "rb"), fl = gzopen(FMNIST_LABELS, "rb");
	if (!fi || !fl) {
		if (fi)
			gzclose(fi);
		if (fl)
			gzclose(fl);
		return -1;
	}
	unsigned char hi[16], hl[8];
	int n = 60000;
	int ok = gzread(fi, hi, 16) == 16 && gzread(fl, hl, 8) == 8 &&
	         hi[2] == 8 && hi[3] == 3 && hl[3] == 1;
	unsigned char *pix = malloc((size_t)n * 784), *lab = malloc((size_t)n);
	ok = ok && gzread(fi, pix, (unsigned)(n * 784)) == n * 784 &&
	     gzread(fl, lab, (unsigned)n) == n;
	gzclose(fi);
	gzclose(fl);
	if (ok) {
		X = malloc((size_t)n * 784 * sizeof(float));
		Y = malloc((size_t)n * sizeof(int32_t));
		for (size_t i = 0; i < (size_t)n * 784; i++)
			X[i] = (pix[i] / 255.0f - 0.2860f) / 0.3530f;
		for (int i = 0; i < n; i++)
			Y[i] = lab[i];
		N_IMG = n;
		data_name = "Fashion-MNIST train (60000x1x28x28)";
	}
	free(pix);
	free(lab);
	return ok ? 0 : -1;
}

static void random_data(void)
{
	apnas_rng r;
	apnas_rng_seed(&r, 0);
	N_IMG = 60 * BATCH;
	X = malloc((size_t)N_IMG * 784 * sizeof(float));
	Y = malloc((size_t)N_IMG * sizeof(int32_t));
	for (size_t i = 0; i < (size_t)N_IMG * 784; i++)
		X[i] = (float)apnas_rng_normal(&r);
	for (int i = 0; i < N_IMG; i++)
		Y[i] = (int32_t)apnas_rng_below(&r, CLASSES);
}

/* ---- the reference nets ---- */

typedef struct model {
	int plain;
	apnas_params *ps;
	apnas_param *stem, *w[6], *pw[6], *fc_w, *fc_b;
	apnas_bn bn_stem, bn[6];
} model;

static const char *const CHILD_OPS[6] = {"conv3", "sep5", "max3",
                                         "conv5", "sep3", "avg3"};

static void model_init(model *m, int plain)
{
	char name[32];
	memset(m, 0, sizeof *m);
	m->plain = plain;
	if (apnas_params_create(0, &m->ps, &E) < 0 ||
	    apnas_param_conv(m->ps, "stem", C, 1, 3, &m->stem, &E) < 0 ||
	    apnas_bn_add(m->ps, "stem.bn", C, 1, &m->bn_stem, &E) < 0)
		die("model");
	for (int l = 0; l < 6; l++) {
		const char *op = plain ? "conv3" : CHILD_OPS[l];
		int rc = 0;
		snprintf(name, sizeof name, "l%d", l);
		if (!strcmp(op, "conv3") || !strcmp(op, "conv5"))
			rc = apnas_param_conv(m->ps, name, C, C, op[4] - '0', &m->w[l],
			                      &E);
		else if (!strncmp(op, "sep", 3)) {
			rc = apnas_param_dwconv(m->ps, name, C, op[3] - '0', &m->w[l],
			                        &E);
			snprintf(name, sizeof name, "l%d.pw", l);
			if (rc == 0)
				rc = apnas_param_conv(m->ps, name, C, C, 1, &m->pw[l], &E);
		}
		snprintf(name, sizeof name, "l%d.bn", l);
		if (rc == 0 && m->w[l])
			rc = apnas_bn_add(m->ps, name, C, 1, &m->bn[l], &E);
		if (rc < 0)
			die("model");
	}
	if (apnas_param_fc(m->ps, "fc", CLASSES, C, &m->fc_w, &m->fc_b, &E) < 0)
		die("model");
}

static void model_build(model *m, apnas_graph *g, const float *x,
                        const int32_t *y, int n)
{
	apnas_graph_reset(g);
	apnas_tensor *t = apnas_op_input(g, x, n, 1, 28, 28);
	t = apnas_op_bn_relu(g, apnas_op_conv(g, t, m->stem, NULL, 1, 1),
	                     &m->bn_stem);
	for (int l = 0; l < 6; l++) {
		const char *op = m->plain ? "conv3" : CHILD_OPS[l];
		int k = op[strlen(op) - 1] - '0';
		if (!strncmp(op, "conv", 4)) {
			t = apnas_op_conv(g, t, m->w[l], NULL, 1, k / 2);
			t = apnas_op_bn_relu(g, t, &m->bn[l]);
		} else if (!strncmp(op, "sep", 3)) {
			t = apnas_op_dwconv(g, t, m->w[l], 1, k / 2);
			t = apnas_op_conv(g, t, m->pw[l], NULL, 1, 0);
			t = apnas_op_bn_relu(g, t, &m->bn[l]);
		} else if (!strcmp(op, "max3")) {
			t = apnas_op_maxpool(g, t, 3, 1, 1);
		} else {
			t = apnas_op_avgpool(g, t, 3, 1, 1, 1);
		}
		if (l == 2)
			t = apnas_op_maxpool(g, t, 2, 2, 0);
	}
	t = apnas_op_fc(g, apnas_op_gap(g, t), m->fc_w, m->fc_b);
	apnas_op_xent(g, t, y);
}

static const apnas_sgd SGD = {0.9, 0, 0.0, 0.0}; /* as the torch script */

static int batch_i;

static void step(model *m, apnas_graph *g, int train)
{
	int nb = N_IMG / BATCH;
	size_t off = (size_t)(batch_i++ % nb) * BATCH;
	model_build(m, g, X + off * 784, Y + off, BATCH);
	if (apnas_graph_forward(g, train ? APNAS_MODE_TRAIN : APNAS_MODE_INFER,
	                        &E) < 0)
		die("forward");
	if (train && (apnas_graph_backward(g, &E) < 0 ||
	              apnas_sgd_step(m->ps, &SGD, 0.01, &E) < 0))
		die("train step");
}

/* images/s of one run of `steps` steps, and the foreign load during it. */
static double timed_run(model *m, apnas_graph *g, int train, int steps,
                        int threads, double *foreign)
{
	double tol = (ncpu > threads ? ncpu - threads : 0) + 0.10, rate = 0;
	for (int tries = 0; tries < 6; tries++) {
		double b0 = busy_s(), c0 = own_s(), t0 = now();
		for (int s = 0; s < steps; s++)
			step(m, g, train);
		double t1 = now(), c1 = own_s(), b1 = busy_s();
		*foreign = fmax(0.0, ((b1 - b0) - (c1 - c0)) / (t1 - t0));
		rate = BATCH * steps / (t1 - t0);
		if (*foreign <= tol)
			break;
		wait_quiet();
	}
	return rate;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

typedef struct series {
	double v[64];
	int n;
} series;

static void put(series *s, double x)
{
	if (s->n < 64)
		s->v[s->n++] = x;
}

/* median, min and max of a series */
static void stats3(const series *s, double *med, double *lo, double *hi)
{
	double v[64];
	int n = s->n;
	*med = *lo = *hi = 0;
	if (n == 0)
		return;
	memcpy(v, s->v, (size_t)n * sizeof v[0]);
	qsort(v, (size_t)n, sizeof v[0], cmp_double);
	*med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	*lo = v[0];
	*hi = v[n - 1];
}

typedef struct result {
	series train, infer;             /* apnas images/s, one per round */
	series torch_train, torch_infer; /* PyTorch images/s, one per round */
	double foreign;                  /* largest foreign load, cores */
} result;

typedef struct netrun {
	model m;
	apnas_graph *g;
} netrun;

static void net_open(netrun *r, int plain, int threads, int warmup)
{
	model_init(&r->m, plain);
	if (apnas_graph_create(threads, &r->g, &E) < 0)
		die("graph");
	for (int mode = 1; mode >= 0; mode--)
		for (int i = 0; i < warmup; i++)
			step(&r->m, r->g, mode);
}

static void net_close(netrun *r)
{
	apnas_graph_destroy(r->g);
	apnas_params_destroy(r->m.ps);
}

/* One timed run of each mode: this round's apnas side of net r. */
static void net_round(netrun *r, int threads, int steps, result *res)
{
	double fr;
	put(&res->train, timed_run(&r->m, r->g, 1, steps, threads, &fr));
	res->foreign = fmax(res->foreign, fr);
	put(&res->infer, timed_run(&r->m, r->g, 0, steps, threads, &fr));
	res->foreign = fmax(res->foreign, fr);
}

/* ---- the FMA peak ---- */

typedef float v8 __attribute__((vector_size(32)));
typedef float v16 __attribute__((vector_size(64)));

/* 12 independent FMA chains in registers: 2 x W x 12 FLOP per iteration,
 * no memory traffic, so the time is the FMA units' throughput.  Once with
 * 8-float (AVX2) and once with 16-float (AVX-512) vectors: on some cores
 * the 512-bit units double the peak (Intel server parts with two of
 * them), on others (AMD Zen 4) they do not; the peak is the larger. */
#define FMA_BODY(V, mul)                                                   \
	V m = (V){0} + (mul);                                              \
	V c = m * 1e-7f;                                                   \
	V a0 = c, a1 = c * 2, a2 = c * 3, a3 = c * 4, a4 = c * 5, a5 = c * 6; \
	V a6 = c * 7, a7 = c * 8, a8 = c * 9, a9 = c * 10, a10 = c * 11;    \
	V a11 = c * 12;                                                    \
	for (long i = 0; i < iters; i++) {                                 \
		FMA1(a0); FMA1(a1); FMA1(a2); FMA1(a3); FMA1(a4); FMA1(a5);   \
		FMA1(a6); FMA1(a7); FMA1(a8); FMA1(a9); FMA1(a10); FMA1(a11); \
	}                                                                  \
	V t = ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7)) +          \
	      ((a8 + a9) + (a10 + a11));                                   \
	return t[0];
#define FMA1(x) x = x * m + c; __asm__ volatile("" : "+x"(x))

__attribute__((target("avx2,fma"), noinline)) static double
fma_loop8(long iters, float mul)
{
	FMA_BODY(v8, mul)
}

#undef FMA1
#define FMA1(x) x = x * m + c; __asm__ volatile("" : "+v"(x))
__attribute__((target("avx512f"), noinline)) static double
fma_loop16(long iters, float mul)
{
	FMA_BODY(v16, mul)
}
#undef FMA1

typedef struct fma_arg {
	long iters;
	float mul;  /* 1, from the caller, so the multiply stays */
	int width;  /* 8 or 16 floats a vector */
	double out; /* kept so the loop is not optimised away */
} fma_arg;

static void *fma_thread(void *arg)
{
	fma_arg *a = arg;
	a->out = a->width == 16 ? fma_loop16(a->iters, a->mul)
	                        : fma_loop8(a->iters, a->mul);
	return NULL;
}

/* GFLOP/s of `threads` threads running the loop of `width` floats at
 * once, best of 5. */
static double fma_rate(int threads, int width)
{
	const long iters = 20000000;
	double best = 0;
	for (int rep = 0; rep < 5; rep++) {
		pthread_t t[64];
		fma_arg a[64];
		double t0 = now();
		for (int i = 0; i < threads; i++) {
			a[i].iters = iters;
			a[i].mul = (float)(threads > 0);
			a[i].width = width;
			pthread_create(&t[i], NULL, fma_thread, &a[i]);
		}
		for (int i = 0; i < threads; i++)
			pthread_join(t[i], NULL);
		double dt = now() - t0;
		best = fmax(best, threads * 2.0 * width * 12 * (double)iters / dt /
		                      1e9);
	}
	return best;
}

/* The FMA peak: the faster of the AVX2 and (where the CPU has it) the
 * AVX-512 loop; *w8 and *w16 get each (0: not run). */
static double fma_peak(int threads, double *w8, double *w16)
{
	*w8 = fma_rate(threads, 8);
	*w16 = 0;
	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx512f"))
		*w16 = fma_rate(threads, 16);
	return fmax(*w8, *w16);
}

/* ---- per-layer efficiency ---- */

static double square_sgemm_gflops(int threads, int n)
{
	float *a = malloc((size_t)n * n * sizeof(float));
	float *b = malloc((size_t)n * n * sizeof(float));
	float *c = malloc((size_t)n * n * sizeof(float));
	for (size_t i = 0; i < (size_t)n * n; i++) {
		a[i] = (float)(i % 7) * 0.1f;
		b[i] = (float)(i % 5) * 0.1f;
	}
	openblas_set_num_threads(threads);
	double best = 0;
	for (int rep = 0; rep < 7; rep++) {
		double t0 = now();
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f,
		            a, n, b, n, 0.0f, c, n);
		double t = now() - t0;
		if (rep > 0)
			best = fmax(best, 2.0 * n * n * (double)n / t / 1e9);
	}
	openblas_set_num_threads(1);
	free(a);
	free(b);
	free(c);
	return best;
}

/* One profiled training run: per conv node, forward and backward GFLOP/s
 * (medians over the steps). */
static double layer_report(int plain, int threads, double square)
{
	model m;
	model_init(&m, plain);
	apnas_graph *g;
	if (apnas_graph_create(threads, &g, &E) < 0)
		die("graph");
	apnas_nn_profile(g, 1);
	enum { STEPS = 9 };
	double tf[64][STEPS], tb[64][STEPS], step_t[STEPS];
	size_t nn = 0;
	for (int i = 0; i < 3; i++)
		step(&m, g, 1);
	for (int s = 0; s < STEPS; s++) {
		double t0 = now();
		step(&m, g, 1);
		step_t[s] = now() - t0;
		const double *p = apnas_nn_profile_times(g, &nn);
		for (size_t i = 0; i < nn && i < 64; i++) {
			tf[i][s] = p[2 * i];
			tb[i][s] = p[2 * i + 1];
		}
	}
	qsort(step_t, STEPS, sizeof step_t[0], cmp_double);
	printf("\n%s net, per-layer training-step efficiency (%d threads, "
	       "batch %d; medians of %d steps; square sgemm 2048: %.0f GFLOP/s "
	       "on %d threads)\n", plain ? "plain" : "child", threads, BATCH,
	       STEPS, square, threads);
	printf("  %-8s %-22s %9s %9s %9s %9s %7s\n", "op", "shape (in->out)",
	       "fwd ms", "bwd ms", "fwd GF/s", "bwd GF/s", "% sq");
	double conv_t = 0, conv_f = 0, all_t = 0;
	for (size_t i = 0; i < nn && i < 64; i++) {
		const char *op;
		int k, s;
		apnas_dims4 in, out;
		apnas_nn_node_info(g, i, &op, &k, &s, &in, &out);
		qsort(tf[i], STEPS, sizeof(double), cmp_double);
		qsort(tb[i], STEPS, sizeof(double), cmp_double);
		double f = tf[i][STEPS / 2], b = tb[i][STEPS / 2];
		all_t += f + b;
		int conv = !strcmp(op, "conv"), dw = !strcmp(op, "dwconv");
		if (!conv && !dw) {
			if (f + b > 0.0005)
				printf("  %-8s %dx%dx%d -> %dx%dx%d%*s %9.2f %9.2f\n", op,
				       in.c, in.h, in.w, out.c, out.h, out.w, 4, "", f * 1e3,
				       b * 1e3);
			continue;
		}
		double macs = (double)out.n * out.c * out.h * out.w * k * k *
		              (conv ? in.c : 1);
		/* backward: weight gradient, plus the input gradient unless the
		 * input is the data */
		double bflop = 2 * macs * (i == 1 ? 1 : 2);
		char shape[64];
		snprintf(shape, sizeof shape, "%dx%dx%d->%d k%d", in.c, in.h, in.w,
		         out.c, k);
		double tot = (2 * macs + bflop) / (f + b) / 1e9;
		printf("  %-8s %-22s %9.2f %9.2f %9.1f %9.1f %6.0f%%\n", op, shape,
		       f * 1e3, b * 1e3, 2 * macs / f / 1e9, bflop / b / 1e9,
		       100 * tot / square);
		conv_t += f + b;
		conv_f += 2 * macs + bflop;
	}
	double step_gf = conv_f / step_t[STEPS / 2] / 1e9;
	printf("  convs: %.1f ms of %.1f ms in ops (step %.1f ms median), "
	       "%.1f GFLOP/s = %.0f%% of square sgemm; whole step %.1f GFLOP/s"
	       "\n", conv_t * 1e3, all_t * 1e3, step_t[STEPS / 2] * 1e3,
	       conv_f / conv_t / 1e9, 100 * conv_f / conv_t / 1e9 / square,
	       step_gf);
	apnas_graph_destroy(g);
	apnas_params_destroy(m.ps);
	return step_gf;
}

static void memory_report(int threads)
{
	model m;
	model_init(&m, 0);
	apnas_graph *g;
	if (apnas_graph_create(threads, &g, &E) < 0)
		die("graph");
	step(&m, g, 1);
	apnas_graph_mem mem;
	apnas_graph_memory(g, &mem);
	size_t params = apnas_params_bytes(m.ps);
	double mb = 1024.0 * 1024.0;
	double total = (double)(mem.activations + mem.gradients + mem.workspace +
	                        params);
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("\nchild net, training at batch %d: peak %.1f MiB = activations "
	       "%.1f (%.0f%%) + activation gradients %.1f (%.0f%%) + workspace "
	       "%.1f (%.0f%%) + parameters %.2f (%.1f%%); arena+workspace "
	       "allocated %.1f MiB; process max RSS %.0f MiB\n",
	       BATCH, total / mb, mem.activations / mb,
	       100 * mem.activations / total, mem.gradients / mb,
	       100 * mem.gradients / total, mem.workspace / mb,
	       100 * mem.workspace / total, params / mb, 100 * params / total,
	       mem.arena / mb, ru.ru_maxrss / 1024.0);
	apnas_graph_destroy(g);
	apnas_params_destroy(m.ps);
}

/* ---- PyTorch ---- */

/* The median of "<net>/t<threads>" -> mode -> median_img_s in the JSON
 * the torch script writes. */
static double json_median(const char *js, const char *net, int threads,
                          const char *mode)
{
	char key[64];
	snprintf(key, sizeof key, "\"%s/t%d\"", net, threads);
	const char *p = strstr(js, key);
	if (!p)
		return 0;
	snprintf(key, sizeof key, "\"%s\"", mode);
	p = strstr(p, key);
	if (!p)
		return 0;
	p = strstr(p, "\"median_img_s\":");
	return p ? atof(p + strlen("\"median_img_s\":")) : 0;
}

static int run_torch(const char *nets, int threads, int steps, int warmup,
                     result *res)
{
	if (access(TORCH_SCRIPT, R_OK) != 0) {
		printf("torch: %s not found; no ratios\n", TORCH_SCRIPT);
		return -1;
	}
	char json[] = "/tmp/apnas-engine-bench-XXXXXX";
	int fd = mkstemp(json);
	if (fd < 0)
		return -1;
	close(fd);
	char cmd[1024];
	snprintf(cmd, sizeof cmd,
	         "/usr/bin/python3 '%s' --threads %d --nets %s --runs 1 "
	         "--steps %d --warmup %d --json '%s' 2>&1",
	         TORCH_SCRIPT, threads, nets, steps, warmup, json);
	printf("\n$ %s\n", cmd);
	fflush(stdout);
	FILE *p = popen(cmd, "r");
	if (!p)
		return -1;
	char line[1024];
	while (fgets(line, sizeof line, p))
		printf("  torch| %s", line);
	int st = pclose(p);
	FILE *f = fopen(json, "r");
	char *js = NULL;
	if (f) {
		fseek(f, 0, SEEK_END);
		long n = ftell(f);
		rewind(f);
		js = calloc(1, (size_t)n + 1);
		if (fread(js, 1, (size_t)n, f) != (size_t)n)
			js[0] = '\0';
		fclose(f);
	}
	unlink(json);
	if (st != 0 || !js) {
		printf("torch: the script failed (status %d); no ratios\n", st);
		free(js);
		return -1;
	}
	for (int k = 0; k < 2; k++) {
		const char *net = k ? "plain" : "child";
		double a = json_median(js, net, threads, "train");
		double b = json_median(js, net, threads, "infer");
		if (a > 0)
			put(&res[k].torch_train, a);
		if (b > 0)
			put(&res[k].torch_infer, b);
	}
	free(js);
	return 0;
}

int main(int argc, char **argv)
{
	int threads = 2, steps = 20, rounds = 5, warmup = 5, torch = 1;
	const char *nets = "child,plain";
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--threads") && i + 1 < argc)
			threads = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--steps") && i + 1 < argc)
			steps = atoi(argv[++i]);
		else if ((!strcmp(argv[i], "--rounds") ||
		          !strcmp(argv[i], "--runs")) && i + 1 < argc)
			rounds = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--warmup") && i + 1 < argc)
			warmup = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--nets") && i + 1 < argc)
			nets = argv[++i];
		else if (!strcmp(argv[i], "--no-torch"))
			torch = 0;
		else {
			fprintf(stderr, "usage: engine [--threads N] [--nets child,plain]"
			        " [--steps S] [--rounds R] [--warmup W] [--no-torch]\n");
			return 2;
		}
	}
	if (threads < 1 || threads > 64 || steps < 1 || rounds < 1 ||
	    rounds > 64 || warmup < 0) {
		fprintf(stderr, "engine: bad --threads (1..64), --steps (>= 1), "
		        "--rounds (1..64) or --warmup (>= 0)\n");
		return 2;
	}
	ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (load_fmnist() < 0)
		random_data();
	apnas_nn_set_threads(threads);
	printf("apnas engine benchmark: %d threads of %d cores, batch %d, data: "
	       "%s\nOpenBLAS: %s (core %s), used single-threaded per engine "
	       "thread\n", threads, ncpu, BATCH, data_name, openblas_get_config(),
	       openblas_get_corename());
	double l0 = 0;
	FILE *la = fopen("/proc/loadavg", "r");
	if (la) {
		if (fscanf(la, "%lf", &l0) != 1)
			l0 = 0;
		fclose(la);
	}
	printf("load average at start: %.2f\n", l0);
	result res[2];
	memset(res, 0, sizeof res);
	int want[2] = {strstr(nets, "child") != NULL, strstr(nets, "plain") != NULL};
	netrun nr[2];
	wait_quiet();
	/* After the wait, and again after the rounds, the larger kept: a
	 * peak measured while another process ran is too low and would
	 * inflate every share of it (a run here once gave a step at 0.82 of
	 * a "peak" its own convolutions exceeded). */
	double peak8, peak16;
	double peak = fma_peak(threads, &peak8, &peak16);
	printf("FMA peak: %.1f GFLOP/s on %d threads (register-only FMA loops: "
	       "8-float vectors %.1f, 16-float %.1f); the engine's direct "
	       "convolutions run %s kernels\n", peak, threads, peak8, peak16,
	       nn_isa_name());
	for (int k = 0; k < 2; k++)
		if (want[k])
			net_open(&nr[k], k, threads, warmup);
	int have_torch = torch;
	for (int r = 0; r < rounds; r++) {
		for (int k = 0; k < 2; k++) {
			if (!want[k])
				continue;
			net_round(&nr[k], threads, steps, &res[k]);
			printf("round %d apnas %s | train %7.1f img/s | infer %7.1f "
			       "img/s | foreign cpu so far %.2f\n", r + 1,
			       k ? "plain" : "child", res[k].train.v[res[k].train.n - 1],
			       res[k].infer.v[res[k].infer.n - 1], res[k].foreign);
		}
		fflush(stdout);
		if (have_torch &&
		    run_torch(nets, threads, steps, r ? 2 : warmup, res) != 0)
			have_torch = 0;
	}
	for (int k = 0; k < 2; k++)
		if (want[k])
			net_close(&nr[k]);
	double again = fma_peak(threads, &peak8, &peak16);
	printf("FMA peak measured again after the rounds: %.1f GFLOP/s "
	       "(8-float %.1f, 16-float %.1f); the larger, %.1f, is the peak\n",
	       again, peak8, peak16, fmax(peak, again));
	peak = fmax(peak, again);
	double square = square_sgemm_gflops(threads, 2048);
	if (square > peak)
		printf("warning: OpenBLAS's square sgemm (%.1f GFLOP/s) beats the "
		       "measured FMA peak: the peak was measured on a busy "
		       "machine, and step_peak_share below is too high\n",
		       square);
	double step_gf = 0;
	for (int k = 0; k < 2; k++)
		if (want[k]) {
			double gf = layer_report(k, threads, square);
			if (k == 1)
				step_gf = gf;
		}
	memory_report(threads);

	double tr = INFINITY, ir = INFINITY;
	printf("\nsummary (%d threads, batch %d, %d interleaved rounds x %d "
	       "steps; median (min..max) img/s; FMA peak %.1f GFLOP/s):\n",
	       threads, BATCH, rounds, steps, peak);
	for (int k = 0; k < 2; k++) {
		if (!want[k])
			continue;
		double at, atl, ath, ai, ail, aih, tt, ttl, tth, ti, til, tih;
		stats3(&res[k].train, &at, &atl, &ath);
		stats3(&res[k].infer, &ai, &ail, &aih);
		printf("  %s: apnas train %.1f (%.1f..%.1f), infer %.1f (%.1f..%.1f)",
		       k ? "plain" : "child", at, atl, ath, ai, ail, aih);
		if (have_torch && res[k].torch_train.n && res[k].torch_infer.n) {
			stats3(&res[k].torch_train, &tt, &ttl, &tth);
			stats3(&res[k].torch_infer, &ti, &til, &tih);
			printf(" | torch train %.1f (%.1f..%.1f), infer %.1f "
			       "(%.1f..%.1f) | ratio of medians train %.2f, infer %.2f;"
			       " train vs torch's best round %.2f",
			       tt, ttl, tth, ti, til, tih, at / tt, ai / ti, at / tth);
			tr = fmin(tr, at / tt);
			ir = fmin(ir, ai / ti);
		}
		printf("\n");
	}
	printf("  foreign cpu during apnas runs: at most %.2f cores\n",
	       fmax(res[0].foreign, res[1].foreign));
	if (!isfinite(tr))
		printf("train_ratio=nan infer_ratio=nan\n");
	else
		printf("train_ratio=%.2f infer_ratio=%.2f\n", tr, ir);
	if (want[1])
		printf("step_peak_share=%.2f\n", step_gf / peak);
	return isfinite(tr) || !torch ? 0 : 1;
}
