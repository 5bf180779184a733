/* The dataset object: loads the training and test files of the chosen
 * dataset, cuts the train / validation / test splits, measures the
 * per-channel normalisation on the train split and resolves the
 * dataset-dependent augmentation defaults. */
#include "dataset_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cifar.h"
#include "idx.h"
#include "memcap.h"
#include "readfile.h"
#include "synthetic.h"

#define FASHION_MNIST_DIR "/usr/share/datasets/fashion-mnist"
#define IDX_CLASSES 10
#define MAX_PAD 64

void apnas_data_spec_init(apnas_data_spec *s)
{
	memset(s, 0, sizeof *s);
	s->dataset = "fashion_mnist";
	s->path = "";
	s->val_size = 5000;
	s->normalize = 1;
	s->augment_pad = -1;
	s->augment_flip = -1;
	s->drop_last = 1;
	s->synthetic_n = 10000;
	s->synthetic_test_n = 2000;
	s->synthetic_classes = 10;
	s->synthetic_c = 1;
	s->synthetic_h = 28;
	s->synthetic_w = 28;
	s->synthetic_noise = 0.5;
	s->synthetic_seed = 1;
}

static int need_path(const char *dataset, const char *path,
                     apnas_error *err)
{
	if (path && *path)
		return 0;
	return apnas_error_set(err, APNAS_EINVAL,
	        "data: dataset %s has no default location: set data.path "
	        "to the directory holding its files", dataset);
}

/* Before reading: the images as bytes, each label as an int32. */
static int check_files(const char *dir, char (*paths)[4096], int n,
                       int per_label_file, apnas_error *err)
{
	uint64_t est = 0;
	for (int i = 0; i < n; i++) {
		uint64_t b = apnas_file_data_bytes(paths[i]);
		/* IDX: every other file holds labels, one byte each;
		 * CIFAR: 3073-byte records, one label byte each */
		est += per_label_file ? (i % 2 ? 4 * b : b) : b + b / 3073 * 4;
	}
	char what[4200];
	snprintf(what, sizeof what, "the images and labels of %s",
	         dir);
	return apnas_memcap_check(est, what, err);
}

static int load_idx(const char *dir, apnas_raw *train, apnas_raw *test,
                    apnas_error *err)
{
	static const char *const names[4] = {
		"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
		"t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};
	char paths[4][4096];
	for (int i = 0; i < 4; i++) {
		int rc = apnas_find_file(dir, names[i], paths[i],
		                         sizeof paths[i], err);
		if (rc)
			return rc;
	}
	int rc = check_files(dir, paths, 4, 1, err);
	if (rc)
		return rc;
	rc = apnas_idx_read(paths[0], paths[1], IDX_CLASSES, train, err);
	if (!rc)
		rc = apnas_idx_read(paths[2], paths[3], IDX_CLASSES, test, err);
	return rc;
}

static int load_cifar(const char *dir, apnas_raw *train, apnas_raw *test,
                      apnas_error *err)
{
	/* The archive unpacks to cifar-10-batches-bin/: accept its parent. */
	char base[4096], probe[4096];
	snprintf(base, sizeof base, "%s", dir);
	if (apnas_find_file(base, "data_batch_1.bin", probe, sizeof probe,
	                    NULL)) {
		char sub[4096];
		int w = snprintf(sub, sizeof sub, "%s/cifar-10-batches-bin",
		                 dir);
		struct stat st;
		if (w > 0 && (size_t)w < sizeof sub && stat(sub, &st) == 0 &&
		    S_ISDIR(st.st_mode))
			snprintf(base, sizeof base, "%s", sub);
	}
	char paths[6][4096];
	const char *p[6];
	for (int i = 0; i < 6; i++) {
		char name[32];
		if (i < 5)
			snprintf(name, sizeof name, "data_batch_%d.bin", i + 1);
		else
			snprintf(name, sizeof name, "test_batch.bin");
		int rc = apnas_find_file(base, name, paths[i], sizeof paths[i],
		                         err);
		if (rc)
			return rc;
		p[i] = paths[i];
	}
	int rc = check_files(base, paths, 6, 0, err);
	if (rc)
		return rc;
	rc = apnas_cifar_read(p, 5, train, err);
	if (!rc)
		rc = apnas_cifar_read(p + 5, 1, test, err);
	return rc;
}

static int load_synthetic(const apnas_data_spec *s, apnas_raw *train,
                          apnas_raw *test, apnas_error *err)
{
	apnas_synthetic_spec g = {
		.n = s->synthetic_n, .classes = s->synthetic_classes,
		.c = s->synthetic_c, .h = s->synthetic_h, .w = s->synthetic_w,
		.noise = s->synthetic_noise, .seed = s->synthetic_seed,
		.part = "train"};
	uint64_t img = (uint64_t)s->synthetic_c * (uint64_t)s->synthetic_h *
	               (uint64_t)s->synthetic_w;
	uint64_t n = (uint64_t)(s->synthetic_n > 0 ? s->synthetic_n : 0) +
	             (uint64_t)(s->synthetic_test_n > 0 ? s->synthetic_test_n
	                                                : 0);
	int rc = apnas_memcap_check(apnas_memcap_mul(n, img + 4),
	                            "the synthetic images and labels",
	                            err);
	if (rc)
		return rc;
	rc = apnas_synthetic_make(&g, train, err);
	if (rc)
		return rc;
	g.n = s->synthetic_test_n;
	g.part = "test";
	return apnas_synthetic_make(&g, test, err);
}

static int load(const apnas_data_spec *s, apnas_dataset *ds,
                apnas_error *err)
{
	const char *d = s->dataset;
	const char *path = s->path && *s->path ? s->path : NULL;
	int rc;
	if (!strcmp(d, "fashion_mnist")) {
		rc = load_idx(path ? path : FASHION_MNIST_DIR, &ds->train_file,
		              &ds->test_file, err);
		ds->pad = 2;
	} else if (!strcmp(d, "mnist")) {
		rc = need_path(d, path, err);
		if (!rc)
			rc = load_idx(path, &ds->train_file, &ds->test_file,
			              err);
		ds->pad = 2;
	} else if (!strcmp(d, "cifar10")) {
		rc = need_path(d, path, err);
		if (!rc)
			rc = load_cifar(path, &ds->train_file, &ds->test_file,
			                err);
		ds->pad = 4;
		ds->flip = 1;
	} else if (!strcmp(d, "synthetic")) {
		rc = load_synthetic(s, &ds->train_file, &ds->test_file, err);
	} else {
		return apnas_error_set(err, APNAS_EINVAL,
		        "data: unknown dataset \"%s\" (expected fashion_mnist, "
		        "mnist, cifar10 or synthetic)", d);
	}
	if (rc)
		return rc;
	const apnas_raw *a = &ds->train_file, *b = &ds->test_file;
	/* A named dataset has one image size, which the commands that read
	 * no images (apnas cost) assume: other images are not that dataset. */
	int side = !strcmp(d, "fashion_mnist") || !strcmp(d, "mnist") ? 28 : 0;
	if (side && (a->c != 1 || a->h != side || a->w != side))
		return apnas_error_set(err, APNAS_EINVAL,
		        "data: %s training images are %dx%dx%d, expected "
		        "1x%dx%d (%s): another dataset, or set data.dataset "
		        "accordingly", d, a->c, a->h, a->w, side, side,
		        path ? path : FASHION_MNIST_DIR);
	if (b->n && (a->c != b->c || a->h != b->h || a->w != b->w))
		return apnas_error_set(err, APNAS_EINVAL,
		        "data: %s test images are %dx%dx%d but training images "
		        "%dx%dx%d", d, b->c, b->h, b->w, a->c, a->h, a->w);
	return 0;
}

static int check_spec(const apnas_data_spec *s, apnas_error *err)
{
	if (!s->dataset)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "data: no dataset named");
	if (s->val_size < 0 || s->train_subset < 0 || s->test_subset < 0)
		return apnas_error_set(err, APNAS_EINVAL,
		        "data: val_size, train_subset and test_subset must be "
		        ">= 0, got %lld, %lld, %lld", (long long)s->val_size,
		        (long long)s->train_subset, (long long)s->test_subset);
	if (s->augment_pad < -1 || s->augment_pad > MAX_PAD)
		return apnas_error_set(err, APNAS_EINVAL,
		        "data: augment_pad must be -1 (dataset default) or "
		        "0..%d, got %d", MAX_PAD, s->augment_pad);
	if (s->augment_flip < -1 || s->augment_flip > 1)
		return apnas_error_set(err, APNAS_EINVAL,
		        "data: augment_flip must be -1 (dataset default), 0 or "
		        "1, got %d", s->augment_flip);
	return 0;
}

/* Cuts the splits out of the loaded files. */
static int split(const apnas_data_spec *s, apnas_dataset *ds,
                 apnas_error *err)
{
	int64_t n = ds->train_file.n;
	if (s->val_size >= n)
		return apnas_error_set(err, APNAS_EINVAL,
		        "data: val_size %lld leaves no training images: the %s "
		        "training file has %lld", (long long)s->val_size,
		        ds->name, (long long)n);
	int64_t train_n = n - s->val_size;
	if (s->train_subset > train_n)
		return apnas_error_set(err, APNAS_EINVAL,
		        "data: train_subset %lld exceeds the %lld images of the "
		        "train split (the %s training file has %lld, val_size "
		        "%lld)", (long long)s->train_subset, (long long)train_n,
		        ds->name, (long long)n, (long long)s->val_size);
	if (s->train_subset)
		train_n = s->train_subset;
	int64_t test_n = ds->test_file.n;
	if (s->test_subset > test_n)
		return apnas_error_set(err, APNAS_EINVAL,
		        "data: test_subset %lld exceeds the %lld images of the "
		        "%s test file", (long long)s->test_subset,
		        (long long)test_n, ds->name);
	if (s->test_subset)
		test_n = s->test_subset;
	ds->val_first = n - s->val_size;
	ds->info = (apnas_data_info){
		.c = ds->train_file.c, .h = ds->train_file.h,
		.w = ds->train_file.w, .classes = ds->train_file.classes,
		.train_n = train_n, .val_n = s->val_size, .test_n = test_n};
	return 0;
}

/* Per-channel mean and std over the train split; the sums of bytes and
 * squared bytes are exact in doubles at these sizes, so the result does
 * not depend on summation order. */
static int normalisation(int normalize, apnas_dataset *ds, apnas_error *err)
{
	int32_t C = ds->info.c;
	size_t plane = (size_t)ds->info.h * ds->info.w;
	ds->mean = calloc((size_t)C, sizeof *ds->mean);
	ds->std = calloc((size_t)C, sizeof *ds->std);
	ds->lut = malloc(sizeof *ds->lut * 256 * (size_t)C);
	if (!ds->mean || !ds->std || !ds->lut)
		return apnas_error_set(err, APNAS_ENOMEM,
		                       "data: out of memory");
	for (int32_t c = 0; c < C; c++) {
		double mean = 0.0, std = 1.0;
		if (normalize) {
			uint64_t hist[256] = {0};
			for (int64_t i = 0; i < ds->info.train_n; i++) {
				const uint8_t *p = ds->train_file.px +
				        ((size_t)i * C + c) * plane;
				for (size_t k = 0; k < plane; k++)
					hist[p[k]]++;
			}
			double s1 = 0, s2 = 0, cnt = 0;
			for (int v = 0; v < 256; v++) {
				s1 += (double)hist[v] * v;
				s2 += (double)hist[v] * v * v;
				cnt += (double)hist[v];
			}
			double m = s1 / cnt;
			double var = s2 / cnt - m * m;
			mean = m / 255.0;
			/* A constant channel carries no information: centre
			 * it, do not blow it up. */
			std = var > 1e-6 ? sqrt(var) / 255.0 : 1.0;
		}
		ds->mean[c] = mean;
		ds->std[c] = std;
		for (int v = 0; v < 256; v++)
			ds->lut[(size_t)c * 256 + v] =
			        (float)((v / 255.0 - mean) / std);
	}
	return 0;
}

int apnas_data_open_spec(const apnas_data_spec *s, uint64_t seed,
                         apnas_dataset **out, apnas_error *err)
{
	*out = NULL;
	int rc = check_spec(s, err);
	if (rc)
		return rc;
	apnas_dataset *ds = calloc(1, sizeof *ds);
	if (!ds)
		return apnas_error_set(err, APNAS_ENOMEM, "data: out of memory");
	snprintf(ds->name, sizeof ds->name, "%s", s->dataset);
	ds->seed = seed;
	ds->drop_last = s->drop_last ? 1 : 0;
	rc = load(s, ds, err);
	if (!rc)
		rc = split(s, ds, err);
	if (!rc)
		rc = normalisation(s->normalize, ds, err);
	if (rc) {
		apnas_data_close(ds);
		return rc;
	}
	if (s->augment_pad >= 0)
		ds->pad = s->augment_pad;
	if (s->augment_flip >= 0)
		ds->flip = s->augment_flip;
	*out = ds;
	return 0;
}

void apnas_data_close(apnas_dataset *ds)
{
	if (!ds)
		return;
	apnas_raw_free(&ds->train_file);
	apnas_raw_free(&ds->test_file);
	free(ds->mean);
	free(ds->std);
	free(ds->lut);
	free(ds);
}

const apnas_data_info *apnas_data_get_info(const apnas_dataset *ds)
{
	return &ds->info;
}

const char *apnas_data_name(const apnas_dataset *ds)
{
	return ds->name;
}

int64_t apnas_data_split_view(const apnas_dataset *ds, apnas_split s,
                              const uint8_t **px, const int32_t **y)
{
	const apnas_raw *f = s == APNAS_SPLIT_TEST ? &ds->test_file
	                                           : &ds->train_file;
	int64_t first = s == APNAS_SPLIT_VAL ? ds->val_first : 0;
	if (!f->px) {
		*px = NULL;
		*y = NULL;
		return 0;
	}
	*px = f->px + (size_t)first * (size_t)apnas_raw_image_bytes(f);
	*y = f->y + first;
	return apnas_data_count(ds, s);
}

int64_t apnas_data_count(const apnas_dataset *ds, apnas_split s)
{
	switch (s) {
	case APNAS_SPLIT_TRAIN: return ds->info.train_n;
	case APNAS_SPLIT_VAL: return ds->info.val_n;
	case APNAS_SPLIT_TEST: return ds->info.test_n;
	}
	return 0;
}

void apnas_data_norm(const apnas_dataset *ds, int32_t c, double *mean,
                     double *std)
{
	int ok = c >= 0 && c < ds->info.c;
	if (mean)
		*mean = ok ? ds->mean[c] : 0.0;
	if (std)
		*std = ok ? ds->std[c] : 1.0;
}

int32_t apnas_data_augment_pad(const apnas_dataset *ds)
{
	return ds->pad;
}

int apnas_data_augment_flip(const apnas_dataset *ds)
{
	return ds->flip;
}

void apnas_data_describe(const apnas_dataset *ds, char *buf, size_t cap)
{
	const apnas_data_info *i = &ds->info;
	snprintf(buf, cap,
	         "%s %dx%dx%d, %d classes: %lld train / %lld val / %lld test, "
	         "pad %d, %s", ds->name, i->c, i->h, i->w, i->classes,
	         (long long)i->train_n, (long long)i->val_n,
	         (long long)i->test_n, ds->pad, ds->flip ? "flip" : "no flip");
}

const char *apnas_data_split_name(apnas_split s)
{
	return s == APNAS_SPLIT_TRAIN ? "train"
	       : s == APNAS_SPLIT_VAL ? "validation"
	       : s == APNAS_SPLIT_TEST ? "test" : "unknown";
}

int apnas_data_image(const apnas_dataset *ds, apnas_split s, int64_t i,
                     float *x, int32_t *y, apnas_error *err)
{
	if (s != APNAS_SPLIT_TRAIN && s != APNAS_SPLIT_VAL &&
	    s != APNAS_SPLIT_TEST)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "data: unknown split %d", (int)s);
	const uint8_t *px;
	const int32_t *ly;
	int64_t n = apnas_data_split_view(ds, s, &px, &ly);
	if (i < 0 || i >= n)
		return apnas_error_set(err, APNAS_EINVAL,
		        "data: image %lld out of range: the %s split has %lld",
		        (long long)i, apnas_data_split_name(s), (long long)n);
	size_t img = (size_t)ds->info.c * ds->info.h * ds->info.w;
	apnas_data_fill(ds, px + (size_t)i * img, x, 0, 0, 0, 0);
	if (y)
		*y = ly[i];
	return 0;
}
