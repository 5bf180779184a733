/* The `data` group of a run configuration: which dataset, where its files
 * are, how it is split, augmented and batched, and the synthetic
 * generator's shape.  Defaults follow method.md section 8 (Fashion-MNIST,
 * last 5000 training images for validation, pad 2 crop without flip;
 * CIFAR-10 pad 4 with flip); apnas_data_spec_init() holds the same
 * defaults for callers that bypass the config (tests/data checks they
 * agree). */
#include "config.h"

const apnas_option apnas_data_options[] = {
	{"dataset", APNAS_OPT_STRING, "\"fashion_mnist\"", 1, 0,
	 "fashion_mnist|mnist|cifar10|synthetic",
	 "which dataset to train and evaluate on", 0},
	{"path", APNAS_OPT_STRING, "\"\"", 1, 0, NULL,
	 "directory holding the dataset's files (\"\": "
	 "/usr/share/datasets/fashion-mnist for fashion_mnist; required for "
	 "mnist and cifar10)", 0},
	{"val_size", APNAS_OPT_INT, "5000", 0, 2147483647.0, NULL,
	 "last images of the training file held out as the validation split", 0},
	{"train_subset", APNAS_OPT_INT, "0", 0, 2147483647.0, NULL,
	 "train on only the first N images of the train split (0 = all)", 0},
	{"test_subset", APNAS_OPT_INT, "0", 0, 2147483647.0, NULL,
	 "evaluate on only the first N test images (0 = all)", 0},
	{"normalize", APNAS_OPT_BOOL, "true", 1, 0, NULL,
	 "per-channel mean/std normalisation measured on the train split "
	 "(false: pixels / 255)", 0},
	{"augment_pad", APNAS_OPT_INT, "-1", -1, 64, NULL,
	 "training images are zero-padded by this many pixels and randomly "
	 "cropped back (-1: dataset default, 2 for (fashion_)mnist, 4 for "
	 "cifar10, 0 for synthetic)", 0},
	{"augment_flip", APNAS_OPT_STRING, "\"auto\"", 1, 0, "auto|on|off",
	 "random horizontal flips of training images (auto: on for cifar10 "
	 "only)", 0},
	{"drop_last", APNAS_OPT_BOOL, "true", 1, 0, NULL,
	 "training epochs use only full batches (the short remainder is "
	 "skipped; reshuffling covers it in later epochs)", 0},
	{"batch_size", APNAS_OPT_INT, "128", 1, 65536, NULL,
	 "training minibatch size (the search's shared-weight phase)", 0},
	{"eval_batch_size", APNAS_OPT_INT, "128", 1, 65536, NULL,
	 "validation minibatch size (controller rewards, derive scoring)", 0},
	{"synthetic_n", APNAS_OPT_INT, "10000", 1, 2147483647.0, NULL,
	 "synthetic: images in the training file (validation included)", 0},
	{"synthetic_test_n", APNAS_OPT_INT, "2000", 0, 2147483647.0, NULL,
	 "synthetic: images in the test file", 0},
	{"synthetic_classes", APNAS_OPT_INT, "10", 2, 1000, NULL,
	 "synthetic: number of classes", 0},
	{"synthetic_c", APNAS_OPT_INT, "1", 1, 64, NULL,
	 "synthetic: channels per image", 0},
	{"synthetic_h", APNAS_OPT_INT, "28", 1, 4096, NULL,
	 "synthetic: image height", 0},
	{"synthetic_w", APNAS_OPT_INT, "28", 1, 4096, NULL,
	 "synthetic: image width", 0},
	{"synthetic_noise", APNAS_OPT_FLOAT, "0.5", 0, 100, NULL,
	 "synthetic: noise std relative to the class patterns' amplitude", 0},
	{"synthetic_seed", APNAS_OPT_INT, "1", 0, 9.2e18, NULL,
	 "synthetic: seed of the data itself (independent of the run seed)", 0},
	{NULL, 0, NULL, 0, 0, NULL, NULL, 0},
};
