// SPDX-License-Identifier: GPL-2.0
/*
 * tm_life: bounded resources. max_bindings (read at bind) and
 * max_mirror_pages (read at open) give -ENOSPC, each file counting its
 * own; max_mirror_pages counts 2 MiB slots, which huge entries (a THP, the
 * huge zero page) take too; event_log_len bounds the event log.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tm_life.h"

static void bindings_limit(int fd)
{
	/* max_bindings is read at bind time: the older file obeys it too */
	uint8_t *p = tm_must_map(16, PROT_READ | PROT_WRITE);
	uint32_t h[8];
	unsigned int i;

	for (i = 0; i < 8; i++)
		h[i] = tm_must_bind(fd, p + SZ(i), PAGE_SZ, RO);
	ASSERT_ERRNO(tm_bind(fd, p + SZ(8), PAGE_SZ, RO, NULL), -ENOSPC);
	ASSERT_ERRNO(tm_bind(fd, p + SZ(9), PAGE_SZ, RW | PREFAULT, NULL), -ENOSPC);
	ASSERT_OK(tm_unbind(fd, h[3]));
	tm_must_bind(fd, p + SZ(8), PAGE_SZ, RO);
	ASSERT_ERRNO(tm_bind(fd, p + SZ(9), PAGE_SZ, RO, NULL), -ENOSPC);
	/* another file has its own count */
	{
		int f2 = tm_must_open();

		for (i = 0; i < 8; i++)
			tm_must_bind(f2, p + SZ(i), PAGE_SZ, RO);
		ASSERT_ERRNO(tm_bind(f2, p + SZ(8), PAGE_SZ, RO, NULL), -ENOSPC);
		close(f2);
	}
}

TEST(max_bindings_enospc)
{
	tm_with_param("max_bindings", "8", bindings_limit);
	/* restored: a ninth binding is fine again */
	{
		uint8_t *p = tm_must_map(16, PROT_READ | PROT_WRITE);
		unsigned int i;

		for (i = 0; i < 10; i++)
			tm_must_bind(fd, p + SZ(i), PAGE_SZ, RO);
	}
}

/* max_mirror_pages=1024: two 2 MiB leaves. */
static void mirror_pages_limit(int old_fd)
{
	size_t np = 2048;	/* 8 MiB, 2 MiB aligned: 4 leaves' worth */
	uint8_t *p = tm_map_aligned(np, 2u << 20, PROT_READ | PROT_WRITE);
	uint8_t *b = malloc(SZ(np));
	struct drm_test_mirror_stats st;
	struct tm_result r;
	uint32_t h;
	int f;

	ASSERT_TRUE(p != NULL);
	madvise(p, SZ(np), MADV_NOHUGEPAGE);
	tm_fill(p, SZ(np), 0x8008);
	f = tm_must_open();	/* the limit is read at open */
	h = tm_must_bind(f, p, SZ(np), RW);
	ASSERT_OK(tm_read(f, p, SZ(1024), b, &r));
	ASSERT_EQ(r.pages, 1024);
	ASSERT_ERRNO(tm_read(f, p, SZ(np), b, &r), -ENOSPC);
	ASSERT_EQ(r.pages, 1024);	/* the mirrored part was copied */
	ASSERT_PATTERN(b, SZ(1024), 0x8008);
	tm_must_stats(f, &st);
	ASSERT_EQ(st.table_bytes, 2 * 4096);
	ASSERT_EQ(st.entries_present, 1024);
	/* PREFAULT beyond the limit: nothing is bound */
	ASSERT_OK(tm_unbind(f, h));
	ASSERT_ERRNO(tm_bind(f, p, SZ(np), RW | PREFAULT, NULL), -ENOSPC);
	tm_must_stats(f, &st);
	ASSERT_EQ(st.bindings, 0);
	ASSERT_EQ(st.table_bytes, 0);
	/* room again once unbound: the other half */
	tm_must_bind(f, p + SZ(1024), SZ(1024), RW | PREFAULT);
	ASSERT_OK(tm_read(f, p + SZ(1024), SZ(1024), b, &r));
	ASSERT_TRUE(!memcmp(b, p + SZ(1024), SZ(1024)));
	close(f);
	/* a file opened before the change keeps the old limit */
	h = tm_must_bind(old_fd, p, SZ(np), RO | PREFAULT);
	ASSERT_OK(tm_unbind(old_fd, h));
}

TEST(max_mirror_pages_enospc)
{
	tm_with_param("max_mirror_pages", "1024", mirror_pages_limit);
}

/* ------------------------------------------------------------------------ */
/* max_mirror_pages counts 2 MiB slots: huge entries use them too            */
/* ------------------------------------------------------------------------ */

/* Does a read fault of untouched THP-able memory map the huge zero page? */
static bool huge_zero_page_on(void)
{
	uint64_t v = 0;
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/use_zero_page", "r");

	if (!f)
		return false;
	if (fscanf(f, "%" SCNu64, &v) != 1)
		v = 0;
	fclose(f);
	return v == 1;
}

/*
 * One case of huge_slot_limit(): a 2 MiB-aligned 4 MiB THP-able region,
 * left untouched (a read fault maps the huge zero page) or filled (a THP),
 * bound read-only in a new file. The first 2 MiB take the one slot as a
 * huge entry; the second 2 MiB, and a 4 KiB page anywhere else, need a slot
 * more: -ENOSPC, nothing copied, nothing added. Returns false, having done
 * nothing, when the CPU did not map the filled region with THPs.
 */
static bool huge_then_full(bool filled)
{
	const char *what = filled ? "filled (THP)" : "untouched (huge zero page)";
	uint8_t *p = tm_mmap_aligned(2 * HUGE_SZ, HUGE_SZ, PROT_READ | PROT_WRITE, 0);
	uint8_t *small = tm_must_map_pattern(1, 0xa00a);
	uint8_t *b = tm_must_map(2 * HUGE_SZ / PAGE_SZ, PROT_READ | PROT_WRITE);
	struct drm_test_mirror_stats st;
	struct tm_result r;
	int f;

	ASSERT_TRUE(p != NULL);
	ASSERT_SYS(madvise(p, 2 * HUGE_SZ, MADV_HUGEPAGE));
	if (filled) {
		tm_fill(p, 2 * HUGE_SZ, 0xa11a);
		if (tm_smaps_kb(p, "AnonHugePages:") < (long)(2 * HUGE_SZ >> 10)) {
			tm_diag("%s: the CPU did not map THPs (AnonHugePages %ld kB): case not run",
				what, tm_smaps_kb(p, "AnonHugePages:"));
			return false;
		}
	}
	f = tm_must_open();	/* the limit is read at open */
	tm_must_bind(f, p, 2 * HUGE_SZ, RO);
	tm_must_bind(f, small, PAGE_SZ, RO);

	ASSERT_OK(tm_read(f, p, HUGE_SZ, b, &r));
	ASSERT_EQ(r.pages, HUGE_SZ / PAGE_SZ);
	if (filled)
		ASSERT_PATTERN(b, HUGE_SZ, 0xa11a);
	else
		ASSERT_ZERO_MEM(b, HUGE_SZ);
	tm_must_stats(f, &st);
	tm_diag("%s: the first 2 MiB gave %llu huge entries, %llu entries, %llu table bytes",
		what, (unsigned long long)st.huge_entries,
		(unsigned long long)st.entries_present,
		(unsigned long long)st.table_bytes);
	ASSERT_EQ(st.huge_entries, 1);
	ASSERT_EQ(st.entries_present, 1);

	/* the second 2 MiB need a second slot */
	memset(&r, 0xff, sizeof(r));
	ASSERT_ERRNO(tm_read(f, p + HUGE_SZ, HUGE_SZ, b, &r), -ENOSPC);
	ASSERT_EQ(r.pages, 0);
	tm_must_stats(f, &st);
	ASSERT_EQ(st.entries_present, 1);
	ASSERT_EQ(st.huge_entries, 1);

	/* so does a 4 KiB page elsewhere: a leaf takes a slot as well */
	memset(&r, 0xff, sizeof(r));
	ASSERT_ERRNO(tm_read(f, small, PAGE_SZ, b, &r), -ENOSPC);
	ASSERT_EQ(r.pages, 0);
	tm_must_stats(f, &st);
	ASSERT_EQ(st.entries_present, 1);
	ASSERT_EQ(st.table_bytes, 0);

	/* the mirrored slot still reads */
	ASSERT_OK(tm_read(f, p, HUGE_SZ, b, &r));
	ASSERT_EQ(r.faults, 0);
	close(f);
	munmap(p, 2 * HUGE_SZ);
	munmap(small, PAGE_SZ);
	munmap(b, 2 * HUGE_SZ);
	return true;
}

/* max_mirror_pages=512: one 2 MiB slot, whatever fills it. */
static void huge_slot_limit(int old_fd)
{
	size_t big = (size_t)16 << 30;
	struct drm_test_mirror_stats st;
	unsigned int cases = 0;
	struct tm_result r;
	uint8_t *p, *b;
	int f;

	(void)old_fd;
	if (huge_zero_page_on())
		cases += huge_then_full(false);
	else
		tm_diag("use_zero_page is off: the untouched case is not run");
	cases += huge_then_full(true);
	if (!cases)
		FAIL("no huge entry could be made: neither the huge zero page nor a THP");

	/*
	 * PREFAULT of 16 GiB of untouched THP-able memory: 8192 huge zero
	 * page entries without the limit. The second slot fails, so the bind
	 * fails and nothing stays bound or mirrored.
	 */
	if (huge_zero_page_on()) {
		p = tm_mmap_aligned(big, HUGE_SZ, PROT_READ | PROT_WRITE,
				MAP_NORESERVE);
		ASSERT_TRUE(p != NULL);
		ASSERT_SYS(madvise(p, big, MADV_HUGEPAGE));
		f = tm_must_open();
		ASSERT_ERRNO(tm_bind(f, p, big, RO | PREFAULT, NULL), -ENOSPC);
		tm_must_stats(f, &st);
		ASSERT_EQ(st.bindings, 0);
		ASSERT_EQ(st.entries_present, 0);
		ASSERT_EQ(st.huge_entries, 0);
		ASSERT_EQ(st.table_bytes, 0);
		close(f);
		munmap(p, big);
	}

	/*
	 * The 4 KiB side, same limit: one leaf's worth (512 pages) mirrors,
	 * the page after it needs a second slot; so does a THP chunk.
	 */
	p = tm_mmap_aligned(2 * HUGE_SZ, HUGE_SZ, PROT_READ | PROT_WRITE, 0);
	ASSERT_TRUE(p != NULL);
	ASSERT_SYS(madvise(p, HUGE_SZ, MADV_NOHUGEPAGE));
	ASSERT_SYS(madvise(p + HUGE_SZ, HUGE_SZ, MADV_HUGEPAGE));
	tm_fill(p, 2 * HUGE_SZ, 0xa22a);
	b = tm_must_map(2 * HUGE_SZ / PAGE_SZ, PROT_READ | PROT_WRITE);
	f = tm_must_open();
	tm_must_bind(f, p, 2 * HUGE_SZ, RO);
	ASSERT_OK(tm_read(f, p, HUGE_SZ, b, &r));
	ASSERT_EQ(r.pages, HUGE_SZ / PAGE_SZ);
	ASSERT_PATTERN(b, HUGE_SZ, 0xa22a);
	tm_must_stats(f, &st);
	ASSERT_EQ(st.table_bytes, 4096);
	ASSERT_EQ(st.entries_present, HUGE_SZ / PAGE_SZ);
	memset(&r, 0xff, sizeof(r));
	ASSERT_ERRNO(tm_read(f, p, HUGE_SZ + PAGE_SZ, b, &r), -ENOSPC);
	ASSERT_EQ(r.pages, HUGE_SZ / PAGE_SZ);
	tm_diag("4 KiB leaf first, then a 2 MiB chunk that is %s",
		tm_smaps_kb(p + HUGE_SZ, "AnonHugePages:") >= (long)(HUGE_SZ >> 10) ?
		"a THP" : "not a THP");
	memset(&r, 0xff, sizeof(r));
	ASSERT_ERRNO(tm_read(f, p + HUGE_SZ, HUGE_SZ, b, &r), -ENOSPC);
	ASSERT_EQ(r.pages, 0);
	tm_must_stats(f, &st);
	ASSERT_EQ(st.table_bytes, 4096);
	ASSERT_EQ(st.entries_present, HUGE_SZ / PAGE_SZ);
	ASSERT_EQ(st.huge_entries, 0);
	close(f);
}

/*
 * max_mirror_pages bounds the device table in 2 MiB slots, a leaf of 4 KiB
 * entries or one huge entry each: with max_mirror_pages=512 a file has one
 * slot. A huge entry (THP, or the huge zero page of untouched memory) takes
 * it; a second 2 MiB chunk, a 4 KiB page elsewhere, and a PREFAULT of 16 GiB
 * of untouched memory (8192 huge entries) then fail with -ENOSPC, copying,
 * mirroring and binding nothing. The same from the 4 KiB side: one leaf,
 * then -ENOSPC for a 4 KiB page or a THP chunk beyond it.
 */
TEST_OPTS(max_mirror_pages_counts_huge_entries, 0, 180)
{
	if (PAGE_SZ != 4096)
		SKIP("page size is not 4 KiB");
	if (!tm_thp_usable())
		SKIP("transparent huge pages are off");
	tm_with_param("max_mirror_pages", "512", huge_slot_limit);
}

static void log_limit(int fd)
{
	uint8_t *p = tm_must_map_pattern(16, 1);
	struct drm_test_mirror_event ev[64];
	unsigned int n, i;
	uint64_t lost;
	int f = tm_must_open();

	(void)fd;
	tm_must_bind(f, p, SZ(16), RW | PREFAULT);
	for (i = 0; i < 10; i++)
		ASSERT_SYS(madvise(p + SZ(i), PAGE_SZ, MADV_DONTNEED));
	ASSERT_OK(tm_events(f, ev, 64, true, &n, &lost));
	ASSERT_EQ(n, 4);
	ASSERT_GE(lost, 6);
	close(f);
}

TEST(event_log_len_bounded)
{
	tm_with_param("event_log_len", "4", log_limit);
}
