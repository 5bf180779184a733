/* Checkpoint container: sections assembled in memory (plugins write their
 * save() output into a memstream), then one atomic write.  Reading takes
 * the whole file and checks it before anything is handed to a plugin's
 * load(), so a corrupt checkpoint never leaves a half-restored run. */
#include "ckpt.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <apnas/codec.h>

#include "atomic.h"


void apnas_put_u32(FILE *f, uint32_t v)
{
	unsigned char b[4];
	apnas_le_store(b, v, 4);
	fwrite(b, 1, 4, f);
}

void apnas_put_u64(FILE *f, uint64_t v)
{
	unsigned char b[8];
	apnas_le_store(b, v, 8);
	fwrite(b, 1, 8, f);
}

void apnas_put_f64(FILE *f, double v)
{
	uint64_t u;
	memcpy(&u, &v, sizeof u);
	apnas_put_u64(f, u);
}

static const unsigned char *cursor_take(apnas_cursor *c, size_t n)
{
	if (c->bad || c->left < n) {
		c->bad = 1;
		return NULL;
	}
	const unsigned char *p = c->p;
	c->p += n;
	c->left -= n;
	return p;
}

uint32_t apnas_get_u32(apnas_cursor *c)
{
	const unsigned char *p = cursor_take(c, 4);
	return p ? (uint32_t)apnas_le_load(p, 4) : 0;
}

uint64_t apnas_get_u64(apnas_cursor *c)
{
	const unsigned char *p = cursor_take(c, 8);
	return p ? apnas_le_load(p, 8) : 0;
}

double apnas_get_f64(apnas_cursor *c)
{
	uint64_t u = apnas_get_u64(c);
	double v;
	memcpy(&v, &u, sizeof v);
	return v;
}

/* ---- writer ----------------------------------------------------------- */

static int grow_append(apnas_ckpt_writer *w, const void *p, size_t n)
{
	char *nb = realloc(w->buf, w->len + n);
	if (!nb)
		return -1;
	w->buf = nb;
	memcpy(w->buf + w->len, p, n);
	w->len += n;
	return 0;
}

int apnas_ckpt_writer_init(apnas_ckpt_writer *w, apnas_error *err)
{
	memset(w, 0, sizeof *w);
	/* Header: magic, version, section count (patched at commit). */
	unsigned char hdr[16];
	memcpy(hdr, APNAS_CKPT_MAGIC, 8);
	apnas_le_store(hdr + 8, APNAS_CKPT_VERSION, 4);
	apnas_le_store(hdr + 12, 0, 4);
	if (grow_append(w, hdr, sizeof hdr) < 0)
		return apnas_error_set(err, APNAS_ENOMEM,
		                       "checkpoint: out of memory");
	return 0;
}

int apnas_ckpt_section_begin(apnas_ckpt_writer *w, const char *tag,
                             FILE **f, apnas_error *err)
{
	if (w->open || strlen(tag) != 4)
		return apnas_error_set(err, APNAS_EINVAL,
			"checkpoint: bad section '%s'", tag);
	w->sec_buf = NULL;
	w->sec_len = 0;
	w->open = open_memstream(&w->sec_buf, &w->sec_len);
	if (!w->open)
		return apnas_error_set(err, APNAS_ENOMEM,
			"checkpoint: out of memory for section %s", tag);
	memcpy(w->tag, tag, 5);
	*f = w->open;
	return 0;
}

int apnas_ckpt_section_end(apnas_ckpt_writer *w, apnas_error *err)
{
	if (!w->open)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "checkpoint: no open section");
	int bad = ferror(w->open);
	fclose(w->open);
	w->open = NULL;
	unsigned char h[12];
	memcpy(h, w->tag, 4);
	apnas_le_store(h + 4, w->sec_len, 8);
	if (bad || grow_append(w, h, sizeof h) < 0 ||
	    grow_append(w, w->sec_buf, w->sec_len) < 0) {
		free(w->sec_buf);
		w->sec_buf = NULL;
		w->failed = 1;
		return apnas_error_set(err, APNAS_ENOMEM,
			"checkpoint: cannot assemble section %s", w->tag);
	}
	free(w->sec_buf);
	w->sec_buf = NULL;
	w->n_sections++;
	return 0;
}

/* rename() is atomic but only durable once the directory entry is on
 * disk; without this a power cut could bring back the older file. */
static void sync_dir_of(const char *path)
{
	char *d = strdup(path);
	if (!d)
		return;
	char *slash = strrchr(d, '/');
	if (slash)
		*slash = '\0';
	int fd = open(slash ? (*d ? d : "/") : ".", O_RDONLY | O_DIRECTORY);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	free(d);
}

int apnas_ckpt_commit(apnas_ckpt_writer *w, const char *path,
                      void (*before_rename)(void *ud), void *ud,
                      apnas_error *err)
{
	if (w->open || w->failed)
		return apnas_error_set(err, APNAS_EINVAL,
			"checkpoint %s: incomplete, not written", path);
	apnas_le_store((unsigned char *)w->buf + 12, w->n_sections, 4);
	unsigned char crc[4];
	apnas_le_store(crc, crc32(0L, (const Bytef *)w->buf, (uInt)w->len), 4);
	/* Whether a previous checkpoint exists decides what a failure
	 * message may promise. */
	const char *kept = access(path, F_OK) == 0 ?
		"the previous checkpoint is kept" :
		"there is no previous checkpoint";
	apnas_atomic a;
	int rc = apnas_atomic_open(&a, path, 1, err);
	if (rc < 0)
		return rc;
	if (fwrite(w->buf, 1, w->len, a.f) != w->len ||
	    fwrite(crc, 1, 4, a.f) != 4 || fflush(a.f) != 0) {
		int e = errno;
		apnas_atomic_abort(&a);
		return apnas_error_set(err, APNAS_EIO,
			"cannot write checkpoint %s: %s (%s)", path,
			strerror(e ? e : EIO), kept);
	}
	if (before_rename)
		before_rename(ud);
	rc = apnas_atomic_commit(&a, err);
	if (rc < 0)
		return apnas_error_prefix(err, "checkpoint not written, %s",
		                          kept);
	sync_dir_of(path);
	return 0;
}

void apnas_ckpt_writer_free(apnas_ckpt_writer *w)
{
	if (w->open) {
		fclose(w->open);
		free(w->sec_buf);
	}
	free(w->buf);
	memset(w, 0, sizeof *w);
}

/* ---- reader ----------------------------------------------------------- */

/* Errors are formatted before the checkpoint is freed: the message may
 * name a section tag that lives in the buffer being released. */
static int ckpt_refuse(apnas_ckpt *ck, apnas_error *err, int code,
                       const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int ckpt_refuse(apnas_ckpt *ck, apnas_error *err, int code,
                       const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	apnas_ckpt_free(ck);
	return apnas_error_set(err, code, "%s", msg);
}

int apnas_ckpt_parse(unsigned char *buf, size_t len, const char *path,
                     apnas_ckpt *ck, apnas_error *err)
{
	memset(ck, 0, sizeof *ck);
	ck->buf = buf;
	ck->len = len;
	if (len < 20)
		return ckpt_refuse(ck, err, APNAS_EINVAL,
			"%s: not a checkpoint (too short)", path);
	if (memcmp(ck->buf, APNAS_CKPT_MAGIC, 8) != 0)
		return ckpt_refuse(ck, err, APNAS_EINVAL,
			"%s: not an apnas checkpoint (bad magic)", path);
	uint32_t ver = (uint32_t)apnas_le_load(ck->buf + 8, 4);
	if (ver != APNAS_CKPT_VERSION)
		return ckpt_refuse(ck, err, APNAS_EINVAL,
			"%s: checkpoint format %u, this apnas reads %u", path,
			ver, APNAS_CKPT_VERSION);
	size_t body = ck->len - 4;
	uint32_t want = (uint32_t)apnas_le_load(ck->buf + body, 4);
	uint32_t have = (uint32_t)crc32(0L, ck->buf, (uInt)body);
	if (want != have)
		return ckpt_refuse(ck, err, APNAS_EINVAL,
			"%s: checkpoint damaged (CRC mismatch)", path);
	uint32_t n_sections = (uint32_t)apnas_le_load(ck->buf + 12, 4);
	if (n_sections > APNAS_CKPT_MAX_SECTIONS)
		return ckpt_refuse(ck, err, APNAS_EINVAL,
			"%s: checkpoint damaged (%u sections, at most %u)",
			path, n_sections, APNAS_CKPT_MAX_SECTIONS);
	ck->sec = calloc(n_sections ? n_sections : 1, sizeof *ck->sec);
	if (!ck->sec)
		return ckpt_refuse(ck, err, APNAS_ENOMEM,
			"%s: out of memory", path);
	ck->n_sections = n_sections;
	size_t off = 16;
	for (uint32_t i = 0; i < ck->n_sections; i++) {
		if (body - off < 12)
			return ckpt_refuse(ck, err, APNAS_EINVAL,
				"%s: checkpoint damaged (section %u header)",
				path, i);
		char tag[5];
		memcpy(tag, ck->buf + off, 4);
		tag[4] = '\0';
		for (int k = 0; k < 4; k++)
			if (tag[k] < 0x21 || tag[k] > 0x7e)
				return ckpt_refuse(ck, err, APNAS_EINVAL,
					"%s: checkpoint damaged (section %u "
					"tag is not printable)", path, i);
		memcpy(ck->sec[i].tag, tag, 5);
		uint64_t n = apnas_le_load(ck->buf + off + 4, 8);
		off += 12;
		if (n > body - off)
			return ckpt_refuse(ck, err, APNAS_EINVAL,
				"%s: checkpoint damaged (section %u, %s: "
				"length %llu, %zu bytes left)", path, i, tag,
				(unsigned long long)n, body - off);
		ck->sec[i].data = ck->buf + off;
		ck->sec[i].len = n;
		off += n;
	}
	if (off != body)
		return ckpt_refuse(ck, err, APNAS_EINVAL,
			"%s: checkpoint damaged (trailing bytes)", path);
	return 0;
}

int apnas_ckpt_read(const char *path, apnas_ckpt *ck, apnas_error *err)
{
	memset(ck, 0, sizeof *ck);
	FILE *f = fopen(path, "rb");
	if (!f)
		return apnas_error_set(err, APNAS_EIO, "cannot read %s: %s",
		                       path, strerror(errno));
	struct stat st;
	if (fstat(fileno(f), &st) != 0 || st.st_size < 20) {
		fclose(f);
		return apnas_error_set(err, APNAS_EINVAL,
			"%s: not a checkpoint (too short)", path);
	}
	if ((uint64_t)st.st_size > APNAS_CKPT_MAX_BYTES) {
		fclose(f);
		return apnas_error_set(err, APNAS_EINVAL,
			"%s: checkpoint of %lld bytes, at most %llu", path,
			(long long)st.st_size,
			(unsigned long long)APNAS_CKPT_MAX_BYTES);
	}
	size_t len = (size_t)st.st_size;
	unsigned char *buf = malloc(len);
	if (!buf) {
		fclose(f);
		return apnas_error_set(err, APNAS_ENOMEM,
			"%s: out of memory", path);
	}
	size_t got = fread(buf, 1, len, f);
	fclose(f);
	if (got != len) {
		free(buf);
		return apnas_error_set(err, APNAS_EIO, "%s: short read", path);
	}
	return apnas_ckpt_parse(buf, len, path, ck, err);
}

int apnas_ckpt_get(const apnas_ckpt *ck, const char *tag,
                   const unsigned char **data, size_t *len,
                   apnas_error *err)
{
	for (uint32_t i = 0; i < ck->n_sections; i++)
		if (strcmp(ck->sec[i].tag, tag) == 0) {
			*data = ck->sec[i].data;
			*len = (size_t)ck->sec[i].len;
			return 0;
		}
	return apnas_error_set(err, APNAS_EINVAL,
		"checkpoint has no section %s", tag);
}

int apnas_ckpt_stream(const apnas_ckpt *ck, const char *tag, FILE **f,
                      apnas_error *err)
{
	const unsigned char *d = NULL;
	size_t n = 0;
	int rc = apnas_ckpt_get(ck, tag, &d, &n, err);
	if (rc < 0)
		return rc;
	/* fmemopen refuses a zero size; an empty section reads as EOF. */
	static const unsigned char empty[1];
	*f = fmemopen((void *)(n ? d : empty), n ? n : 1, "rb");
	if (!*f)
		return apnas_error_set(err, APNAS_ENOMEM,
			"checkpoint section %s: cannot open", tag);
	if (!n)
		fgetc(*f);
	return 0;
}

void apnas_ckpt_free(apnas_ckpt *ck)
{
	free(ck->buf);
	free(ck->sec);
	memset(ck, 0, sizeof *ck);
}

/* Hands a section to a plugin's (or batcher's) load() and insists that
 * it consumed the section exactly. */
int apnas_ckpt_load_section(const apnas_ckpt *ck, const char *tag,
                            int (*load)(void *obj, FILE *f,
                                        apnas_error *err),
                            void *obj, const char *who, apnas_error *err)
{
	FILE *f;
	int rc = apnas_ckpt_stream(ck, tag, &f, err);
	if (rc < 0)
		return rc;
	rc = load(obj, f, err);
	if (rc == 0 && fgetc(f) != EOF)
		rc = apnas_error_set(err, APNAS_EINVAL,
			"%s left part of its checkpoint section unread", who);
	else if (rc < 0)
		apnas_error_prefix(err, "%s load", who);
	fclose(f);
	return rc;
}

static int batcher_load(void *b, FILE *f, apnas_error *err)
{
	return apnas_batcher_load(b, f, err);
}

int apnas_ckpt_load_batcher(const apnas_ckpt *ck, const char *tag,
                            apnas_batcher *b, const char *who,
                            apnas_error *err)
{
	return apnas_ckpt_load_section(ck, tag, batcher_load, b, who, err);
}

int apnas_ckpt_save_section(apnas_ckpt_writer *w, const char *tag,
                            int (*save)(void *obj, FILE *f,
                                        apnas_error *err),
                            void *obj, const char *who, apnas_error *err)
{
	FILE *f;
	int rc = apnas_ckpt_section_begin(w, tag, &f, err);
	if (rc < 0)
		return rc;
	rc = save(obj, f, err);
	if (rc < 0) {
		if (who)
			apnas_error_prefix(err, "%s save", who);
		return rc;
	}
	return apnas_ckpt_section_end(w, err);
}

static int batcher_save(void *b, FILE *f, apnas_error *err)
{
	return apnas_batcher_save(b, f, err);
}

int apnas_ckpt_save_batcher(apnas_ckpt_writer *w, const char *tag,
                            apnas_batcher *b, const char *who,
                            apnas_error *err)
{
	return apnas_ckpt_save_section(w, tag, batcher_save, b, who, err);
}
