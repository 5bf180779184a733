/* SCALE-Sim topology CSV.  A topology that reads must write out and read
 * back to the same number of layers. */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_util.h"
#include "hw/topology.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	apnas_net net, back;
	apnas_net_init(&net);
	apnas_error err;
	apnas_error_clear(&err);
	int rc = apnas_topology_parse((const char *)data, size, "fuzz.csv",
	                              &net, &err);
	fz_check_refusal(rc, &err, "topology parse");
	if (rc == 0) {
		char *out = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&out, &len);
		if (apnas_topology_write(f, &net, &err))
			fz_fail("topology write", err.msg);
		fclose(f);
		apnas_net_init(&back);
		if (apnas_topology_parse(out, len, "back.csv", &back, &err))
			fz_fail("written topology does not read back", err.msg);
		if (back.n != net.n)
			fz_fail("topology round trip", "layer count changed");
		apnas_net_free(&back);
		free(out);
	}
	apnas_net_free(&net);
	return 0;
}
