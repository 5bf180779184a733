/* The layout of every public struct (size and member offsets) against the
 * table tests/sdk/abi_layout.h holds, as GStreamer's ABI check does: a
 * struct that changes by accident (a member moved, resized or inserted)
 * fails here, before a plugin built against the old headers reads the
 * wrong field.  The table is for x86-64 (LP64); elsewhere the test skips. */
#include <check.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include <apnas/apnas.h>

START_TEST(public_structs_keep_their_layout)
{
	size_t checked = 0;
#define APNAS_ABI_STRUCT(t, n)                                              \
	ck_assert_msg(sizeof(t) == (n), #t " is %zu bytes, the ABI table "  \
	              "says %zu (scripts/abi_layout.py regenerates it, on "  \
	              "purpose only)", sizeof(t), (size_t)(n));              \
	checked++;
#define APNAS_ABI_MEMBER(t, m, off)                                         \
	ck_assert_msg(offsetof(t, m) == (off), #t "." #m " is at %zu, the "  \
	              "ABI table says %zu", offsetof(t, m), (size_t)(off));  \
	checked++;
#include "abi_layout.h"
	ck_assert_uint_gt(checked, 100);
}
END_TEST

int main(void)
{
#if !defined(__x86_64__) || !defined(__LP64__)
	fprintf(stderr, "SKIP: the ABI layout table is for x86-64\n");
	return 77;
#endif
	Suite *s = suite_create("abi_layout");
	TCase *tc = tcase_create("layout");
	tcase_add_test(tc, public_structs_keep_their_layout);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
