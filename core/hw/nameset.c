/* Open addressing with linear probing; the table doubles at half full,
 * so a probe is short whatever the names. */
#include "nameset.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void apnas_nameset_init(apnas_nameset *s)
{
	memset(s, 0, sizeof *s);
}

void apnas_nameset_free(apnas_nameset *s)
{
	free(s->slot);
	free(s->tag);
	memset(s, 0, sizeof *s);
}

/* FNV-1a: names differ in any character. */
static size_t hash(const char *name)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < 63 && name[i]; i++) {
		h ^= (unsigned char)name[i];
		h *= 1099511628211ull;
	}
	return (size_t)h;
}

static size_t find(const apnas_nameset *s, const char *name)
{
	size_t i = hash(name) & (s->cap - 1);
	while (s->slot[i][0] && strncmp(s->slot[i], name, 63))
		i = (i + 1) & (s->cap - 1);
	return i;
}

static int grow(apnas_nameset *s)
{
	size_t cap = s->cap ? 2 * s->cap : 64;
	apnas_nameset t = {calloc(cap, sizeof *t.slot),
	                   calloc(cap, sizeof *t.tag), 0, cap};
	if (!t.slot || !t.tag) {
		apnas_nameset_free(&t);
		return -1;
	}
	for (size_t k = 0; k < s->cap; k++) {
		if (!s->slot[k][0])
			continue;
		size_t i = find(&t, s->slot[k]);
		memcpy(t.slot[i], s->slot[k], 64);
		t.tag[i] = s->tag[k];
		t.n++;
	}
	apnas_nameset_free(s);
	*s = t;
	return 0;
}

int apnas_nameset_add(apnas_nameset *s, const char *name, int tag,
                      int *old_tag)
{
	if (!name[0])
		return -1; /* "" marks a free slot; layer names are never empty */
	if (s->cap) {
		size_t i = find(s, name);
		if (s->slot[i][0]) {
			if (old_tag)
				*old_tag = s->tag[i];
			return 1;
		}
	}
	if ((s->n + 1) * 2 > s->cap && grow(s) < 0)
		return -1;
	size_t i = find(s, name);
	strncpy(s->slot[i], name, 63);
	s->slot[i][63] = '\0';
	s->tag[i] = tag;
	s->n++;
	return 0;
}

int apnas_nameset_has(const apnas_nameset *s, const char *name)
{
	return s->cap && s->slot[find(s, name)][0];
}
