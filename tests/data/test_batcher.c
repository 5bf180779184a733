/* Batchers on synthetic data: epochs are permutations, shuffles differ
 * per epoch and repeat for a seed, validation goes in order, a saved
 * state reproduces the batches, augmentation is a pad-crop-flip of the
 * source image (identity with pad 0 and no flip). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include <apnas/data.h>

#define C 1
#define H 6
#define W 7
#define IMG (C * H * W)
#define N 103 /* images in the training file */
#define VAL 20
#define TRAIN (N - VAL)

static apnas_dataset *open_ds(uint64_t seed, int pad, int flip)
{
	apnas_data_spec s;
	apnas_data_spec_init(&s);
	s.dataset = "synthetic";
	s.synthetic_n = N;
	s.synthetic_test_n = 10;
	s.synthetic_c = C;
	s.synthetic_h = H;
	s.synthetic_w = W;
	s.synthetic_noise = 2.0; /* every image distinct */
	s.val_size = VAL;
	s.augment_pad = pad;
	s.augment_flip = flip;
	s.drop_last = 0;
	apnas_dataset *ds;
	apnas_error err = {0};
	ck_assert_msg(apnas_data_open_spec(&s, seed, &ds, &err) == 0, "%s",
	              err.msg);
	return ds;
}

static apnas_batcher *open_b(apnas_dataset *ds, apnas_split sp, int32_t bs,
                             unsigned flags)
{
	apnas_batcher *b;
	apnas_error err = {0};
	ck_assert_msg(apnas_batcher_open_flags(ds, sp, bs, flags, &b, &err) ==
	              0, "%s", err.msg);
	return b;
}

/* The train split's images, unaugmented, to identify batch images by. */
static float ref[TRAIN][IMG];

static void load_ref(apnas_dataset *ds)
{
	for (int k = 0; k < TRAIN; k++)
		ck_assert_int_eq(apnas_data_image(ds, APNAS_SPLIT_TRAIN, k,
		                                  ref[k], NULL, NULL), 0);
	for (int a = 0; a < TRAIN; a++)
		for (int b = a + 1; b < TRAIN; b++)
			ck_assert_msg(memcmp(ref[a], ref[b], sizeof ref[a]),
			              "fixture images %d and %d coincide", a, b);
}

static float ref_x[IMG];

static int identify(const float *x)
{
	for (int k = 0; k < TRAIN; k++)
		if (!memcmp(ref[k], x, sizeof ref[k]))
			return k;
	return -1;
}

/* Walks one epoch; order[] gets the source index of each image. */
static int walk_epoch(apnas_batcher *b, int *order, int *batches)
{
	apnas_batch bt;
	int n = 0;
	*batches = 0;
	const float *buf = NULL;
	while (apnas_batcher_next(b, &bt)) {
		if (!buf)
			buf = bt.x;
		ck_assert_ptr_eq(bt.x, buf); /* the same preallocated buffer */
		for (int k = 0; k < bt.n; k++) {
			int id = identify(bt.x + k * IMG);
			ck_assert_msg(id >= 0, "batch image not in the split");
			ck_assert_int_lt(n, TRAIN);
			order[n++] = id;
		}
		(*batches)++;
	}
	ck_assert_int_eq(bt.n, 0);
	return n;
}

START_TEST(epoch_is_permutation)
{
	apnas_dataset *ds = open_ds(7, 0, 0);
	load_ref(ds);
	apnas_batcher *b = open_b(ds, APNAS_SPLIT_TRAIN, 10,
	                          APNAS_BATCH_SHUFFLE);
	ck_assert_int_eq(apnas_batcher_batches_per_epoch(b), 9);
	int o0[TRAIN], o1[TRAIN], nb;
	ck_assert_int_eq(walk_epoch(b, o0, &nb), TRAIN);
	ck_assert_int_eq(nb, 9);
	ck_assert_int_eq(apnas_batcher_epoch(b), 1);
	ck_assert_int_eq(walk_epoch(b, o1, &nb), TRAIN);
	int seen[TRAIN] = {0}, moved = 0, same = 0;
	for (int k = 0; k < TRAIN; k++) {
		seen[o0[k]]++;
		moved += o0[k] != k;
		same += o0[k] == o1[k];
	}
	for (int k = 0; k < TRAIN; k++)
		ck_assert_int_eq(seen[k], 1);
	ck_assert_int_gt(moved, TRAIN / 2); /* actually shuffled */
	ck_assert_int_lt(same, TRAIN / 2);  /* a new order each epoch */
	apnas_batcher_close(b);
	apnas_data_close(ds);
}
END_TEST

START_TEST(same_seed_same_order)
{
	apnas_dataset *a = open_ds(7, 0, 0), *b = open_ds(7, 0, 0),
	              *c = open_ds(8, 0, 0);
	load_ref(a);
	apnas_batcher *ba = open_b(a, APNAS_SPLIT_TRAIN, 16,
	                           APNAS_BATCH_SHUFFLE);
	apnas_batcher *bb = open_b(b, APNAS_SPLIT_TRAIN, 16,
	                           APNAS_BATCH_SHUFFLE);
	apnas_batcher *bc = open_b(c, APNAS_SPLIT_TRAIN, 16,
	                           APNAS_BATCH_SHUFFLE);
	for (int e = 0; e < 3; e++) {
		int oa[TRAIN], ob[TRAIN], oc[TRAIN], nb;
		walk_epoch(ba, oa, &nb);
		walk_epoch(bb, ob, &nb);
		walk_epoch(bc, oc, &nb);
		ck_assert_mem_eq(oa, ob, sizeof oa);
		ck_assert(memcmp(oa, oc, sizeof oa) != 0);
	}
	apnas_batcher_close(ba);
	apnas_batcher_close(bb);
	apnas_batcher_close(bc);
	apnas_data_close(a);
	apnas_data_close(b);
	apnas_data_close(c);
}
END_TEST

START_TEST(drop_last)
{
	apnas_dataset *ds = open_ds(7, 0, 0);
	load_ref(ds);
	apnas_batcher *b = open_b(ds, APNAS_SPLIT_TRAIN, 10,
	                          APNAS_BATCH_SHUFFLE | APNAS_BATCH_DROP_LAST);
	ck_assert_int_eq(apnas_batcher_batches_per_epoch(b), 8);
	apnas_batch bt;
	int full = 0;
	while (apnas_batcher_next(b, &bt)) {
		ck_assert_int_eq(bt.n, 10);
		full++;
	}
	ck_assert_int_eq(full, 8);
	apnas_batcher_close(b);
	/* A batch larger than the split leaves nothing to drop to. */
	apnas_error err = {0};
	ck_assert_int_lt(apnas_batcher_open_flags(ds, APNAS_SPLIT_TRAIN, 200,
	                                          APNAS_BATCH_DROP_LAST, &b,
	                                          &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "drop_last"));
	apnas_data_close(ds);
}
END_TEST

/* Validation and test: in order, never augmented, short last batch. */
START_TEST(eval_in_order)
{
	apnas_dataset *ds = open_ds(7, 3, 1);
	apnas_batcher *b;
	apnas_error err = {0};
	ck_assert_int_eq(apnas_batcher_open(ds, APNAS_SPLIT_VAL, 8, &b, &err),
	                 0);
	ck_assert_uint_eq(apnas_batcher_flags(b), 0);
	apnas_batch bt;
	float x[IMG];
	int32_t y;
	int64_t i = 0, sizes[3], nb = 0;
	for (int e = 0; e < 2; e++) {
		i = 0;
		nb = 0;
		while (apnas_batcher_next(b, &bt)) {
			sizes[nb++] = bt.n;
			for (int k = 0; k < bt.n; k++, i++) {
				apnas_data_image(ds, APNAS_SPLIT_VAL, i, x, &y,
				                 NULL);
				ck_assert_mem_eq(bt.x + k * IMG, x, sizeof x);
				ck_assert_int_eq(bt.y[k], y);
			}
		}
		ck_assert_int_eq(i, VAL);
		ck_assert_int_eq(nb, 3);
		ck_assert_int_eq(sizes[2], 4);
	}
	apnas_batcher_close(b);
	ck_assert_int_lt(apnas_batcher_open_flags(ds, APNAS_SPLIT_TEST, 4,
	                                          APNAS_BATCH_AUGMENT, &b,
	                                          &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "never augmented"));
	apnas_data_close(ds);
}
END_TEST

/* The train split's default flags follow the dataset's settings. */
START_TEST(default_flags)
{
	apnas_dataset *ds = open_ds(7, 0, 0);
	apnas_batcher *b;
	apnas_error err = {0};
	ck_assert_int_eq(apnas_batcher_open(ds, APNAS_SPLIT_TRAIN, 8, &b, &err),
	                 0);
	ck_assert_uint_eq(apnas_batcher_flags(b), APNAS_BATCH_SHUFFLE);
	apnas_batcher_close(b);
	apnas_data_close(ds);
	ds = open_ds(7, 2, 0);
	ck_assert_int_eq(apnas_batcher_open(ds, APNAS_SPLIT_TRAIN, 8, &b, &err),
	                 0);
	ck_assert_uint_eq(apnas_batcher_flags(b),
	                  APNAS_BATCH_SHUFFLE | APNAS_BATCH_AUGMENT);
	apnas_batcher_close(b);
	apnas_data_close(ds);
}
END_TEST

/* Pads the reference image by p zero pixels, crops the H x W window at
 * (dy, dx), mirrors it if flip: written independently of the loader. */
static void crop_ref(const float *src, int p, int dy, int dx, int flip,
                     float *out)
{
	float padded[C][H + 128][W + 128];
	memset(padded, 0, sizeof padded);
	for (int c = 0; c < C; c++)
		for (int i = 0; i < H; i++)
			for (int j = 0; j < W; j++)
				padded[c][i + p][j + p] = src[(c * H + i) * W + j];
	for (int c = 0; c < C; c++)
		for (int i = 0; i < H; i++)
			for (int j = 0; j < W; j++)
				out[(c * H + i) * W + (flip ? W - 1 - j : j)] =
				        padded[c][i + dy][j + dx];
}

START_TEST(augmentation_is_crop_flip)
{
	const int P = 2;
	apnas_dataset *ds = open_ds(7, P, 1);
	load_ref(ds);
	/* No shuffle, so image k of the epoch comes from source k. */
	apnas_batcher *b = open_b(ds, APNAS_SPLIT_TRAIN, 16,
	                          APNAS_BATCH_AUGMENT);
	apnas_batch bt;
	int64_t i = 0;
	int used[2 * 2 + 1][2 * 2 + 1][2] = {{{0}}};
	while (apnas_batcher_next(b, &bt)) {
		for (int k = 0; k < bt.n; k++, i++) {
			const float *x = bt.x + k * IMG;
			int found = 0;
			for (int dy = 0; dy <= 2 * P && !found; dy++)
				for (int dx = 0; dx <= 2 * P && !found; dx++)
					for (int f = 0; f < 2 && !found; f++) {
						float want[IMG];
						crop_ref(ref[i], P, dy, dx, f, want);
						if (!memcmp(want, x, sizeof want)) {
							found = 1;
							used[dy][dx][f]++;
						}
					}
			ck_assert_msg(found, "image %lld is no crop/flip of its "
			              "source", (long long)i);
			int32_t y;
			apnas_data_image(ds, APNAS_SPLIT_TRAIN, i, ref_x, &y,
			                 NULL);
			ck_assert_int_eq(bt.y[k], y);
		}
	}
	ck_assert_int_eq(i, TRAIN);
	int variants = 0, flipped = 0;
	for (int dy = 0; dy <= 2 * P; dy++)
		for (int dx = 0; dx <= 2 * P; dx++)
			for (int f = 0; f < 2; f++) {
				variants += used[dy][dx][f] > 0;
				flipped += f ? used[dy][dx][f] : 0;
			}
	ck_assert_int_gt(variants, 10); /* offsets and flips really vary */
	ck_assert_int_gt(flipped, 0);
	apnas_batcher_close(b);
	apnas_data_close(ds);
}
END_TEST

START_TEST(augmentation_identity)
{
	apnas_dataset *ds = open_ds(7, 0, 0);
	load_ref(ds);
	apnas_batcher *b = open_b(ds, APNAS_SPLIT_TRAIN, 10,
	                          APNAS_BATCH_AUGMENT);
	apnas_batch bt;
	int64_t i = 0;
	while (apnas_batcher_next(b, &bt))
		for (int k = 0; k < bt.n; k++, i++)
			ck_assert_mem_eq(bt.x + k * IMG, ref[i], sizeof ref[i]);
	ck_assert_int_eq(i, TRAIN);
	apnas_batcher_close(b);
	apnas_data_close(ds);
}
END_TEST

/* Records `count` batches (images and labels) from b. */
static void record(apnas_batcher *b, int count, float *x, int32_t *y,
                   int32_t *ns)
{
	for (int k = 0; k < count; k++) {
		apnas_batch bt;
		while (!apnas_batcher_next(b, &bt))
			;
		ns[k] = bt.n;
		memcpy(x + (size_t)k * 16 * IMG, bt.x,
		       sizeof *x * (size_t)bt.n * IMG);
		memcpy(y + (size_t)k * 16, bt.y, sizeof *y * (size_t)bt.n);
	}
}

/* A state taken mid-epoch (and one written to a file) makes a fresh
 * batcher yield exactly the batches the original goes on to yield,
 * across epoch boundaries, with augmentation on. */
START_TEST(save_restore)
{
	enum { AHEAD = 14 };
	apnas_dataset *ds = open_ds(11, 2, 1);
	unsigned fl = APNAS_BATCH_SHUFFLE | APNAS_BATCH_AUGMENT;
	apnas_batcher *a = open_b(ds, APNAS_SPLIT_TRAIN, 16, fl);
	apnas_batch bt;
	for (int k = 0; k < 9; k++) /* 1.5 epochs of 6 batches */
		while (!apnas_batcher_next(a, &bt))
			;
	apnas_batcher_state st;
	apnas_batcher_get_state(a, &st);
	ck_assert_int_eq(st.epoch, 1);
	FILE *f = tmpfile();
	ck_assert_ptr_nonnull(f);
	apnas_error err = {0};
	ck_assert_int_eq(apnas_batcher_save(a, f, &err), 0);

	static float xa[AHEAD * 16 * IMG], xb[AHEAD * 16 * IMG],
	        xc[AHEAD * 16 * IMG];
	int32_t ya[AHEAD * 16], yb[AHEAD * 16], yc[AHEAD * 16];
	int32_t na[AHEAD], nb[AHEAD], nc[AHEAD];
	memset(xa, 0, sizeof xa);
	memset(xb, 0, sizeof xb);
	memset(xc, 0, sizeof xc);
	record(a, AHEAD, xa, ya, na);

	apnas_batcher *b = open_b(ds, APNAS_SPLIT_TRAIN, 16, fl);
	ck_assert_int_eq(apnas_batcher_set_state(b, &st, &err), 0);
	record(b, AHEAD, xb, yb, nb);

	apnas_batcher *c = open_b(ds, APNAS_SPLIT_TRAIN, 16, fl);
	rewind(f);
	ck_assert_msg(apnas_batcher_load(c, f, &err) == 0, "%s", err.msg);
	record(c, AHEAD, xc, yc, nc);
	fclose(f);

	ck_assert_mem_eq(na, nb, sizeof na);
	ck_assert_mem_eq(na, nc, sizeof na);
	for (int k = 0; k < AHEAD; k++) {
		ck_assert_mem_eq(xa + k * 16 * IMG, xb + k * 16 * IMG,
		                 sizeof *xa * (size_t)na[k] * IMG);
		ck_assert_mem_eq(xa + k * 16 * IMG, xc + k * 16 * IMG,
		                 sizeof *xa * (size_t)na[k] * IMG);
		ck_assert_mem_eq(ya + k * 16, yb + k * 16,
		                 sizeof *ya * (size_t)na[k]);
		ck_assert_mem_eq(ya + k * 16, yc + k * 16,
		                 sizeof *ya * (size_t)na[k]);
	}
	/* A fresh batcher without the state does not: the test can fail. */
	apnas_batcher *d = open_b(ds, APNAS_SPLIT_TRAIN, 16, fl);
	record(d, AHEAD, xc, yc, nc);
	ck_assert(memcmp(xa, xc, sizeof *xa * 16 * IMG) != 0);

	apnas_batcher_close(a);
	apnas_batcher_close(b);
	apnas_batcher_close(c);
	apnas_batcher_close(d);
	apnas_data_close(ds);
}
END_TEST

START_TEST(restore_refusals)
{
	apnas_dataset *ds = open_ds(11, 2, 1);
	apnas_batcher *a = open_b(ds, APNAS_SPLIT_TRAIN, 16,
	                          APNAS_BATCH_SHUFFLE);
	apnas_batcher *b = open_b(ds, APNAS_SPLIT_TRAIN, 8,
	                          APNAS_BATCH_SHUFFLE);
	apnas_error err = {0};
	FILE *f = tmpfile();
	ck_assert_int_eq(apnas_batcher_save(a, f, &err), 0);
	rewind(f);
	ck_assert_int_lt(apnas_batcher_load(b, f, &err), 0);
	ck_assert_msg(strstr(err.msg, "batches of 16") &&
	              strstr(err.msg, "batches of 8"), "%s", err.msg);
	/* Truncated and foreign data. */
	uint8_t buf[256];
	rewind(f);
	size_t len = fread(buf, 1, sizeof buf, f);
	fclose(f);
	ck_assert_uint_gt(len, 20);
	f = fmemopen(buf, 20, "rb");
	ck_assert_int_lt(apnas_batcher_load(a, f, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "truncated"));
	fclose(f);
	buf[0] ^= 0xff;
	f = fmemopen(buf, len, "rb");
	ck_assert_int_lt(apnas_batcher_load(a, f, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "magic"));
	fclose(f);

	apnas_batcher_state st;
	apnas_batcher_get_state(a, &st);
	st.pos = TRAIN + 1;
	ck_assert_int_lt(apnas_batcher_set_state(a, &st, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "out of range"));
	apnas_batcher_get_state(a, &st);
	memset(&st.shuffle, 0, sizeof st.shuffle);
	ck_assert_int_lt(apnas_batcher_set_state(a, &st, &err), 0);
	apnas_batcher_close(a);
	apnas_batcher_close(b);
	apnas_data_close(ds);
}
END_TEST

START_TEST(open_refusals)
{
	apnas_dataset *ds = open_ds(1, 0, 0);
	apnas_batcher *b = NULL;
	apnas_error err = {0};
	ck_assert_int_lt(apnas_batcher_open(ds, APNAS_SPLIT_TRAIN, 0, &b, &err),
	                 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "batch size"));
	ck_assert_ptr_null(b);
	ck_assert_int_lt(apnas_batcher_open_flags(ds, APNAS_SPLIT_TRAIN, 4,
	                                          0x100, &b, &err), 0);
	apnas_data_close(ds);

	apnas_data_spec s;
	apnas_data_spec_init(&s);
	s.dataset = "synthetic";
	s.synthetic_n = 30;
	s.synthetic_h = s.synthetic_w = 4;
	s.val_size = 0;
	ck_assert_int_eq(apnas_data_open_spec(&s, 1, &ds, &err), 0);
	ck_assert_int_lt(apnas_batcher_open(ds, APNAS_SPLIT_VAL, 4, &b, &err),
	                 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "empty"));
	apnas_data_close(ds);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("batcher");
	TCase *tc = tcase_create("batcher");
	tcase_add_test(tc, epoch_is_permutation);
	tcase_add_test(tc, same_seed_same_order);
	tcase_add_test(tc, drop_last);
	tcase_add_test(tc, eval_in_order);
	tcase_add_test(tc, default_flags);
	tcase_add_test(tc, augmentation_is_crop_flip);
	tcase_add_test(tc, augmentation_identity);
	tcase_add_test(tc, save_restore);
	tcase_add_test(tc, restore_refusals);
	tcase_add_test(tc, open_refusals);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
