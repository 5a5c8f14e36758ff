// SPDX-License-Identifier: GPL-2.0
/*
 * tm_events: transparent huge pages. A THP is mirrored by one huge entry.
 * Splitting its PMD (a partial mprotect or munmap) raises CLEAR of the whole
 * 2 MiB, and the device then faults 4K entries; a collapse (MADV_COLLAPSE,
 * khugepaged) raises CLEAR over the 512 small pages, and the device then
 * faults one huge entry.
 */
#include <stdlib.h>
#include <sys/mman.h>

#include "tm_events.h"

static void require_thp(void)
{
	if (!tm_thp_usable())
		SKIP("no transparent huge pages for MADV_HUGEPAGE regions");
}

/*
 * A 2 MiB aligned anonymous region filled with the pattern of seed, either
 * one THP (huge) or 512 small pages.
 */
static uint8_t *thp_region(bool huge, uint32_t seed)
{
	uint8_t *p = tm_map_aligned(HUGE_PAGES, HUGE_SZ,
				    PROT_READ | PROT_WRITE);
	long kb;

	if (!p)
		FAIL("mmap 2 MiB aligned: %s", tm_errname(errno));
	ASSERT_SYS(madvise(p, HUGE_SZ, huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE));
	tm_fill(p, HUGE_SZ, seed);
	kb = tm_smaps_kb(p, "AnonHugePages:");
	if (huge && kb != 2048)
		SKIP("the kernel gave no THP for a MADV_HUGEPAGE region "
		     "(AnonHugePages %ld kB)", kb);
	if (!huge)
		ASSERT_EQ(kb, 0);
	return p;
}

TEST(thp_device_huge_entry)
{
	struct drm_test_mirror_stats st;
	struct tm_result res;
	uint8_t *p;

	SETUP(fd);
	require_thp();
	p = thp_region(true, 1);
	tm_must_bind(fd, p, HUGE_SZ, RW);
	res = DEV_READ(fd, p, HUGE_PAGES, 1, 0, 1);
	ASSERT_EQ(res.faulted_pages, HUGE_PAGES);
	ASSERT_EQ(SNAP_COUNT(fd, p, HUGE_PAGES,
			     TEST_MIRROR_SNAP_WRITE | TEST_MIRROR_SNAP_HUGE),
		  HUGE_PAGES);
	st = STATS(fd);
	ASSERT_EQ(st.huge_entries, 1);
	ASSERT_EQ(st.entries_present, 1);
	DEV_READ(fd, p, HUGE_PAGES, 0, 0, 1);
}

/* Partial mprotect splits the PMD: CLEAR of the 2 MiB, then 4K entries. */
TEST(thp_split_by_mprotect)
{
	struct drm_test_mirror_stats st;
	struct tm_evlog *log;
	uint8_t *p;
	uint32_t h;

	SETUP(fd);
	require_thp();
	p = thp_region(true, 1);
	h = tm_must_bind(fd, p, HUGE_SZ, RWP);
	ASSERT_EQ(STATS(fd).huge_entries, 1);
	ASSERT_OK(tm_evlog_drain(fd));

	ASSERT_SYS(mprotect(p, SZ(1), PROT_READ));
	log = EV_TAKE(fd);
	/* __split_huge_pmd: the whole huge entry goes (it counts once). */
	ASSERT_EQ(EXPECT_EV(log, EV_CLEAR, h, p, p + HUGE_SZ, BIT(ACT_INVAL)), 1);
	/* The mprotect itself, on the first page only. */
	ASSERT_EQ(EXPECT_EV(log, EV_PVMA, h, p, PG(p, 1),
			    BIT(vma_dg ? ACT_DOWN : ACT_INVAL)), 0);
	EXPECT_WITHIN(log, EV_PVMA, p, PG(p, 1));
	EXPECT_ONLY(log, BIT(EV_CLEAR) | BIT(EV_PVMA));
	st = STATS(fd);
	ASSERT_EQ(st.huge_entries, 0);
	ASSERT_EQ(st.entries_present, 0);
	ASSERT_EQ(SNAP_COUNT(fd, p, HUGE_PAGES, TEST_MIRROR_SNAP_NONE),
		  HUGE_PAGES);

	/* Refault: now PTE-mapped, so 4K entries. */
	DEV_READ(fd, p, HUGE_PAGES, 1, 0, 1);
	st = STATS(fd);
	ASSERT_EQ(st.huge_entries, 0);
	ASSERT_EQ(st.entries_present, HUGE_PAGES);
	EXPECT_SNAP(fd, p, 2, "R W");
	ASSERT_EQ(SNAP_COUNT(fd, PG(p, 1), HUGE_PAGES - 1, TEST_MIRROR_SNAP_WRITE),
		  HUGE_PAGES - 1);
}

/* Partial munmap: CLEAR of the 2 MiB (split), UNMAP of the part. */
TEST(thp_split_by_munmap)
{
	struct drm_test_mirror_stats st;
	struct tm_evlog *log;
	uint8_t *p;
	uint32_t h;

	SETUP(fd);
	require_thp();
	p = thp_region(true, 1);
	h = tm_must_bind(fd, p, HUGE_SZ, RWP);
	ASSERT_EQ(STATS(fd).huge_entries, 1);
	ASSERT_OK(tm_evlog_drain(fd));

	ASSERT_SYS(munmap(PG(p, HUGE_PAGES - 1), SZ(1)));
	log = EV_TAKE(fd);
	ASSERT_EQ(EXPECT_EV(log, EV_CLEAR, h, p, p + HUGE_SZ, BIT(ACT_INVAL)), 1);
	EXPECT_EV(log, EV_UNMAP, h, PG(p, HUGE_PAGES - 1), p + HUGE_SZ,
		  BIT(ACT_DROP));
	EXPECT_WITHIN(log, EV_UNMAP, PG(p, HUGE_PAGES - 1), p + HUGE_SZ);
	EXPECT_ONLY(log, BIT(EV_CLEAR) | BIT(EV_UNMAP));
	ASSERT_EQ(SNAP_COUNT(fd, p, HUGE_PAGES - 1, TEST_MIRROR_SNAP_NONE),
		  HUGE_PAGES - 1);
	EXPECT_SNAP(fd, PG(p, HUGE_PAGES - 1), 1, "D");

	DEV_READ(fd, p, HUGE_PAGES - 1, 1, 0, 1);
	DEV_READ_ERR(fd, PG(p, HUGE_PAGES - 1), 1, -EFAULT, 0);
	st = STATS(fd);
	ASSERT_EQ(st.huge_entries, 0);
	ASSERT_EQ(st.entries_present, HUGE_PAGES - 1);
}

/* 512 small pages mirrored; a collapse replaces them by one THP. */
static void collapse_check(int fd, uint8_t *p, uint32_t h)
{
	struct drm_test_mirror_stats st;
	struct tm_evlog *log;

	log = EV_TAKE(fd);
	ASSERT_EQ(EXPECT_EV(log, EV_CLEAR, h, p, p + HUGE_SZ, BIT(ACT_INVAL)),
		  HUGE_PAGES);
	EXPECT_WITHIN(log, EV_CLEAR, p, p + HUGE_SZ);
	EXPECT_ONLY(log, BIT(EV_CLEAR));
	ASSERT_EQ(tm_smaps_kb(p, "AnonHugePages:"), 2048);
	ASSERT_EQ(SNAP_COUNT(fd, p, HUGE_PAGES, TEST_MIRROR_SNAP_NONE),
		  HUGE_PAGES);
	st = STATS(fd);
	ASSERT_EQ(st.entries_present, 0);
	DEV_READ(fd, p, HUGE_PAGES, 1, 0, 1);
	st = STATS(fd);
	ASSERT_EQ(st.huge_entries, 1);
	ASSERT_EQ(st.entries_present, 1);
	ASSERT_EQ(SNAP_COUNT(fd, p, HUGE_PAGES,
			     TEST_MIRROR_SNAP_WRITE | TEST_MIRROR_SNAP_HUGE),
		  HUGE_PAGES);
}

TEST(thp_collapse_madv_collapse)
{
	uint8_t *p;
	uint32_t h;

	SETUP(fd);
	require_thp();
	p = thp_region(false, 1);
	h = tm_must_bind(fd, p, HUGE_SZ, RWP);
	ASSERT_EQ(STATS(fd).entries_present, HUGE_PAGES);
	ASSERT_SYS(madvise(p, HUGE_SZ, MADV_HUGEPAGE));
	ASSERT_OK(tm_evlog_drain(fd));
	if (madvise(p, HUGE_SZ, MADV_COLLAPSE)) {
		if (errno == EINVAL)
			SKIP("MADV_COLLAPSE is not supported by this kernel");
		FAIL("MADV_COLLAPSE: %s", tm_errname(errno));
	}
	collapse_check(fd, p, h);
}

#define KHP "/sys/kernel/mm/transparent_hugepage/khugepaged/"

TEST_OPTS(thp_collapse_khugepaged, 0, 90)
{
	char sleep_old[32], alloc_old[32], scan_old[32];
	uint64_t deadline;
	uint8_t *p;
	uint32_t h;
	bool done = false;

	SETUP(fd);
	require_thp();
	if (tm_read_str(KHP "scan_sleep_millisecs", sleep_old, sizeof(sleep_old)) ||
	    tm_read_str(KHP "alloc_sleep_millisecs", alloc_old, sizeof(alloc_old)) ||
	    tm_read_str(KHP "pages_to_scan", scan_old, sizeof(scan_old)))
		SKIP("no khugepaged tunables in sysfs");
	p = thp_region(false, 1);
	h = tm_must_bind(fd, p, HUGE_SZ, RWP);
	ASSERT_OK(tm_evlog_drain(fd));
	/* MADV_HUGEPAGE registers the mm with khugepaged. */
	ASSERT_SYS(madvise(p, HUGE_SZ, MADV_HUGEPAGE));
	tm_must_write(KHP "pages_to_scan", "4096");
	tm_must_write(KHP "alloc_sleep_millisecs", "10");
	tm_must_write(KHP "scan_sleep_millisecs", "10");
	deadline = tm_now_ms() + 60000;
	while (!done && tm_now_ms() < deadline) {
		tm_sleep_ms(100);
		done = tm_smaps_kb(p, "AnonHugePages:") == 2048;
	}
	tm_write_str(KHP "scan_sleep_millisecs", sleep_old);
	tm_write_str(KHP "alloc_sleep_millisecs", alloc_old);
	tm_write_str(KHP "pages_to_scan", scan_old);
	if (!done) {
		free(EV_TAKE(fd));
		FAIL("khugepaged did not collapse the region within 60 s");
	}
	collapse_check(fd, p, h);
}
