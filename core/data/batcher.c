/* Minibatches of one split.  Buffers and the permutation are allocated
 * when the batcher opens; next() only writes into them.
 *
 * Reproducibility: every epoch's permutation is drawn afresh from the
 * identity by Fisher-Yates, so the shuffle stream as it was before the
 * draw, plus the position, pins down every remaining batch of the epoch;
 * the augmentation stream is separate so that turning augmentation on or
 * off never changes the order of images. */
#include "dataset_impl.h"

#include <apnas/codec.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memcap.h"

#define SAVE_MAGIC "APNASDB1"

struct apnas_batcher {
	const apnas_dataset *ds; /* borrowed: outlives the batcher */
	apnas_split split;
	const uint8_t *px;       /* borrowed: the split's first image */
	const int32_t *labels;   /* borrowed: the split's first label */
	int64_t n;               /* images in the split */
	int64_t end;             /* images an epoch hands out */
	int32_t size;            /* batch size */
	unsigned flags;
	int32_t pad;             /* augmentation, when AUGMENT is set */
	int flip;
	int32_t *perm;           /* owned: n entries, when SHUFFLE is set */
	float *x;                /* owned: [size][c][h][w] */
	int32_t *y;              /* owned: [size] */
	int64_t epoch, pos;
	apnas_rng shuffle_start; /* shuffle stream before this epoch's draw */
	apnas_rng shuffle;       /* shuffle stream after it */
	apnas_rng augment;
};

static void draw_permutation(apnas_batcher *b)
{
	b->shuffle = b->shuffle_start;
	for (int64_t i = 0; i < b->n; i++)
		b->perm[i] = (int32_t)i;
	for (int64_t i = b->n - 1; i > 0; i--) {
		int64_t j = (int64_t)apnas_rng_below(&b->shuffle,
		                                     (uint64_t)i + 1);
		int32_t t = b->perm[i];
		b->perm[i] = b->perm[j];
		b->perm[j] = t;
	}
}

static const char *shuffle_stream(apnas_split s)
{
	return s == APNAS_SPLIT_TRAIN ? "data"
	       : s == APNAS_SPLIT_VAL ? "data.val" : "data.test";
}

int apnas_batcher_open_flags(const apnas_dataset *ds, apnas_split split,
                             int32_t batch_size, unsigned flags,
                             apnas_batcher **out, apnas_error *err)
{
	*out = NULL;
	if (split != APNAS_SPLIT_TRAIN && split != APNAS_SPLIT_VAL &&
	    split != APNAS_SPLIT_TEST)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "data: unknown split %d", (int)split);
	const char *sname = apnas_data_split_name(split);
	if (flags & ~(unsigned)(APNAS_BATCH_SHUFFLE | APNAS_BATCH_AUGMENT |
	                        APNAS_BATCH_DROP_LAST))
		return apnas_error_set(err, APNAS_EINVAL,
		        "data: unknown batcher flags 0x%x", flags);
	if ((flags & APNAS_BATCH_AUGMENT) && split != APNAS_SPLIT_TRAIN)
		return apnas_error_set(err, APNAS_EINVAL,
		        "data: the %s split is never augmented", sname);
	if (batch_size < 1)
		return apnas_error_set(err, APNAS_EINVAL,
		        "data: batch size must be >= 1, got %d", batch_size);

	const uint8_t *px;
	const int32_t *labels;
	int64_t n = apnas_data_split_view(ds, split, &px, &labels);
	if (n == 0)
		return apnas_error_set(err, APNAS_EINVAL,
		        "data: the %s split of %s is empty", sname, ds->name);
	int64_t end = n;
	if (flags & APNAS_BATCH_DROP_LAST) {
		end = n - n % batch_size;
		if (end == 0)
			return apnas_error_set(err, APNAS_EINVAL,
			        "data: batch size %d exceeds the %lld images of "
			        "the %s split, and drop_last leaves no batch",
			        batch_size, (long long)n, sname);
	}

	size_t img = (size_t)ds->info.c * ds->info.h * ds->info.w;
	size_t bs = (size_t)(batch_size < n ? batch_size : n);
	char what[96];
	snprintf(what, sizeof what, "the %s batches of %d", sname,
	         batch_size);
	uint64_t est = apnas_memcap_mul(bs, img * sizeof(float) + 4) +
	               ((flags & APNAS_BATCH_SHUFFLE) ? (uint64_t)n * 4 : 0);
	int rc = apnas_memcap_check(est, what, err);
	if (rc)
		return rc;
	apnas_batcher *b = calloc(1, sizeof *b);
	if (b) {
		b->x = malloc(sizeof *b->x * img * bs);
		b->y = malloc(sizeof *b->y * bs);
		if (flags & APNAS_BATCH_SHUFFLE)
			b->perm = malloc(sizeof *b->perm * (size_t)n);
	}
	if (!b || !b->x || !b->y ||
	    ((flags & APNAS_BATCH_SHUFFLE) && !b->perm)) {
		apnas_batcher_close(b);
		return apnas_error_set(err, APNAS_ENOMEM,
		        "data: out of memory for %s batches of %d", sname,
		        batch_size);
	}
	b->ds = ds;
	b->split = split;
	b->px = px;
	b->labels = labels;
	b->n = n;
	b->end = end;
	b->size = batch_size;
	b->flags = flags;
	b->pad = flags & APNAS_BATCH_AUGMENT ? ds->pad : 0;
	b->flip = flags & APNAS_BATCH_AUGMENT ? ds->flip : 0;
	apnas_rng_derive(&b->shuffle_start, ds->seed, shuffle_stream(split));
	apnas_rng_derive(&b->augment, ds->seed, "data.augment");
	if (b->perm)
		draw_permutation(b);
	*out = b;
	return 0;
}

int apnas_batcher_open(const apnas_dataset *ds, apnas_split split,
                       int32_t batch_size, apnas_batcher **out,
                       apnas_error *err)
{
	unsigned flags = 0;
	if (split == APNAS_SPLIT_TRAIN) {
		flags |= APNAS_BATCH_SHUFFLE;
		if (ds->pad > 0 || ds->flip)
			flags |= APNAS_BATCH_AUGMENT;
		if (ds->drop_last)
			flags |= APNAS_BATCH_DROP_LAST;
	}
	return apnas_batcher_open_flags(ds, split, batch_size, flags, out,
	                                err);
}

void apnas_batcher_close(apnas_batcher *b)
{
	if (!b)
		return;
	free(b->perm);
	free(b->x);
	free(b->y);
	free(b);
}

int apnas_batcher_next(apnas_batcher *b, apnas_batch *out)
{
	if (b->pos >= b->end) {
		b->epoch++;
		b->pos = 0;
		if (b->perm) {
			b->shuffle_start = b->shuffle;
			draw_permutation(b);
		}
		*out = (apnas_batch){NULL, NULL, 0};
		return 0;
	}
	const apnas_dataset *ds = b->ds;
	size_t img = (size_t)ds->info.c * ds->info.h * ds->info.w;
	int64_t m = b->end - b->pos < b->size ? b->end - b->pos : b->size;
	for (int64_t k = 0; k < m; k++) {
		int64_t i = b->perm ? b->perm[b->pos + k] : b->pos + k;
		int32_t dy = 0, dx = 0, flip = 0;
		/* Draws only what is used, so pad 0 / no flip costs none. */
		if (b->pad > 0) {
			dy = (int32_t)apnas_rng_below(&b->augment,
			                              2 * (uint64_t)b->pad + 1);
			dx = (int32_t)apnas_rng_below(&b->augment,
			                              2 * (uint64_t)b->pad + 1);
		}
		if (b->flip)
			flip = (int)apnas_rng_below(&b->augment, 2);
		apnas_data_fill(ds, b->px + (size_t)i * img, b->x + k * img,
		                b->pad, dy, dx, flip);
		b->y[k] = b->labels[i];
	}
	b->pos += m;
	*out = (apnas_batch){b->x, b->y, (int32_t)m};
	return 1;
}

int64_t apnas_batcher_batches_per_epoch(const apnas_batcher *b)
{
	return (b->end + b->size - 1) / b->size;
}

int64_t apnas_batcher_epoch(const apnas_batcher *b)
{
	return b->epoch;
}

int32_t apnas_batcher_batch_size(const apnas_batcher *b)
{
	return b->size;
}

unsigned apnas_batcher_flags(const apnas_batcher *b)
{
	return b->flags;
}

void apnas_batcher_get_state(const apnas_batcher *b, apnas_batcher_state *st)
{
	st->epoch = b->epoch;
	st->pos = b->pos;
	st->shuffle = b->shuffle_start;
	st->augment = b->augment;
}

static int rng_ok(const apnas_rng *r)
{
	return (r->s[0] | r->s[1] | r->s[2] | r->s[3]) != 0;
}

int apnas_batcher_set_state(apnas_batcher *b, const apnas_batcher_state *st,
                            apnas_error *err)
{
	if (st->epoch < 0 || st->pos < 0 || st->pos > b->end)
		return apnas_error_set(err, APNAS_EINVAL,
		        "data: batcher state epoch %lld position %lld is out of "
		        "range (an epoch hands out %lld images)",
		        (long long)st->epoch, (long long)st->pos,
		        (long long)b->end);
	if (!rng_ok(&st->shuffle) || !rng_ok(&st->augment))
		return apnas_error_set(err, APNAS_EINVAL,
		        "data: batcher state has an all-zero random stream");
	b->epoch = st->epoch;
	b->pos = st->pos;
	b->shuffle_start = st->shuffle;
	b->augment = st->augment;
	if (b->perm)
		draw_permutation(b);
	return 0;
}

/* ---- checkpoint layout: magic, then 15 little-endian 64-bit words ---- */

enum { W_N, W_SIZE, W_FLAGS, W_EPOCH, W_POS, W_SHUF, W_AUG = W_SHUF + 4,
       W_COUNT = W_AUG + 4 };

int apnas_batcher_save(const apnas_batcher *b, FILE *f, apnas_error *err)
{
	uint64_t w[W_COUNT];
	apnas_batcher_state st;
	apnas_batcher_get_state(b, &st);
	w[W_N] = (uint64_t)b->n;
	w[W_SIZE] = (uint64_t)b->size;
	w[W_FLAGS] = b->flags;
	w[W_EPOCH] = (uint64_t)st.epoch;
	w[W_POS] = (uint64_t)st.pos;
	for (int i = 0; i < 4; i++) {
		w[W_SHUF + i] = st.shuffle.s[i];
		w[W_AUG + i] = st.augment.s[i];
	}
	uint8_t buf[8 + 8 * W_COUNT];
	memcpy(buf, SAVE_MAGIC, 8);
	for (int i = 0; i < W_COUNT; i++)
		apnas_le_store(buf + 8 + 8 * i, w[i], 8);
	if (fwrite(buf, sizeof buf, 1, f) != 1)
		return apnas_error_set(err, APNAS_EIO,
		                       "data: cannot write the batcher state");
	return 0;
}

int apnas_batcher_load(apnas_batcher *b, FILE *f, apnas_error *err)
{
	uint8_t buf[8 + 8 * W_COUNT];
	if (fread(buf, sizeof buf, 1, f) != 1)
		return apnas_error_set(err, ferror(f) ? APNAS_EIO : APNAS_EINVAL,
		        "data: batcher state truncated (expected %zu bytes)",
		        sizeof buf);
	if (memcmp(buf, SAVE_MAGIC, 8))
		return apnas_error_set(err, APNAS_EINVAL,
		        "data: no batcher state here (wrong magic)");
	uint64_t w[W_COUNT];
	for (int i = 0; i < W_COUNT; i++)
		w[i] = apnas_le_load(buf + 8 + 8 * i, 8);
	if (w[W_N] != (uint64_t)b->n || w[W_SIZE] != (uint64_t)b->size ||
	    w[W_FLAGS] != b->flags)
		return apnas_error_set(err, APNAS_EINVAL,
		        "data: batcher state is for %llu %s images in batches "
		        "of %llu (flags 0x%llx), this batcher has %lld in "
		        "batches of %d (flags 0x%x)",
		        (unsigned long long)w[W_N],
		        apnas_data_split_name(b->split),
		        (unsigned long long)w[W_SIZE],
		        (unsigned long long)w[W_FLAGS], (long long)b->n,
		        b->size, b->flags);
	apnas_batcher_state st = {.epoch = (int64_t)w[W_EPOCH],
	                          .pos = (int64_t)w[W_POS]};
	for (int i = 0; i < 4; i++) {
		st.shuffle.s[i] = w[W_SHUF + i];
		st.augment.s[i] = w[W_AUG + i];
	}
	return apnas_batcher_set_state(b, &st, err);
}
