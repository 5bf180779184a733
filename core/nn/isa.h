/* Which build of the engine's kernels this process runs: the x86-64-v3
 * one (AVX2 + FMA, 8 floats a vector) everywhere, or, where the CPU has
 * AVX-512 (F, BW, DQ, VL: x86-64-v4), the kernels that have a 16-float
 * build.  Valgrind's virtual CPU has no AVX-512, so under valgrind the
 * v3 kernels run.  APNAS_NN_ISA=avx2 in the environment keeps the v3
 * kernels on any CPU: the weight gradients' lane sums, and so a
 * training's last bits, then match a machine without AVX-512. */
#ifndef APNAS_CORE_NN_ISA_H
#define APNAS_CORE_NN_ISA_H

#pragma GCC visibility push(hidden)

/* 1 when the 16-float kernels run; decided once per process. */
int nn_isa_wide(void);
/* "avx512" or "avx2" (x86-64: what nn_isa_wide() chose), "generic"
 * elsewhere; for reports. */
const char *nn_isa_name(void);
/* 1 when this build and CPU can run the 16-float kernels at all. */
int nn_isa_wide_possible(void);
/* For tests: the next graphs planned use the 16-float kernels (wide, when
 * possible) or the 8-float ones.  Never while a graph runs. */
void nn_isa_force(int wide);

#pragma GCC visibility pop

#endif
