/* The provenance of a run (provenance.h).  The commit is fixed when the
 * library is built (meson's vcs_tag regenerates provenance_vcs.h on every
 * build, so a rebuild after a commit records the new one); the CPU, the
 * OpenBLAS kernels and the engine's are read when the run writes its
 * summary, as they belong to the machine, not the build. */
#include <cblas.h>
#include <stdio.h>
#include <string.h>

#include "nn/isa.h"
#include "provenance.h"
#include "provenance_vcs.h"
#include "search/json_out.h"

static void copy(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src && *src ? src : "unknown");
}

/* The first "model name" line of /proc/cpuinfo, blanks trimmed. */
static void cpu_model(char *out, size_t cap)
{
	copy(out, cap, NULL);
	FILE *f = fopen("/proc/cpuinfo", "r");
	if (!f)
		return;
	char line[512];
	while (fgets(line, sizeof line, f)) {
		if (strncmp(line, "model name", 10))
			continue;
		const char *v = strchr(line, ':');
		if (!v)
			break;
		v += 1 + strspn(v + 1, " \t");
		size_t n = strcspn(v, "\n");
		while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
			n--;
		if (n)
			snprintf(out, cap, "%.*s", (int)n, v);
		break;
	}
	fclose(f);
}

void apnas_provenance_get(apnas_provenance *p)
{
	memset(p, 0, sizeof *p);
	copy(p->commit, sizeof p->commit, APNAS_VCS_COMMIT);
	cpu_model(p->cpu, sizeof p->cpu);
	copy(p->blas_core, sizeof p->blas_core, openblas_get_corename());
	copy(p->blas_config, sizeof p->blas_config, openblas_get_config());
	/* openblas_get_config() ends with a blank on some builds */
	size_t n = strlen(p->blas_config);
	while (n && p->blas_config[n - 1] == ' ')
		p->blas_config[--n] = '\0';
	copy(p->engine, sizeof p->engine, nn_isa_name());
}

void apnas_provenance_json(FILE *f, const char *prefix, const char *suffix)
{
	apnas_provenance p;
	apnas_provenance_get(&p);
	fputs(prefix, f);
	fputs("\"provenance\": {\"commit\": ", f);
	apnas_json_str(f, p.commit);
	fputs(", \"cpu\": ", f);
	apnas_json_str(f, p.cpu);
	fputs(", \"openblas_core\": ", f);
	apnas_json_str(f, p.blas_core);
	fputs(", \"openblas_config\": ", f);
	apnas_json_str(f, p.blas_config);
	fputs(", \"engine_kernels\": ", f);
	apnas_json_str(f, p.engine);
	fputc('}', f);
	fputs(suffix, f);
}
