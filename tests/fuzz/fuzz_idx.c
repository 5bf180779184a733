/* IDX files: the first byte says images (even) or labels (odd); labels
 * are checked against as many images as their own header declares. */
#include <stdlib.h>
#include <string.h>

#include "data/idx.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	int labels = data[0] & 1;
	data++;
	size--;
	uint8_t *b = malloc(size ? size : 1);
	memcpy(b, data, size);
	apnas_raw raw;
	memset(&raw, 0, sizeof raw);
	apnas_error err;
	apnas_error_clear(&err);
	int rc;
	if (labels) {
		int64_t n = size >= 8 ? (int64_t)((uint32_t)data[4] << 24 |
		                                  (uint32_t)data[5] << 16 |
		                                  (uint32_t)data[6] << 8 |
		                                  data[7]) : 0;
		rc = apnas_idx_parse_labels("fuzz-labels", b, size, n,
		                            "fuzz-images", 10, &raw, &err);
	} else {
		rc = apnas_idx_parse_images("fuzz-images", b, size, &raw, &err);
		if (rc == 0 && (size_t)raw.n * (size_t)raw.h * (size_t)raw.w !=
		    size - 16)
			fz_fail("idx", "accepted a size its header does not "
			        "declare");
	}
	fz_check_refusal(rc, &err, "idx");
	apnas_raw_free(&raw);
	return 0;
}
