/* Checkpoint files: one binary file of tagged sections (the core's own
 * counters and streams, the data batchers, the space's and the
 * controller's save() output), ended by a CRC-32 so that a torn or
 * foreign file is refused instead of half-loaded.  Written atomically:
 * the previous checkpoint stays in place until the new one is complete
 * and renamed over it.  The layout is documented in docs/run-directory.md.
 * Internal to libapnas. */
#ifndef APNAS_SEARCH_CKPT_H
#define APNAS_SEARCH_CKPT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <apnas/data.h>
#include <apnas/error.h>

#define APNAS_CKPT_MAGIC "APNASCKP"
#define APNAS_CKPT_VERSION 1u
/* Limits of a file read back (docs/limits.md): a checkpoint holds a few
 * dozen sections; its size is bounded so that a foreign file is refused
 * before it is read whole. */
#define APNAS_CKPT_MAX_SECTIONS 1024u
#define APNAS_CKPT_MAX_BYTES (4ull << 30)

/* ---- writing ---------------------------------------------------------- */

typedef struct apnas_ckpt_writer {
	char *buf;      /* owned: the file being assembled */
	size_t len;
	uint32_t n_sections;
	FILE *open;     /* owned: the section being written, or NULL */
	char *sec_buf;  /* owned by `open`'s memstream until it closes */
	size_t sec_len;
	char tag[5];
	int failed;     /* a write failed: commit refuses */
} apnas_ckpt_writer;

int apnas_ckpt_writer_init(apnas_ckpt_writer *w, apnas_error *err);
/* Starts section `tag` (4 characters) and returns the stream to write its
 * bytes to; it stays owned by w. */
int apnas_ckpt_section_begin(apnas_ckpt_writer *w, const char *tag,
                             FILE **f, apnas_error *err);
int apnas_ckpt_section_end(apnas_ckpt_writer *w, apnas_error *err);
/* Writes the assembled file to path atomically and syncs its directory.
 * `before_rename` (may be NULL) runs when the temporary file is complete
 * but not yet renamed: the crash tests kill the process there. */
int apnas_ckpt_commit(apnas_ckpt_writer *w, const char *path,
                      void (*before_rename)(void *ud), void *ud,
                      apnas_error *err);
void apnas_ckpt_writer_free(apnas_ckpt_writer *w);

/* Section tag holding what save() (a plugin's, a batcher's) writes; its
 * error is prefixed "<who> save" when who is not NULL. */
int apnas_ckpt_save_section(apnas_ckpt_writer *w, const char *tag,
                            int (*save)(void *obj, FILE *f,
                                        apnas_error *err),
                            void *obj, const char *who, apnas_error *err);
int apnas_ckpt_save_batcher(apnas_ckpt_writer *w, const char *tag,
                            apnas_batcher *b, const char *who,
                            apnas_error *err);

/* ---- reading ---------------------------------------------------------- */

typedef struct apnas_ckpt {
	unsigned char *buf; /* owned: the whole file */
	size_t len;
	uint32_t n_sections;
	struct apnas_ckpt_sec {
		char tag[5];
		const unsigned char *data; /* points into buf */
		uint64_t len;
	} *sec;             /* owned */
} apnas_ckpt;

/* Reads and validates (magic, version, section bounds, CRC) a file. */
int apnas_ckpt_read(const char *path, apnas_ckpt *ck, apnas_error *err);
/* The same checks on bytes already in memory: ck takes buf (malloc'd)
 * whatever the outcome; path only names it in messages. */
int apnas_ckpt_parse(unsigned char *buf, size_t len, const char *path,
                     apnas_ckpt *ck, apnas_error *err);
/* The bytes of section tag, or APNAS_EINVAL naming the missing tag. */
int apnas_ckpt_get(const apnas_ckpt *ck, const char *tag,
                   const unsigned char **data, size_t *len,
                   apnas_error *err);
/* A read-only stream over section tag (for a plugin's load()); the caller
 * fcloses it. */
int apnas_ckpt_stream(const apnas_ckpt *ck, const char *tag, FILE **f,
                      apnas_error *err);
void apnas_ckpt_free(apnas_ckpt *ck);

/* Hands section tag to load() (a plugin's, a batcher's) and insists that
 * it consumed the section exactly; errors are prefixed with who. */
int apnas_ckpt_load_section(const apnas_ckpt *ck, const char *tag,
                            int (*load)(void *obj, FILE *f,
                                        apnas_error *err),
                            void *obj, const char *who, apnas_error *err);
int apnas_ckpt_load_batcher(const apnas_ckpt *ck, const char *tag,
                            apnas_batcher *b, const char *who,
                            apnas_error *err);

/* ---- the rank count that wrote a checkpoint (ckpt_ranks.c) ------------- */

/* Section RANK: u32, the MPI ranks of the run that wrote the checkpoint
 * (1 without MPI).  A checkpoint resumes under any count, but a step's
 * sums then run in another order, so the resume says when it changed.
 * The search's and the training's checkpoints both carry it; those
 * written before it existed lack it and still load. */
#define APNAS_CKPT_RANKS_TAG "RANK"
/* data.batch_size's largest value: every rank takes at least one image
 * of every batch, so no run had more ranks (docs/limits.md). */
#define APNAS_CKPT_MAX_RANKS 65536u

int apnas_ckpt_save_ranks(apnas_ckpt_writer *w, int nranks,
                          apnas_error *err);
/* *nranks = the recorded count, 0 when the checkpoint predates the
 * section; a count outside 1 .. APNAS_CKPT_MAX_RANKS or a section of
 * another size is refused. */
int apnas_ckpt_load_ranks(const apnas_ckpt *ck, int *nranks,
                          apnas_error *err);
/* The remark a resume appends to its progress line (it starts with a
 * space), "" when there is nothing to say: the same count, or a count
 * the checkpoint does not record resumed in one process. */
void apnas_ckpt_ranks_remark(char *buf, size_t n, int written, int now);

/* ---- fixed little-endian fields inside a section ----------------------- */

void apnas_put_u32(FILE *f, uint32_t v);
void apnas_put_u64(FILE *f, uint64_t v);
void apnas_put_f64(FILE *f, double v);

/* A cursor over section bytes; reading past the end sets `bad` and
 * returns 0, so a caller checks once at the end. */
typedef struct apnas_cursor {
	const unsigned char *p; /* borrowed */
	size_t left;
	int bad;
} apnas_cursor;

uint32_t apnas_get_u32(apnas_cursor *c);
uint64_t apnas_get_u64(apnas_cursor *c);
double apnas_get_f64(apnas_cursor *c);

#endif
