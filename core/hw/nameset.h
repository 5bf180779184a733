/* A set of layer names (up to 63 characters, as apnas_layer.name holds),
 * hashed so that checking a topology of many rows for duplicates stays
 * linear.  Internal to libapnas. */
#ifndef APNAS_CORE_HW_NAMESET_H
#define APNAS_CORE_HW_NAMESET_H

#include <stddef.h>

typedef struct apnas_nameset {
	char (*slot)[64]; /* owned: cap entries, "" when free */
	int *tag;         /* owned: cap caller values (a line number) */
	size_t n, cap;
} apnas_nameset;

void apnas_nameset_init(apnas_nameset *s);
void apnas_nameset_free(apnas_nameset *s);
/* Adds name (cut to 63 characters) with tag.  Returns 1 if it was there
 * already (*old_tag, when not NULL, gets its tag; nothing is added), 0
 * if added, -1 when out of memory or name is empty. */
int apnas_nameset_add(apnas_nameset *s, const char *name, int tag,
                      int *old_tag);
/* 1 if name is in the set. */
int apnas_nameset_has(const apnas_nameset *s, const char *name);

#endif
