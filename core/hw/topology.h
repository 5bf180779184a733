/* SCALE-Sim topology files (the conv format) read into and written from a
 * network description.  Internal to libapnas (used by `apnas cost`, the
 * tests and the benchmark); the format and its conventions are in
 * docs/cost-models.md.
 *
 * Reading: a header line, then one row per layer
 *   name, IFMAP height, IFMAP width, filter height, filter width,
 *   channels, filters, stride[, stride width],
 * IFMAP sizes including padding.  Each row becomes one CONV layer with
 * padding 0 and SCALE-Sim's output size ceil((H - Fh) / s) + 1.  Like
 * SCALE-Sim, a row whose name contains "DP" is a depthwise layer written
 * SCALE-Sim's way and becomes `channels` layers of one channel each,
 * named <name>Channel_<i> (a one-channel "DP" row is kept as it is).
 * Blank lines, all-empty rows and text after '#' are skipped.
 *
 * Writing: one row per layer that uses the array (pools, global pools,
 * adds and concats have no array cycles and no SCALE-Sim row); a depthwise
 * conv becomes in.c rows of one channel and one filter; a fully connected
 * layer a 1x1 conv on a 1x1 input; IFMAP sizes are written so that
 * SCALE-Sim's rule gives the layer's true output size. */
#ifndef APNAS_CORE_HW_TOPOLOGY_H
#define APNAS_CORE_HW_TOPOLOGY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <apnas/error.h>
#include <apnas/net.h>

/* Limits of a topology read in (docs/limits.md), each refused with the
 * number and the limit before anything is allocated for it.  Far above
 * any real network (ResNet-50 is 2 kB and 53 rows; MobileNet's widest
 * depthwise layer has 1024 channels), far below trouble. */
#define APNAS_TOPOLOGY_MAX_BYTES (64u << 20)
#define APNAS_TOPOLOGY_MAX_LAYERS 200000
#define APNAS_TOPOLOGY_MAX_DP_CHANNELS 65536

/* One row of a topology, as SCALE-Sim reads it; owned by the holder,
 * every member a plain value. */
typedef struct apnas_topo_row {
	char name[64];       /* owned, NUL-terminated */
	int32_t ifmap_h;     /* including padding */
	int32_t ifmap_w;
	int32_t filt_h;
	int32_t filt_w;
	int32_t channels;
	int32_t filters;
	int32_t stride;
} apnas_topo_row;

/* The CONV layer SCALE-Sim runs for a row; refuses sizes < 1 and filters
 * larger than the IFMAP. */
int apnas_topology_layer(const apnas_topo_row *r, apnas_layer *l,
                         apnas_error *err);

/* Parses topology text (len bytes; need not be NUL-terminated) and
 * appends its layers to net.  `file` names the source in messages, which
 * read "file:line:column: what was expected"; err->line is set too.  On
 * error net keeps the layers appended before the bad row. */
int apnas_topology_parse(const char *text, size_t len, const char *file,
                         apnas_net *net, apnas_error *err);

/* Reads the file at path (see apnas_topology_parse). */
int apnas_topology_load(const char *path, apnas_net *net, apnas_error *err);

/* The row written for layer l (depthwise: for one of its channels, all
 * alike but the name suffix "_ch<i>", which `channel` selects); *skip is
 * set for layers that have no row. */
int apnas_topology_row(const apnas_layer *l, int32_t channel,
                       apnas_topo_row *r, int *skip, apnas_error *err);

/* Writes net as a topology to f. */
int apnas_topology_write(FILE *f, const apnas_net *net, apnas_error *err);

/* Writes net as a topology to path, atomically (temporary file, then
 * rename). */
int apnas_topology_save(const char *path, const apnas_net *net,
                        apnas_error *err);

#endif
