/* Subprocess runner for the CLI tests: fork, redirect stdout and stderr
 * to temporary files (pipes could deadlock on large output), exec. */
#include "run_apnas.h"

#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

const char *apnas_bin, *fx_plugins, *fx_bad, *fx_dup, *fx_configs;

void test_init(int argc, char **argv)
{
	if (argc < 6) {
		fprintf(stderr, "SKIP: run through meson test: needs the apnas "
		        "binary and the fixture directories as arguments\n");
		exit(77);
	}
	/* meson passes paths relative to the build directory; tests chdir */
	const char **dst[] = {&apnas_bin, &fx_plugins, &fx_bad, &fx_dup,
	                      &fx_configs};
	for (int k = 0; k < 5; k++) {
		char *abs = realpath(argv[k + 1], NULL);
		if (!abs) {
			fprintf(stderr, "SKIP: %s does not exist (not built?)\n",
			        argv[k + 1]);
			exit(77);
		}
		*dst[k] = abs;
	}
}

static char *slurp_fd(int fd)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	ck_assert_ptr_nonnull(buf);
	lseek(fd, 0, SEEK_SET);
	for (;;) {
		if (n + 1 >= cap) {
			cap *= 2;
			buf = realloc(buf, cap);
			ck_assert_ptr_nonnull(buf);
		}
		ssize_t got = read(fd, buf + n, cap - n - 1);
		if (got <= 0)
			break;
		n += (size_t)got;
	}
	buf[n] = '\0';
	return buf;
}

static int temp_fd(void)
{
	char name[] = "/tmp/apnas-test-XXXXXX";
	int fd = mkstemp(name);
	ck_assert_int_ge(fd, 0);
	unlink(name);
	return fd;
}

void run_apnas(run_result *r, const char *plugin_path, ...)
{
	const char *args[64];
	int n = 0;
	args[n++] = apnas_bin;
	va_list ap;
	va_start(ap, plugin_path);
	const char *a;
	while ((a = va_arg(ap, const char *)) != NULL && n < 62)
		args[n++] = a;
	va_end(ap);
	args[n] = NULL;
	int fo = temp_fd(), fe = temp_fd();
	fflush(NULL);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (plugin_path)
			setenv("APNAS_PLUGIN_PATH", plugin_path, 1);
		else
			unsetenv("APNAS_PLUGIN_PATH");
		dup2(fo, 1);
		dup2(fe, 2);
		execv(apnas_bin, (char *const *)args);
		_exit(127);
	}
	int st = 0;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	r->out = slurp_fd(fo);
	r->err = slurp_fd(fe);
	close(fo);
	close(fe);
}

void run_free(run_result *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
}

const char *cfg_path(const char *name)
{
	static char buf[4096];
	snprintf(buf, sizeof buf, "%s/%s", fx_configs, name);
	return buf;
}

int count_lines(const char *s)
{
	int n = 0;
	for (const char *p = s; *p; p++)
		if (*p == '\n')
			n++;
	if (*s && s[strlen(s) - 1] != '\n')
		n++;
	return n;
}
