/* The LSTM controller's numerics (plugins/controller/lstm.c, compiled into
 * this test): the hand-written gradient of log pi(arch) and of the skip
 * penalty against central finite differences for every parameter tensor;
 * that the sampling distribution is a distribution (exhaustive sum over a
 * tiny space) and that sampling draws from it; all of it for ENAS's head
 * layout and for NNI's (one softmax per op decision, one linear skip head
 * per layer); all of it again with a co-search's CHOICE decisions after
 * the network (each with a head of its own); and the decision lists the
 * LSTM refuses. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <apnas/plugin.h>
#include <apnas/rng.h>

#include "lstm.h"

#define OP(n, l) {APNAS_DECISION_OP, (n), (l), -1}
#define SK(l, j) {APNAS_DECISION_SKIP, 2, (l), (j)}
#define CH(n) {APNAS_DECISION_CHOICE, (n), -1, -1}

/* Two op sizes (two heads), a layer with two ops, a layer without skips
 * between layers with skips, and skip bits that do not cover every earlier
 * layer: every path of the plan. */
static const apnas_decision mixed[] = {
	OP(5, 0),
	OP(3, 1), OP(5, 1), SK(1, 0),
	OP(5, 2), SK(2, 0), SK(2, 1),
	OP(3, 3),
	OP(5, 4), SK(4, 3), SK(4, 1), SK(4, 2),
};
#define N_MIXED (sizeof mixed / sizeof mixed[0])

/* The last op's embedding feeds nothing, so its size recurs earlier. */
static const apnas_decision ops_only[] = {
	OP(4, 0), OP(2, 1), OP(6, 2), OP(4, 3), OP(2, 4),
};
#define N_OPS (sizeof ops_only / sizeof ops_only[0])

/* The lists above with hardware choices appended (ABI 2.2): sizes that
 * repeat the op sizes, so that a head shared with the ops would show, and
 * one size of their own; after the skips (the first choice fed by the
 * last layer's skip mean) and after plain ops. */
static const apnas_decision mixed_hw[] = {
	OP(5, 0),
	OP(3, 1), OP(5, 1), SK(1, 0),
	OP(5, 2), SK(2, 0), SK(2, 1),
	OP(3, 3),
	OP(5, 4), SK(4, 3), SK(4, 1), SK(4, 2),
	CH(5), CH(3), CH(7),
};
#define N_MIXED_HW (sizeof mixed_hw / sizeof mixed_hw[0])
static const apnas_decision ops_hw[] = {
	OP(4, 0), OP(2, 1), OP(6, 2), OP(4, 3), OP(2, 4), CH(4), CH(2),
};
#define N_OPS_HW (sizeof ops_hw / sizeof ops_hw[0])

/* The head layouts (op_heads, skip_heads of reinforce_lstm): ENAS's, and
 * NNI's one softmax per op decision and one linear skip head per layer. */
enum { ENAS_HEADS = 0, OP_PER_DECISION = 1, SKIP_PER_LAYER = 2 };

static ctl_lstm *make_heads(const apnas_decision *d, size_t n, double tanh_c,
                            double temp, uint64_t seed, int heads)
{
	/* A wide init so that tanh, softmax and sigmoid are all off their
	 * linear parts and a wrong derivative shows. */
	ctl_lstm_cfg cfg = {.hidden = 5, .init_range = 0.8, .tanh_c = tanh_c,
	                    .temperature = temp, .skip_target = 0.3,
	                    .head_per_decision = !!(heads & OP_PER_DECISION),
	                    .skip_linear = !!(heads & SKIP_PER_LAYER)};
	apnas_rng rng;
	apnas_rng_seed(&rng, seed);
	apnas_error err = {0};
	ctl_lstm *m = NULL;
	int rc = ctl_lstm_create(&m, &cfg, d, n, &rng, &err);
	ck_assert_msg(rc == 0, "create: %s", err.msg);
	return m;
}

static ctl_lstm *make(const apnas_decision *d, size_t n, double tanh_c,
                      double temp, uint64_t seed)
{
	return make_heads(d, n, tanh_c, temp, seed, ENAS_HEADS);
}

/* The offset of the embedding only the last step reads from, or
 * (size_t)-1 when the last step is an anchor or shares its head. */
static size_t last_own_emb(const ctl_lstm *m)
{
	const ctl_step *last = &m->steps[m->n_steps - 1];
	if (last->anchor)
		return (size_t)-1;
	int k = m->tok_head[last->index];
	for (size_t i = 0; i + 1 < m->n_dec; i++)
		if (m->tok_head[i] == k)
			return (size_t)-1;
	return m->off_emb[k];
}

/* Checks d f / dp for f = c_logp * log_prob + c_kl * kl at tokens tok. */
static void check_grad(ctl_lstm *m, int32_t *tok, double c_logp, double c_kl)
{
	ctl_lstm_out o;
	memset(m->g, 0, m->n_params * sizeof *m->g);
	ctl_lstm_forward(m, NULL, tok, &o);
	ctl_lstm_backward(m, c_logp, c_kl);
	const double eps = 1e-5;
	for (size_t t = 0; t < m->n_tensors; t++) {
		const ctl_tensor *ts = &m->tensors[t];
		double maxg = 0;
		for (size_t k = ts->off; k < ts->off + ts->rows * ts->cols;
		     k++) {
			double save = m->p[k];
			m->p[k] = save + eps;
			ctl_lstm_forward(m, NULL, tok, &o);
			double fp = c_logp * o.log_prob + c_kl * o.kl;
			m->p[k] = save - eps;
			ctl_lstm_forward(m, NULL, tok, &o);
			double fm = c_logp * o.log_prob + c_kl * o.kl;
			m->p[k] = save;
			double num = (fp - fm) / (2 * eps), ana = m->g[k];
			double tol = 1e-7 + 1e-5 * fmax(fabs(num), fabs(ana));
			ck_assert_msg(fabs(num - ana) <= tol,
			              "%s[%zu]: analytic %.10g, numeric %.10g "
			              "(c_logp %g, c_kl %g)", ts->name,
			              k - ts->off, ana, num, c_logp, c_kl);
			if (fabs(ana) > maxg)
				maxg = fabs(ana);
		}
		/* w_emb rows of unchosen ops get no gradient, but every
		 * tensor as a whole must, or the check proved nothing; but
		 * the embedding of a last step whose head is its own feeds
		 * nothing, and its gradient is exactly zero. */
		/* and the skip penalty cannot depend on the choices that
		 * follow every skip */
		if (ts->off == last_own_emb(m) ||
		    (c_logp == 0 && (!strncmp(ts->name, "w_soft_c", 8) ||
		                     !strncmp(ts->name, "w_emb_c", 7)))) {
			ck_assert_msg(maxg == 0, "%s: gradient %g, expected 0",
			              ts->name, maxg);
			continue;
		}
		if (c_logp != 0 || strncmp(ts->name, "w_soft", 6))
			ck_assert_msg(maxg > 1e-6,
			              "%s: gradient is zero everywhere",
			              ts->name);
	}
}

static void grad_case_heads(const apnas_decision *d, size_t n,
                            double tanh_c, double temp, int heads)
{
	for (uint64_t seed = 1; seed <= 3; seed++) {
		ctl_lstm *m = make_heads(d, n, tanh_c, temp, seed, heads);
		int32_t tok[64];
		apnas_rng rng;
		apnas_rng_seed(&rng, 100 + seed);
		ctl_lstm_out o;
		ctl_lstm_forward(m, &rng, tok, &o);
		/* force some skip bits on so the skip-mean path is used */
		for (size_t i = 0; i < n; i++)
			if (d[i].kind == APNAS_DECISION_SKIP && i % 2)
				tok[i] = 1;
		check_grad(m, tok, 1.0, 0.0);
		int has_skip = 0;
		for (size_t i = 0; i < n; i++)
			has_skip |= d[i].kind == APNAS_DECISION_SKIP;
		if (has_skip) {
			check_grad(m, tok, 0.0, 1.0);
			check_grad(m, tok, -0.7, 0.8);
		}
		ctl_lstm_free(m);
	}
}

static void grad_case(const apnas_decision *d, size_t n, double tanh_c,
                      double temp)
{
	grad_case_heads(d, n, tanh_c, temp, ENAS_HEADS);
}

START_TEST(grad_mixed_plain)
{
	grad_case(mixed, N_MIXED, 0, 0);
}
END_TEST

START_TEST(grad_mixed_tanh_temperature)
{
	grad_case(mixed, N_MIXED, 1.5, 2.0);
}
END_TEST

START_TEST(grad_ops_only)
{
	grad_case(ops_only, N_OPS, 2.5, 0);
}
END_TEST

/* NNI's layouts, each alone and together, plain and transformed: the
 * per-decision op heads and the per-layer skip heads (including a layer
 * without skips between layers with them) against finite differences. */
START_TEST(grad_mixed_other_heads)
{
	for (int heads = 1; heads <= 3; heads++) {
		grad_case_heads(mixed, N_MIXED, 0, 0, heads);
		grad_case_heads(mixed, N_MIXED, 1.5, 2.0, heads);
	}
}
END_TEST

/* A co-search's choices, in every head layout, plain and transformed:
 * their heads are trained through their own softmax and through every
 * later step their embedding feeds. */
START_TEST(grad_with_choices)
{
	for (int heads = 0; heads <= 3; heads++) {
		grad_case_heads(mixed_hw, N_MIXED_HW, 0, 0, heads);
		grad_case_heads(mixed_hw, N_MIXED_HW, 1.5, 2.0, heads);
		grad_case_heads(ops_hw, N_OPS_HW, 2.5, 0, heads);
	}
	const apnas_decision only[] = {CH(3), CH(4), CH(2)};
	grad_case(only, 3, 1.5, 0);
}
END_TEST

/* Each choice has a (w_soft_c<i>, w_emb_c<i>) pair of its own, whatever
 * op_heads says, after every tensor of the network; so the network's
 * tensors keep their offsets and their initial values (drawn first), and
 * the choices are the last steps, after the last anchor. */
START_TEST(tensor_set_with_choices)
{
	for (int heads = 0; heads <= 3; heads++) {
		ctl_lstm *net = make_heads(mixed, N_MIXED, 0, 0, 4, heads);
		ctl_lstm *m = make_heads(mixed_hw, N_MIXED_HW, 0, 0, 4, heads);
		ck_assert_uint_eq(m->n_tensors, net->n_tensors + 6);
		for (size_t t = 0; t < net->n_tensors; t++) {
			ck_assert_str_eq(m->tensors[t].name,
			                 net->tensors[t].name);
			ck_assert_uint_eq(m->tensors[t].off,
			                  net->tensors[t].off);
		}
		ck_assert(!memcmp(m->p, net->p,
		                  net->n_params * sizeof *m->p));
		const char *want[] = {"w_soft_c0", "w_emb_c0", "w_soft_c1",
		                      "w_emb_c1", "w_soft_c2", "w_emb_c2"};
		const size_t hw_n[] = {5, 3, 7};
		size_t total = net->n_params;
		for (size_t j = 0; j < 6; j++) {
			const ctl_tensor *ts = &m->tensors[net->n_tensors + j];
			ck_assert_str_eq(ts->name, want[j]);
			ck_assert_uint_eq(j % 2 ? ts->cols : ts->rows, 5);
			ck_assert_uint_eq(j % 2 ? ts->rows : ts->cols,
			                  hw_n[j / 2]);
			total += ts->rows * ts->cols;
		}
		ck_assert_uint_eq(total, m->n_params);
		ck_assert_uint_eq(m->n_steps, net->n_steps + 3);
		for (size_t j = 0; j < 3; j++) {
			const ctl_step *st = &m->steps[net->n_steps + j];
			ck_assert(!st->anchor);
			ck_assert_uint_eq(st->index, N_MIXED + j);
		}
		ck_assert(m->steps[net->n_steps - 1].anchor);
		ctl_lstm_free(m);
		ctl_lstm_free(net);
	}
}
END_TEST

/* Every tensor the model declares is one the test walked: the ops-only
 * list has no attention tensors, the mixed one has two heads. */
START_TEST(tensor_set)
{
	ctl_lstm *m = make(mixed, N_MIXED, 0, 0, 1);
	const char *want[] = {"w_lstm", "g_emb", "w_soft_5", "w_emb_5",
	                      "w_soft_3", "w_emb_3", "w_attn1", "w_attn2",
	                      "v_attn"};
	ck_assert_uint_eq(m->n_tensors, 9);
	size_t total = 0;
	for (size_t t = 0; t < 9; t++) {
		ck_assert_str_eq(m->tensors[t].name, want[t]);
		total += m->tensors[t].rows * m->tensors[t].cols;
	}
	ck_assert_uint_eq(total, m->n_params);
	ctl_lstm_free(m);
	m = make(ops_only, N_OPS, 0, 0, 1);
	ck_assert_uint_eq(m->n_tensors, 2 + 2 * 3);
	ck_assert(!m->use_anchors);
	ctl_lstm_free(m);
}
END_TEST

/* NNI's layouts: one (w_soft, w_emb) pair per op decision, numbered in
 * token order, and one w_skip per layer with skip bits, H x its bits, in
 * place of the attention tensors. */
START_TEST(tensor_set_other_heads)
{
	ctl_lstm *m = make_heads(mixed, N_MIXED, 0, 0, 1,
	                         OP_PER_DECISION | SKIP_PER_LAYER);
	const char *want[] = {"w_lstm", "g_emb",
	                      "w_soft_d0", "w_emb_d0", "w_soft_d1", "w_emb_d1",
	                      "w_soft_d2", "w_emb_d2", "w_soft_d3", "w_emb_d3",
	                      "w_soft_d4", "w_emb_d4", "w_soft_d5", "w_emb_d5",
	                      "w_skip_1", "w_skip_2", "w_skip_4"};
	const size_t op_n[] = {5, 3, 5, 5, 3, 5}, skip_n[] = {1, 2, 3};
	ck_assert_uint_eq(m->n_tensors, 17);
	size_t total = 0;
	for (size_t t = 0; t < 17; t++) {
		const ctl_tensor *ts = &m->tensors[t];
		ck_assert_str_eq(ts->name, want[t]);
		if (t >= 2 && t < 14)
			ck_assert_uint_eq(t % 2 ? ts->rows : ts->cols,
			                  op_n[(t - 2) / 2]);
		if (t >= 14) {
			ck_assert_uint_eq(ts->rows, 5);
			ck_assert_uint_eq(ts->cols, skip_n[t - 14]);
		}
		total += ts->rows * ts->cols;
	}
	ck_assert_uint_eq(total, m->n_params);
	ctl_lstm_free(m);
	/* each option alone changes only its own tensors */
	m = make_heads(mixed, N_MIXED, 0, 0, 1, SKIP_PER_LAYER);
	ck_assert_uint_eq(m->n_tensors, 2 + 2 * 2 + 3);
	ck_assert_str_eq(m->tensors[2].name, "w_soft_5");
	ctl_lstm_free(m);
	m = make_heads(mixed, N_MIXED, 0, 0, 1, OP_PER_DECISION);
	ck_assert_uint_eq(m->n_tensors, 2 + 2 * 6 + 3);
	ck_assert_str_eq(m->tensors[14].name, "w_attn1");
	ctl_lstm_free(m);
}
END_TEST

/* Small spaces: 3 ops, then 2 ops + a skip bit, then 2 ops + two bits;
 * and that with two hardware choices after it. */
static const apnas_decision tiny[] = {
	OP(3, 0), OP(2, 1), SK(1, 0), OP(2, 2), SK(2, 0), SK(2, 1),
};
static const apnas_decision tiny_hw[] = {
	OP(3, 0), OP(2, 1), SK(1, 0), OP(2, 2), SK(2, 0), SK(2, 1),
	CH(3), CH(2),
};
#define MAX_TINY 8
#define MAX_ARCHS (3 * 2 * 2 * 2 * 2 * 2 * 3 * 2)

static size_t tiny_index(const apnas_decision *d, size_t n, const int32_t *t)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		k = k * (size_t)d[i].n_choices + (size_t)t[i];
	return k;
}

static void tiny_tokens(const apnas_decision *d, size_t n, size_t k,
                        int32_t *t)
{
	for (size_t i = n; i-- > 0;) {
		t[i] = (int32_t)(k % (size_t)d[i].n_choices);
		k /= (size_t)d[i].n_choices;
	}
}

/* For each head layout (the loop index mod 4), without and with
 * choices (the loop index / 4). */
START_TEST(distribution_sums_to_one_and_matches_sampling)
{
	const apnas_decision *d = _i < 4 ? tiny : tiny_hw;
	size_t n = _i < 4 ? 6 : 8, archs = 1;
	for (size_t i = 0; i < n; i++)
		archs *= (size_t)d[i].n_choices;
	ctl_lstm *m = make_heads(d, n, 1.5, 0, 7, _i % 4);
	static double p[MAX_ARCHS];
	static int count[MAX_ARCHS];
	double sum = 0;
	int32_t tok[MAX_TINY];
	ctl_lstm_out o;
	for (size_t k = 0; k < archs; k++) {
		tiny_tokens(d, n, k, tok);
		ctl_lstm_forward(m, NULL, tok, &o);
		p[k] = exp(o.log_prob);
		sum += p[k];
	}
	ck_assert_double_eq_tol(sum, 1.0, 1e-12);

	/* Sampled frequencies against pi: every cell within 5 sigma. */
	const int draws = 40000;
	memset(count, 0, sizeof count);
	apnas_rng rng;
	apnas_rng_seed(&rng, 99);
	for (int s = 0; s < draws; s++) {
		ctl_lstm_forward(m, &rng, tok, &o);
		size_t k = tiny_index(d, n, tok);
		count[k]++;
		ck_assert_double_eq_tol(o.log_prob, log(p[k]), 1e-12);
	}
	for (size_t k = 0; k < archs; k++) {
		double mean = draws * p[k];
		double sd = sqrt(draws * p[k] * (1 - p[k]));
		ck_assert_msg(fabs(count[k] - mean) <= 5 * sd + 1,
		              "architecture %zu: %d draws, expected %.1f", k,
		              count[k], mean);
	}
	ctl_lstm_free(m);
}
END_TEST

/* The full entropy is the entropy of each step's distribution: for a
 * list of independent-looking ops it must be within [0, sum log n], and
 * with all logits zero exactly sum log n. */
START_TEST(entropy_bounds)
{
	ctl_lstm *m = make(ops_only, N_OPS, 0, 0, 3);
	int32_t tok[N_OPS];
	apnas_rng rng;
	apnas_rng_seed(&rng, 5);
	ctl_lstm_out o;
	double hmax = 2 * log(4) + 2 * log(2) + log(6);
	ctl_lstm_forward(m, &rng, tok, &o);
	ck_assert(o.entropy > 0 && o.entropy < hmax);
	ck_assert(o.entropy_sampled > 0);
	for (size_t t = 0; t < m->n_tensors; t++)
		if (!strncmp(m->tensors[t].name, "w_soft", 6))
			memset(m->p + m->tensors[t].off, 0,
			       m->tensors[t].rows * m->tensors[t].cols *
			               sizeof(double));
	ctl_lstm_forward(m, &rng, tok, &o);
	ck_assert_double_eq_tol(o.entropy, hmax, 1e-12);
	ck_assert_double_eq_tol(o.log_prob, -hmax, 1e-12);
	ctl_lstm_free(m);
}
END_TEST

static void refused(const apnas_decision *d, size_t n, const char *needle)
{
	ctl_lstm_cfg cfg = {.hidden = 4, .init_range = 0.1,
	                    .skip_target = 0.4};
	apnas_rng rng;
	apnas_rng_seed(&rng, 1);
	apnas_error err = {0};
	ctl_lstm *m = NULL;
	int rc = ctl_lstm_create(&m, &cfg, d, n, &rng, &err);
	ck_assert_int_eq(rc, APNAS_EINVAL);
	ck_assert_ptr_null(m);
	ck_assert_msg(strstr(err.msg, needle), "message \"%s\" lacks \"%s\"",
	              err.msg, needle);
}

START_TEST(refuses_structures_it_cannot_walk)
{
	const apnas_decision back[] = {OP(2, 1), OP(2, 0)};
	refused(back, 2, "layer 0 after layer 1");
	const apnas_decision op_after_skip[] = {OP(2, 0), SK(1, 0), OP(2, 1)};
	refused(op_after_skip, 3, "follows a skip");
	const apnas_decision no_anchor[] = {OP(2, 0), OP(2, 2), SK(2, 1)};
	refused(no_anchor, 3, "layer 1 has no decisions");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("lstm");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, grad_mixed_plain);
	tcase_add_test(tc, grad_mixed_tanh_temperature);
	tcase_add_test(tc, grad_ops_only);
	tcase_add_test(tc, grad_mixed_other_heads);
	tcase_add_test(tc, grad_with_choices);
	tcase_add_test(tc, tensor_set);
	tcase_add_test(tc, tensor_set_other_heads);
	tcase_add_test(tc, tensor_set_with_choices);
	tcase_add_loop_test(tc, distribution_sums_to_one_and_matches_sampling,
	                    0, 8);
	tcase_add_test(tc, entropy_bounds);
	tcase_add_test(tc, refuses_structures_it_cannot_walk);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
