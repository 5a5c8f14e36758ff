// SPDX-License-Identifier: GPL-2.0
/*
 * tm_bench: P1 populate. Pages/s to bring a CPU-resident buffer into the
 * device table: BIND+PREFAULT and a cold device READ, base pages and THP,
 * 4 MiB ... 1 GiB; the CPU touching and copying the same pages, and the
 * event-blind policy, for comparison. Then P1 chunk: the hmm_range_fault()
 * chunk size (fault_chunk_pages), 64 ... 8192 pages.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tm_bench.h"

static volatile uint64_t sink;

/* The CPU reads one word of every (resident) page. */
static void cpu_read_touch(const char *p, unsigned long size)
{
	uint64_t s = 0;
	unsigned long i;

	for (i = 0; i < size; i += PAGE_SZ)
		s += *(const volatile uint64_t *)(p + i);
	sink = s;
}

/* The CPU copies the buffer into the window, as the device READ does. */
static void cpu_copy(const char *p, unsigned long size)
{
	unsigned long off, n;

	for (off = 0; off < size; off += n) {
		n = size - off < WIN_SZ ? size - off : WIN_SZ;
		memcpy(win, p + off, n);
	}
	sink = win[0];
}

static const unsigned long p1_sizes[] = { 4 * MiB, 16 * MiB, 64 * MiB,
					  256 * MiB, 1 * GiB };

enum { C_CPU_FAULT, C_CPU_TOUCH, C_CPU_COPY, C_PREFAULT, C_COLD, C_WARM,
       C_BLIND, C_NCOL };
static const char *const p1_col[C_NCOL] = {
	"cpu_fault", "cpu_touch", "cpu_copy", "prefault", "cold_read",
	"warm_read", "blind_prefault",
};

void p1_populate(void)
{
	char nm[64], sz[32];
	unsigned int t, i, r, k;
	int fda, fdb;

	fda = open_fd(true, 512);
	fdb = open_fd(false, 512);
	if (fda < 0 || fdb < 0)
		return;

	printf("\n## P1 populate: pages/s into the device table (chunk 512 pages)\n");
	printf("# cpu_fault: CPU first-touch write of a fresh buffer (allocates);"
	       " cpu_touch: CPU reads one word per resident page;\n"
	       "# cpu_copy: CPU memcpy of the buffer; prefault: BIND|PREFAULT;"
	       " cold_read: BIND + device READ of the whole buffer\n"
	       "# (faults + copy); warm_read: READ again (copy only, 0 faults);"
	       " blind_prefault: prefault on an event_aware=N file.\n");
	for (t = 0; t < 2; t++) {
		bool thp = t;

		printf("#\n# %s  %8s %12s %12s %12s %12s %12s %12s %12s %6s\n",
		       thp ? "THP " : "base", "size", "cpu_fault", "cpu_touch",
		       "cpu_copy", "prefault", "cold_read", "warm_read",
		       "blind_pref", "huge%");
		printf("# %4s  %8s %12s %12s %12s %12s %12s %12s %12s %6s\n",
		       "", "", "Mpages/s", "Mpages/s", "Mpages/s", "Mpages/s",
		       "Mpages/s", "Mpages/s", "Mpages/s", "");
		for (i = 0; i < sizeof(p1_sizes) / sizeof(p1_sizes[0]); i++) {
			unsigned long size = p1_sizes[i];
			struct smp s[C_NCOL] = { 0 };
			double huge = 0, pages = size / PAGE_SZ;
			uint64_t cold_faults = 0;

			if (smoke && size > 4 * MiB)
				break;
			if (size > max_bytes) {
				printf("# %s %s skipped: needs more guest memory (TM_MEM)\n",
				       thp ? "THP " : "base", szname(size, sz));
				continue;
			}
			for (r = 0; r < reps_for(size); r++) {
				struct drm_test_mirror_stats st;
				uint64_t t0, f;
				uint32_t h;
				char *p = map_buf(size, thp);

				if (!p) {
					bench_err("mmap: %s", strerror(errno));
					break;
				}
				t0 = tm_now_ns();
				cpu_write_touch(p, size);
				smp_add(&s[C_CPU_FAULT], tm_now_ns() - t0);
				t0 = tm_now_ns();
				cpu_read_touch(p, size);
				smp_add(&s[C_CPU_TOUCH], tm_now_ns() - t0);
				t0 = tm_now_ns();
				cpu_copy(p, size);
				smp_add(&s[C_CPU_COPY], tm_now_ns() - t0);

				t0 = tm_now_ns();
				h = dev_bind(fda, p, size, TEST_MIRROR_BIND_READ |
					     TEST_MIRROR_BIND_WRITE |
					     TEST_MIRROR_BIND_PREFAULT);
				smp_add(&s[C_PREFAULT], tm_now_ns() - t0);
				st = stats(fda);
				if (st.entries_present - st.huge_entries +
				    st.huge_entries * 512 != pages)
					bench_err("prefault %s: %llu entries (%llu huge) for %.0f pages",
						  szname(size, sz),
						  (unsigned long long)st.entries_present,
						  (unsigned long long)st.huge_entries, pages);
				huge += st.huge_entries * 512 / pages;
				dev_unbind(fda, h);

				t0 = tm_now_ns();
				h = dev_bind(fda, p, size, TEST_MIRROR_BIND_READ);
				f = dev_read(fda, p, size);
				smp_add(&s[C_COLD], tm_now_ns() - t0);
				cold_faults += f;
				t0 = tm_now_ns();
				f = dev_read(fda, p, size);
				smp_add(&s[C_WARM], tm_now_ns() - t0);
				if (f)
					bench_err("warm read took %llu faults",
						  (unsigned long long)f);
				dev_unbind(fda, h);

				t0 = tm_now_ns();
				h = dev_bind(fdb, p, size, TEST_MIRROR_BIND_READ |
					     TEST_MIRROR_BIND_WRITE |
					     TEST_MIRROR_BIND_PREFAULT);
				smp_add(&s[C_BLIND], tm_now_ns() - t0);
				dev_unbind(fdb, h);
				munmap(p, size);
			}
			if (!s[C_PREFAULT].n)
				continue;
			huge = 100 * huge / s[C_PREFAULT].n;
			printf("# %4s  %8s", "", szname(size, sz));
			for (k = 0; k < C_NCOL; k++)
				printf(" %12.3f", pages / (med(&s[k]) / 1e9) / 1e6);
			printf(" %5.1f%%\n", huge);
			for (k = 0; k < C_NCOL; k++) {
				snprintf(nm, sizeof(nm), "p1.%s.%s.ms",
					 thp ? "thp" : "base", p1_col[k]);
				series(nm, size / MiB, "MiB", MS(med(&s[k])), "ms");
			}
			snprintf(nm, sizeof(nm), "p1.%s.cold_read_faults",
				 thp ? "thp" : "base");
			series(nm, size / MiB, "MiB",
			       (double)cold_faults / s[C_COLD].n, "faults");
			if (i + 1 == sizeof(p1_sizes) / sizeof(p1_sizes[0]) ||
			    p1_sizes[i + 1] > max_bytes || smoke) {
				/* the largest size: the headline numbers */
				const char *b = thp ? "thp" : "base";
				double pf = med(&s[C_PREFAULT]);

				snprintf(nm, sizeof(nm), "P1.prefault_%s_%s_pages_per_s",
					 b, szname(size, sz));
				metric(nm, pages / (pf / 1e9), "pages/s", "none", -1,
				       "emulated_time_(TCG)");
				snprintf(nm, sizeof(nm), "P1.cold_read_%s_%s_pages_per_s",
					 b, szname(size, sz));
				metric(nm, pages / (med(&s[C_COLD]) / 1e9), "pages/s",
				       "none", -1, "emulated_time_(TCG)");
				snprintf(nm, sizeof(nm), "P1.prefault_over_cpu_fault_%s_%s",
					 b, szname(size, sz));
				metric(nm, med(&s[C_CPU_FAULT]) / pf, "x_faster",
				       "none", -1,
				       "device_prefault_speed_relative_to_CPU_first_touch");
				snprintf(nm, sizeof(nm), "P1.cold_read_over_cpu_copy_%s_%s",
					 b, szname(size, sz));
				metric(nm, med(&s[C_COLD]) / med(&s[C_CPU_COPY]),
				       "x_time", "none", -1,
				       "cold_device_read_time_relative_to_CPU_memcpy");
				snprintf(nm, sizeof(nm), "P1.blind_over_aware_prefault_%s_%s",
					 b, szname(size, sz));
				metric(nm, med(&s[C_BLIND]) / pf, "x_time", "none", -1,
				       "policy_does_not_change_populate");
				snprintf(nm, sizeof(nm), "P1.huge_coverage_%s_%s", b,
					 szname(size, sz));
				metric(nm, huge, "%", "none", -1,
				       "share_of_pages_in_huge_device_entries");
			}
			fflush(stdout);
		}
	}
	close(fda);
	close(fdb);
}

static const unsigned int chunks[] = { 64, 256, 512, 2048, 8192 };
#define NCHUNK (sizeof(chunks) / sizeof(chunks[0]))

void p1_chunk(void)
{
	unsigned long size = smoke ? 4 * MiB : 256 * MiB;
	double pages, best_v = 0;
	unsigned int t, c, r, best = 0;
	char nm[96], sz[32];
	int fd[NCHUNK];

	if (size > max_bytes)
		size = 64 * MiB;
	pages = size / PAGE_SZ;
	for (c = 0; c < NCHUNK; c++) {
		fd[c] = open_fd(true, chunks[c]);
		if (fd[c] < 0)
			return;
	}
	printf("\n## P1 chunk: fault_chunk_pages (pages per hmm_range_fault call), %s buffer\n",
	       szname(size, sz));
	printf("# prefault: BIND|PREFAULT of the whole buffer; cold read: device READ of"
	       " its first quarter, right after BIND\n");
	printf("# %4s %8s %14s %14s %12s %14s\n", "", "chunk", "prefault Mp/s",
	       "cold_rd Mp/s", "cold faults", "huge entries");
	for (t = 0; t < 2; t++) {
		bool thp = t;
		struct smp pf[NCHUNK] = { 0 }, cold[NCHUNK] = { 0 };
		uint64_t huge[NCHUNK] = { 0 }, faults[NCHUNK] = { 0 };
		char *p = map_populated(size, thp);

		if (!p)
			return;
		for (r = 0; r < reps_for(size) + (smoke ? 0 : 2); r++) {
			for (c = 0; c < NCHUNK; c++) {
				/* rotate the order so no chunk is always first */
				unsigned int cc = (c + r) % NCHUNK;
				uint64_t t0, f;
				uint32_t h;

				t0 = tm_now_ns();
				h = dev_bind(fd[cc], p, size, TEST_MIRROR_BIND_READ |
					     TEST_MIRROR_BIND_WRITE |
					     TEST_MIRROR_BIND_PREFAULT);
				smp_add(&pf[cc], tm_now_ns() - t0);
				huge[cc] = stats(fd[cc]).huge_entries;
				dev_unbind(fd[cc], h);
				/* the cold read is copy-bound: a quarter is enough */
				t0 = tm_now_ns();
				h = dev_bind(fd[cc], p, size, TEST_MIRROR_BIND_READ);
				f = dev_read(fd[cc], p, size / 4);
				smp_add(&cold[cc], tm_now_ns() - t0);
				faults[cc] = f;
				dev_unbind(fd[cc], h);
			}
		}
		munmap(p, size);
		for (c = 0; c < NCHUNK; c++) {
			double v = pages / (med(&pf[c]) / 1e9);

			printf("# %4s %8u %14.3f %14.3f %12llu %14llu\n",
			       thp ? "THP" : "base", chunks[c], v / 1e6,
			       pages / 4 / (med(&cold[c]) / 1e9) / 1e6,
			       (unsigned long long)faults[c],
			       (unsigned long long)huge[c]);
			snprintf(nm, sizeof(nm), "p1chunk.%s.prefault.ms",
				 thp ? "thp" : "base");
			series(nm, chunks[c], "pages", MS(med(&pf[c])), "ms");
			snprintf(nm, sizeof(nm), "p1chunk.%s.cold_read.ms",
				 thp ? "thp" : "base");
			series(nm, chunks[c], "pages", MS(med(&cold[c])), "ms");
			snprintf(nm, sizeof(nm), "P1.chunk_%u_%s_prefault_pages_per_s",
				 chunks[c], thp ? "thp" : "base");
			metric(nm, v, "pages/s", "none", -1, NULL);
			/* the best for base pages decides; THP reported */
			if (!thp && v > best_v) {
				best_v = v;
				best = c;
			}
		}
		if (!thp) {
			double v64 = pages / (med(&pf[0]) / 1e9);

			metric("P1.best_chunk_pages", chunks[best], "pages",
			       "none", -1, "fastest_base-page_prefault");
			metric("P1.best_chunk_over_chunk_64", best_v / v64, "x_faster",
			       "none", -1, "base_pages_prefault");
		}
		fflush(stdout);
	}
	for (c = 0; c < NCHUNK; c++)
		close(fd[c]);
}
