/* The rank count that wrote a checkpoint: see ckpt.h.  Its own section
 * rather than a field of CORE or TRAN: the search and the training both
 * record it the same way, and a checkpoint written before it existed is
 * still read by the same code (the count is then unknown) without a new
 * layout version of either section. */
#include "ckpt.h"

#include <string.h>

int apnas_ckpt_save_ranks(apnas_ckpt_writer *w, int nranks,
                          apnas_error *err)
{
	FILE *f;
	int rc = apnas_ckpt_section_begin(w, APNAS_CKPT_RANKS_TAG, &f, err);
	if (rc < 0)
		return rc;
	apnas_put_u32(f, (uint32_t)nranks);
	return apnas_ckpt_section_end(w, err);
}

int apnas_ckpt_load_ranks(const apnas_ckpt *ck, int *nranks,
                          apnas_error *err)
{
	*nranks = 0;
	const struct apnas_ckpt_sec *sec = NULL;
	for (uint32_t i = 0; i < ck->n_sections && !sec; i++)
		if (strcmp(ck->sec[i].tag, APNAS_CKPT_RANKS_TAG) == 0)
			sec = &ck->sec[i];
	if (!sec)
		return 0;
	if (sec->len != 4)
		return apnas_error_set(err, APNAS_EINVAL,
			"checkpoint section %s has %llu bytes, expected 4",
			APNAS_CKPT_RANKS_TAG, (unsigned long long)sec->len);
	apnas_cursor c = {sec->data, 4, 0};
	uint32_t n = apnas_get_u32(&c);
	if (n < 1 || n > APNAS_CKPT_MAX_RANKS)
		return apnas_error_set(err, APNAS_EINVAL,
			"checkpoint written by %u MPI ranks: expected 1 to %u "
			"(data.batch_size's largest value; every rank takes "
			"an image of every batch)", n, APNAS_CKPT_MAX_RANKS);
	*nranks = (int)n;
	return 0;
}

void apnas_ckpt_ranks_remark(char *buf, size_t n, int written, int now)
{
	if (!n)
		return;
	buf[0] = '\0';
	if (written == now || (!written && now <= 1))
		return;
	if (!written) {
		/* an older checkpoint: what the remark said before the count
		 * was recorded */
		snprintf(buf, n, " (a checkpoint resumes on any number of MPI "
		         "ranks; this one does not record how many wrote it)");
		return;
	}
	/* Only the order of the sums changes: the same N gives the same
	 * bits, another N the same training up to rounding, which the
	 * training then amplifies (docs/mpi.md). */
	snprintf(buf, n, " (the checkpoint was written by %d MPI rank%s, this "
	         "run has %d: allowed; the sums now run in another order, so "
	         "the weights will not be bit for bit those of an "
	         "uninterrupted run on %d)", written, written == 1 ? "" : "s",
	         now, written);
}
