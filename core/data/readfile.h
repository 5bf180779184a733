/* Whole-file reading for the dataset readers.  Internal to core/data. */
#ifndef APNAS_DATA_READFILE_H
#define APNAS_DATA_READFILE_H

#include <stddef.h>
#include <stdint.h>

#include <apnas/error.h>

/* Reads all of `path` into *buf (malloc()ed, *len bytes).  A gzip file is
 * decompressed, any other file is read as it is: zlib tells them apart by
 * the gzip magic bytes.  Missing files, read errors and damaged or cut-off
 * gzip streams are refused with one line naming the path. */
int apnas_read_file(const char *path, uint8_t **buf, size_t *len,
                    apnas_error *err);

/* The bytes apnas_read_file would hold for path, estimated before
 * reading (for the memory limit): a plain file's size; a gzip file's
 * uncompressed size from its trailer; at most the file limit either way.
 * 0 when it cannot be told (the read then says why). */
uint64_t apnas_file_data_bytes(const char *path);

/* Finds `<dir>/<name>.gz`, else `<dir>/<name>`; writes the one that exists
 * into out (cap bytes).  Neither: APNAS_EIO naming both paths. */
int apnas_find_file(const char *dir, const char *name, char *out, size_t cap,
                    apnas_error *err);

#endif
