// SPDX-License-Identifier: GPL-2.0
/*
 * tm_bench: P2 invalidate. munmap, MADV_DONTNEED and mprotect(PROT_READ)
 * of ranges that are not bound, bound but empty, or fully mirrored (munmap
 * of THPs too), 4 MiB ... 1 GiB; for munmap of a mirrored range, also the
 * time until the driver's deferred work has freed the table.
 */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tm_bench.h"

enum { OP_MUNMAP, OP_DONTNEED, OP_MPROTECT, OP_MUNMAP_THP, NOP };
static const char *const op_name[NOP] = { "munmap", "dontneed", "mprotect_ro",
					  "munmap_thp" };
enum { ST_NONE, ST_BOUND, ST_MIRRORED, NST };
static const char *const st_name[NST] = { "unbound", "bound", "mirrored" };

void p2_invalidate(void)
{
	static const unsigned long sizes[] = { 4 * MiB, 16 * MiB, 64 * MiB,
					       256 * MiB, 1 * GiB };
	unsigned int i, r, o, s;
	char nm[96], sz[32];
	int fd;

	fd = open_fd(true, 512);
	if (fd < 0)
		return;
	printf("\n## P2 invalidate: ms per call, base pages (munmap_thp: THP);"
	       " unbound / bound but empty / fully mirrored\n");
	printf("# settle: munmap of a mirrored range until the driver's deferred"
	       " work has freed the table (STATS table_bytes 0)\n");
	printf("# %-12s %8s %10s %10s %10s %10s %10s\n", "op", "size", "unbound",
	       "bound", "mirrored", "mir/unb", "settle");
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		unsigned long size = sizes[i];
		struct smp t[NOP][NST], settle;

		if (smoke && size > 4 * MiB)
			break;
		if (size > max_bytes) {
			printf("# %s skipped: needs more guest memory (TM_MEM)\n",
			       szname(size, sz));
			continue;
		}
		memset(t, 0, sizeof(t));
		memset(&settle, 0, sizeof(settle));
		for (r = 0; r < reps_for(size); r++) {
			for (o = 0; o < NOP; o++) {
				for (s = 0; s < NST; s++) {
					unsigned int ss = (s + r) % NST;
					bool thp = o == OP_MUNMAP_THP;
					struct drm_test_mirror_stats st0, st1;
					uint32_t h = 0;
					uint64_t t0, t1;
					char *p = map_populated(size, thp);

					if (!p)
						return;
					if (ss != ST_NONE)
						h = dev_bind(fd, p, size,
							     TEST_MIRROR_BIND_READ |
							     TEST_MIRROR_BIND_WRITE |
							     (ss == ST_MIRRORED ?
							      TEST_MIRROR_BIND_PREFAULT : 0));
					st0 = stats(fd);
					t0 = tm_now_ns();
					switch (o) {
					case OP_MUNMAP:
					case OP_MUNMAP_THP:
						munmap(p, size);
						break;
					case OP_DONTNEED:
						madvise(p, size, MADV_DONTNEED);
						break;
					case OP_MPROTECT:
						mprotect(p, size, PROT_READ);
						break;
					}
					t1 = tm_now_ns();
					smp_add(&t[o][ss], t1 - t0);
					if (o == OP_MUNMAP && ss == ST_MIRRORED) {
						/*
						 * Wait for the deferred work (segment
						 * split, leaves freed by the trim).
						 */
						do {
							st1 = stats(fd);
						} while ((st1.pages_dropped - st0.pages_dropped <
							  size / PAGE_SZ || st1.table_bytes) &&
							 tm_now_ns() - t0 < 20000000000ULL);
						if (st1.pages_dropped - st0.pages_dropped <
						    size / PAGE_SZ || st1.table_bytes)
							bench_err("munmap: table not freed after 20 s");
						smp_add(&settle, tm_now_ns() - t0);
					}
					dev_unbind(fd, h);
					if (o == OP_DONTNEED || o == OP_MPROTECT)
						munmap(p, size);
				}
			}
		}
		for (o = 0; o < NOP; o++) {
			double u = med(&t[o][ST_NONE]), m = med(&t[o][ST_MIRRORED]);

			printf("# %-12s %8s %10.3f %10.3f %10.3f %10.3f", op_name[o],
			       szname(size, sz), MS(u), MS(med(&t[o][ST_BOUND])),
			       MS(m), m / u);
			if (o == OP_MUNMAP)
				printf(" %10.3f", MS(med(&settle)));
			printf("\n");
			for (s = 0; s < NST; s++) {
				snprintf(nm, sizeof(nm), "p2.%s.%s.ms", op_name[o],
					 st_name[s]);
				series(nm, size / MiB, "MiB", MS(med(&t[o][s])), "ms");
			}
			snprintf(nm, sizeof(nm), "p2.%s.ratio", op_name[o]);
			series(nm, size / MiB, "MiB", m / u, "x");
			if (o == OP_MUNMAP) {
				series("p2.munmap.settle.ms", size / MiB, "MiB",
				       MS(med(&settle)), "ms");
			}
			if (size == 1 * GiB || (smoke && size == 4 * MiB)) {
				snprintf(nm, sizeof(nm),
					 "P2.%s_%s_mirrored_over_unmirrored",
					 op_name[o], szname(size, sz));
				if (o == OP_MUNMAP)
					metric(nm, m / u, "ratio", "<=1.25",
					       m / u <= 1.25, NULL);
				else
					metric(nm, m / u, "ratio", "none", -1, NULL);
				if (o == OP_MUNMAP) {
					snprintf(nm, sizeof(nm),
						 "P2.munmap_%s_settled_over_unmirrored",
						 szname(size, sz));
					metric(nm, med(&settle) / u, "ratio", "none", -1,
					       "including_the_deferred_table_free");
				}
			}
		}
		fflush(stdout);
	}
	close(fd);
}
