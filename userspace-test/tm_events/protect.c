// SPDX-License-Identifier: GPL-2.0
/*
 * tm_events: write-protection of bound memory. mprotect raises
 * PROTECTION_VMA, even a more permissive one: where the kernel lets the
 * driver keep read-only entries (TEST_MIRROR_CAP_VMA_DOWNGRADE, 6.1) reads
 * need no refault, elsewhere (6.12) the entries are invalidated; PROT_NONE
 * leaves the device no access at all, and the tracking is kept. clear_refs
 * soft-dirty raises SOFT_DIRTY over the whole address space and the entries
 * are kept read-only; a device write refaults, so the CPU marks the page
 * soft-dirty again.
 */
#include <sys/mman.h>

#include "tm_events.h"

TEST(mprotect_rw_to_ro)
{
	const size_t n = 4;
	uint8_t *p = tm_must_map_pattern(n, 1);
	uint32_t h = tm_must_bind(fd, p, SZ(n), RWP);
	struct drm_test_mirror_stats st;
	struct tm_evlog *log;
	struct tm_result res;
	uint64_t ent;

	SETUP(fd);
	ASSERT_SYS(mprotect(p, SZ(n), PROT_READ));
	log = EV_TAKE(fd);
	ent = EXPECT_EV(log, EV_PVMA, h, p, PG(p, n),
			BIT(vma_dg ? ACT_DOWN : ACT_INVAL));
	ASSERT_EQ(ent, n);
	EXPECT_ONLY(log, BIT(EV_PVMA));
	st = STATS(fd);
	if (vma_dg) {
		/* 6.1: read-only entries kept, reads need no refault. */
		EXPECT_SNAP(fd, p, n, "R R R R");
		ASSERT_EQ(st.entries_downgraded, n);
		ASSERT_EQ(st.entries_present, n);
		DEV_READ(fd, p, n, 0, 0, 1);
	} else {
		/* 6.12: no VMA in the range, cannot prove read access. */
		EXPECT_SNAP(fd, p, n, ". . . .");
		ASSERT_EQ(st.entries_invalidated, n);
		ASSERT_EQ(st.entries_present, 0);
		DEV_READ(fd, p, n, 1, 0, 1);
	}
	EXPECT_SNAP(fd, p, n, "R R R R");
	ASSERT_ERRNO(tm_dev_write(fd, p, n, 0, 2, &res), -EPERM);
	ASSERT_EQ(res.pages, 0);
	EXPECT_PAT(p, 0, SZ(n), 1);
	EXPECT_SNAP(fd, p, n, "R R R R");
	log = EV_TAKE(fd);
	ASSERT_EQ(log->n, 0);
}

TEST(mprotect_ro_to_rw)
{
	const size_t n = 4;
	uint8_t *p = tm_must_map_pattern(n, 1);
	uint32_t h = tm_must_bind(fd, p, SZ(n), RW);
	struct tm_evlog *log;
	struct tm_result res;
	uint64_t ent;

	SETUP(fd);
	ASSERT_SYS(mprotect(p, SZ(n), PROT_READ));
	DEV_READ(fd, p, n, 1, 0, 1);
	EXPECT_SNAP(fd, p, n, "R R R R");
	ASSERT_OK(tm_evlog_drain(fd));

	ASSERT_SYS(mprotect(p, SZ(n), PROT_READ | PROT_WRITE));
	log = EV_TAKE(fd);
	/* Even a more permissive mprotect raises PROTECTION_VMA. */
	ent = EXPECT_EV(log, EV_PVMA, h, p, PG(p, n),
			BIT(vma_dg ? ACT_DOWN : ACT_INVAL));
	EXPECT_ONLY(log, BIT(EV_PVMA));
	/* Downgrading read-only entries affects none. */
	ASSERT_EQ(ent, vma_dg ? 0 : n);
	EXPECT_SNAP(fd, p, n, vma_dg ? "R R R R" : ". . . .");

	ASSERT_OK(tm_dev_write(fd, p, n, 0, 2, &res));
	ASSERT_EQ(res.faults, 1);
	EXPECT_PAT(p, 0, SZ(n), 2);
	EXPECT_SNAP(fd, p, n, "W W W W");
}

TEST(mprotect_rw_to_none)
{
	const size_t n = 4;
	uint8_t *p = tm_must_map_pattern(n, 1);
	uint32_t h = tm_must_bind(fd, p, SZ(n), RWP);
	struct tm_evlog *log;
	struct tm_result res;

	SETUP(fd);
	ASSERT_SYS(mprotect(p, SZ(n), PROT_NONE));
	log = EV_TAKE(fd);
	/* Both kernels: PROT_NONE leaves the device no access at all. */
	ASSERT_EQ(EXPECT_EV_N(log, EV_PVMA, h, p, PG(p, n), BIT(ACT_INVAL), 1),
		  n);
	EXPECT_ONLY(log, BIT(EV_PVMA));
	EXPECT_SNAP(fd, p, n, ". . . .");
	ASSERT_EQ(STATS(fd).entries_present, 0);
	DEV_READ_ERR(fd, p, n, -EFAULT, 0);
	ASSERT_ERRNO(tm_dev_write(fd, p, 1, 0, 2, &res), -EFAULT);
	EXPECT_SNAP(fd, p, n, ". . . .");

	/* Tracking is kept: access works again once the CPU has it. */
	ASSERT_SYS(mprotect(p, SZ(n), PROT_READ | PROT_WRITE));
	log = EV_TAKE(fd);
	EXPECT_ONLY(log, BIT(EV_PVMA));
	DEV_READ(fd, p, n, 1, 0, 1);
}

TEST(clear_refs_soft_dirty)
{
	const size_t n = 4;
	uint8_t *p = tm_must_map_pattern(n, 1);
	uint32_t h = tm_must_bind(fd, p, SZ(n), RWP);
	struct tm_evlog *log;
	struct tm_result res;
	size_t i;
	int ret;

	SETUP(fd);
	for (i = 0; i < n; i++)
		ASSERT_TRUE(PAGEMAP(PG(p, i)) & PM_SOFT_DIRTY);
	ret = tm_write_str("/proc/self/clear_refs", "4");
	if (ret == -EINVAL)
		SKIP("clear_refs 4 (soft-dirty) refused: no CONFIG_MEM_SOFT_DIRTY");
	ASSERT_OK(ret);
	log = EV_TAKE(fd);
	/* The whole address space, as the kernel gives it. */
	ASSERT_EQ(EXPECT_EV(log, EV_SDIRTY, h, p, PG(p, n), BIT(ACT_DOWN)), n);
	EXPECT_ONLY(log, BIT(EV_SDIRTY));
	ASSERT_EQ(log->n, 1);
	ASSERT_EQ(log->rec[0].start, 0);
	ASSERT_EQ(log->rec[0].end, UINT64_MAX);
	EXPECT_SNAP(fd, p, n, "R R R R");
	for (i = 0; i < n; i++)
		ASSERT_FALSE(PAGEMAP(PG(p, i)) & PM_SOFT_DIRTY);
	DEV_READ(fd, p, n, 0, 0, 1);
	for (i = 0; i < n; i++)
		ASSERT_FALSE(PAGEMAP(PG(p, i)) & PM_SOFT_DIRTY);

	/* A device write refaults, so the CPU marks the page soft-dirty. */
	ASSERT_OK(tm_dev_write(fd, PG(p, 1), 1, SZ(1), 2, &res));
	ASSERT_EQ(res.faults, 1);
	ASSERT_EQ(res.faulted_pages, 1);
	EXPECT_SNAP(fd, p, n, "R W R R");
	for (i = 0; i < n; i++) {
		bool sd = PAGEMAP(PG(p, i)) & PM_SOFT_DIRTY;

		if (sd != (i == 1))
			FAIL("page %zu: soft-dirty %d, expected %d", i, sd,
			     i == 1);
	}
	EXPECT_PAT(PG(p, 1), SZ(1), SZ(1), 2);
	EXPECT_PAT(p, 0, SZ(1), 1);
}
