/* A data batcher's load() (epoch, position, shuffle and augmentation
 * streams) over a small synthetic training split.  A state that loads
 * must give a batch and save again. */
#include <stdio.h>
#include <stdlib.h>

#include <apnas/data.h>

#include "fuzz_util.h"

static apnas_dataset *ds;
static apnas_batcher *b;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	apnas_error err;
	apnas_error_clear(&err);
	if (!ds) {
		apnas_data_spec s;
		apnas_data_spec_init(&s);
		s.dataset = "synthetic";
		s.synthetic_n = 40;
		s.synthetic_test_n = 8;
		s.synthetic_classes = 2;
		s.synthetic_c = 1;
		s.synthetic_h = s.synthetic_w = 4;
		s.val_size = 8;
		if (apnas_data_open_spec(&s, 1, &ds, &err) ||
		    apnas_batcher_open(ds, APNAS_SPLIT_TRAIN, 5, &b, &err))
			fz_fail("synthetic data", err.msg);
	}
	FILE *f = fmemopen((void *)data, size ? size : 1, "rb");
	if (!size)
		fgetc(f);
	int rc = apnas_batcher_load(b, f, &err);
	fclose(f);
	fz_check_refusal(rc, &err, "batcher load");
	if (rc == 0) {
		apnas_batch batch;
		if (apnas_batcher_next(b, &batch) < 0)
			fz_fail("batcher", "no batch after a load");
		char *out = NULL;
		size_t len = 0;
		FILE *w = open_memstream(&out, &len);
		if (apnas_batcher_save(b, w, &err))
			fz_fail("batcher save after load", err.msg);
		fclose(w);
		free(out);
	}
	return 0;
}
