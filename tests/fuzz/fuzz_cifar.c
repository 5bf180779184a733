/* CIFAR-10 binary batches: two appends of the same bytes, as a dataset
 * of two batch files. */
#include <stdlib.h>
#include <string.h>

#include "data/cifar.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	apnas_raw raw;
	memset(&raw, 0, sizeof raw);
	apnas_error err;
	for (int k = 0; k < 2; k++) {
		uint8_t *b = malloc(size ? size : 1);
		memcpy(b, data, size);
		apnas_error_clear(&err);
		int rc = apnas_cifar_append("fuzz.bin", b, size, &raw, &err);
		fz_check_refusal(rc, &err, "cifar");
		if (rc)
			break;
		if ((size_t)raw.n != (k + 1) * (size / APNAS_CIFAR_RECORD))
			fz_fail("cifar", "record count differs from the size");
	}
	apnas_raw_free(&raw);
	return 0;
}
