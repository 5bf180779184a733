/* The energy table: defaults with their sources (energy.h), checks and
 * overrides by name.  The ERT loader is energy_ert.c. */
#include "energy.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* One table of the entries, so names, checks and listings agree. */
static const struct {
	const char *name;
	size_t off;
} entries[] = {
	{"mac_pj", offsetof(apnas_energy_table, mac_pj)},
	{"reg_pj", offsetof(apnas_energy_table, reg_pj)},
	{"hop_pj", offsetof(apnas_energy_table, hop_pj)},
	{"sram_read_pj", offsetof(apnas_energy_table, sram_read_pj)},
	{"sram_write_pj", offsetof(apnas_energy_table, sram_write_pj)},
	{"sram_ref_kb", offsetof(apnas_energy_table, sram_ref_kb)},
	{"sram_exp", offsetof(apnas_energy_table, sram_exp)},
	{"dram_pj", offsetof(apnas_energy_table, dram_pj)},
	{"leak_pj", offsetof(apnas_energy_table, leak_pj)},
};
#define N_ENTRIES (sizeof entries / sizeof entries[0])

static double *entry(apnas_energy_table *t, size_t i)
{
	return (double *)((char *)t + entries[i].off);
}

const char *const *apnas_energy_names(size_t *n)
{
	static const char *const names[N_ENTRIES] = {
		"mac_pj", "reg_pj", "hop_pj", "sram_read_pj", "sram_write_pj",
		"sram_ref_kb", "sram_exp", "dram_pj", "leak_pj"};
	*n = N_ENTRIES;
	return names;
}

int apnas_energy_default(int word_bytes, apnas_energy_table *t,
                         apnas_error *err)
{
	double mac;
	switch (word_bytes) {
	case 1: mac = 0.2 + 0.03; break; /* int8 multiply + add */
	case 2: mac = 1.1 + 0.4; break;  /* fp16 multiply + add */
	case 4: mac = 3.7 + 0.9; break;  /* fp32 multiply + add */
	default:
		return apnas_error_set(err, APNAS_EINVAL,
		                       "word_bytes: expected 1, 2 or 4, got %d",
		                       word_bytes);
	}
	t->mac_pj = mac;
	t->reg_pj = 1.0 * mac;  /* Eyeriss: register = 1 x MAC */
	t->hop_pj = 2.0 * mac;  /* Eyeriss: array hop = 2 x MAC */
	t->sram_read_pj = 10.0 / 8.0 * word_bytes; /* 8 kB, 10 pJ / 64 bit */
	t->sram_write_pj = t->sram_read_pj;
	t->sram_ref_kb = 8.0;
	t->sram_exp = 0.5;
	t->dram_pj = 1300.0 / 8.0 * word_bytes;    /* 1.3 nJ / 64 bit */
	t->leak_pj = 0.0;
	return 0;
}

static int check_one(size_t i, double v, apnas_error *err)
{
	const char *n = entries[i].name;
	if (!isfinite(v) || v < 0)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "energy %s: expected a finite number >= 0, "
		                       "got %g", n, v);
	if (!strcmp(n, "sram_ref_kb") && v <= 0)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "energy sram_ref_kb: expected a size > 0, "
		                       "got %g", v);
	if (!strcmp(n, "sram_exp") && v > 2)
		return apnas_error_set(err, APNAS_EINVAL,
		                       "energy sram_exp: expected 0 to 2, got %g", v);
	return 0;
}

int apnas_energy_check(const apnas_energy_table *t, apnas_error *err)
{
	apnas_energy_table c = *t;
	for (size_t i = 0; i < N_ENTRIES; i++) {
		int rc = check_one(i, *entry(&c, i), err);
		if (rc)
			return rc;
	}
	return 0;
}

int apnas_energy_set(apnas_energy_table *t, const char *name, double v,
                     apnas_error *err)
{
	for (size_t i = 0; i < N_ENTRIES; i++) {
		if (strcmp(name, entries[i].name))
			continue;
		int rc = check_one(i, v, err);
		if (!rc)
			*entry(t, i) = v;
		return rc;
	}
	return apnas_error_set(err, APNAS_EINVAL,
	                       "energy '%s': expected one of mac_pj, reg_pj, "
	                       "hop_pj, sram_read_pj, sram_write_pj, "
	                       "sram_ref_kb, sram_exp, dram_pj, leak_pj", name);
}

int apnas_energy_overrides(apnas_energy_table *t, const char *text,
                           apnas_error *err)
{
	apnas_energy_table n = *t;
	const char *s = text ? text : "";
	while (*s) {
		while (*s == ',' || isspace((unsigned char)*s))
			s++;
		if (!*s)
			break;
		size_t at = (size_t)(s - text) + 1;
		const char *eq = s;
		while (*eq && *eq != '=' && *eq != ',' &&
		       !isspace((unsigned char)*eq))
			eq++;
		char name[64];
		size_t len = (size_t)(eq - s);
		if (*eq != '=' || len == 0 || len >= sizeof name)
			return apnas_error_set(err, APNAS_EINVAL,
			                       "energy overrides, column %zu: "
			                       "expected name=value, got '%.*s'", at,
			                       (int)(len > 40 ? 40 : len), s);
		memcpy(name, s, len);
		name[len] = 0;
		char *end;
		errno = 0;
		double v = strtod(eq + 1, &end);
		if (end == eq + 1 || errno ||
		    (*end && *end != ',' && !isspace((unsigned char)*end)))
			return apnas_error_set(err, APNAS_EINVAL,
			                       "energy overrides, column %zu: %s: "
			                       "expected a number after '='", at,
			                       name);
		int rc = apnas_energy_set(&n, name, v, err);
		if (rc)
			return apnas_error_prefix(err, "energy overrides, column "
			                          "%zu", at);
		s = end;
	}
	*t = n;
	return 0;
}

int apnas_energy_setup(apnas_energy_table *t, int word_bytes,
                       const char *ert_path, const char *overrides,
                       apnas_error *err)
{
	apnas_energy_table n;
	int rc;
	if ((rc = apnas_energy_default(word_bytes, &n, err)) ||
	    (ert_path && *ert_path &&
	     (rc = apnas_energy_ert_load(&n, ert_path, err))) ||
	    (overrides && *overrides &&
	     (rc = apnas_energy_overrides(&n, overrides, err))) ||
	    (rc = apnas_energy_check(&n, err)))
		return rc;
	*t = n;
	return 0;
}

double apnas_energy_size_factor(const apnas_energy_table *t, double kb)
{
	/* The default square root, and "no scaling", skip pow(): this runs
	 * three times per layer inside the reward. */
	if (t->sram_exp == 0)
		return 1.0;
	if (t->sram_exp == 0.5)
		return sqrt(kb / t->sram_ref_kb);
	return pow(kb / t->sram_ref_kb, t->sram_exp);
}

double apnas_energy_sram_read(const apnas_energy_table *t, double kb)
{
	return t->sram_read_pj * apnas_energy_size_factor(t, kb);
}

double apnas_energy_sram_write(const apnas_energy_table *t, double kb)
{
	return t->sram_write_pj * apnas_energy_size_factor(t, kb);
}
