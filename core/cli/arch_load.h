/* `apnas cost --arch`'s way to open an architecture: the core's
 * (train/arch_open.h), with each refusal printed as one line and turned
 * into an exit code. */
#ifndef APNAS_CLI_ARCH_LOAD_H
#define APNAS_CLI_ARCH_LOAD_H

#include "cli.h"
#include "arch/arch_open.h"

typedef apnas_arch_open cli_arch;

/* apnas_arch_config with notes on stderr; returns a CLI_EXIT_* code,
 * message printed. */
int cli_arch_config(cli_arch *a, const char *config, const char *arch_path,
                    const char *const *pre, size_t npre,
                    const char *const *sets, size_t nsets);
/* The same on the file's hardware section (apnas_arch_config_hw). */
int cli_arch_config_hw(cli_arch *a, const char *config,
                       const char *arch_path, const char *const *pre,
                       size_t npre, const char *const *sets, size_t nsets);

/* apnas_arch_space; returns a CLI_EXIT_* code, message printed. */
int cli_arch_space(cli_arch *a, const apnas_data_info *data);

/* apnas_arch_data_geometry; returns a CLI_EXIT_* code, message printed. */
int cli_data_geometry(const apnas_config *cfg, apnas_data_info *info);

void cli_arch_free(cli_arch *a);

#endif
