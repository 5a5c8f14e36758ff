// SPDX-License-Identifier: GPL-2.0
/*
 * tm_bench: P5 sparse ranges. Bindings of 1 GiB ... 1 TiB of PROT_NONE
 * reservation with 8 pages mirrored: the cost of bind, unbind and munmap
 * against the range size (munmap of the same range unbound for
 * reference), and the time until the deferred work has freed the table.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tm_bench.h"

#define NSZ		8

#define P5_PAGES	8

/* A PROT_NONE reservation with P5_PAGES resident RW pages spread over it. */
static char *p5_reserve(unsigned long size)
{
	unsigned int k;
	char *p;

	p = mmap(NULL, size, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED) {
		bench_err("mmap %lu GiB PROT_NONE: %s", size / GiB, strerror(errno));
		return NULL;
	}
	for (k = 0; k < P5_PAGES; k++) {
		char *q = p + (size / P5_PAGES) * k;

		if (mprotect(q, PAGE_SZ, PROT_READ | PROT_WRITE)) {
			bench_err("mprotect: %s", strerror(errno));
			munmap(p, size);
			return NULL;
		}
		*q = 1;
	}
	return p;
}

static uint64_t p5_mirror(int fd, char *p, unsigned long size)
{
	struct tm_result res;
	uint64_t faults = 0;
	unsigned int k;
	int r;

	for (k = 0; k < P5_PAGES; k++) {
		r = tm_read(fd, p + (size / P5_PAGES) * k, PAGE_SZ, win, &res);
		if (r)
			bench_err("P5 READ: %s", tm_errname(r));
		faults += res.faults;
	}
	return faults;
}

enum { P5_BIND, P5_UNBIND, P5_MUNMAP_BOUND, P5_SETTLE, P5_UNBIND_AFTER,
       P5_MUNMAP_UNBOUND, P5_N };
static const char *const p5_col[P5_N] = { "bind", "unbind", "munmap_bound",
	"munmap_settle", "unbind_after_munmap", "munmap_unbound" };

void p5_sparse(void)
{
	static const unsigned long sizes[] = { 1 * GiB, 4 * GiB, 16 * GiB,
					       64 * GiB, 256 * GiB, 1 * TiB };
	unsigned int nsz = smoke ? 2 : sizeof(sizes) / sizeof(sizes[0]);
	struct smp t[NSZ][P5_N];
	unsigned int i, r, k, reps = smoke ? 1 : (opt_reps ? opt_reps : 5);
	char nm[96], sz[32];
	int fd;

	memset(t, 0, sizeof(t));
	fd = open_fd(true, 512);
	if (fd < 0)
		return;
	printf("\n## P5 sparse: a PROT_NONE reservation of N bytes, bound whole,"
	       " %u pages mirrored; ms per call\n", P5_PAGES);
	for (r = 0; r < reps; r++) {
		for (i = 0; i < nsz; i++) {
			unsigned long size = sizes[i];
			struct drm_test_mirror_stats st0, st1;
			uint64_t t0, f;
			uint32_t h;
			char *p;

			/* A: bind, mirror, unbind */
			p = p5_reserve(size);
			if (!p)
				return;
			t0 = tm_now_ns();
			h = dev_bind(fd, p, size, TEST_MIRROR_BIND_READ | TEST_MIRROR_BIND_WRITE);
			smp_add(&t[i][P5_BIND], tm_now_ns() - t0);
			f = p5_mirror(fd, p, size);
			if (stats(fd).entries_present != P5_PAGES)
				bench_err("P5: %llu entries after mirroring %u pages (%llu faults)",
					  (unsigned long long)stats(fd).entries_present,
					  P5_PAGES, (unsigned long long)f);
			t0 = tm_now_ns();
			dev_unbind(fd, h);
			smp_add(&t[i][P5_UNBIND], tm_now_ns() - t0);

			/* B: bind, mirror, munmap while bound */
			h = dev_bind(fd, p, size, TEST_MIRROR_BIND_READ | TEST_MIRROR_BIND_WRITE);
			p5_mirror(fd, p, size);
			st0 = stats(fd);
			t0 = tm_now_ns();
			munmap(p, size);
			smp_add(&t[i][P5_MUNMAP_BOUND], tm_now_ns() - t0);
			/* the deferred work frees the leaves of the mirrored pages */
			do {
				st1 = stats(fd);
			} while ((st1.pages_dropped - st0.pages_dropped < size / PAGE_SZ ||
				  st1.table_bytes) && tm_now_ns() - t0 < 20000000000ULL);
			smp_add(&t[i][P5_SETTLE], tm_now_ns() - t0);
			if (st1.pages_dropped - st0.pages_dropped < size / PAGE_SZ || st1.table_bytes)
				bench_err("P5 %s: table not freed after 20 s", szname(size, sz));
			t0 = tm_now_ns();
			dev_unbind(fd, h);
			smp_add(&t[i][P5_UNBIND_AFTER], tm_now_ns() - t0);

			/* C: the same munmap, nothing bound */
			p = p5_reserve(size);
			if (!p)
				return;
			t0 = tm_now_ns();
			munmap(p, size);
			smp_add(&t[i][P5_MUNMAP_UNBOUND], tm_now_ns() - t0);
		}
	}
	printf("# %8s", "range");
	for (k = 0; k < P5_N; k++)
		printf(" %14s", p5_col[k]);
	printf("\n");
	for (i = 0; i < nsz; i++) {
		printf("# %8s", szname(sizes[i], sz));
		for (k = 0; k < P5_N; k++)
			printf(" %14.4f", MS(med(&t[i][k])));
		printf("\n");
	}
	for (i = 0; i < nsz; i++) {
		for (k = 0; k < P5_N; k++) {
			snprintf(nm, sizeof(nm), "p5.%s.ms", p5_col[k]);
			series(nm, sizes[i] / GiB, "GiB", MS(med(&t[i][k])), "ms");
		}
	}
	printf("# munmap_added = munmap_bound - munmap_unbound: what the binding adds to munmap\n");
	for (i = 0; i < nsz; i++)
		series("p5.munmap_added.ms", sizes[i] / GiB, "GiB",
		       MS(med(&t[i][P5_MUNMAP_BOUND]) - med(&t[i][P5_MUNMAP_UNBOUND])),
		       "ms");
	for (k = 0; k < P5_N; k++) {
		double ratio = med(&t[nsz - 1][k]) / med(&t[0][k]);
		bool target = k == P5_UNBIND;

		snprintf(nm, sizeof(nm), "P5.%s_%s_over_%s", p5_col[k],
			 szname(sizes[nsz - 1], sz), "1GiB");
		metric(nm, ratio, "ratio", target ? "<=2_(no_growth_with_range_size)" : "none",
		       target ? ratio <= 2 : -1,
		       k == P5_MUNMAP_UNBOUND ? "CPU-only_reference:_the_kernel's_own_munmap_grows" :
		       k == P5_MUNMAP_BOUND ? "includes_the_kernel's_own_munmap_growth_(munmap_unbound)" :
		       NULL);
	}
	{
		double a0 = med(&t[0][P5_MUNMAP_BOUND]) - med(&t[0][P5_MUNMAP_UNBOUND]);
		double a1 = med(&t[nsz - 1][P5_MUNMAP_BOUND]) -
			    med(&t[nsz - 1][P5_MUNMAP_UNBOUND]);
		double ratio = a0 > 0 ? a1 / a0 : 0;

		printf("# munmap_added: %s %.4f ms, %s %.4f ms\n", "1GiB", MS(a0),
		       szname(sizes[nsz - 1], sz), MS(a1));
		snprintf(nm, sizeof(nm), "P5.munmap_added_%s_over_1GiB",
			 szname(sizes[nsz - 1], sz));
		metric(nm, ratio, "ratio", "<=2_(no_growth_with_range_size)",
		       a0 > 0 && ratio <= 2,
		       "munmap_bound_minus_munmap_unbound:_the_driver's_part");
	}
	close(fd);
}
