/* What every controller owes a run, checked for reinforce_lstm (ENAS's
 * layout, and NNI's heads with a batch advantage), random and evolution
 * loaded through the host: same seed, same samples bit for bit;
 * save, load into a fresh instance, and both continue identically; bad
 * states, bad update() input, bad options and decision lists they cannot
 * use are refused with one clear line and change nothing.  Plus the
 * behaviour particular to each: REINFORCE's baseline and entropy bonus,
 * its batch advantages, its state refused across head layouts,
 * evolution's random start, one-decision mutations and aging, random's
 * uniformity, and the LSTM as a plain categorical sampler on a list
 * without skip decisions.  The run-wide checks are made twice: on the toy
 * space's list, and on it with a co-search's hardware choices appended
 * (ABI 2.2 CHOICE decisions), scored by the toy plus a hidden best
 * hardware. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_harness.h"

#define MAX_DEC 64
#define AGG 6

static const char *const toy6[] = {"layers=6", "ops=4", "target_seed=3"};

/* Small but real settings, so every test takes milliseconds. */
static const char *const rl_set[] = {"hidden=16", "lr=0.01"};
static const char *const evo_set[] = {"population=12", "sample_size=4"};
/* The LSTM with every non-ENAS layout and advantage on. */
static const char *const rl_nni_set[] = {"hidden=16", "lr=0.01",
                                         "op_heads=per_decision",
                                         "skip_heads=per_layer",
                                         "advantage=batch_mean"};

typedef struct kind {
	const char *name;
	const char *const *set;
	size_t n_set;
} kind;

static const kind kinds[] = {
	{"reinforce_lstm", rl_set, 2},
	{"random", NULL, 0},
	{"evolution", evo_set, 2},
	{"reinforce_lstm", rl_nni_set, 5},
};
#define N_KINDS (sizeof kinds / sizeof kinds[0])

/* A co-search's hardware decisions: shape, dataflow, SRAM split. */
#define N_HW 3
static const int32_t hw_choices[N_HW] = {5, 3, 4};
static const int32_t hw_best[N_HW] = {3, 0, 2};

/* The toy's list with the hardware choices after it, as the core builds
 * it; returns its length. */
static size_t joint_list(const apnas_decision *d, size_t nd,
                         apnas_decision *out)
{
	ck_assert_uint_le(nd + N_HW, MAX_DEC);
	memcpy(out, d, nd * sizeof *d);
	for (size_t j = 0; j < N_HW; j++)
		out[nd + j] = (apnas_decision){APNAS_DECISION_CHOICE,
		                               hw_choices[j], -1, -1};
	return nd + N_HW;
}

/* The toy's score of the network's tokens, counted with the hardware
 * tokens that equal the hidden best: the fraction of all nd matching. */
static double score(cth *space, const int32_t *tok, size_t nd)
{
	const apnas_decision *td;
	size_t nt;
	double r;
	apnas_error err;
	ck_assert_int_eq(cth_space(space)->decisions(space->self, &td, &nt,
	                                             &err), 0);
	ck_assert_int_eq(cth_space(space)->score(space->self, tok, &r, &err),
	                 0);
	if (nd == nt)
		return r;
	ck_assert_uint_eq(nd, nt + N_HW);
	r *= (double)nt;
	for (size_t j = 0; j < N_HW; j++) {
		ck_assert(tok[nt + j] >= 0 && tok[nt + j] < hw_choices[j]);
		r += tok[nt + j] == hw_best[j];
	}
	return r / (double)nd;
}

/* One step of a scripted run: an EVAL batch scored by the toy and
 * update()d, one TRAIN and one DERIVE sample.  Everything it produces is
 * appended to *log so two runs can be compared byte for byte. */
typedef struct trace {
	unsigned char *buf;
	size_t len, cap;
} trace;

static void put(trace *t, const void *p, size_t n)
{
	if (t->len + n > t->cap) {
		t->cap = 2 * (t->len + n);
		t->buf = realloc(t->buf, t->cap);
		ck_assert_ptr_nonnull(t->buf);
	}
	memcpy(t->buf + t->len, p, n);
	t->len += n;
}

static void step(cth *c, cth *space, size_t nd, trace *t)
{
	const apnas_controller_ops *ops = cth_ctl(c);
	int32_t toks[AGG * MAX_DEC];
	double rw[AGG];
	apnas_error err;
	for (int k = 0; k < AGG; k++) {
		apnas_sample_info info;
		ck_assert_int_eq(ops->sample(c->self, APNAS_SAMPLE_EVAL,
		                             toks + k * nd, &info, &err), 0);
		rw[k] = score(space, toks + k * nd, nd);
		put(t, toks + k * nd, nd * sizeof *toks);
		put(t, &info, sizeof info);
	}
	apnas_update_info ui;
	ck_assert_msg(ops->update(c->self, toks, rw, AGG, &ui, &err) == 0,
	              "update: %s", err.msg);
	put(t, &ui, sizeof ui);
	for (int p = APNAS_SAMPLE_TRAIN; p <= APNAS_SAMPLE_DERIVE; p += 2) {
		apnas_sample_info info;
		ck_assert_int_eq(ops->sample(c->self, (apnas_sample_purpose)p,
		                             toks, &info, &err), 0);
		put(t, toks, nd * sizeof *toks);
		put(t, &info, sizeof info);
	}
	char line[256];
	ops->describe(c->self, line, sizeof line);
	put(t, line, strlen(line));
	if (ops->candidates) {
		int32_t *cand;
		size_t n;
		ck_assert_int_eq(ops->candidates(c->self, &cand, &n, &err), 0);
		put(t, &n, sizeof n);
		if (n)
			put(t, cand, n * nd * sizeof *cand);
		free(cand);
	}
}

static void run_steps(cth *c, cth *space, size_t nd, int steps, trace *t)
{
	for (int s = 0; s < steps; s++)
		step(c, space, nd, t);
}

static void same_trace(const trace *a, const trace *b, const char *what)
{
	ck_assert_msg(a->len == b->len && !memcmp(a->buf, b->buf, a->len),
	              "%s: runs differ", what);
}

/* The toy's list for a loop index below N_KINDS, the joint one above. */
static void list_for(int i, cth *space, apnas_decision *buf,
                     const apnas_decision **d, size_t *nd)
{
	cth_toy(space, toy6, 3, d, nd);
	if (i >= (int)N_KINDS) {
		*nd = joint_list(*d, *nd, buf);
		*d = buf;
	}
}

START_TEST(same_seed_same_samples)
{
	const kind *k = &kinds[_i % N_KINDS];
	cth space, a, b, other;
	const apnas_decision *d;
	apnas_decision buf[MAX_DEC];
	size_t nd;
	list_for(_i, &space, buf, &d, &nd);
	cth_controller(&a, k->name, k->set, k->n_set, d, nd, 11);
	cth_controller(&b, k->name, k->set, k->n_set, d, nd, 11);
	cth_controller(&other, k->name, k->set, k->n_set, d, nd, 12);
	/* enough steps for evolution to leave its random start */
	trace ta = {0}, tb = {0}, to = {0};
	run_steps(&a, &space, nd, 6, &ta);
	run_steps(&b, &space, nd, 6, &tb);
	run_steps(&other, &space, nd, 6, &to);
	same_trace(&ta, &tb, k->name);
	ck_assert_msg(ta.len != to.len || memcmp(ta.buf, to.buf, ta.len),
	              "%s: seeds 11 and 12 gave the same run", k->name);
	free(ta.buf);
	free(tb.buf);
	free(to.buf);
	cth_close(&a);
	cth_close(&b);
	cth_close(&other);
	cth_close(&space);
}
END_TEST

static FILE *saved(cth *c)
{
	FILE *f = tmpfile();
	ck_assert_ptr_nonnull(f);
	apnas_error err;
	ck_assert_msg(cth_ctl(c)->save(c->self, f, &err) == 0, "save: %s",
	              err.msg);
	rewind(f);
	return f;
}

START_TEST(save_load_continues_identically)
{
	const kind *k = &kinds[_i % N_KINDS];
	cth space, a, b;
	const apnas_decision *d;
	apnas_decision buf[MAX_DEC];
	size_t nd;
	list_for(_i, &space, buf, &d, &nd);
	cth_controller(&a, k->name, k->set, k->n_set, d, nd, 5);
	trace warm = {0};
	run_steps(&a, &space, nd, 4, &warm);
	FILE *f = saved(&a);
	/* another seed: whatever b continues with must come from the file */
	cth_controller(&b, k->name, k->set, k->n_set, d, nd, 99);
	apnas_error err;
	ck_assert_msg(cth_ctl(&b)->load(b.self, f, &err) == 0, "load: %s",
	              err.msg);
	fclose(f);
	trace ta = {0}, tb = {0};
	run_steps(&a, &space, nd, 5, &ta);
	run_steps(&b, &space, nd, 5, &tb);
	same_trace(&ta, &tb, k->name);
	free(warm.buf);
	free(ta.buf);
	free(tb.buf);
	cth_close(&a);
	cth_close(&b);
	cth_close(&space);
}
END_TEST

/* States written before CHOICE decisions existed (tests/controller/data,
 * saved by the plugins of commit 9f1751b: seed 5 on the toy, three
 * updates of AGG EVAL samples, then the EVAL samples of three more
 * updates in *.next) load into today's plugins, save back to the same
 * bytes, and continue with the same samples. */
typedef struct fixture {
	const char *base;
	const char *name;
	const char *const *set;
	size_t n_set;
} fixture;

static const char *const fx_rl[] = {"hidden=4", "lr=0.01"};
static const char *const fx_nni[] = {"hidden=4", "lr=0.01",
                                     "op_heads=per_decision",
                                     "skip_heads=per_layer",
                                     "advantage=batch_mean"};
static const fixture fixtures[] = {
	{"rl_enas", "reinforce_lstm", fx_rl, 2},
	{"rl_nni", "reinforce_lstm", fx_nni, 5},
	{"evolution", "evolution", evo_set, 2},
	{"random", "random", NULL, 0},
};

static unsigned char *slurp(FILE *f, size_t *len)
{
	fseek(f, 0, SEEK_END);
	*len = (size_t)ftell(f);
	unsigned char *b = malloc(*len + 1);
	ck_assert_ptr_nonnull(b);
	rewind(f);
	ck_assert_uint_eq(fread(b, 1, *len, f), *len);
	return b;
}

START_TEST(states_from_before_choices_load_unchanged)
{
	const fixture *fx = &fixtures[_i];
	cth space, c;
	const apnas_decision *d;
	size_t nd;
	cth_toy(&space, toy6, 3, &d, &nd);
	cth_controller(&c, fx->name, fx->set, fx->n_set, d, nd, 99);
	char path[4096];
	snprintf(path, sizeof path, "%s/%s.state", CTL_DATA, fx->base);
	FILE *f = fopen(path, "rb");
	ck_assert_msg(f, "cannot open %s", path);
	size_t len, len2;
	unsigned char *old = slurp(f, &len);
	rewind(f);
	apnas_error err;
	ck_assert_msg(cth_ctl(&c)->load(c.self, f, &err) == 0, "%s: %s",
	              fx->base, err.msg);
	fclose(f);
	f = saved(&c);
	unsigned char *now = slurp(f, &len2);
	fclose(f);
	ck_assert_msg(len == len2 && !memcmp(old, now, len),
	              "%s: saved again as other bytes", fx->base);
	snprintf(path, sizeof path, "%s/%s.next", CTL_DATA, fx->base);
	f = fopen(path, "rb");
	ck_assert_msg(f, "cannot open %s", path);
	unsigned char *next = slurp(f, &len);
	fclose(f);
	ck_assert_uint_eq(len, 3 * AGG * nd * sizeof(int32_t));
	int32_t toks[AGG * MAX_DEC];
	double rw[AGG];
	for (int s = 0; s < 3; s++) {
		for (int k = 0; k < AGG; k++) {
			ck_assert_int_eq(cth_ctl(&c)->sample(c.self,
			                                     APNAS_SAMPLE_EVAL,
			                                     toks + k * nd, NULL,
			                                     &err), 0);
			rw[k] = score(&space, toks + k * nd, nd);
		}
		ck_assert_msg(!memcmp(toks, next + s * AGG * nd * 4,
		                      AGG * nd * 4),
		              "%s: update %d samples other tokens", fx->base,
		              s);
		ck_assert_int_eq(cth_ctl(&c)->update(c.self, toks, rw, AGG,
		                                     NULL, &err), 0);
	}
	free(old);
	free(now);
	free(next);
	cth_close(&c);
	cth_close(&space);
}
END_TEST

/* Loads `f` into a fresh instance, expects refusal mentioning `needle`,
 * then checks the instance still runs exactly like an untouched twin. */
static void refuses(const kind *k, const apnas_decision *d, size_t nd,
                    cth *space, FILE *f, int code, const char *needle)
{
	cth c, twin;
	cth_controller(&c, k->name, k->set, k->n_set, d, nd, 8);
	cth_controller(&twin, k->name, k->set, k->n_set, d, nd, 8);
	trace w1 = {0}, w2 = {0};
	run_steps(&c, space, nd, 3, &w1);
	run_steps(&twin, space, nd, 3, &w2);
	apnas_error err;
	apnas_error_clear(&err);
	int rc = cth_ctl(&c)->load(c.self, f, &err);
	ck_assert_msg(rc == code, "%s: load returned %d, expected %d (%s)",
	              k->name, rc, code, err.msg);
	ck_assert_msg(strstr(err.msg, needle), "%s: \"%s\" lacks \"%s\"",
	              k->name, err.msg, needle);
	ck_assert_msg(!strchr(err.msg, '\n'), "message is not one line");
	trace ta = {0}, tb = {0};
	run_steps(&c, space, nd, 3, &ta);
	run_steps(&twin, space, nd, 3, &tb);
	same_trace(&ta, &tb, "after a refused load");
	free(w1.buf);
	free(w2.buf);
	free(ta.buf);
	free(tb.buf);
	cth_close(&c);
	cth_close(&twin);
}

START_TEST(bad_states_are_refused)
{
	const kind *k = &kinds[_i];
	cth space, src;
	const apnas_decision *d;
	size_t nd;
	cth_toy(&space, toy6, 3, &d, &nd);

	/* another controller's state */
	const kind *o = &kinds[(_i + 1) % 3];
	cth_controller(&src, o->name, o->set, o->n_set, d, nd, 1);
	FILE *f = saved(&src);
	refuses(k, d, nd, &space, f, APNAS_EINVAL, "saved by another plugin");
	fclose(f);
	cth_close(&src);

	/* the right controller, cut short */
	cth_controller(&src, k->name, k->set, k->n_set, d, nd, 1);
	trace w = {0};
	run_steps(&src, &space, nd, 3, &w);
	free(w.buf);
	f = saved(&src);
	fseek(f, 0, SEEK_END);
	long len = ftell(f);
	char *bytes = malloc((size_t)len);
	rewind(f);
	ck_assert_int_eq(fread(bytes, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	f = tmpfile();
	fwrite(bytes, 1, (size_t)len - 5, f);
	rewind(f);
	refuses(k, d, nd, &space, f, APNAS_EINVAL, "truncated");
	fclose(f);
	free(bytes);
	cth_close(&src);

	/* not a state at all */
	f = tmpfile();
	fputs("hello, this is not a state file\n", f);
	rewind(f);
	refuses(k, d, nd, &space, f, APNAS_EINVAL, "not its state");
	fclose(f);

	/* saved for another space */
	cth space5;
	const apnas_decision *d5;
	size_t nd5;
	const char *const toy5[] = {"layers=5", "ops=4"};
	cth_toy(&space5, toy5, 2, &d5, &nd5);
	cth_controller(&src, k->name, k->set, k->n_set, d5, nd5, 1);
	f = saved(&src);
	refuses(k, d, nd, &space, f, APNAS_EINVAL, "another space, decision list");
	fclose(f);
	cth_close(&src);
	cth_close(&space5);

	/* saved for the list with hardware choices, loaded for the list
	 * without, and the other way round */
	apnas_decision jd[MAX_DEC];
	size_t njd = joint_list(d, nd, jd);
	cth_controller(&src, k->name, k->set, k->n_set, jd, njd, 1);
	f = saved(&src);
	refuses(k, d, nd, &space, f, APNAS_EINVAL, "another space, decision list");
	fclose(f);
	cth_close(&src);
	cth_controller(&src, k->name, k->set, k->n_set, d, nd, 1);
	f = saved(&src);
	refuses(k, jd, njd, &space, f, APNAS_EINVAL,
	        "another space, decision list");
	fclose(f);
	cth_close(&src);
	cth_close(&space);
}
END_TEST

/* The bytes a warmed-up controller of kind k saves. */
static unsigned char *saved_bytes(const kind *k, cth *space,
                                  const apnas_decision *d, size_t nd,
                                  size_t *len)
{
	cth src;
	cth_controller(&src, k->name, k->set, k->n_set, d, nd, 1);
	trace w = {0};
	run_steps(&src, space, nd, 3, &w);
	free(w.buf);
	FILE *f = saved(&src);
	fseek(f, 0, SEEK_END);
	*len = (size_t)ftell(f);
	unsigned char *b = malloc(*len);
	rewind(f);
	ck_assert_int_eq(fread(b, 1, *len, f), *len);
	fclose(f);
	cth_close(&src);
	return b;
}

static void put_word(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void refuses_bytes(const kind *k, const apnas_decision *d, size_t nd,
                          cth *space, const unsigned char *b, size_t len,
                          const char *needle)
{
	FILE *f = tmpfile();
	fwrite(b, 1, len, f);
	rewind(f);
	refuses(k, d, nd, space, f, APNAS_EINVAL, needle);
	fclose(f);
}

/* Issue 17, item 6: a well-formed state that no run can have written is
 * refused when read back, naming what is impossible, instead of failing
 * later with a misleading message.  Offsets count from the end of each
 * controller's layout (state_io.h words: 8 bytes each). */
START_TEST(impossible_states_are_refused)
{
	cth space;
	const apnas_decision *d;
	size_t nd, len;
	cth_toy(&space, toy6, 3, &d, &nd);
	double minus1 = -1.0;
	uint64_t m1;
	memcpy(&m1, &minus1, 8);

	/* reinforce_lstm: ... v[np], baseline, rng[4], samples, updates,
	 * entropy: the last second moment sits 9 words before the end */
	unsigned char *b = saved_bytes(&kinds[0], &space, d, nd, &len);
	put_word(b + len - 72, m1);
	refuses_bytes(&kinds[0], d, nd, &space, b, len, "second moment");
	free(b);
	b = saved_bytes(&kinds[0], &space, d, nd, &len);
	put_word(b + len - 16, 1000000000000ull); /* updates */
	refuses_bytes(&kinds[0], d, nd, &space, b, len, "impossible");
	free(b);

	/* random: ... rng[4], samples, rewarded */
	b = saved_bytes(&kinds[1], &space, d, nd, &len);
	put_word(b + len - 8, 1000000000000ull);
	refuses_bytes(&kinds[1], d, nd, &space, b, len, "impossible");
	free(b);

	/* evolution: ... eval_drawn, evaluated, rng[4] */
	b = saved_bytes(&kinds[2], &space, d, nd, &len);
	put_word(b + len - 40, UINT64_MAX);
	refuses_bytes(&kinds[2], d, nd, &space, b, len, "impossible");
	free(b);
	cth_close(&space);
}
END_TEST

START_TEST(shape_mismatch_is_refused)
{
	cth space, src;
	const apnas_decision *d;
	size_t nd;
	cth_toy(&space, toy6, 3, &d, &nd);
	const char *const wide[] = {"hidden=24"};
	cth_controller(&src, "reinforce_lstm", wide, 1, d, nd, 1);
	FILE *f = saved(&src);
	refuses(&kinds[0], d, nd, &space, f, APNAS_EINVAL, "hidden = 24");
	fclose(f);
	cth_close(&src);
	/* the same hidden, another head layout */
	const char *const per_op[] = {"hidden=16", "lr=0.01",
	                              "op_heads=per_decision"};
	cth_controller(&src, "reinforce_lstm", per_op, 3, d, nd, 1);
	f = saved(&src);
	refuses(&kinds[0], d, nd, &space, f, APNAS_EINVAL,
	        "op_heads = per_decision");
	fclose(f);
	cth_close(&src);
	const char *const per_layer[] = {"hidden=16", "lr=0.01",
	                                 "skip_heads=per_layer"};
	cth_controller(&src, "reinforce_lstm", per_layer, 3, d, nd, 1);
	f = saved(&src);
	refuses(&kinds[0], d, nd, &space, f, APNAS_EINVAL,
	        "skip_heads = per_layer");
	fclose(f);
	cth_close(&src);
	const char *const big[] = {"population=13", "sample_size=4"};
	cth_controller(&src, "evolution", big, 2, d, nd, 1);
	f = saved(&src);
	refuses(&kinds[2], d, nd, &space, f, APNAS_EINVAL, "population 13");
	fclose(f);
	cth_close(&src);
	cth_close(&space);
}
END_TEST

START_TEST(bad_update_input_is_refused)
{
	const kind *k = &kinds[_i];
	cth space, c, twin;
	const apnas_decision *d;
	size_t nd;
	cth_toy(&space, toy6, 3, &d, &nd);
	cth_controller(&c, k->name, k->set, k->n_set, d, nd, 4);
	cth_controller(&twin, k->name, k->set, k->n_set, d, nd, 4);
	const apnas_controller_ops *ops = cth_ctl(&c);
	int32_t toks[2 * MAX_DEC] = {0};
	double rw[2] = {0.5, 0.5};
	apnas_error err;
	ck_assert_int_eq(ops->update(c.self, toks, rw, 0, NULL, &err),
	                 APNAS_EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "at least one"));
	toks[nd + 1] = 4; /* ops = 4: choices 0..3 */
	ck_assert_int_eq(ops->update(c.self, toks, rw, 2, NULL, &err),
	                 APNAS_EINVAL);
	ck_assert_msg(strstr(err.msg, "architecture 1, decision 1"), "%s",
	              err.msg);
	toks[nd + 1] = 0;
	rw[1] = NAN;
	ck_assert_int_eq(ops->update(c.self, toks, rw, 2, NULL, &err),
	                 APNAS_EINVAL);
	ck_assert_msg(strstr(err.msg, "reward 1"), "%s", err.msg);
	trace ta = {0}, tb = {0};
	run_steps(&c, &space, nd, 3, &ta);
	run_steps(&twin, &space, nd, 3, &tb);
	same_trace(&ta, &tb, "after refused updates");
	free(ta.buf);
	free(tb.buf);
	cth_close(&c);
	cth_close(&twin);
	cth_close(&space);
}
END_TEST

static void create_fails(const char *name, const char *const *set, size_t n,
                         const apnas_decision *d, size_t nd,
                         const char *needle)
{
	cth c;
	apnas_error err;
	int rc = cth_open(&c, APNAS_KIND_CONTROLLER, name, set, n, d, nd, 1,
	                  &err);
	ck_assert_msg(rc == APNAS_EINVAL, "%s: %d (%s)", name, rc, err.msg);
	ck_assert_ptr_null(c.self);
	ck_assert_msg(strstr(err.msg, needle), "%s: \"%s\" lacks \"%s\"",
	              name, err.msg, needle);
	cth_close(&c);
}

START_TEST(bad_options_are_refused)
{
	cth space;
	const apnas_decision *d;
	size_t nd;
	cth_toy(&space, toy6, 3, &d, &nd);
	const char *const s1[] = {"population=10", "sample_size=11"};
	create_fails("evolution", s1, 2, d, nd, "sample_size (11)");
	const char *const s2[] = {"population=1"};
	create_fails("evolution", s2, 1, d, nd, "population");
	const char *const s3[] = {"tanh_c=-1"};
	create_fails("reinforce_lstm", s3, 1, d, nd, "tanh_c");
	const char *const s4[] = {"skip_target=1"};
	create_fails("reinforce_lstm", s4, 1, d, nd, "skip_target");
	const char *const s5[] = {"entropy_bonus=most"};
	create_fails("reinforce_lstm", s5, 1, d, nd, "entropy_bonus");
	const char *const s6[] = {"hiden=8"};
	create_fails("reinforce_lstm", s6, 1, d, nd, "hiden");
	const char *const s7[] = {"advantage=mean"};
	create_fails("reinforce_lstm", s7, 1, d, nd, "advantage");
	const char *const s8[] = {"op_heads=per_layer"};
	create_fails("reinforce_lstm", s8, 1, d, nd, "op_heads");
	const char *const s9[] = {"skip_heads=linear"};
	create_fails("reinforce_lstm", s9, 1, d, nd, "skip_heads");
	cth_close(&space);
}
END_TEST

START_TEST(bad_decision_lists_are_refused)
{
	const kind *k = &kinds[_i];
	const apnas_decision one_choice[] = {{APNAS_DECISION_OP, 1, 0, -1}};
	create_fails(k->name, k->set, k->n_set, one_choice, 1, "choices");
	const apnas_decision bad_skip[] = {
		{APNAS_DECISION_OP, 3, 0, -1},
		{APNAS_DECISION_OP, 3, 1, -1},
		{APNAS_DECISION_SKIP, 2, 1, 1},
	};
	create_fails(k->name, k->set, k->n_set, bad_skip, 3, "skip_from 1");
	create_fails(k->name, k->set, k->n_set, NULL, 0, "no decisions");

	/* CHOICE decisions (ABI 2.2): after every op and skip, tied to no
	 * layer, two choices at least */
	const apnas_decision choice_first[] = {
		{APNAS_DECISION_OP, 3, 0, -1},
		{APNAS_DECISION_CHOICE, 4, -1, -1},
		{APNAS_DECISION_OP, 3, 1, -1},
	};
	create_fails(k->name, k->set, k->n_set, choice_first, 3,
	             "decision 2 (op of layer 1) follows choice decision 1");
	const apnas_decision choice_before_skip[] = {
		{APNAS_DECISION_OP, 3, 0, -1},
		{APNAS_DECISION_OP, 3, 1, -1},
		{APNAS_DECISION_CHOICE, 4, -1, -1},
		{APNAS_DECISION_CHOICE, 2, -1, -1},
		{APNAS_DECISION_SKIP, 2, 1, 0},
	};
	create_fails(k->name, k->set, k->n_set, choice_before_skip, 5,
	             "decision 4 (skip of layer 1) follows choice decision 2");
	const apnas_decision choice_layer[] = {
		{APNAS_DECISION_OP, 3, 0, -1},
		{APNAS_DECISION_CHOICE, 4, 0, -1},
	};
	create_fails(k->name, k->set, k->n_set, choice_layer, 2,
	             "decision 1 (choice): layer 0, skip_from -1, expected "
	             "-1 and -1");
	const apnas_decision choice_from[] = {
		{APNAS_DECISION_OP, 3, 0, -1},
		{APNAS_DECISION_CHOICE, 4, -1, 0},
	};
	create_fails(k->name, k->set, k->n_set, choice_from, 2,
	             "skip_from 0");
	const apnas_decision choice_one[] = {
		{APNAS_DECISION_OP, 3, 0, -1},
		{APNAS_DECISION_CHOICE, 1, -1, -1},
	};
	create_fails(k->name, k->set, k->n_set, choice_one, 2,
	             "decision 1 (choice): 1 choices, expected >= 2");
	const apnas_decision kind4[] = {{4, 2, 0, -1}};
	create_fails(k->name, k->set, k->n_set, kind4, 1, "unknown kind 4");
}
END_TEST

/* A list of choices alone (a space of one fixed network) is a list like
 * any other: every controller samples it in range and learns from it. */
START_TEST(choices_alone)
{
	const kind *k = &kinds[_i];
	const apnas_decision d[] = {
		{APNAS_DECISION_CHOICE, 5, -1, -1},
		{APNAS_DECISION_CHOICE, 3, -1, -1},
	};
	cth c;
	cth_controller(&c, k->name, k->set, k->n_set, d, 2, 3);
	int32_t toks[AGG * 2];
	double rw[AGG];
	apnas_error err;
	for (int s = 0; s < 5; s++) {
		for (int j = 0; j < AGG; j++) {
			int32_t *t = toks + 2 * j;
			ck_assert_int_eq(cth_ctl(&c)->sample(c.self,
			                                     APNAS_SAMPLE_EVAL,
			                                     t, NULL, &err), 0);
			ck_assert(t[0] >= 0 && t[0] < 5 && t[1] >= 0 &&
			          t[1] < 3);
			rw[j] = (t[0] == 1) + (t[1] == 2);
		}
		ck_assert_msg(cth_ctl(&c)->update(c.self, toks, rw, AGG, NULL,
		                                  &err) == 0, "update: %s",
		              err.msg);
	}
	cth_close(&c);
}
END_TEST

START_TEST(reinforce_baseline_and_entropy_bonus)
{
	cth space, c;
	const apnas_decision *d;
	size_t nd;
	cth_toy(&space, toy6, 3, &d, &nd);
	/* b <- b - (1 - bl_dec)(b - R), starting from 0, R without bonus */
	const char *const ema[] = {"hidden=8", "bl_dec=0.5",
	                           "entropy_weight=0"};
	cth_controller(&c, "reinforce_lstm", ema, 3, d, nd, 1);
	int32_t toks[2 * MAX_DEC];
	apnas_error err;
	apnas_update_info ui;
	for (int k = 0; k < 2; k++)
		cth_ctl(&c)->sample(c.self, APNAS_SAMPLE_EVAL, toks + k * nd,
		                    NULL, &err);
	double rw[2] = {1.0, 0.0};
	ck_assert_int_eq(cth_ctl(&c)->update(c.self, toks, rw, 2, &ui, &err),
	                 0);
	ck_assert_double_eq_tol(ui.baseline, 0.25, 1e-15);
	char line[256];
	cth_ctl(&c)->describe(c.self, line, sizeof line);
	ck_assert_msg(strstr(line, "baseline=0.2500"), "%s", line);
	ck_assert_ptr_nonnull(strstr(line, "entropy="));
	cth_close(&c);

	/* bl_dec = 0: the baseline is the last reward with its bonus, and
	 * the full bonus is the entropy the sample reported. */
	const char *const bonus[] = {"hidden=8", "bl_dec=0",
	                             "entropy_weight=0.5",
	                             "entropy_bonus=full"};
	cth_controller(&c, "reinforce_lstm", bonus, 4, d, nd, 1);
	apnas_sample_info info;
	cth_ctl(&c)->sample(c.self, APNAS_SAMPLE_EVAL, toks, &info, &err);
	ck_assert(info.entropy > 0 && info.log_prob < 0);
	rw[0] = 0.3;
	ck_assert_int_eq(cth_ctl(&c)->update(c.self, toks, rw, 1, &ui, &err),
	                 0);
	ck_assert_double_eq_tol(ui.baseline, 0.3 + 0.5 * info.entropy, 1e-12);
	cth_close(&c);
	cth_close(&space);
}
END_TEST

/* advantage = batch_mean / normalized: the loss update() reports is
 * -mean_i log pi(arch_i) A_i with A_i = R_i - mean(R), divided by the
 * rewards' std for "normalized", R_i = reward + entropy_weight * the
 * sample's entropy; parameters do not move between sample and update, so
 * the sampled log_prob is the one the update sees. */
static void batch_loss(const char *mode, double ew, const double *rw)
{
	cth space, c;
	const apnas_decision *d;
	size_t nd;
	cth_toy(&space, toy6, 3, &d, &nd);
	char adv[64], ews[64];
	snprintf(adv, sizeof adv, "advantage=%s", mode);
	snprintf(ews, sizeof ews, "entropy_weight=%g", ew);
	const char *const set[] = {"hidden=8", "skip_weight=0",
	                           "entropy_bonus=full", adv, ews};
	cth_controller(&c, "reinforce_lstm", set, 5, d, nd, 3);
	int32_t toks[4 * MAX_DEC];
	double R[4], lp[4], mean = 0, var = 0, want = 0;
	apnas_error err;
	for (int k = 0; k < 4; k++) {
		apnas_sample_info info;
		ck_assert_int_eq(cth_ctl(&c)->sample(c.self, APNAS_SAMPLE_EVAL,
		                                     toks + k * nd, &info,
		                                     &err), 0);
		lp[k] = info.log_prob;
		R[k] = rw[k] + ew * info.entropy;
		mean += R[k] / 4;
	}
	for (int k = 0; k < 4; k++)
		var += (R[k] - mean) * (R[k] - mean) / 4;
	double scale = strcmp(mode, "normalized") ? 1.0 : 1.0 / sqrt(var);
	for (int k = 0; k < 4; k++)
		want -= lp[k] * (R[k] - mean) * scale / 4;
	apnas_update_info ui;
	ck_assert_msg(cth_ctl(&c)->update(c.self, toks, rw, 4, &ui, &err) ==
	              0, "update: %s", err.msg);
	ck_assert_msg(fabs(ui.loss - want) <= 1e-12 * fmax(1, fabs(want)),
	              "%s: loss %.15g, expected %.15g", mode, ui.loss, want);
	cth_close(&c);
	cth_close(&space);
}

START_TEST(reinforce_batch_advantages)
{
	const double rw[4] = {0.9, 0.2, 0.55, 0.1};
	batch_loss("batch_mean", 0, rw);
	batch_loss("normalized", 0, rw);
	batch_loss("batch_mean", 0.05, rw);
	batch_loss("normalized", 0.05, rw);

	/* Equal rewards say nothing about which architecture is better: with
	 * a batch advantage (and no skip penalty) such an update leaves the
	 * policy exactly as it was, where ENAS's baseline (0 at the start)
	 * takes them all as good news. */
	cth space;
	const apnas_decision *d;
	size_t nd;
	cth_toy(&space, toy6, 3, &d, &nd);
	const char *const modes[] = {"advantage=batch_mean",
	                             "advantage=normalized", "advantage=ema"};
	for (int m = 0; m < 3; m++) {
		const char *const set[] = {"hidden=8", "lr=0.05",
		                           "skip_weight=0", "entropy_weight=0",
		                           modes[m]};
		cth c, twin;
		cth_controller(&c, "reinforce_lstm", set, 5, d, nd, 4);
		cth_controller(&twin, "reinforce_lstm", set, 5, d, nd, 4);
		int32_t toks[AGG * MAX_DEC];
		double rw6[AGG];
		apnas_error err;
		for (int k = 0; k < AGG; k++) {
			cth_ctl(&c)->sample(c.self, APNAS_SAMPLE_EVAL,
			                    toks + k * nd, NULL, &err);
			cth_ctl(&twin)->sample(twin.self, APNAS_SAMPLE_EVAL,
			                       toks + k * nd, NULL, &err);
			rw6[k] = 0.5;
		}
		ck_assert_int_eq(cth_ctl(&c)->update(c.self, toks, rw6, AGG,
		                                     NULL, &err), 0);
		int32_t a[MAX_DEC], b[MAX_DEC];
		int same = 1;
		for (int k = 0; k < 20; k++) {
			apnas_sample_info ia, ib;
			cth_ctl(&c)->sample(c.self, APNAS_SAMPLE_EVAL, a, &ia,
			                    &err);
			cth_ctl(&twin)->sample(twin.self, APNAS_SAMPLE_EVAL, b,
			                       &ib, &err);
			same &= !memcmp(a, b, nd * sizeof *a) &&
			        ia.log_prob == ib.log_prob;
		}
		ck_assert_msg(same == (m < 2), "%s: the policy %s", modes[m],
		              same ? "did not move" : "moved");
		cth_close(&c);
		cth_close(&twin);
	}

	/* and they need a batch to take the mean of */
	const char *const set[] = {"hidden=8", "advantage=batch_mean"};
	cth c;
	cth_controller(&c, "reinforce_lstm", set, 2, d, nd, 4);
	int32_t toks[MAX_DEC];
	double r1 = 0.5;
	apnas_error err;
	cth_ctl(&c)->sample(c.self, APNAS_SAMPLE_EVAL, toks, NULL, &err);
	ck_assert_int_eq(cth_ctl(&c)->update(c.self, toks, &r1, 1, NULL, &err),
	                 APNAS_EINVAL);
	ck_assert_msg(strstr(err.msg, "at least 2 samples"), "%s", err.msg);
	cth_close(&c);
	cth_close(&space);
}
END_TEST

/* A list with no skip decisions and three op sizes: the LSTM is a plain
 * categorical sampler per step and learns a 6-token target. */
START_TEST(reinforce_on_a_list_without_skips)
{
	const apnas_decision d[] = {
		{APNAS_DECISION_OP, 3, 0, -1}, {APNAS_DECISION_OP, 5, 1, -1},
		{APNAS_DECISION_OP, 2, 2, -1}, {APNAS_DECISION_OP, 5, 2, -1},
		{APNAS_DECISION_OP, 3, 3, -1}, {APNAS_DECISION_OP, 2, 4, -1},
	};
	const int32_t target[] = {2, 4, 1, 0, 1, 0};
	const char *const set[] = {"hidden=16", "lr=0.01", "eps=1e-8",
	                           "tanh_c=2.5"};
	cth c;
	cth_controller(&c, "reinforce_lstm", set, 4, d, 6, 2);
	int32_t toks[10 * 6];
	double rw[10], last = 0;
	apnas_error err;
	for (int s = 0; s < 150; s++) {
		for (int k = 0; k < 10; k++) {
			int32_t *t = toks + k * 6;
			cth_ctl(&c)->sample(c.self, APNAS_SAMPLE_EVAL, t, NULL,
			                    &err);
			int same = 0;
			for (int i = 0; i < 6; i++) {
				ck_assert(t[i] >= 0 && t[i] < d[i].n_choices);
				same += t[i] == target[i];
			}
			rw[k] = same / 6.0;
			if (s >= 140)
				last += rw[k] / 100;
		}
		ck_assert_int_eq(cth_ctl(&c)->update(c.self, toks, rw, 10, NULL,
		                                     &err), 0);
	}
	ck_assert_msg(last >= 0.9, "mean reward of the last 100: %.3f", last);
	cth_close(&c);
}
END_TEST

static int differing(const int32_t *a, const int32_t *b, size_t n)
{
	int k = 0;
	for (size_t i = 0; i < n; i++)
		k += a[i] != b[i];
	return k;
}

START_TEST(evolution_population_and_mutation)
{
	cth space, c;
	const apnas_decision *d;
	size_t nd;
	cth_toy(&space, toy6, 3, &d, &nd);
	const char *const set[] = {"population=8", "sample_size=3"};
	cth_controller(&c, "evolution", set, 2, d, nd, 6);
	const apnas_controller_ops *ops = cth_ctl(&c);
	apnas_error err;
	int32_t *cand;
	size_t n;
	ck_assert_int_eq(ops->candidates(c.self, &cand, &n, &err), 0);
	ck_assert_uint_eq(n, 0);
	/* the first P EVAL samples are random: they need no update */
	int32_t pop[8 * MAX_DEC], tok[MAX_DEC];
	double rw[8];
	for (int k = 0; k < 8; k++) {
		ops->sample(c.self, APNAS_SAMPLE_EVAL, pop + k * nd, NULL, &err);
		rw[k] = k / 8.0;
	}
	ck_assert_int_eq(ops->update(c.self, pop, rw, 8, NULL, &err), 0);
	char line[256];
	ops->describe(c.self, line, sizeof line);
	ck_assert_msg(strstr(line, "best=0.8750") &&
	              strstr(line, "median=0.4375"), "%s", line);
	/* then every EVAL sample is a member with one decision changed, and
	 * TRAIN samples are members */
	for (int s = 0; s < 50; s++) {
		ops->sample(c.self, APNAS_SAMPLE_EVAL, tok, NULL, &err);
		int one = 0;
		for (int k = 0; k < 8; k++)
			one |= differing(tok, pop + k * nd, nd) == 1;
		ck_assert_msg(one, "EVAL sample %d is no one-step mutation", s);
		ops->sample(c.self, APNAS_SAMPLE_TRAIN, tok, NULL, &err);
		int member = 0;
		for (int k = 0; k < 8; k++)
			member |= !differing(tok, pop + k * nd, nd);
		ck_assert(member);
	}
	/* aging: three more die the three oldest, whatever their reward */
	int32_t young[3 * MAX_DEC];
	double yr[3] = {0.0, 0.0, 0.0};
	for (int k = 0; k < 3; k++)
		ops->sample(c.self, APNAS_SAMPLE_EVAL, young + k * nd, NULL,
		            &err);
	ck_assert_int_eq(ops->update(c.self, young, yr, 3, NULL, &err), 0);
	ck_assert_int_eq(ops->candidates(c.self, &cand, &n, &err), 0);
	ck_assert_uint_eq(n, 8);
	ck_assert(!memcmp(cand, pop + 3 * nd, 5 * nd * sizeof *cand));
	ck_assert(!memcmp(cand + 5 * nd, young, 3 * nd * sizeof *cand));
	free(cand);
	cth_close(&c);
	cth_close(&space);
}
END_TEST

/* With op, skip and choice decisions, a mutation picks the kind first,
 * 1/3 each, then one decision of it: a choice moves to another of its
 * values like an op.  Counted over EVAL samples of a fixed population
 * (no update in between), each a member with one decision changed. */
START_TEST(evolution_mutates_every_kind)
{
	cth space, c;
	const apnas_decision *td;
	apnas_decision d[MAX_DEC];
	size_t nd;
	cth_toy(&space, toy6, 3, &td, &nd);
	nd = joint_list(td, nd, d);
	const char *const set[] = {"population=8", "sample_size=3"};
	cth_controller(&c, "evolution", set, 2, d, nd, 6);
	const apnas_controller_ops *ops = cth_ctl(&c);
	apnas_error err;
	int32_t pop[8 * MAX_DEC], tok[MAX_DEC];
	double rw[8];
	for (int k = 0; k < 8; k++) {
		ops->sample(c.self, APNAS_SAMPLE_EVAL, pop + k * nd, NULL, &err);
		rw[k] = k / 8.0;
	}
	ck_assert_int_eq(ops->update(c.self, pop, rw, 8, NULL, &err), 0);
	const int draws = 3000;
	int by_kind[4] = {0}, moved[N_HW] = {0};
	for (int s = 0; s < draws; s++) {
		ops->sample(c.self, APNAS_SAMPLE_EVAL, tok, NULL, &err);
		long at = -1;
		for (int k = 0; k < 8 && at < 0; k++) {
			const int32_t *m = pop + k * nd;
			if (differing(tok, m, nd) != 1)
				continue;
			for (size_t i = 0; i < nd; i++)
				if (tok[i] != m[i])
					at = (long)i;
		}
		ck_assert_msg(at >= 0, "EVAL sample %d is no one-step mutation",
		              s);
		ck_assert(tok[at] >= 0 && tok[at] < d[at].n_choices);
		by_kind[d[at].kind]++;
		if (d[at].kind == APNAS_DECISION_CHOICE)
			moved[at - (long)(nd - N_HW)]++;
	}
	for (int kd = APNAS_DECISION_OP; kd <= APNAS_DECISION_CHOICE; kd++) {
		double p = 1.0 / 3, sd = sqrt(draws * p * (1 - p));
		ck_assert_msg(fabs(by_kind[kd] - draws * p) < 5 * sd,
		              "kind %d mutated %d times of %d", kd,
		              by_kind[kd], draws);
	}
	/* each choice about a third of the choice mutations */
	for (int j = 0; j < N_HW; j++)
		ck_assert_msg(moved[j] > draws / 9 / 2, "choice %d moved %d "
		              "times", j, moved[j]);
	cth_close(&c);
	cth_close(&space);
}
END_TEST

START_TEST(random_is_uniform)
{
	const apnas_decision d[] = {
		{APNAS_DECISION_OP, 6, 0, -1}, {APNAS_DECISION_OP, 3, 1, -1},
		{APNAS_DECISION_SKIP, 2, 1, 0}, {APNAS_DECISION_CHOICE, 5, -1, -1},
	};
	cth c;
	cth_controller(&c, "random", NULL, 0, d, 4, 9);
	int count[4][6] = {{0}};
	const int draws = 6000;
	apnas_error err;
	for (int s = 0; s < draws; s++) {
		int32_t t[4];
		apnas_sample_info info;
		cth_ctl(&c)->sample(c.self, APNAS_SAMPLE_EVAL, t, &info, &err);
		ck_assert_double_eq_tol(info.log_prob, -log(180.0), 1e-12);
		ck_assert_double_eq_tol(info.entropy, log(180.0), 1e-12);
		for (int i = 0; i < 4; i++)
			count[i][t[i]]++;
	}
	for (int i = 0; i < 4; i++) {
		int n = d[i].n_choices;
		double p = 1.0 / n, mean = draws * p;
		double sd = sqrt(draws * p * (1 - p));
		for (int v = 0; v < n; v++)
			ck_assert_msg(fabs(count[i][v] - mean) < 5 * sd,
			              "decision %d choice %d: %d draws", i, v,
			              count[i][v]);
	}
	char line[128];
	cth_ctl(&c)->describe(c.self, line, sizeof line);
	ck_assert_msg(strstr(line, "samples=6000"), "%s", line);
	cth_close(&c);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("controller_state");
	TCase *tc = tcase_create("all");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, same_seed_same_samples, 0, 2 * N_KINDS);
	tcase_add_loop_test(tc, save_load_continues_identically, 0,
	                    2 * N_KINDS);
	tcase_add_loop_test(tc, bad_states_are_refused, 0, N_KINDS);
	tcase_add_loop_test(tc, states_from_before_choices_load_unchanged, 0,
	                    4);
	tcase_add_test(tc, shape_mismatch_is_refused);
	tcase_add_test(tc, impossible_states_are_refused);
	tcase_add_loop_test(tc, bad_update_input_is_refused, 0, N_KINDS);
	tcase_add_test(tc, bad_options_are_refused);
	tcase_add_loop_test(tc, bad_decision_lists_are_refused, 0, N_KINDS);
	tcase_add_loop_test(tc, choices_alone, 0, N_KINDS);
	tcase_add_test(tc, evolution_mutates_every_kind);
	tcase_add_test(tc, reinforce_baseline_and_entropy_bonus);
	tcase_add_test(tc, reinforce_on_a_list_without_skips);
	tcase_add_test(tc, evolution_population_and_mutation);
	tcase_add_test(tc, random_is_uniform);
	tcase_add_test(tc, reinforce_batch_advantages);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
