/* SCALE-Sim .cfg: the array keys.  An accepted file gives an array of
 * sizes in range. */
#include "fuzz_util.h"
#include "hw/scalesim_cfg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	apnas_scalesim_cfg c;
	apnas_error err;
	apnas_error_clear(&err);
	int rc = apnas_scalesim_cfg_parse((const char *)data, size, "fuzz.cfg",
	                                  &c, &err);
	fz_check_refusal(rc, &err, "scalesim cfg");
	if (rc == 0 && (c.array.rows < 1 || c.array.cols < 1))
		fz_fail("scalesim cfg", "accepted an empty array");
	return 0;
}
