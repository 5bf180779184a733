/* Opening an architecture for a command (`apnas train`, `apnas cost
 * --arch`): the config with the file's space settings applied, the space
 * instance, and the parsed tokens.  Setting order, first to last (later
 * wins): the config file, the command's own presets, the architecture
 * file's header, the user's --set.  The file's header defines the
 * architecture, so it overrides the config's space group; each value it
 * changes is noted on the caller's message stream.  Internal to libapnas
 * (core/train and the CLI). */
#ifndef APNAS_TRAIN_ARCH_OPEN_H
#define APNAS_TRAIN_ARCH_OPEN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <apnas/batch.h>

#include "archfile.h"
#include "config.h"

typedef struct apnas_arch_open {
	const char *path;      /* the file, borrowed from the caller */
	apnas_archfile file;   /* owned */
	apnas_config *cfg;     /* owned */
	apnas_instance space;  /* owned once apnas_arch_space succeeded */
	const apnas_space_ops *ops; /* == space.ops */
	int32_t *tok;          /* owned: nd tokens */
	size_t nd;
	int named;             /* path is a named architecture of the
	                          config's space ("all-conv3x3"), not a file */
	const struct apnas_collective *coll; /* borrowed: the MPI ranks to
	                          train over (apnas_plugin_ctx.coll), set
	                          before apnas_arch_space; NULL alone */
} apnas_arch_open;

/* Reads the file and loads the config (config may be NULL).  A path
 * without a slash that names no file, with a config, is one of the space's
 * named architectures ("all-conv3x3"): the config's space as it is.  `pre` are
 * settings applied before the file's; `sets` (cost-model presets and the
 * user's --set) after it.  Notes go to msg ("apnas: note: ..."; NULL:
 * none).  APNAS_EINVAL for every input the user must fix. */
int apnas_arch_config(apnas_arch_open *a, const char *config,
                      const char *arch_path, const char *const *pre,
                      size_t npre, const char *const *sets, size_t nsets,
                      FILE *msg, apnas_error *err);

/* The same, for commands that cost on the file's hardware (`apnas cost
 * --arch`, `apnas draw`): the settings of the file's hardware section
 * (a co-search's pick) go after its header's and before `sets`; each of
 * them a --set overrides is noted on msg.  `apnas train` ignores the
 * section. */
int apnas_arch_config_hw(apnas_arch_open *a, const char *config,
                         const char *arch_path, const char *const *pre,
                         size_t npre, const char *const *sets, size_t nsets,
                         FILE *msg, apnas_error *err);
/* Creates the space (data may be NULL: the space then describes networks
 * for its default geometry) and parses the body into a->tok; a refusal
 * names the file's line. */
int apnas_arch_space(apnas_arch_open *a, const apnas_data_info *data,
                     apnas_error *err);

/* The geometry of the configured dataset from the data group alone (no
 * images read): for describing networks without training them. */
int apnas_arch_data_geometry(const apnas_config *cfg, apnas_data_info *info,
                             apnas_error *err);

void apnas_arch_close(apnas_arch_open *a);

#endif
