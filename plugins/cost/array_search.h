/* The hardware decisions of the array cost models (co-search, ABI 2.2):
 * the array's shape under a PE budget, its dataflow, and the split of an
 * SRAM budget between the three buffers, each a decision the core
 * appends to the space's (docs/cosearch.md).  Built once at create()
 * from the search_* options, refused there when a budget cannot be met;
 * every choice it lists is within the budgets.  Compiled into each array
 * plugin, hidden. */
#ifndef APNAS_COST_ARRAY_SEARCH_H
#define APNAS_COST_ARRAY_SEARCH_H

#include <apnas/plugin.h>

#define AS_OPTIONS                                                          \
	{"search_pe_budget", APNAS_OPT_INT, "0", 0, 1048576, NULL,           \
	 "co-search: the array's shape is searched with rows x cols at "    \
	 "most this many PEs; 0: the array is fixed (rows, cols, dataflow)", \
	 0},                                                                 \
	{"search_shapes", APNAS_OPT_STRING, "\"auto\"", 1, 0, NULL,          \
	 "co-search shapes: \"auto\" (every R x C of powers of two, both "   \
	 "sides >= 4, using the largest power of two of PEs within the "     \
	 "budget) or a list \"16x16, 8x32\"", 0},                            \
	{"search_dataflows", APNAS_OPT_STRING_LIST, "[\"os\", \"ws\", "      \
	 "\"is\"]", 1, 0, "os|ws|is",                                        \
	 "co-search dataflows (one entry: fixed)", 0},                       \
	{"search_sram_kb_budget", APNAS_OPT_INT, "0", 0, 1073741824.0, NULL, \
	 "co-search: kB of SRAM split between the ifmap, filter and ofmap "  \
	 "buffers; 0: the *_sram_kb options are fixed", 0},                  \
	{"search_sram_split", APNAS_OPT_STRING, "\"auto\"", 1, 0, NULL,      \
	 "co-search splits, ifmap/filter/ofmap kB: \"auto\" (every split "   \
	 "in eighths of the budget, each buffer at least one) or a list "    \
	 "\"64/64/64, 32/64/96\" each summing to the budget", 0}

typedef struct as_search as_search;

/* Builds the decisions the options ask for into *out (NULL: no
 * co-search).  Bad budgets, shapes, splits or an empty dataflow list are
 * APNAS_EINVAL naming the option. */
int as_search_create(const apnas_opts *o, as_search **out, apnas_error *err);
void as_search_free(as_search *s);

/* The ABI's list, ended by an entry with name == NULL; NULL for s NULL. */
const apnas_hw_decision *as_search_decisions(const as_search *s);

/* "co-search <= 256 PEs (5 shapes), os|ws|is, 192 kB (21 splits)". */
void as_search_describe(const as_search *s, char *buf, size_t cap);

#endif
