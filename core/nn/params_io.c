/* Checkpoint format of a parameter set: every tensor's name, shape, value
 * and momentum, in creation order, so that a plugin restores its whole
 * trainable state with one call.  Load validates the whole file against
 * the set before changing anything.
 *
 * Layout (little-endian): "APNASNN1", u32 byte-order mark 0x01020304,
 * u32 count; per tensor: u32 name length, name bytes, u32 ndim,
 * i32 dims[ndim], u32 trainable, f32 value[numel], and if trainable
 * f32 momentum[numel]; then "APNASEND". */
#include "nn/nn_internal.h"

#include <stdlib.h>
#include <string.h>

static const char MAGIC[8] = {'A', 'P', 'N', 'A', 'S', 'N', 'N', '1'};
static const char TRAILER[8] = {'A', 'P', 'N', 'A', 'S', 'E', 'N', 'D'};
#define BOM 0x01020304u

static int wr(FILE *f, const void *p, size_t n)
{
	return fwrite(p, 1, n, f) == n ? 0 : -1;
}

int apnas_params_save(const apnas_params *ps, FILE *f, apnas_error *err)
{
	if (!ps || !f)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "nn: apnas_params_save: NULL set or file");
	uint32_t bom = BOM, n = (uint32_t)ps->n;
	int bad = wr(f, MAGIC, 8) || wr(f, &bom, 4) || wr(f, &n, 4);
	for (size_t i = 0; !bad && i < ps->n; i++) {
		const apnas_param *p = ps->v[i];
		uint32_t len = (uint32_t)strlen(p->name), nd = (uint32_t)p->ndim;
		uint32_t tr = (uint32_t)p->trainable;
		bad = wr(f, &len, 4) || wr(f, p->name, len) || wr(f, &nd, 4) ||
		      wr(f, p->dims, 4 * nd) || wr(f, &tr, 4) ||
		      wr(f, p->value, p->numel * sizeof(float)) ||
		      (tr && wr(f, p->mom, p->numel * sizeof(float)));
	}
	if (bad || wr(f, TRAILER, 8))
		return apnas_error_set(err, APNAS_EIO,
		                       "nn: writing the parameter set failed");
	return 0;
}

static int rd(FILE *f, void *p, size_t n)
{
	return fread(p, 1, n, f) == n ? 0 : -1;
}

int apnas_params_load(apnas_params *ps, FILE *f, apnas_error *err)
{
	if (!ps || !f)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "nn: apnas_params_load: NULL set or file");
	char magic[8];
	uint32_t bom, n;
	if (rd(f, magic, 8) || memcmp(magic, MAGIC, 8) != 0)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "nn: not a parameter-set checkpoint (bad "
		                       "magic, expected APNASNN1)");
	if (rd(f, &bom, 4) || bom != BOM)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "nn: parameter checkpoint has the wrong byte "
		                       "order or is truncated");
	if (rd(f, &n, 4))
		return apnas_error_set(err, APNAS_EINVAL,
		                       "nn: parameter checkpoint truncated in its "
		                       "header");
	if (n != ps->n)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "nn: parameter checkpoint holds %u tensors, "
		                       "the set has %zu (built with other options?)",
		                       n, ps->n);
	/* Staged: the set changes only once every tensor has been read. */
	size_t total = 0;
	for (size_t i = 0; i < ps->n; i++)
		total += ps->v[i]->numel * (ps->v[i]->trainable ? 2 : 1);
	float *stage = malloc((total ? total : 1) * sizeof(float));
	if (!stage)
		return apnas_error_set(err, APNAS_ENOMEM,
		                       "nn: out of memory loading parameters");
	float *cur = stage;
	int rc = 0;
	for (size_t i = 0; i < ps->n && rc == 0; i++) {
		const apnas_param *p = ps->v[i];
		uint32_t len, nd, tr;
		char name[256];
		int32_t dims[4];
		if (rd(f, &len, 4) || len == 0 || len > 255 || rd(f, name, len)) {
			rc = apnas_error_set(err, APNAS_EINVAL,
			                     "nn: parameter checkpoint truncated or "
			                     "corrupt at tensor %zu ('%s' expected)",
			                     i, p->name);
			break;
		}
		name[len] = '\0';
		if (strcmp(name, p->name) != 0) {
			rc = apnas_error_set(err, APNAS_EINVAL,
			                     "nn: parameter checkpoint tensor %zu is "
			                     "'%s', the set expects '%s'", i, name,
			                     p->name);
			break;
		}
		if (rd(f, &nd, 4) || nd != (uint32_t)p->ndim ||
		    rd(f, dims, 4 * nd) ||
		    memcmp(dims, p->dims, 4 * nd) != 0) {
			rc = apnas_error_set(err, APNAS_EINVAL,
			                     "nn: parameter checkpoint tensor '%s' has "
			                     "another shape than the set's", p->name);
			break;
		}
		if (rd(f, &tr, 4) || tr != (uint32_t)p->trainable) {
			rc = apnas_error_set(err, APNAS_EINVAL,
			                     "nn: parameter checkpoint tensor '%s': "
			                     "trainable flag differs", p->name);
			break;
		}
		size_t cnt = p->numel * (tr ? 2 : 1);
		if (rd(f, cur, cnt * sizeof(float))) {
			rc = apnas_error_set(err, APNAS_EINVAL,
			                     "nn: parameter checkpoint truncated in "
			                     "tensor '%s'", p->name);
			break;
		}
		cur += cnt;
	}
	char trailer[8];
	if (rc == 0 && (rd(f, trailer, 8) || memcmp(trailer, TRAILER, 8) != 0))
		rc = apnas_error_set(err, APNAS_EINVAL,
		                     "nn: parameter checkpoint lacks its end marker "
		                     "(truncated or corrupt)");
	if (rc == 0) {
		cur = stage;
		for (size_t i = 0; i < ps->n; i++) {
			apnas_param *p = ps->v[i];
			memcpy(p->value, cur, p->numel * sizeof(float));
			cur += p->numel;
			if (p->trainable) {
				memcpy(p->mom, cur, p->numel * sizeof(float));
				cur += p->numel;
				p->used = 0;
			}
		}
	}
	free(stage);
	return rc;
}
