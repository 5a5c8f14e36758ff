// SPDX-License-Identifier: GPL-2.0
/*
 * tm_bench: P3 memory. Device-table bytes per mirrored page: the
 * driver's STATS table_bytes, checked against /proc/slabinfo and
 * /proc/meminfo deltas, base pages and THP, 64 MiB ... 1 GiB; and the
 * worst case, one page mirrored per 2 MiB.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tm_bench.h"

struct memsnap {
	unsigned long sunreclaim_kb, slab_kb, vmalloc_kb;
	long long k4_objs;	/* kmalloc-4k + kmalloc-cg-4k objects */
	long long xa_bytes;	/* radix_tree_node objects * size */
};

static void slabinfo(struct memsnap *m)
{
	char line[512], name[128];
	long long act, num, osz;
	FILE *f = fopen("/proc/slabinfo", "r");

	m->k4_objs = m->xa_bytes = 0;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%127s %lld %lld %lld", name, &act, &num, &osz) != 4)
			continue;
		if (!strcmp(name, "kmalloc-4k") || !strcmp(name, "kmalloc-cg-4k"))
			m->k4_objs += act;
		else if (!strcmp(name, "radix_tree_node"))
			m->xa_bytes += act * osz;
	}
	fclose(f);
}

static void memsnap(struct memsnap *m)
{
	int fd = open("/proc/sys/vm/stat_refresh", O_WRONLY);

	/* fold the per-cpu vmstat deltas into the global counters */
	if (fd >= 0) {
		if (write(fd, "1", 1) < 0) {
			/* best effort */
		}
		close(fd);
	}
	m->sunreclaim_kb = meminfo_kb("SUnreclaim");
	m->slab_kb = meminfo_kb("Slab");
	m->vmalloc_kb = meminfo_kb("VmallocUsed");
	slabinfo(m);
}

void p3_memory(void)
{
	static const unsigned long sizes[] = { 64 * MiB, 256 * MiB, 1 * GiB };
	double base_tb = 0, base_slab = 0, base_chk = 0, huge_max = 0;
	bool base_done = false, huge_done = false;
	unsigned int i, t;
	char nm[96], sz[32];

	printf("\n## P3 memory: device-table bytes per mirrored page (BIND|PREFAULT of a resident buffer)\n");
	printf("# table: STATS table_bytes (leaves); slab4k: kmalloc(-cg)-4k objects x 4096;"
	       " xa: radix_tree_node bytes;\n# sunrecl: /proc/meminfo SUnreclaim;"
	       " vmalloc: VmallocUsed delta. Per page = per 4 KiB page (base) or per huge entry (THP).\n");
	printf("# %4s %8s %10s %10s %10s %10s %10s %10s %12s %12s\n", "", "size",
	       "entries", "huge", "table B", "slab4k B", "xa B", "sunrecl B",
	       "table B/pg", "slab+xa B/pg");
	for (t = 0; t < 2; t++) {
		bool thp = t;

		for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			unsigned long size = smoke ? (i ? 0 : 16 * MiB) : sizes[i];
			struct drm_test_mirror_stats st;
			struct memsnap a, b;
			double units, tb, sl;
			long long dk4, dxa, dsu;
			uint32_t h;
			char *p;
			int fd;

			if (!size)
				break;
			if (size > max_bytes) {
				printf("# %s skipped: needs more guest memory (TM_MEM)\n",
				       szname(size, sz));
				continue;
			}
			p = map_populated(size, thp);
			if (!p)
				return;
			fd = open_fd(true, 512);
			if (fd < 0)
				return;
			memsnap(&a);
			h = dev_bind(fd, p, size, TEST_MIRROR_BIND_READ |
				     TEST_MIRROR_BIND_WRITE | TEST_MIRROR_BIND_PREFAULT);
			memsnap(&b);
			st = stats(fd);
			dk4 = (b.k4_objs - a.k4_objs) * 4096;
			dxa = b.xa_bytes - a.xa_bytes;
			dsu = ((long long)b.sunreclaim_kb - (long long)a.sunreclaim_kb) * 1024;
			units = thp ? (double)st.huge_entries : (double)st.entries_present;
			if (thp && st.entries_present != st.huge_entries)
				printf("# note: THP %s: %llu of %llu entries are not huge\n",
				       szname(size, sz),
				       (unsigned long long)(st.entries_present - st.huge_entries),
				       (unsigned long long)st.entries_present);
			tb = units ? st.table_bytes / units : 0;
			sl = units ? (dk4 + dxa) / units : 0;
			printf("# %4s %8s %10llu %10llu %10llu %10lld %10lld %10lld %12.3f %12.3f\n",
			       thp ? "THP" : "base", szname(size, sz),
			       (unsigned long long)st.entries_present,
			       (unsigned long long)st.huge_entries,
			       (unsigned long long)st.table_bytes, dk4, dxa, dsu, tb, sl);
			printf("#      vmalloc delta %lld kB, Slab delta %lld kB\n",
			       (long long)b.vmalloc_kb - (long long)a.vmalloc_kb,
			       (long long)b.slab_kb - (long long)a.slab_kb);
			snprintf(nm, sizeof(nm), "p3.%s.table_bytes_per_unit",
				 thp ? "thp" : "base");
			series(nm, size / MiB, "MiB", tb, "B");
			snprintf(nm, sizeof(nm), "p3.%s.slab_bytes_per_unit",
				 thp ? "thp" : "base");
			series(nm, size / MiB, "MiB", sl, "B");
			if (!thp) {
				base_tb = tb;
				base_slab = sl;
				base_chk = st.table_bytes ? (double)dk4 / st.table_bytes : 0;
				base_done = true;
				if (st.entries_present != size / PAGE_SZ)
					bench_err("P3: %llu entries for %lu pages",
						  (unsigned long long)st.entries_present,
						  size / PAGE_SZ);
			} else if (st.huge_entries) {
				if (tb > huge_max)
					huge_max = tb;
				if (sl > huge_max)
					huge_max = sl;
				huge_done = true;
			}
			dev_unbind(fd, h);
			close(fd);
			munmap(p, size);
			fflush(stdout);
		}
	}
	if (base_done) {
		metric("P3.table_bytes_per_4k_page", base_tb, "B", "<=8",
		       base_tb <= 8, "STATS_table_bytes/entries_at_the_largest_size");
		metric("P3.slab_bytes_per_4k_page", base_slab, "B", "<=8",
		       base_slab <= 8,
		       "slabinfo_delta_(4k_leaves+xarray_nodes)/entries");
		metric("P3.slab4k_delta_over_table_bytes", base_chk, "ratio",
		       "0.9..1.1", base_chk >= 0.9 && base_chk <= 1.1,
		       "driver_accounting_checked_against_kmalloc-4k_objects");
	}
	if (huge_done)
		metric("P3.max_bytes_per_huge_entry", huge_max, "B",
		       "O(1):<=64_at_every_size", huge_max <= 64,
		       "max_over_sizes_of_table_and_slab_bytes_per_huge_entry");
	else
		printf("# no huge entries: THP not available?\n");

	/* Worst case, for the record: one page per 2 MiB. */
	{
		unsigned long size = smoke ? 16 * MiB : 256 * MiB, off;
		struct drm_test_mirror_stats st;
		uint32_t h;
		char *p = map_buf(size, false);
		int fd = open_fd(true, 512);

		if (!p || fd < 0)
			return;
		for (off = 0; off < size; off += HUGE_SZ)
			p[off] = 1;
		h = dev_bind(fd, p, size, TEST_MIRROR_BIND_READ);
		dev_gather(fd, p, size, HUGE_SZ / PAGE_SZ);
		st = stats(fd);
		printf("# sparse: one page per 2 MiB over %s: %llu entries, %llu table bytes = %.0f B/page\n",
		       szname(size, sz), (unsigned long long)st.entries_present,
		       (unsigned long long)st.table_bytes,
		       st.entries_present ? (double)st.table_bytes / st.entries_present : 0);
		metric("P3.sparse_bytes_per_page_1_per_2MiB",
		       st.entries_present ? (double)st.table_bytes / st.entries_present : 0,
		       "B", "none", -1, "worst_case_one_leaf_per_page");
		dev_unbind(fd, h);
		close(fd);
		munmap(p, size);
	}
}
