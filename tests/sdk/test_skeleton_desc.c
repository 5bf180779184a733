/* The skeleton descriptors: what the loader and a third party's copy rely
 * on, checked for every kind straight from the built .so files. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "opts_internal.h"
#include "skel_harness.h"

static const apnas_kind kinds[] = {APNAS_KIND_SPACE, APNAS_KIND_CONTROLLER,
                                   APNAS_KIND_REWARD, APNAS_KIND_COST};
#define N_KINDS (sizeof kinds / sizeof kinds[0])

START_TEST(descriptor_fields)
{
	skel p;
	skel_load(&p, kinds[_i]);
	const apnas_plugin_desc *d = p.desc;
	ck_assert_int_eq(d->kind, kinds[_i]);
	ck_assert_str_eq(d->name, "skeleton");
	ck_assert_uint_eq(d->abi_major, APNAS_ABI_MAJOR);
	ck_assert_uint_le(d->abi_minor, APNAS_ABI_MINOR);
	ck_assert_uint_eq(d->struct_size, sizeof(apnas_plugin_desc));
	ck_assert_ptr_nonnull(d->version);
	ck_assert_msg(d->version[0] != '\0', "empty version");
	ck_assert_ptr_nonnull(d->summary);
	ck_assert_msg(d->summary[0] != '\0' && !strchr(d->summary, '\n'),
	              "summary is not one line: '%s'", d->summary);
	ck_assert_ptr_nonnull(d->options);
	apnas_error err;
	apnas_error_clear(&err);
	ck_assert_msg(apnas_options_check_table(d->options, "skeleton", &err)
	              == 0, "option table refused: %s", err.msg);
	/* A template that shows no option would teach nothing. */
	ck_assert_ptr_nonnull(d->options[0].key);
	ck_assert_ptr_nonnull(d->options[1].key);
	skel_close(&p);
}
END_TEST

/* Every op the ABI marks Required, per kind, and ops_size matching the
 * table the headers define. */
START_TEST(required_ops_present)
{
	skel p;
	skel_load(&p, kinds[_i]);
	const void *o = p.desc->ops;
	ck_assert_ptr_nonnull(o);
	const apnas_common_ops *c = o;
	ck_assert_ptr_nonnull(c->create);
	ck_assert_ptr_nonnull(c->destroy);
	switch (kinds[_i]) {
	case APNAS_KIND_SPACE: {
		const apnas_space_ops *s = o;
		ck_assert_uint_eq(p.desc->ops_size, sizeof *s);
		ck_assert_ptr_nonnull(s->decisions);
		ck_assert_ptr_nonnull(s->format);
		ck_assert_ptr_nonnull(s->parse);
		ck_assert_ptr_nonnull(s->child_net);
		/* A space provides train_step or score. */
		ck_assert_ptr_nonnull(s->score);
		break;
	}
	case APNAS_KIND_CONTROLLER: {
		const apnas_controller_ops *s = o;
		ck_assert_uint_eq(p.desc->ops_size, sizeof *s);
		ck_assert_ptr_nonnull(s->sample);
		ck_assert_ptr_nonnull(s->update);
		ck_assert_ptr_nonnull(s->save);
		ck_assert_ptr_nonnull(s->load);
		ck_assert_ptr_nonnull(s->describe);
		break;
	}
	case APNAS_KIND_REWARD: {
		const apnas_reward_ops *s = o;
		ck_assert_uint_eq(p.desc->ops_size, sizeof *s);
		ck_assert_ptr_nonnull(s->reward);
		ck_assert_ptr_nonnull(s->front_metric);
		/* reference and resolve come as a pair. */
		ck_assert((s->reference == NULL) == (s->resolve == NULL));
		break;
	}
	case APNAS_KIND_COST: {
		const apnas_cost_ops *s = o;
		ck_assert_uint_eq(p.desc->ops_size, sizeof *s);
		ck_assert_ptr_nonnull(s->metrics);
		ck_assert_ptr_nonnull(s->cost);
		/* The table is at least as large as its minor requires. */
		ck_assert_uint_ge(p.desc->ops_size,
		                  apnas_abi_ops_size(APNAS_KIND_COST,
		                                     p.desc->abi_minor));
		break;
	}
	}
	skel_close(&p);
}
END_TEST

/* Every skeleton creates from its defaults alone, and destroy(NULL) is
 * safe, as the ABI requires. */
START_TEST(create_from_defaults)
{
	static const apnas_decision dec[] = {
		{APNAS_DECISION_OP, 3, 0, -1},
		{APNAS_DECISION_OP, 3, 1, -1},
		{APNAS_DECISION_SKIP, 2, 1, 0},
	};
	apnas_plugin_ctx ctx = {.seed = 7, .threads = 1};
	if (kinds[_i] == APNAS_KIND_CONTROLLER) {
		ctx.decisions = dec;
		ctx.n_decisions = 3;
	}
	/* A reward gets the run's metrics: here those of a run costed by
	 * the skeleton cost model. */
	skel cost = {0};
	apnas_metricset ms = {0};
	if (kinds[_i] == APNAS_KIND_REWARD) {
		skel_open_ok(&cost, APNAS_KIND_COST, SKEL_NONE, NULL);
		skel_metrics(&cost, &ms);
		ctx.metrics = ms.decl;
		ctx.n_metrics = ms.n;
	}
	skel p;
	skel_open_ok(&p, kinds[_i], SKEL_NONE, &ctx);
	ck_assert_ptr_nonnull(p.self);
	((const apnas_common_ops *)p.desc->ops)->destroy(NULL);
	skel_close(&p);
	apnas_metricset_free(&ms);
	skel_close(&cost); /* a zeroed skel closes to nothing */
}
END_TEST

/* The skeleton cost's declarations pass every check the core makes on
 * load (names, units, goal, scope and total consistent, none of the
 * core's names), and declare a network value the rewards can trade. */
START_TEST(cost_metrics_accepted_by_the_core)
{
	skel p;
	skel_open_ok(&p, APNAS_KIND_COST, SKEL_NONE, NULL);
	apnas_metricset ms;
	skel_metrics(&p, &ms);
	ck_assert_uint_gt(ms.n, APNAS_MX_COST);
	int tradeable = 0;
	for (size_t i = APNAS_MX_COST; i < ms.n; i++) {
		ck_assert_ptr_nonnull(ms.decl[i].help);
		ck_assert_msg(ms.decl[i].help[0] != '\0', "metric %s has no help",
		              ms.decl[i].name);
		tradeable |= ms.decl[i].goal == APNAS_GOAL_MIN &&
		             apnas_metricset_net(&ms, i);
	}
	ck_assert_msg(tradeable, "no cost metric where lower is better");
	apnas_metricset_free(&ms);
	skel_close(&p);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("skeleton descriptors");
	TCase *tc = tcase_create("desc");
	tcase_add_loop_test(tc, descriptor_fields, 0, N_KINDS);
	tcase_add_loop_test(tc, required_ops_present, 0, N_KINDS);
	tcase_add_loop_test(tc, create_from_defaults, 0, N_KINDS);
	tcase_add_test(tc, cost_metrics_accepted_by_the_core);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
