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

#include <apnas/codec.h>
#include <apnas/error.h>
#include <apnas/rng.h>

/* The controllers' states are written with the SDK's codec; this file
 * adds only their header and messages. */
typedef apnas_codec ctl_io;

/* `version` is the plugin's own layout version. */
void ctl_put_header(ctl_io *io, const char *name, uint64_t version,
                    uint64_t fingerprint);
int ctl_get_header(ctl_io *io, const char *name, uint64_t version,
                   uint64_t fingerprint, apnas_error *err);

/* 0, or an error naming `name`: APNAS_EIO when the stream failed,
 * APNAS_EINVAL when a load found a short or corrupt state. */
int ctl_io_done(ctl_io *io, const char *name, int saving, apnas_error *err);

#endif
