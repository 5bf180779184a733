/* Helpers of the fuzz harnesses: see fuzz_util.h. */
#include "fuzz_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "opts_internal.h"

void fz_fail(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz: %s: %s\n", what, detail ? detail : "");
	abort();
}

static int memfd = -1;
static char memfd_path[64];

const char *fz_file(const uint8_t *data, size_t size)
{
	if (memfd < 0) {
		memfd = memfd_create("apnas-fuzz", 0);
		if (memfd < 0)
			fz_fail("memfd_create", "failed");
		snprintf(memfd_path, sizeof memfd_path, "/proc/self/fd/%d",
		         memfd);
	}
	if (ftruncate(memfd, 0) != 0 || lseek(memfd, 0, SEEK_SET) != 0)
		fz_fail("memfd", "cannot reset");
	size_t done = 0;
	while (done < size) {
		ssize_t w = write(memfd, data + done, size - done);
		if (w <= 0)
			fz_fail("memfd", "cannot write");
		done += (size_t)w;
	}
	return memfd_path;
}

void fz_file_close(void)
{
	/* kept open for the next input: one descriptor per process */
}

char *fz_text(const uint8_t *data, size_t size)
{
	char *t = malloc(size + 1);
	if (!t)
		fz_fail("malloc", "out of memory");
	memcpy(t, data, size);
	t[size] = '\0';
	return t;
}

void fz_plugin_open(fz_plugin *p, apnas_kind kind, const char *name,
                    const char *const *settings, size_t n,
                    const apnas_plugin_ctx *ctx)
{
	memset(p, 0, sizeof *p);
	const char *dir = getenv("APNAS_PLUGIN_PATH");
	if (!dir || !dir[0])
		dir = FUZZ_PLUGIN_DIR;
	char path[4096];
	snprintf(path, sizeof path, "%s/%s_%s.so", dir, apnas_kind_name(kind),
	         name);
	apnas_error err;
	apnas_error_clear(&err);
	if (apnas_host_open_file(path, kind, &p->lib, &err))
		fz_fail(path, err.msg);
	p->ops = p->lib.desc->ops;
	if (apnas_opts_from_settings(p->lib.desc->options, name, settings, n,
	                             &p->opts, &err))
		fz_fail(name, err.msg);
	apnas_plugin_ctx c = *ctx;
	c.opts = p->opts;
	if (((const apnas_common_ops *)p->ops)->create(&c, &p->self, &err))
		fz_fail(name, err.msg);
}

void fz_check_refusal(int rc, const apnas_error *err, const char *who)
{
	if (rc < 0 && !err->msg[0])
		fz_fail(who, "refused without a message");
	if (rc > 0)
		fz_fail(who, "returned a positive status");
}
