/* Opening an architecture for `apnas cost --arch`: see arch_load.h. */
#include "arch_load.h"

static int printed(int rc, const apnas_error *err)
{
	if (rc)
		cli_error(err);
	return cli_exit_code(rc);
}

int cli_arch_config(cli_arch *a, const char *config, const char *arch_path,
                    const char *const *pre, size_t npre,
                    const char *const *sets, size_t nsets)
{
	apnas_error err;
	apnas_error_clear(&err);
	return printed(apnas_arch_config(a, config, arch_path, pre, npre, sets,
	                                 nsets, stderr, &err), &err);
}

int cli_arch_config_hw(cli_arch *a, const char *config,
                       const char *arch_path, const char *const *pre,
                       size_t npre, const char *const *sets, size_t nsets)
{
	apnas_error err;
	apnas_error_clear(&err);
	return printed(apnas_arch_config_hw(a, config, arch_path, pre, npre,
	                                    sets, nsets, stderr, &err), &err);
}

int cli_arch_space(cli_arch *a, const apnas_data_info *data)
{
	apnas_error err;
	apnas_error_clear(&err);
	return printed(apnas_arch_space(a, data, &err), &err);
}

int cli_data_geometry(const apnas_config *cfg, apnas_data_info *info)
{
	apnas_error err;
	apnas_error_clear(&err);
	return printed(apnas_arch_data_geometry(cfg, info, &err), &err);
}

void cli_arch_free(cli_arch *a)
{
	apnas_arch_close(a);
}
