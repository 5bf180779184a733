/* A config file and --set values: the text up to a line "%%" is the
 * file, each later line one --set.  A config that loads must write out
 * and load back. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fuzz_util.h"

#define MAX_SETS 8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fz_text(data, size);
	char *sets[MAX_SETS];
	size_t nsets = 0;
	char *mark = strstr(text, "\n%%\n");
	size_t file_len = size;
	if (mark) {
		file_len = (size_t)(mark - text) + 1;
		char *p = mark + 4;
		while (*p && nsets < MAX_SETS) {
			char *nl = strchr(p, '\n');
			if (nl)
				*nl = '\0';
			sets[nsets++] = p;
			if (!nl)
				break;
			p = nl + 1;
		}
	}
	const char *path = fz_file(data, file_len);
	apnas_config *c = NULL;
	apnas_error err;
	apnas_error_clear(&err);
	int rc = apnas_config_load(path, (const char *const *)sets, nsets, &c,
	                           &err);
	fz_check_refusal(rc, &err, "config load");
	if (rc == 0) {
		char *out = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&out, &len);
		if (apnas_config_write(c, f, &err))
			fz_fail("config write", err.msg);
		fclose(f);
		apnas_config_free(c);
		/* what the run writes as config.cfg must read back */
		const char *again = fz_file((const uint8_t *)out, len);
		c = NULL;
		if (apnas_config_load(again, NULL, 0, &c, &err))
			fz_fail("resolved config does not load back", err.msg);
		apnas_config_free(c);
		free(out);
	}
	free(text);
	return 0;
}
