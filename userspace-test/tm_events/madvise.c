// SPDX-License-Identifier: GPL-2.0
/*
 * tm_events: madvise that frees or reclaims pages: MADV_DONTNEED, MADV_FREE,
 * MADV_PAGEOUT. Each raises CLEAR and the entries are invalidated, the
 * tracking kept: the device then reads what the CPU reads (zeros, or the data
 * swapped back in). A device write after MADV_FREE dirties the page, so that
 * reclaim keeps the device's data.
 */
#include <inttypes.h>
#include <sys/mman.h>

#include "tm_events.h"

TEST(madv_dontneed)
{
	const size_t n = 8;
	uint8_t *p = tm_must_map_pattern(n, 1);
	uint32_t h = tm_must_bind(fd, p, SZ(n), RWP);
	struct tm_evlog *log;

	SETUP(fd);
	ASSERT_SYS(madvise(PG(p, 2), SZ(2), MADV_DONTNEED));
	log = EV_TAKE(fd);
	ASSERT_EQ(EXPECT_EV(log, EV_CLEAR, h, PG(p, 2), PG(p, 4),
			    BIT(ACT_INVAL)), 2);
	EXPECT_WITHIN(log, EV_CLEAR, PG(p, 2), PG(p, 4));
	EXPECT_ONLY(log, BIT(EV_CLEAR));
	EXPECT_SNAP(fd, p, n, "W W . . W W W W");

	/* The CPU now reads zeros (zero page, read-only), so does the device. */
	ASSERT_EQ(DEV_READ(fd, PG(p, 2), 2, 1, 0, 0).faulted_pages, 2);
	EXPECT_SNAP(fd, p, n, "W W R R W W W W");
	DEV_READ(fd, p, 2, 0, 0, 1);
	DEV_READ(fd, PG(p, 4), 4, 0, SZ(4), 1);

	/* CPU write to the zero page: COW → CLEAR, the device sees it. */
	ASSERT_OK(tm_evlog_drain(fd));
	tm_fill_at(PG(p, 2), 0, SZ(1), 5);
	log = EV_TAKE(fd);
	ASSERT_EQ(EXPECT_EV(log, EV_CLEAR, h, PG(p, 2), PG(p, 3),
			    BIT(ACT_INVAL)), 1);
	EXPECT_ONLY(log, BIT(EV_CLEAR));
	EXPECT_SNAP(fd, p, n, "W W . R W W W W");
	DEV_READ(fd, PG(p, 2), 1, 1, 0, 5);
}

/*
 * MADV_FREE invalidates; a device write afterwards dirties the page, so that
 * reclaim (MADV_PAGEOUT) may not discard the device's data. The pages the
 * device did not write are discarded (they read as zeros): that proves the
 * reclaim really ran.
 */
TEST(madv_free_then_device_write)
{
	const size_t n = 4;
	struct tm_evlog *log;
	struct tm_result res;
	uint8_t *p;
	uint32_t h;

	SETUP(fd);
	/*
	 * The LRU batches are per CPU, and madvise drains only this CPU's:
	 * fault the pages in on the CPU that will madvise them.
	 */
	tm_pin_cpu0();
	p = tm_must_map_pattern(n, 1);
	h = tm_must_bind(fd, p, SZ(n), RWP);
	ASSERT_SYS(madvise(p, SZ(n), MADV_FREE));
	log = EV_TAKE(fd);
	ASSERT_EQ(EXPECT_EV(log, EV_CLEAR, h, p, PG(p, n), BIT(ACT_INVAL)), n);
	EXPECT_ONLY(log, BIT(EV_CLEAR));
	EXPECT_SNAP(fd, p, n, ". . . .");

	ASSERT_OK(tm_dev_write(fd, PG(p, 2), 2, SZ(2), 7, &res));
	ASSERT_EQ(res.faults, 1);
	EXPECT_SNAP(fd, p, n, ". . W W");
	ASSERT_OK(tm_evlog_drain(fd));

	ASSERT_SYS(madvise(p, SZ(n), MADV_PAGEOUT));
	log = EV_TAKE(fd);
	/* Reclaim unmaps every page it tries: CLEAR. */
	EXPECT_EV(log, EV_CLEAR, h, p, PG(p, n), BIT(ACT_INVAL));
	EXPECT_ONLY(log, BIT(EV_CLEAR));
	EXPECT_SNAP(fd, p, n, ". . . .");
	/* Pages 0-1 were clean and lazily freed: discarded. */
	if (tm_check_zero(p, SZ(2)) >= 0)
		FAIL("pages 0-1 were not discarded: pattern %s, pagemap 0x%"
		     PRIx64 " 0x%" PRIx64, tm_check_at(p, 0, SZ(2), 1) < 0 ?
		     "intact" : "changed", PAGEMAP(p), PAGEMAP(PG(p, 1)));
	/* Pages 2-3 hold the device's data: kept. */
	EXPECT_PAT(PG(p, 2), SZ(2), SZ(2), 7);
	DEV_READ(fd, PG(p, 2), 2, 1, SZ(2), 7);
	DEV_READ(fd, p, 2, 1, 0, 0);
}

TEST(madv_pageout_swap)
{
	const size_t n = 8;
	struct tm_evlog *log;
	uint8_t *p;
	uint32_t h;
	size_t i;

	SETUP(fd);
	if (!tm_have_swap())
		SKIP("no swap device (the guest sets up zram: tm.zram)");
	tm_pin_cpu0();	/* see madv_free_then_device_write */
	p = tm_must_map_pattern(n, 1);
	h = tm_must_bind(fd, p, SZ(n), RWP);
	ASSERT_SYS(madvise(p, SZ(n), MADV_PAGEOUT));
	log = EV_TAKE(fd);
	ASSERT_EQ(EXPECT_EV(log, EV_CLEAR, h, p, PG(p, n), BIT(ACT_INVAL)), n);
	EXPECT_WITHIN(log, EV_CLEAR, p, PG(p, n));
	EXPECT_ONLY(log, BIT(EV_CLEAR));
	EXPECT_SNAP(fd, p, n, tm_rep('.', n));
	for (i = 0; i < n; i++) {
		uint64_t e = PAGEMAP(PG(p, i));

		if (!(e & PM_SWAP))
			FAIL("page %zu not swapped out: pagemap 0x%" PRIx64, i, e);
	}
	/* The device fault swaps the pages back in with the right data. */
	ASSERT_EQ(DEV_READ(fd, p, n, 1, 0, 1).faulted_pages, n);
	for (i = 0; i < n; i++)
		ASSERT_TRUE(PAGEMAP(PG(p, i)) & PM_PRESENT);
	EXPECT_PAT(p, 0, SZ(n), 1);
}
