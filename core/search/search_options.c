/* The `search` group of a run configuration: budgets of the search loop
 * (method.md section 2) and of the derive step that ends it.  Defaults
 * follow the ENAS release code; the random-search-with-weight-sharing
 * baseline (Li & Talwalkar) sets derive_samples = 1000,
 * derive_screen_batches = 10, derive_rescore_top = 10. */
#include "config.h"

const apnas_option apnas_search_options[] = {
	{"epochs", APNAS_OPT_INT, "10", 1, 1000000, NULL,
	 "search epochs (shared-weight phase + controller phase each)", 0},
	{"time_limit", APNAS_OPT_FLOAT, "0", 0, 1e9, NULL,
	 "wall-clock budget in seconds (0 = none); when hit the run "
	 "checkpoints and derives from what it has", 0},
	{"train_sampler", APNAS_OPT_STRING, "\"controller\"", 1, 0,
	 "controller|uniform",
	 "who picks the architecture of each shared-weight minibatch", 0},
	{"controller_steps", APNAS_OPT_INT, "50", 0, 1000000, NULL,
	 "controller updates per epoch (0 = no controller phase)", 0},
	{"aggregate", APNAS_OPT_INT, "20", 1, 100000, NULL,
	 "architectures sampled and rewarded per controller update", 0},
	{"derive_samples", APNAS_OPT_INT, "100", 1, 1000000, NULL,
	 "candidates sampled at the end (ignored when the controller has "
	 "its own candidates, e.g. evolution's population)", 0},
	{"derive_screen_batches", APNAS_OPT_INT, "0", 0, 1000000000, NULL,
	 "validation minibatches each candidate is first scored on "
	 "(0 = the whole validation split)", 0},
	{"derive_rescore_top", APNAS_OPT_INT, "10", 0, 1000000, NULL,
	 "best screened candidates re-scored on the whole validation split "
	 "(unused when screening already used all of it)", 0},
	{"top_k", APNAS_OPT_INT, "5", 0, 100000, NULL,
	 "architectures exported to top/ by reward", 0},
	{"checkpoint", APNAS_OPT_BOOL, "true", 1, 0, NULL,
	 "write a checkpoint at the end of every epoch and on SIGINT/SIGTERM "
	 "(needed for --resume)", 0},
	{NULL, 0, NULL, 0, 0, NULL, NULL, 0},
};
