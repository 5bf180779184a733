/* The report's JSON reader (summary.json, samples.jsonl lines).  Every
 * number of an accepted document is finite. */
#include <math.h>

#include "fuzz_util.h"
#include "report/json.h"

static void walk(const apnas_json *v, int depth)
{
	if (depth > 70)
		fz_fail("json", "deeper than the parser allows");
	if (v->type == APNAS_JSON_NUMBER && !isfinite(v->num))
		fz_fail("json", "accepted a non-finite number");
	for (size_t i = 0; (v->type == APNAS_JSON_ARRAY ||
	                    v->type == APNAS_JSON_OBJECT) && i < v->n; i++)
		walk(&v->items[i], depth + 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	apnas_json *j = NULL;
	apnas_error err;
	apnas_error_clear(&err);
	int rc = apnas_json_parse((const char *)data, size, &j, &err);
	fz_check_refusal(rc, &err, "json");
	if (rc == 0) {
		walk(j, 0);
		apnas_json_num_at(j, "seed");
		apnas_json_str_at(j, "status");
		apnas_json_free(j);
	}
	return 0;
}
