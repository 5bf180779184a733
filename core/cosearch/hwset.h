/* Co-search: the hardware decisions a cost model adds (ABI 2.2,
 * apnas_hw_decision) joined to the space's, and the cost model instances
 * that cost a network on the hardware a token list chose.
 *
 * A joint token list is the space's tokens followed by one CHOICE token
 * per hardware decision of two or more choices; a decision of one choice
 * is fixed and takes no token.  The space reads its prefix only, so the
 * same list goes to train_step, child_net and format.  One instance of the
 * cost plugin exists per hardware the search meets, created with the
 * chosen settings applied over the configured options, and kept.
 * Internal to libapnas. */
#ifndef APNAS_COSEARCH_HWSET_H
#define APNAS_COSEARCH_HWSET_H

#include <stddef.h>
#include <stdint.h>

#include <apnas/plugin.h>

#include "host.h"

typedef struct hw_inst hw_inst;

typedef struct apnas_hwset {
	/* Borrowed from the caller: the configured cost instance (its
	 * library, options and ops), valid for the set's life. */
	const apnas_instance *base;
	const char *cost_name;           /* its plugin name, for messages */
	const apnas_hw_decision *d;      /* the base instance's list: nd */
	size_t nd;
	size_t n_tok;                    /* tokens the set appends */
	size_t *dec_of_tok;              /* owned: n_tok decision indices */
	uint64_t seed;                   /* ctx of every instance created */
	int32_t threads;
	/* Owned: the instances met so far, an open-addressing table keyed
	 * by the hardware's mixed-radix index. */
	hw_inst *inst;
	size_t n_inst, cap_inst;
} apnas_hwset;

/* Reads the base instance's hardware decisions and checks them (names,
 * labels, every choice's settings applied to the configured options).  A
 * cost model without hw_decisions, or one that returns none, gives a set
 * with n_tok == 0 and nd == 0: no co-search. */
int apnas_hwset_init(apnas_hwset *h, const apnas_instance *base,
                     const char *cost_name, uint64_t seed, int32_t threads,
                     apnas_error *err);
void apnas_hwset_free(apnas_hwset *h);

/* Whether the cost model searches hardware. */
static inline int apnas_hwset_on(const apnas_hwset *h)
{
	return h && h->nd > 0;
}

/* The CHOICE decisions to append (n_tok entries) into out. */
void apnas_hwset_decisions(const apnas_hwset *h, apnas_decision *out);

/* The cost instance for hardware tokens hw (n_tok entries, in range),
 * created on first use.  *self stays owned by the set. */
int apnas_hwset_instance(apnas_hwset *h, const int32_t *hw, void **self,
                         apnas_error *err);

/* "16x16 ws 64/64/64": the labels of the hardware hw chose. */
void apnas_hwset_label(const apnas_hwset *h, const int32_t *hw, char *buf,
                       size_t cap);

/* The hardware section of an architecture file for hw (malloc()ed):
 * "cost NAME", a comment with the labels, then one "option key = value"
 * line per setting; NULL when out of memory. */
char *apnas_hwset_section(const apnas_hwset *h, const int32_t *hw);

/* The tokens of the hardware that "cost.key=value" settings (a hardware
 * section read back: apnas_archfile.hw_settings, n entries, [0] the
 * plugin) describe; refused naming the decision no choice matches. */
int apnas_hwset_match(const apnas_hwset *h, const char *const *settings,
                      size_t n, int32_t *hw, apnas_error *err);

#endif
