/* The report's CSV reader (epochs.csv, candidates).  Every cell of an
 * accepted file can be asked for. */
#include "fuzz_util.h"
#include "report/csvread.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	apnas_csv c;
	apnas_error err;
	apnas_error_clear(&err);
	int rc = apnas_csv_parse((const char *)data, size, &c, &err);
	fz_check_refusal(rc, &err, "csv");
	if (rc == 0) {
		int col = apnas_csv_col(&c, "mean_reward");
		for (size_t r = 0; r < c.nrows; r++) {
			double v;
			apnas_csv_get_num(&c, r, col < 0 ? 0 : col, &v);
		}
		apnas_csv_free(&c);
	}
	return 0;
}
