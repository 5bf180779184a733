/* A build without MPI started by mpirun as several ranks refuses with the
 * rebuild hint instead of running N copies of the whole job that race
 * for one run directory (core/mpi/mpi_none.c, compiled here whatever the
 * build has); started alone, or as one rank, it runs as usual. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "mpi/mpi.h"

static void clear_env(void)
{
	unsetenv("OMPI_COMM_WORLD_SIZE");
	unsetenv("PMI_SIZE");
	unsetenv("MPI_LOCALNRANKS");
	unsetenv("PMIX_RANK");
}

START_TEST(several_ranks_refused)
{
	clear_env();
	setenv("OMPI_COMM_WORLD_SIZE", "2", 1);
	apnas_error err;
	apnas_error_clear(&err);
	ck_assert_int_eq(apnas_mpi_start("search", &err), APNAS_EINVAL);
	ck_assert_msg(strstr(err.msg, "started as 2 MPI ranks") &&
	              strstr(err.msg, "rebuild with -Dmpi=enabled"),
	              "%s", err.msg);
	clear_env();
	setenv("PMIX_RANK", "0", 1);
	ck_assert_int_eq(apnas_mpi_start("train", &err), APNAS_EINVAL);
	ck_assert_msg(strstr(err.msg, "train: started by an MPI launcher") &&
	              strstr(err.msg, "rebuild with -Dmpi=enabled"),
	              "%s", err.msg);
}
END_TEST

START_TEST(alone_runs)
{
	clear_env();
	apnas_error err;
	apnas_error_clear(&err);
	ck_assert_int_eq(apnas_mpi_launched(), 0);
	ck_assert_int_eq(apnas_mpi_start("search", &err), 0);
	setenv("OMPI_COMM_WORLD_SIZE", "1", 1);
	ck_assert_int_eq(apnas_mpi_start("search", &err), 0);
	ck_assert_int_eq(apnas_mpi_size(), 1);
	ck_assert_ptr_null(apnas_mpi_collective());
}
END_TEST

int main(void)
{
	Suite *s = suite_create("mpi_refused");
	TCase *tc = tcase_create("main");
	tcase_add_test(tc, several_ranks_refused);
	tcase_add_test(tc, alone_runs);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
