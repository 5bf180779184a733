/* Bytes to normalised floats, with the crop-and-flip augmentation done in
 * the same pass: each output pixel reads its source pixel directly, so no
 * padded copy is ever made. */
#include "dataset_impl.h"

#include <string.h>

void apnas_data_fill(const apnas_dataset *ds, const uint8_t *img, float *out,
                     int32_t pad, int32_t dy, int32_t dx, int flip)
{
	const int32_t C = ds->info.c, H = ds->info.h, W = ds->info.w;
	if (pad == 0 && !flip) {
		for (int32_t c = 0; c < C; c++) {
			const float *lut = ds->lut + (size_t)c * 256;
			for (int32_t k = 0; k < H * W; k++)
				*out++ = lut[*img++];
		}
		return;
	}
	for (int32_t c = 0; c < C; c++) {
		const float *lut = ds->lut + (size_t)c * 256;
		const uint8_t *plane = img + (size_t)c * H * W;
		for (int32_t i = 0; i < H; i++, out += W) {
			int32_t si = i + dy - pad;
			if (si < 0 || si >= H) {
				memset(out, 0, sizeof *out * (size_t)W);
				continue;
			}
			const uint8_t *row = plane + (size_t)si * W;
			for (int32_t j = 0; j < W; j++) {
				int32_t sj = (flip ? W - 1 - j : j) + dx - pad;
				out[j] = sj < 0 || sj >= W ? 0.0f
				                           : lut[row[sj]];
			}
		}
	}
}
