/* From the resolved `data` config group to an open dataset, so a command
 * goes config -> dataset in one call. */
#include <apnas/data.h>

#include <string.h>

#include "config.h"

int apnas_data_open(const apnas_opts *o, uint64_t seed, apnas_dataset **out,
                    apnas_error *err)
{
	/* The getters stop the process on an undeclared key: make a wrong
	 * group an error instead. */
	if (!o || apnas_opts_table(o) != apnas_data_options)
		return apnas_error_set(err, APNAS_EINVAL,
		        "data: options not resolved against the data group's "
		        "table (apnas_data_options)");
	apnas_data_spec s;
	apnas_data_spec_init(&s);
	s.dataset = apnas_opts_string(o, "dataset");
	s.path = apnas_opts_string(o, "path");
	s.val_size = apnas_opts_int(o, "val_size");
	s.train_subset = apnas_opts_int(o, "train_subset");
	s.test_subset = apnas_opts_int(o, "test_subset");
	s.normalize = apnas_opts_bool(o, "normalize");
	s.augment_pad = (int32_t)apnas_opts_int(o, "augment_pad");
	const char *flip = apnas_opts_string(o, "augment_flip");
	s.augment_flip = !strcmp(flip, "on") ? 1 : !strcmp(flip, "off") ? 0
	                                                                : -1;
	s.drop_last = apnas_opts_bool(o, "drop_last");
	s.synthetic_n = apnas_opts_int(o, "synthetic_n");
	s.synthetic_test_n = apnas_opts_int(o, "synthetic_test_n");
	s.synthetic_classes = (int32_t)apnas_opts_int(o, "synthetic_classes");
	s.synthetic_c = (int32_t)apnas_opts_int(o, "synthetic_c");
	s.synthetic_h = (int32_t)apnas_opts_int(o, "synthetic_h");
	s.synthetic_w = (int32_t)apnas_opts_int(o, "synthetic_w");
	s.synthetic_noise = apnas_opts_float(o, "synthetic_noise");
	s.synthetic_seed = (uint64_t)apnas_opts_int(o, "synthetic_seed");
	return apnas_data_open_spec(&s, seed, out, err);
}
