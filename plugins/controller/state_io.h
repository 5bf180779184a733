/* The binary state files of the controller plugins: a header (magic,
 * layout version, controller name, decision-list fingerprint) then
 * little-endian words, so a checkpoint written on one machine loads on
 * another and a state saved for another controller or another space is
 * refused with a reason instead of being misread.
 *
 * Readers and writers are sticky: after the first failure every later call
 * does nothing, and ctl_io_done() reports it once, so save/load code reads
 * straight through without checking each word. */
#ifndef CTL_STATE_IO_H
#define CTL_STATE_IO_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <apnas/error.h>
#include <apnas/rng.h>

typedef struct ctl_io {
	FILE *f;       /* borrowed from the caller of save/load */
	int bad;       /* 1 after a short read or a failed write */
} ctl_io;

void ctl_put_u64(ctl_io *io, uint64_t v);
void ctl_put_f64(ctl_io *io, double v);
void ctl_put_f64s(ctl_io *io, const double *v, size_t n);
void ctl_put_i32s(ctl_io *io, const int32_t *v, size_t n);
void ctl_put_rng(ctl_io *io, const apnas_rng *r);

uint64_t ctl_get_u64(ctl_io *io);
double ctl_get_f64(ctl_io *io);
void ctl_get_f64s(ctl_io *io, double *v, size_t n);
void ctl_get_i32s(ctl_io *io, int32_t *v, size_t n);
/* An all-zero state (never written by a valid save) marks io bad. */
void ctl_get_rng(ctl_io *io, apnas_rng *r);

/* `version` is the plugin's own layout version. */
void ctl_put_header(ctl_io *io, const char *name, uint64_t version,
                    uint64_t fingerprint);
int ctl_get_header(ctl_io *io, const char *name, uint64_t version,
                   uint64_t fingerprint, apnas_error *err);

/* 0, or an error naming `name`: APNAS_EIO when the stream failed,
 * APNAS_EINVAL when a load found a short or corrupt state. */
int ctl_io_done(ctl_io *io, const char *name, int saving, apnas_error *err);

#endif
