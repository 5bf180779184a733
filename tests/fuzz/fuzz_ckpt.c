/* Checkpoint containers.  The input is the file without its CRC: the
 * harness appends a valid one, so the fuzzer reaches the section walk
 * (a wrong CRC is refused before it, and is trivial).  Every section of
 * an accepted file must lie inside it and open as a stream. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "fuzz_util.h"
#include "search/ckpt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char *b = malloc(size + 4);
	memcpy(b, data, size);
	uint32_t crc = (uint32_t)crc32(0L, data, (uInt)size);
	for (int i = 0; i < 4; i++)
		b[size + i] = (unsigned char)(crc >> (8 * i));
	apnas_ckpt ck;
	apnas_error err;
	apnas_error_clear(&err);
	int rc = apnas_ckpt_parse(b, size + 4, "fuzz.ckpt", &ck, &err);
	fz_check_refusal(rc, &err, "checkpoint");
	if (rc == 0) {
		for (uint32_t i = 0; i < ck.n_sections; i++) {
			const unsigned char *d = ck.sec[i].data;
			if (d < ck.buf || d + ck.sec[i].len > ck.buf + ck.len)
				fz_fail("checkpoint", "section outside the file");
			FILE *f;
			if (apnas_ckpt_stream(&ck, ck.sec[i].tag, &f, &err))
				fz_fail("checkpoint stream", err.msg);
			size_t n = 0;
			while (fgetc(f) != EOF)
				n++;
			fclose(f);
		}
		apnas_ckpt_free(&ck);
	}
	return 0;
}
