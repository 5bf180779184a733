/* Architecture files: what a search writes (best.arch, the top/ files) and
 * what `apnas train` and `apnas cost --arch` read.  Internal to libapnas;
 * the format is documented in docs/arch-format.md.
 *
 * A file is a header naming the search space and the space options the
 * architecture was found with, then a body that the space itself formats
 * and parses (one line per layer for enas_macro).  Reading a file gives the
 * header as --set style settings ("space.plugin=enas_macro",
 * "space.layers=8", ...), so a command applies them to its config before
 * creating the space, and then hands the body to the space's parse(). */
#ifndef APNAS_CORE_ARCHFILE_H
#define APNAS_CORE_ARCHFILE_H

#include <apnas/plugin.h>

typedef struct apnas_archfile {
	char *space;        /* owned: the space plugin's name */
	char **settings;    /* owned: n_settings "space.key=value" strings,
	                       the first being "space.plugin=<space>" */
	size_t n_settings;
	char *body;         /* owned: the text the space's parse() reads */
	int body_line;      /* 1-based line of the file where body starts, so
	                       a parse error at body line k is reported at
	                       body_line + k - 1 */
	/* The hardware section (a co-search's pick), after the body */
	char *cost;         /* owned: its cost plugin, NULL without section */
	char **hw_settings; /* owned: n_hw "cost.key=value" strings, the
	                       first being "cost.plugin=<cost>" */
	size_t n_hw;
	int hw_line;        /* 1-based line of '--- hardware'; 0: none */
} apnas_archfile;

/* Reads and splits a file; refusals name path:line. */
int apnas_archfile_read(const char *path, apnas_archfile *out,
                        apnas_error *err);
/* The same on text already in memory (len bytes, NUL-terminated after
 * them); path only names it in messages. */
int apnas_archfile_parse(const char *path, const char *text, size_t len,
                         apnas_archfile *out, apnas_error *err);
void apnas_archfile_free(apnas_archfile *a);

/* Writes an architecture atomically (temporary file, then rename): the
 * header from the space's resolved options, `comment` lines (may be NULL;
 * each line is written as a "# " comment, e.g. accuracy and cycles), then
 * the body from the space's format(), then `hardware` (may be NULL: the
 * lines of the hardware section after its '--- hardware' mark, "cost
 * NAME" and "option key = value" lines, apnas_hwset_section). */
int apnas_archfile_write(const char *path, const char *space_name,
                         const apnas_opts *space_opts,
                         const apnas_space_ops *ops, void *space,
                         const int32_t *tok, const char *comment,
                         const char *hardware, apnas_error *err);

/* The hardware section of a read file as apnas_archfile_write takes it
 * (malloc()ed), or NULL when it has none (or out of memory). */
char *apnas_archfile_hw_text(const apnas_archfile *a);

/* The line that ends the body and opens the hardware section. */
#define APNAS_ARCH_HW_MARK "--- hardware"

#endif
