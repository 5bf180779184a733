/* The one door to MPI (core/mpi): nothing else in apnas includes mpi.h.
 * With -Dmpi=disabled (or no MPI found) the same functions exist and
 * refuse to start a distributed run, so callers need no #ifdef.
 *
 * Ranks: the processes `mpirun -np N` starts.  MPI starts only when the
 * process was launched by an MPI launcher (apnas_mpi_launched), so a
 * plain `apnas search` never touches MPI. */
#ifndef APNAS_CORE_MPI_H
#define APNAS_CORE_MPI_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include <apnas/batch.h>
#include <apnas/collective.h>
#include <apnas/error.h>

/* Whether this build has MPI (meson -Dmpi). */
int apnas_mpi_built(void);

/* The rank count an MPI launcher gave this process (its environment:
 * Open MPI's OMPI_COMM_WORLD_SIZE, PMI_SIZE, PMIX_RANK), 0 when it was
 * not started by one, -1 when started by one of unknown size. */
int apnas_mpi_launched(void);

/* Starts MPI if the process was launched by mpirun (nothing otherwise);
 * `what` names the command for the refusal of a build without MPI
 * launched as several ranks ("... rebuild with -Dmpi=enabled"),
 * APNAS_EINVAL.  Call once, before anything else reads rank or size. */
int apnas_mpi_start(const char *what, apnas_error *err);
/* Ends MPI after every rank got here (waiting without spinning, so a
 * rank that finished early leaves the cores to the others). */
void apnas_mpi_finish(void);
/* Takes every rank down at once (MPI_Abort): for a failure on one rank
 * that the others cannot know of while they wait in a collective. */
void apnas_mpi_abort(int code);

/* This rank and the world's size (0 and 1 when MPI is not running). */
int apnas_mpi_rank(void);
int apnas_mpi_size(void);

/* The world as a collective for plugins and the engine; NULL when MPI is
 * not running or runs one rank.  Owned by this module. */
const apnas_collective *apnas_mpi_collective(void);
/* Rank 0 alone from now on (on), or the world again (off): the
 * collective's size() is 1 while solo, so rank 0's engine runs unsharded
 * (deriving results after the search). */
void apnas_mpi_set_solo(int on);

/* Collectives of the core, every rank calling them in the same order:
 * v[i] = the largest v[i] over the ranks; n bytes of buf broadcast from
 * rank 0.  No-ops without MPI.  Fail only on a transport error. */
int apnas_mpi_max_ints(int *v, int n, apnas_error *err);
int apnas_mpi_bcast(void *buf, size_t n, apnas_error *err);
/* v[i] = the sum over the ranks of v[i], in rank order (exact for the
 * small integers it carries: counts, flags). */
int apnas_mpi_sum_doubles(double *v, int n, apnas_error *err);

/* Whether every rank's n bytes at buf are rank 0's (compared by a 64-bit
 * FNV-1a hash of each): *bad = the first rank that differs, or -1.  A
 * collective; without MPI *bad = -1. */
int apnas_mpi_same(const void *buf, size_t n, int *bad, apnas_error *err);

/* apnas_mpi_same over what save(self, f, err) writes (a space's whole
 * state).  When save fails on this rank it returns its error, prefixed
 * with `what` when not NULL, without taking part: the caller stops every
 * rank. */
int apnas_mpi_same_saved(int (*save)(void *self, FILE *f, apnas_error *err),
                         void *self, const char *what, int *bad,
                         apnas_error *err);

/* Point to point, for a work queue (apnas ablate --mpi): n int64 values
 * to rank `to`; a blocking receive from rank `from`; and a non-blocking
 * look for a message from any rank (*from = its rank, or -1 when none
 * waits).  No-ops without MPI (*from = -1). */
int apnas_mpi_send(int to, const int64_t *v, int n, apnas_error *err);
int apnas_mpi_recv(int from, int64_t *v, int n, apnas_error *err);
int apnas_mpi_poll(int64_t *v, int n, int *from, apnas_error *err);

/* Removes the launcher's variables from the environment, so that the
 * apnas processes this rank starts (a grid's runs) run alone rather than
 * take themselves for ranks of this job. */
void apnas_mpi_hide_launch(void);

/* After a setup every rank went through: the lowest rank whose `failed`
 * is set, or -1 when none (a collective; without MPI: this process's). */
int apnas_mpi_first_failed(int failed, int *first, apnas_error *err);

/* This rank's share of a global batch (apnas_coll_share: contiguous,
 * images [n r / N, n (r + 1) / N)); `img` floats per image.  The whole
 * batch without MPI. */
void apnas_mpi_share(const apnas_batch *full, size_t img, apnas_batch *mine);

#endif
