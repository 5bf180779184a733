/* The `train` group: what `apnas train` (retraining one architecture from
 * scratch) needs beyond the run, data and space groups.  The space's own
 * options (learning rate schedule, weight decay, dropout) stay in the
 * space group, and the batch size is data.batch_size. */
#include "config.h"

const apnas_option apnas_train_options[] = {
	{"epochs", APNAS_OPT_INT, "10", 1, 1000000, NULL,
	 "epochs `apnas train` retrains an architecture for (--epochs wins)", 0},
	{NULL, 0, NULL, 0, 0, NULL, NULL, 0},
};
