// SPDX-License-Identifier: GPL-2.0
/*
 * tm_bench: timing and report. The samples of a measure and their median
 * (every time is the median of several repetitions), the quantiles of a
 * latency's samples (p50, p99), the repetitions per
 * size, the names of sizes; the machine lines (SERIES, METRIC) besides the
 * human tables; and the errors of a section (bench_err()), which fail it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tm_bench.h"

/* --smoke runs in the KTAP suite: machine lines become diagnostics there */
const char *mpfx = "";
int section_failed;

void smp_add(struct smp *s, double v)
{
	if (s->n < MAXREP)
		s->v[s->n++] = v;
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

double quant(uint64_t *v, unsigned int n, double q)
{
	unsigned int i;

	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), cmp_u64);
	i = (unsigned int)(q * (n - 1) + 0.5);
	return v[i];
}

double med(const struct smp *s)
{
	double t[MAXREP];

	if (!s->n)
		return 0;
	memcpy(t, s->v, s->n * sizeof(double));
	qsort(t, s->n, sizeof(double), cmp_dbl);
	return s->n & 1 ? t[s->n / 2] : (t[s->n / 2 - 1] + t[s->n / 2]) / 2;
}

void bench_err(const char *fmt, ...)
{
	va_list ap;

	printf("# ERROR: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	section_failed = 1;
}

void series(const char *name, double x, const char *xunit, double y,
	    const char *yunit)
{
	printf("%sSERIES name=%s x=%g xunit=%s y=%.6g yunit=%s\n", mpfx, name, x,
	       xunit, y, yunit);
}

/* met: 1 yes, 0 no, -1 n/a */
void metric(const char *name, double v, const char *unit,
	    const char *target, int met, const char *note)
{
	printf("%sMETRIC %s=%.6g unit=%s target=%s met=%s%s%s\n", mpfx, name, v,
	       unit, target, met < 0 ? "n/a" : met ? "yes" : "no",
	       note ? " note=" : "", note ? note : "");
}

unsigned int reps_for(unsigned long size)
{
	if (smoke)
		return 1;
	if (opt_reps)
		return opt_reps;
	/* under icount (scripts/bench.sh) repetitions agree to 3 digits */
	if (size <= 16 * MiB)
		return 5;
	if (size <= 256 * MiB)
		return 3;
	return 2;
}

const char *szname(unsigned long size, char *buf)
{
	if (size >= TiB && !(size % TiB))
		sprintf(buf, "%luTiB", size / TiB);
	else if (size >= GiB && !(size % GiB))
		sprintf(buf, "%luGiB", size / GiB);
	else
		sprintf(buf, "%luMiB", size / MiB);
	return buf;
}
