/* The search checkpoint's own section (CORE: counters, streams, log
 * lengths) as `apnas search --resume` reads it first.  The input is the
 * CORE section's bytes; the harness wraps them in a valid container. */
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "fuzz_util.h"
#include "search/ckpt.h"
#include "search/search.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t n = 16 + 12 + size + 4;
	unsigned char *b = malloc(n);
	memcpy(b, APNAS_CKPT_MAGIC, 8);
	memset(b + 8, 0, 8);
	b[8] = APNAS_CKPT_VERSION;
	b[12] = 1;
	memcpy(b + 16, "CORE", 4);
	for (int i = 0; i < 8; i++)
		b[20 + i] = (unsigned char)((uint64_t)size >> (8 * i));
	memcpy(b + 28, data, size);
	uint32_t crc = (uint32_t)crc32(0L, b, (uInt)(n - 4));
	for (int i = 0; i < 4; i++)
		b[n - 4 + i] = (unsigned char)(crc >> (8 * i));
	const char *path = fz_file(b, n);
	free(b);
	apnas_search_ckpt_info info;
	apnas_error err;
	apnas_error_clear(&err);
	int rc = apnas_search_checkpoint_info(path, &info, &err);
	fz_check_refusal(rc, &err, "checkpoint CORE");
	if (rc == 0 && (info.epoch < 0 || info.samples < 0))
		fz_fail("checkpoint CORE", "accepted negative counters");
	return 0;
}
