/* The reader-to-dataset hand-over record. */
#include "raw.h"

#include <stdlib.h>
#include <string.h>

void apnas_raw_free(apnas_raw *r)
{
	if (!r)
		return;
	free(r->px);
	free(r->y);
	memset(r, 0, sizeof *r);
}
