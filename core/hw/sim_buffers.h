/* The simulator's memory system: the ifmap and filter SRAMs with what they
 * hold, the ofmap SRAM's write-back, and one DRAM port moving a bounded
 * number of words per cycle.  The cycle-level array (systolic_sim.c)
 * calls it as things happen: at each operand read (which must find its
 * word resident: a miss is an internal error), each cycle, each fold's
 * start and end.  It counts every access and stall as it occurs; the
 * policy it follows is the one systolic_memory.c computes in closed form,
 * implemented here independently from element coordinates and tile ids.
 * Internal to libapnas. */
#ifndef APNAS_CORE_HW_SIM_BUFFERS_H
#define APNAS_CORE_HW_SIM_BUFFERS_H

#include <stdint.h>

#include <apnas/error.h>
#include <apnas/net.h>

#include "systolic_memory.h"

typedef struct apnas_simbuf {
	apnas_dataflow df;
	uint64_t R, C;
	uint64_t cap[2];         /* ifmap, filter buffers in words */
	uint64_t bw;             /* words per cycle; 0 = unlimited */
	apnas_mem_cost *c;       /* borrowed: the counts, added to */
	/* The product being run. */
	const apnas_layer *l;    /* borrowed */
	uint64_t e, k, m;        /* its matrix sizes */
	uint64_t sr, sc, t, fr_n, fc_n;
	int fits[2];             /* operand loaded whole (footprint <= cap) */
	uint8_t *mark[2];        /* owned: fits mode, words held */
	uint64_t mark_cap[2];
	int64_t active[2];       /* tile mode: tile the current fold reads */
	uint64_t fc, fr;         /* the current fold */
	uint64_t pending;        /* words the port still has to move */
	uint64_t fold_w;         /* ofmap words the current fold produced */
	uint64_t prev_w;         /* the previous fold's, being written */
	int miss;                /* a read found its word absent */
} apnas_simbuf;

int apnas_simbuf_init(apnas_simbuf *b, const apnas_array *a,
                      const apnas_mem_cfg *m, apnas_mem_cost *c,
                      apnas_error *err);
void apnas_simbuf_free(apnas_simbuf *b);

/* A product of layer l (channel ch for a depthwise layer) starts: sizes
 * the operands, loads those that fit, fetches fold 0's tiles and stalls
 * until they are in. */
int apnas_simbuf_product(apnas_simbuf *b, const apnas_layer *l, int32_t ch,
                         uint64_t e, uint64_t k, uint64_t m,
                         apnas_error *err);
/* Fold (fc, fr) starts: its tiles become the active ones, and the port is
 * given the next fold's missing tiles and the previous fold's outputs. */
void apnas_simbuf_fold(apnas_simbuf *b, uint64_t fc, uint64_t fr);
/* One cycle of compute: the port moves up to bw words. */
void apnas_simbuf_tick(apnas_simbuf *b);
/* The fold's compute is over: the array stalls until the port is done. */
void apnas_simbuf_fold_end(apnas_simbuf *b);
/* After the last fold: its outputs are written, stalling. */
void apnas_simbuf_product_end(apnas_simbuf *b);

/* The array reads operand matrix element A(e, k) or B(k, m) from its
 * SRAM. */
void apnas_simbuf_read_a(apnas_simbuf *b, uint64_t e, uint64_t k);
void apnas_simbuf_read_b(apnas_simbuf *b, uint64_t k, uint64_t m);
/* The array writes n words into the ofmap SRAM, `to_dram` of which are
 * results that go on to DRAM. */
void apnas_simbuf_write(apnas_simbuf *b, uint64_t n, uint64_t to_dram);

#endif
