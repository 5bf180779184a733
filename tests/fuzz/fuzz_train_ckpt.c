/* `apnas train --resume`'s checkpoint (core/train/train_ckpt.c): the
 * container, TRAN (progress, per-epoch records, the architecture's
 * tokens), RANK (the MPI ranks that wrote it; absent from the older
 * seeds), the two batchers and enas_macro's state, read into what `apnas
 * train` opens for the config and architecture below (the same calls:
 * apnas_arch_config, apnas_data_open, apnas_arch_space).  The input is the
 * file without its CRC: the harness appends a valid one.  A checkpoint
 * that loads must hold a training that can go on: epochs within the
 * total, the steps and images of that many epochs, every record finite
 * and in its range, a rank count that a run can have had (or none), a
 * batch from each batcher and a space that saves. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include <apnas/data.h>

#include "arch/arch_open.h"
#include "fuzz_util.h"
#include "search/ckpt.h"
#include "train/train_ckpt.h"

/* The seed corpus is checkpoints of `apnas train` with these two files
 * (tests/fuzz/README.md says how to make them again; the -ranks1 and
 * -ranks2 seeds the same, in one process and under mpirun -np 2). */
static const char cfg_text[] =
	"run = { seed = 2; threads = 1; };\n"
	"data = { dataset = \"synthetic\"; synthetic_n = 40;\n"
	"  synthetic_test_n = 8; synthetic_classes = 2;\n"
	"  synthetic_h = 4; synthetic_w = 4; val_size = 0;\n"
	"  batch_size = 5; eval_batch_size = 4; };\n"
	"train = { epochs = 3; };\n";
static const char arch_text[] =
	"apnas-arch 1\nspace enas_macro\noption layers = 2\n"
	"option channels = 4\n---\n"
	"layer 0: conv3x3\nlayer 1: sep3x3 skip 0\n";
#define EPOCHS 3

static apnas_arch_open arch;
static apnas_dataset *ds;
static apnas_batcher *train_b, *test_b;
static train_epoch_rec hist[EPOCHS];

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (!f || fputs(text, f) < 0 || fclose(f) != 0)
		fz_fail("harness", path);
}

static void setup(void)
{
	char dir[] = "/tmp/apnas-fuzz-train-XXXXXX", cfg[64], ap[64];
	if (!mkdtemp(dir))
		fz_fail("harness", "mkdtemp");
	snprintf(cfg, sizeof cfg, "%s/c.cfg", dir);
	snprintf(ap, sizeof ap, "%s/a.arch", dir);
	write_text(cfg, cfg_text);
	write_text(ap, arch_text);
	apnas_error err;
	apnas_error_clear(&err);
	/* arch.path borrows ap: a static copy outlives setup() */
	static char arch_path[64];
	memcpy(arch_path, ap, sizeof arch_path);
	if (apnas_arch_config(&arch, cfg, arch_path, NULL, 0, NULL, 0, NULL,
	                      &err))
		fz_fail("config", err.msg);
	const apnas_opts *d = apnas_config_core(arch.cfg, "data");
	if (apnas_data_open(d, 2, &ds, &err) ||
	    apnas_batcher_open(ds, APNAS_SPLIT_TRAIN, 5, &train_b, &err) ||
	    apnas_batcher_open(ds, APNAS_SPLIT_TEST, 4, &test_b, &err) ||
	    apnas_arch_space(&arch, apnas_data_get_info(ds), &err))
		fz_fail("training setup", err.msg);
	unlink(cfg);
	unlink(ap);
	rmdir(dir);
}

static int in01(double x)
{
	return isfinite(x) && x >= 0 && x <= 1;
}

static void check_loaded(const train_progress *p,
                         const train_ckpt_parts *parts)
{
	int64_t nb = apnas_batcher_batches_per_epoch(train_b);
	if (p->done < 0 || p->done > EPOCHS)
		fz_fail("train checkpoint", "epochs done out of range");
	if (p->step != p->done * nb || p->images < p->step ||
	    p->images > p->step * 5)
		fz_fail("train checkpoint", "steps or images are not those of "
		        "the epochs done");
	if (!isfinite(p->wall) || p->wall < 0)
		fz_fail("train checkpoint", "wall time out of range");
	if (p->nranks < 0 || p->nranks > (int)APNAS_CKPT_MAX_RANKS)
		fz_fail("train checkpoint", "a rank count no run can have had");
	for (long e = 0; e < p->done; e++) {
		const train_epoch_rec *r = &p->hist[e];
		if (!isfinite(r->loss) || r->loss < 0 || !in01(r->train_acc) ||
		    !in01(r->test_acc) || !isfinite(r->seconds) ||
		    r->seconds < 0)
			fz_fail("train checkpoint", "an epoch record out of "
			        "range");
	}
	apnas_batch b;
	if (apnas_batcher_next(train_b, &b) < 0 ||
	    apnas_batcher_next(test_b, &b) < 0)
		fz_fail("train checkpoint", "no batch after a load");
	char *out = NULL;
	size_t len = 0;
	apnas_error err;
	apnas_error_clear(&err);
	FILE *w = open_memstream(&out, &len);
	if (parts->ops->save(parts->space, w, &err))
		fz_fail("space save after a checkpoint load", err.msg);
	fclose(w);
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!ds)
		setup();
	unsigned char *b = malloc(size + 4);
	memcpy(b, data, size);
	uint32_t crc = (uint32_t)crc32(0L, data, (uInt)size);
	for (int i = 0; i < 4; i++)
		b[size + i] = (unsigned char)(crc >> (8 * i));
	const char *path = fz_file(b, size + 4);
	free(b);
	train_progress p = {0, 0, 0, 0, hist, 0};
	train_ckpt_parts parts = {arch.ops, arch.space.self, arch.tok,
	                          arch.nd, train_b, test_b};
	apnas_error err;
	apnas_error_clear(&err);
	int rc = train_ckpt_load(path, &p, EPOCHS, &parts, &err);
	fz_check_refusal(rc, &err, "train checkpoint");
	if (rc == 0)
		check_loaded(&p, &parts);
	return 0;
}
