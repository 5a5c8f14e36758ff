// SPDX-License-Identifier: GPL-2.0
/*
 * tm_tests: CPU changes to bound memory, and what they do to the mirror.
 *
 * munmap (UNMAP, event-aware policy): the tracking of the unmapped pages is
 * dropped ('D'), device reads and writes there fail with -EFAULT, the rest
 * of the binding is intact, and munmap next to a binding raises nothing;
 * MAP_FIXED over a binding, piecewise munmaps and mremap (UNMAP twice,
 * back to back) drop it too. An UNMAP cuts its range out of a segment and
 * the work item splits the segment later: more cuts than the segment's
 * array holds merge the two closest (the page between them loses its
 * tracking, and its entry too), and an UNMAP wholly inside a cut is not a
 * new cut.
 *
 * MADV_DONTNEED and MADV_FREE raise CLEAR, which invalidates the entries;
 * pages paged out keep the device's writes; mprotect and its capability; a
 * fork child's munmap raises nothing in the parent.
 *
 * The event-aware policy and the event-blind one, a variant each: munmap
 * drops the tracking only under the aware policy (new memory at the
 * address is not mirrored), and mprotect(PROT_READ) keeps read-only entries
 * only for an aware file on a kernel that gives the VMA (6.1).
 *
 * tm_events asserts every kernel activity in full; these are the basics.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tm_tests.h"

/* ------------------------------------------------------------------------ */
/* UNMAP                                                                     */
/* ------------------------------------------------------------------------ */

TEST(unmap_unmirrored_drops)
{
	uint8_t *buf = tm_must_map_pattern(N, SEED_A);
	uint32_t h = tm_must_bind(fd, buf, SZ(N), RW);
	struct tm_evlog *log;

	ASSERT_OK(tm_unmap(buf, N));
	log = tm_must_evlog(fd);
	ASSERT_EQ(EXPECT_EV_N(log, EV_UNMAP, h, buf, PG(buf, N),
			      BIT(ACT_DROP), 1), 0);
	EXPECT_SNAP(fd, buf, N, tm_rep('D', N));
}

TEST(unmap_snapshot_dropped)
{
	uint8_t *buf = tm_must_map_pattern(N, SEED_A);
	uint8_t snap[N];
	unsigned int i;

	tm_must_bind(fd, buf, SZ(N), RW);
	DEV_WRITE(fd, buf, N, 0, SEED_B);
	ASSERT_OK(tm_unmap(buf, N));
	ASSERT_OK(tm_snapshot(fd, buf, SZ(N), snap));
	for (i = 0; i < N; i++)
		ASSERT_EQ(snap[i], TEST_MIRROR_SNAP_DROPPED);
}

TEST(unmap_write_efault)
{
	uint8_t *buf = tm_must_map_pattern(N, SEED_A);
	uint8_t *src = tm_scratch(N);
	struct tm_result res;

	tm_must_bind(fd, buf, SZ(N), RW);
	DEV_WRITE(fd, buf, N, 0, SEED_B);
	ASSERT_OK(tm_unmap(buf, N));
	ASSERT_ERRNO(tm_write(fd, buf, SZ(N), src, &res), -EFAULT);
	ASSERT_EQ(res.pages, 0);
}

TEST(unmap_partial_middle_dropped)
{
	uint8_t *buf = tm_must_map_pattern(3, SEED_A);
	uint8_t *dst = tm_scratch(1);
	uint32_t h = tm_must_bind(fd, buf, SZ(3), RW);
	struct tm_evlog *log;

	DEV_READ(fd, buf, 3, -1, 0, SEED_A);
	ASSERT_OK(tm_evlog_drain(fd));
	ASSERT_OK(tm_unmap(PG(buf, 1), 1));
	log = tm_must_evlog(fd);
	ASSERT_EQ(EXPECT_EV_N(log, EV_UNMAP, h, PG(buf, 1), PG(buf, 2),
			      BIT(ACT_DROP), 1), 1);
	EXPECT_SNAP(fd, buf, 3, "* D *");
	ASSERT_ERRNO(tm_read(fd, PG(buf, 1), SZ(1), dst, NULL), -EFAULT);
}

TEST(unmap_partial_others_intact)
{
	uint8_t *buf = tm_must_map_pattern(3, SEED_A);
	uint8_t *dst = tm_scratch(1);
	struct tm_result res;

	tm_must_bind(fd, buf, SZ(3), RW);
	DEV_READ(fd, buf, 3, -1, 0, SEED_A);
	ASSERT_OK(tm_unmap(PG(buf, 1), 1));
	ASSERT_OK(tm_read(fd, PG(buf, 0), SZ(1), dst, &res));
	ASSERT_EQ(res.faults, 0);
	ASSERT_EQ(memcmp(dst, tm_must_map_pattern(1, SEED_A), SZ(1)), 0);
	ASSERT_OK(tm_read(fd, PG(buf, 2), SZ(1), dst, &res));
	ASSERT_EQ(res.faults, 0);
	ASSERT_EQ(memcmp(dst, PG(buf, 2), SZ(1)), 0);
	/* and device writes to them still reach the CPU */
	DEV_WRITE(fd, PG(buf, 2), 1, 0, SEED_B);
	ASSERT_PATTERN(PG(buf, 2), SZ(1), SEED_B);
}

TEST(unmap_partial_read_across_stops)
{
	uint8_t *buf = tm_must_map_pattern(3, SEED_A);
	uint8_t *dst = tm_scratch(3);
	struct tm_result res;

	tm_must_bind(fd, buf, SZ(3), RW);
	DEV_READ(fd, buf, 3, -1, 0, SEED_A);
	ASSERT_OK(tm_unmap(PG(buf, 1), 1));
	ASSERT_ERRNO(tm_read(fd, buf, SZ(3), dst, &res), -EFAULT);
	/* pages done before the failing one */
	ASSERT_EQ(res.pages, 1);
	ASSERT_PATTERN(dst, SZ(1), SEED_A);
}

TEST(unmap_outside_binding_no_event)
{
	uint8_t *buf = tm_must_map_pattern(3, SEED_A);
	struct tm_evlog *log;

	tm_must_bind(fd, PG(buf, 1), SZ(1), RW);
	DEV_READ_CPU(fd, PG(buf, 1), 1);
	ASSERT_OK(tm_evlog_drain(fd));
	ASSERT_OK(tm_unmap(PG(buf, 0), 1));
	ASSERT_OK(tm_unmap(PG(buf, 2), 1));
	log = tm_must_evlog(fd);
	EXPECT_NREC(log, 0);
	EXPECT_SNAP(fd, PG(buf, 1), 1, "*");
}

TEST(unmap_map_fixed_over_binding_drops)
{
	uint8_t *buf = tm_must_map_pattern(N, SEED_A);
	uint32_t h = tm_must_bind(fd, buf, SZ(N), RW);
	uint8_t *dst = tm_scratch(N);
	struct tm_evlog *log;
	void *p;

	DEV_READ(fd, buf, N, -1, 0, SEED_A);
	p = mmap(buf, SZ(N), PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	ASSERT_EQ(p, buf);
	log = tm_must_evlog(fd);
	EXPECT_EV(log, EV_UNMAP, h, buf, PG(buf, N), BIT(ACT_DROP));
	ASSERT_ERRNO(tm_read(fd, buf, SZ(N), dst, NULL), -EFAULT);
}

/*
 * Each munmap of a piece of a binding drops the tracking of that piece while
 * the driver may still be reorganising the binding after the previous one.
 */
TEST(unmap_piecewise_repeat)
{
	const unsigned int n = 32;
	unsigned int round, i;

	for (round = 0; round < 16; round++) {
		uint8_t *buf = tm_must_map_pattern(n, SEED_A);
		uint32_t h = tm_must_bind(fd, buf, SZ(n), RW);

		DEV_READ(fd, buf, n, -1, 0, SEED_A);
		/* even pages, then odd pages, one munmap each */
		for (i = 0; i < n; i += 2)
			ASSERT_OK(tm_unmap(PG(buf, i), 1));
		for (i = 1; i < n; i += 2)
			ASSERT_OK(tm_unmap(PG(buf, i), 1));
		EXPECT_SNAP(fd, buf, n, tm_rep('D', n));
		ASSERT_OK(tm_unbind(fd, h));
	}
}

/* mremap sends UNMAP twice for the old range, back to back. */
TEST(unmap_mremap_move_repeat)
{
	unsigned int round;

	for (round = 0; round < 32; round++) {
		uint8_t *buf = tm_must_map_pattern(N, SEED_A);
		uint8_t *to = tm_must_map(N, PROT_READ | PROT_WRITE);
		uint32_t h = tm_must_bind(fd, buf, SZ(N), RW);
		void *p;

		DEV_READ(fd, buf, N, -1, 0, SEED_A);
		p = mremap(buf, SZ(N), SZ(N), MREMAP_MAYMOVE | MREMAP_FIXED,
			   to);
		ASSERT_EQ(p, to);
		EXPECT_SNAP(fd, buf, N, tm_rep('D', N));
		ASSERT_OK(tm_unbind(fd, h));
		ASSERT_OK(tm_unmap(to, N));
	}
}

/* ------------------------------------------------------------------------ */
/* UNMAP: a full cut array, and UNMAPs of ranges already cut                 */
/* ------------------------------------------------------------------------ */

/*
 * These tests stop the UNMAP work item with a device READ held on a buffer
 * page supplied late (tm_held_*: the structural lock stays taken), so the
 * cuts pile up in the segment, then read the device table back through
 * debugfs. The invariant they check: every valid entry is covered by a live
 * notifier, i.e. no entry survives where the tracking was dropped.
 */

#define CUT_PAGES	24u	/* pages of the buffer the tests cut */
/*
 * want[0..n) = 'W' (in EXPECT_SNAP() notation, "W W ..."), with 'D' at the
 * pages listed in drop[0..nd).
 */
static void want_w_except(char *want, size_t n, const unsigned int *drop,
			  size_t nd)
{
	size_t i;

	strcpy(want, tm_rep('W', n));
	for (i = 0; i < nd; i++)
		want[2 * drop[i]] = 'D';
}

/* Pages of want that are 'W'. */
static size_t count_w(const char *want)
{
	size_t n = 0;

	for (; *want; want++)
		n += *want == 'W';
	return n;
}

/*
 * Nine single-page munmaps arrive while the work item cannot run: the ninth
 * overflows the segment's cut array (8 cuts), so the two closest cuts, [1,2)
 * and [3,4), merge and page 2, still mapped, loses its tracking. Proves that
 * page 2 then has no device entry left (its entry would be covered by no
 * notifier once the split removes the old one: a use-after-free for a real
 * device): the snapshot shows it dropped, entries_present counts only the
 * 'W' pages, the debugfs runs cover no dropped page, a later munmap of page
 * 2 finds nothing to remove, and a device read there fails with -EFAULT.
 */
TEST(unmap_cut_overflow_leaves_no_stray_entry)
{
	static const unsigned int drop[] = {
		1, 2, 3, 5, 7, 9, 11, 13, 15, 17,
	};
	struct drm_test_mirror_event recs[16];
	struct drm_test_mirror_stats st;
	char want[2 * CUT_PAGES];
	struct tm_result res;
	struct tm_held held;
	struct tm_evlog *log;
	uint8_t *buf, *x, *dst;
	uint32_t h, hx;
	unsigned int i, n;
	size_t nw;
	char *state;

	tm_dbg_need();
	state = malloc(TM_STATE_MAX);
	dst = tm_scratch(1);
	ASSERT_TRUE(state);
	buf = tm_must_map_pattern(CUT_PAGES, SEED_A);
	x = tm_must_map_pattern(1, SEED_B);
	h = tm_must_bind(fd, buf, SZ(CUT_PAGES), RW | PREFAULT);
	hx = tm_must_bind(fd, x, SZ(1), RW | PREFAULT);
	EXPECT_SNAP(fd, buf, CUT_PAGES, tm_rep('W', CUT_PAGES));
	ASSERT_OK(tm_evlog_drain(fd));
	ASSERT_OK(tm_stats(fd, &st, true));

	/* The work item waits for the structural lock from here on. */
	tm_held_start(&held, fd, x, false);
	for (i = 1; i <= 17; i += 2)
		ASSERT_OK(tm_unmap(PG(buf, i), 1));
	tm_held_release(&held, 0xa5);
	ASSERT_OK(held.ret);
	ASSERT_EQ(held.res.pages, 1);
	ASSERT_PATTERN(held.buf, SZ(1), SEED_B);

	/* The nine UNMAPs, one page each, in order, each dropping its page. */
	log = tm_must_evlog(fd);
	n = tm_evlog_filter(log, EV_UNMAP, h, recs, 16);
	if (n != 9)
		tm_evlog_print(log);
	ASSERT_EQ(n, 9);
	for (i = 0; i < 9; i++) {
		ASSERT_EQ(recs[i].start, ADDR(PG(buf, 2 * i + 1)));
		ASSERT_EQ(recs[i].end, ADDR(PG(buf, 2 * i + 2)));
		ASSERT_EQ(recs[i].action, ACT_DROP);
		/* the ninth may count page 2's entry too */
		if (i < 8)
			ASSERT_EQ(recs[i].entries, 1);
		else
			ASSERT_TRUE(recs[i].entries == 1 ||
				    recs[i].entries == 2);
	}

	tm_dbg_wait_split(buf, CUT_PAGES, state);
	ASSERT_OK(tm_unbind(fd, hx));
	want_w_except(want, CUT_PAGES, drop, ARRAY_SIZE(drop));
	nw = count_w(want);
	ASSERT_EQ(nw, 14);
	EXPECT_SNAP(fd, buf, CUT_PAGES, want);
	tm_must_stats(fd, &st);
	if (st.entries_present != nw) {
		tm_dbg_read_state(buf, CUT_PAGES, state);
		tm_dbg_diag(state);
	}
	ASSERT_EQ(st.entries_present, nw);
	tm_dbg_read_state(buf, CUT_PAGES, state);
	EXPECT_STATE_RUNS(state, buf, CUT_PAGES, want);

	/* Page 2 leaves the CPU too: there is nothing left to remove. */
	ASSERT_OK(tm_unmap(PG(buf, 2), 1));
	tm_must_stats(fd, &st);
	ASSERT_EQ(st.entries_present, nw);
	tm_dbg_read_state(buf, CUT_PAGES, state);
	EXPECT_STATE_RUNS(state, buf, CUT_PAGES, want);
	EXPECT_SNAP(fd, buf, CUT_PAGES, want);
	ASSERT_ERRNO(tm_read(fd, PG(buf, 2), SZ(1), dst, &res), -EFAULT);
	ASSERT_EQ(res.pages, 0);
	/* the nine unmapped pages, and page 2 whose tracking the merge dropped */
	ASSERT_EQ(st.pages_dropped, 10);
	free(state);
}

/*
 * mremap moves a page out of a binding, and the kernel raises UNMAP twice
 * for the old range (move_page_tables(), then the munmap of the old range).
 * Seven munmaps and the first of those UNMAPs fill the segment's cut array
 * (8 cuts) while the work item cannot run; the second UNMAP lies wholly
 * inside a cut. Proves it is not taken for a new cut: nothing merges (page 2
 * and the other pages between the cuts keep their entries and tracking) and
 * the dropped pages are counted once.
 */
TEST(unmap_duplicate_is_not_a_new_cut)
{
	static const unsigned int drop[] = { 1, 3, 5, 7, 9, 11, 13, 15 };
	struct drm_test_mirror_event recs[16];
	struct drm_test_mirror_stats st;
	char want[2 * CUT_PAGES];
	uint8_t *buf, *x, *to, *ref;
	struct tm_held held;
	struct tm_evlog *log;
	uint32_t h, hx;
	unsigned int i, n;
	size_t nw;
	char *state;
	void *p;

	tm_dbg_need();
	state = malloc(TM_STATE_MAX);
	ASSERT_TRUE(state);
	ref = tm_must_map_pattern(CUT_PAGES, SEED_A);
	buf = tm_must_map_pattern(CUT_PAGES, SEED_A);
	x = tm_must_map_pattern(1, SEED_B);
	to = tm_must_map(1, PROT_READ | PROT_WRITE);
	h = tm_must_bind(fd, buf, SZ(CUT_PAGES), RW | PREFAULT);
	hx = tm_must_bind(fd, x, SZ(1), RW | PREFAULT);
	EXPECT_SNAP(fd, buf, CUT_PAGES, tm_rep('W', CUT_PAGES));
	ASSERT_OK(tm_evlog_drain(fd));
	ASSERT_OK(tm_stats(fd, &st, true));

	/* The work item waits for the structural lock from here on. */
	tm_held_start(&held, fd, x, false);
	for (i = 1; i <= 13; i += 2)
		ASSERT_OK(tm_unmap(PG(buf, i), 1));
	p = mremap(PG(buf, 15), SZ(1), SZ(1), MREMAP_MAYMOVE | MREMAP_FIXED,
		   to);
	ASSERT_EQ(p, to);
	tm_held_release(&held, 0xa5);
	ASSERT_OK(held.ret);
	ASSERT_EQ(held.res.pages, 1);
	ASSERT_PATTERN(held.buf, SZ(1), SEED_B);
	ASSERT_EQ(memcmp(to, PG(ref, 15), SZ(1)), 0);

	/*
	 * Seven munmaps, then page 15's range twice, exactly: the first
	 * (move_page_tables()) removes its entry, the second (the munmap of
	 * the old range) finds none.
	 */
	log = tm_must_evlog(fd);
	n = tm_evlog_filter(log, EV_UNMAP, h, recs, 16);
	if (n != 9)
		tm_evlog_print(log);
	ASSERT_EQ(n, 9);
	for (i = 0; i < 9; i++) {
		unsigned int pg = i < 7 ? 2 * i + 1 : 15;

		ASSERT_EQ(recs[i].start, ADDR(PG(buf, pg)));
		ASSERT_EQ(recs[i].end, ADDR(PG(buf, pg + 1)));
		ASSERT_EQ(recs[i].action, ACT_DROP);
		ASSERT_EQ(recs[i].entries, i < 8 ? 1 : 0);
	}

	tm_dbg_wait_split(buf, CUT_PAGES, state);
	ASSERT_OK(tm_unbind(fd, hx));
	want_w_except(want, CUT_PAGES, drop, ARRAY_SIZE(drop));
	nw = count_w(want);
	ASSERT_EQ(nw, 16);
	tm_must_stats(fd, &st);
	if (st.entries_present != nw || st.pages_dropped != 8) {
		tm_dbg_read_state(buf, CUT_PAGES, state);
		tm_dbg_diag(state);
	}
	EXPECT_SNAP(fd, buf, CUT_PAGES, want);
	ASSERT_EQ(st.entries_present, nw);
	ASSERT_EQ(st.pages_dropped, 8);
	free(state);
}

/* ------------------------------------------------------------------------ */
/* CLEAR (MADV_DONTNEED)                                                     */
/* ------------------------------------------------------------------------ */

TEST(dontneed_logs_clear_invalidate)
{
	uint8_t *buf = tm_must_map_pattern(N, SEED_A);
	uint32_t h = tm_must_bind(fd, buf, SZ(N), RW);
	struct drm_test_mirror_stats st0, st1;
	struct tm_evlog *log;

	DEV_READ(fd, buf, N, -1, 0, SEED_A);
	ASSERT_OK(tm_evlog_drain(fd));
	tm_must_stats(fd, &st0);
	ASSERT_SYS(madvise(buf, SZ(N), MADV_DONTNEED));
	tm_must_stats(fd, &st1);
	log = tm_must_evlog(fd);
	EXPECT_NREC(log, 1);
	ASSERT_EQ(EXPECT_EV_N(log, EV_CLEAR, h, buf, PG(buf, N),
			      BIT(ACT_INVAL), 1), N);
	ASSERT_EQ(st1.events[EV_CLEAR] -
		  st0.events[EV_CLEAR], 1);
	ASSERT_EQ(st1.entries_invalidated - st0.entries_invalidated, N);
	ASSERT_EQ(st1.pages_dropped, 0);
	ASSERT_EQ(st1.entries_present, 0);
}

TEST(dontneed_snapshot_none)
{
	uint8_t *buf = tm_must_map_pattern(N, SEED_A);

	tm_must_bind(fd, buf, SZ(N), RW);
	DEV_WRITE(fd, buf, N, 0, SEED_B);
	ASSERT_SYS(madvise(buf, SZ(N), MADV_DONTNEED));
	EXPECT_SNAP(fd, buf, N, tm_rep('.', N));
}

TEST(dontneed_then_device_write_visible)
{
	uint8_t *buf = tm_must_map_pattern(N, SEED_A);

	tm_must_bind(fd, buf, SZ(N), RW);
	DEV_WRITE(fd, buf, N, 0, SEED_B);
	ASSERT_SYS(madvise(buf, SZ(N), MADV_DONTNEED));
	DEV_WRITE(fd, buf, N, 0, SEED_C);
	ASSERT_PATTERN(buf, SZ(N), SEED_C);
}

TEST(madv_free_logs_clear)
{
	uint8_t *buf = tm_must_map_pattern(N, SEED_A);
	uint32_t h = tm_must_bind(fd, buf, SZ(N), RW);
	struct tm_evlog *log;

	DEV_READ(fd, buf, N, -1, 0, SEED_A);
	ASSERT_OK(tm_evlog_drain(fd));
	ASSERT_SYS(madvise(buf, SZ(N), MADV_FREE));
	log = tm_must_evlog(fd);
	ASSERT_EQ(EXPECT_EV_N(log, EV_CLEAR, h, buf, PG(buf, N),
			      BIT(ACT_INVAL), 1), N);
	EXPECT_SNAP(fd, buf, N, tm_rep('.', N));
	/* the device sees what the CPU sees (old data or zeros) */
	DEV_READ_CPU(fd, buf, N);
}

/* ------------------------------------------------------------------------ */
/* Reclaim (MADV_PAGEOUT to the guest's zram swap)                           */
/* ------------------------------------------------------------------------ */

/*
 * The LRU add batches are per CPU and madvise drains only its own CPU's:
 * tests that page out must fault their pages in on the CPU that madvises
 * (tm_pin_cpu0()).
 */
void must_page_out(void *buf, size_t npages)
{
	size_t i;

	if (madvise(buf, SZ(npages), MADV_PAGEOUT))
		SKIP("MADV_PAGEOUT: %s", tm_errname(errno));
	for (i = 0; i < npages; i++)
		if (!tm_swapped(PG(buf, i)))
			SKIP("page %zu was not swapped out (no swap?)", i);
}

TEST(pageout_keeps_device_writes)
{
	uint8_t *buf;

	tm_pin_cpu0();
	buf = tm_must_map_pattern(N, SEED_A);
	tm_must_bind(fd, buf, SZ(N), RW);
	DEV_WRITE(fd, buf, N, 0, SEED_B);
	must_page_out(buf, N);
	ASSERT_PATTERN(buf, SZ(N), SEED_B);
	DEV_READ(fd, buf, N, -1, 0, SEED_B);
}

/* ------------------------------------------------------------------------ */
/* PROTECTION_VMA (mprotect)                                                 */
/* ------------------------------------------------------------------------ */

TEST(mprotect_cap_matches_kernel)
{
	struct drm_test_mirror_stats st;
	unsigned int v = tm_must_kernel_version();

	tm_must_stats(fd, &st);
	/* the VMA is in struct mmu_notifier_range before 6.3 only */
	ASSERT_EQ(!!(st.caps & TEST_MIRROR_CAP_VMA_DOWNGRADE), v < 603);
}

TEST(mprotect_restore_rw_write_works)
{
	uint8_t *buf = tm_must_map_pattern(N, SEED_A);
	struct tm_result res;
	uint8_t *src = tm_scratch(N);

	tm_must_bind(fd, buf, SZ(N), RW);
	DEV_WRITE(fd, buf, N, 0, SEED_B);
	ASSERT_SYS(mprotect(buf, SZ(N), PROT_READ));
	ASSERT_SYS(mprotect(buf, SZ(N), PROT_READ | PROT_WRITE));
	tm_fill(src, SZ(N), SEED_C);
	ASSERT_OK(tm_write(fd, buf, SZ(N), src, &res));
	ASSERT_EQ(res.pages, N);
	ASSERT_EQ(res.faults, 1);
	ASSERT_PATTERN(buf, SZ(N), SEED_C);
}

/* ------------------------------------------------------------------------ */
/* SOFT_DIRTY and fork: tm_events (clear_refs_soft_dirty, fork_cow_private)  */
/* assert the events, the table and coherence; here, what only a fork child  */
/* does                                                                      */
/* ------------------------------------------------------------------------ */

TEST(fork_child_munmap_no_parent_event)
{
	uint8_t *buf = tm_must_map_pattern(N, SEED_A);
	struct tm_evlog *log;
	pid_t pid;

	tm_must_bind(fd, buf, SZ(N), RW);
	DEV_READ(fd, buf, N, -1, 0, SEED_A);
	pid = tm_fork();
	if (pid == 0) {
		munmap(buf, SZ(N));
		_exit(0);
	}
	tm_must_wait_ok(pid);
	log = tm_must_evlog(fd);
	ASSERT_EQ(tm_evlog_count(log, EV_UNMAP), 0);
	ASSERT_EQ(tm_evlog_count(log, EV_RELEASE), 0);
	DEV_READ(fd, buf, N, -1, 0, SEED_A);
}

/* ------------------------------------------------------------------------ */
/* The event-aware policy and the event-blind one (event_aware=N, as        */
/* lib/test_hmm behaves): one body per CPU change, a variant per policy     */
/* ------------------------------------------------------------------------ */

FIXTURE(policy) {
	int f;		/* a file of the variant's policy (read at open) */
};

FIXTURE_VARIANT(policy) {
	bool aware;
	unsigned int unmap_act;	/* what an UNMAP does to the entries */
	char unmap_snap;	/* the table after it */
	int remap_err;		/* a device read of new memory there */
};

/* munmap drops the tracking: new memory at the address is not mirrored */
FIXTURE_VARIANT_ADD(policy, aware) {
	.aware = true, .unmap_act = ACT_DROP, .unmap_snap = 'D',
	.remap_err = -EFAULT,
};

/* munmap only invalidates: new memory at the address is mirrored */
FIXTURE_VARIANT_ADD(policy, blind) {
	.aware = false, .unmap_act = ACT_INVAL, .unmap_snap = '.',
	.remap_err = 0,
};

FIXTURE_SETUP(policy)
{
	self->f = -1;	/* nothing to close if the open fails or skips */
	self->f = tm_must_open_param("event_aware", variant->aware ? "Y" : "N");
	ASSERT_EQ(tm_has_cap(self->f, TEST_MIRROR_CAP_EVENT_AWARE),
		  variant->aware);
}

FIXTURE_TEARDOWN(policy)
{
	if (self->f >= 0)
		close(self->f);
}

TEST_F(policy, unmap_by_policy)
{
	uint8_t *buf = tm_must_map_pattern(N, SEED_A);
	int f = self->f;
	uint32_t h = tm_must_bind(f, buf, SZ(N), RW);
	struct drm_test_mirror_stats st0, st1;
	struct tm_evlog *log;
	void *p;

	DEV_READ(f, buf, N, -1, 0, SEED_A);
	ASSERT_OK(tm_evlog_drain(f));
	tm_must_stats(f, &st0);
	ASSERT_OK(tm_unmap(buf, N));
	tm_must_stats(f, &st1);
	log = tm_must_evlog(f);
	EXPECT_NREC(log, 1);
	ASSERT_EQ(EXPECT_EV_N(log, EV_UNMAP, h, buf, PG(buf, N),
			      BIT(variant->unmap_act), 1), N);
	ASSERT_EQ(st1.events[EV_UNMAP] - st0.events[EV_UNMAP], 1);
	ASSERT_EQ(st1.pages_dropped - st0.pages_dropped, variant->aware ? N : 0);
	ASSERT_EQ(st1.entries_invalidated - st0.entries_invalidated, N);
	ASSERT_EQ(st1.entries_present, 0);
	ASSERT_EQ(st1.nonblock_calls, 0);
	EXPECT_SNAP(f, buf, N, tm_rep(variant->unmap_snap, N));

	/* new memory at the same address */
	p = mmap(buf, SZ(N), PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	ASSERT_EQ(p, buf);
	tm_fill(buf, SZ(N), SEED_B);
	if (variant->remap_err)
		DEV_READ_ERR(f, buf, N, variant->remap_err, 0);
	else
		DEV_READ(f, buf, N, -1, 0, SEED_B);
}

TEST_F(policy, mprotect_ro_by_policy)
{
	uint8_t *buf = tm_must_map_pattern(N, SEED_A);
	int f = self->f;
	uint32_t h = tm_must_bind(f, buf, SZ(N), RW);
	/* 6.1 (the VMA in the notifier range): aware files keep R entries */
	bool down = variant->aware &&
		    tm_has_cap(f, TEST_MIRROR_CAP_VMA_DOWNGRADE);
	struct drm_test_mirror_stats st0, st1;
	struct tm_evlog *log;

	DEV_WRITE(f, buf, N, 0, SEED_B);
	ASSERT_OK(tm_evlog_drain(f));
	tm_must_stats(f, &st0);
	ASSERT_SYS(mprotect(buf, SZ(N), PROT_READ));
	tm_must_stats(f, &st1);
	log = tm_must_evlog(f);
	EXPECT_NREC(log, 1);
	ASSERT_EQ(EXPECT_EV_N(log, EV_PVMA, h, buf, PG(buf, N),
			      BIT(down ? ACT_DOWN : ACT_INVAL), 1), N);
	ASSERT_EQ(st1.events[EV_PVMA] - st0.events[EV_PVMA], 1);
	if (down) {
		ASSERT_EQ(st1.entries_downgraded - st0.entries_downgraded, N);
		ASSERT_EQ(st1.entries_present, N);
	} else {
		ASSERT_EQ(st1.entries_invalidated - st0.entries_invalidated,
			  N);
		ASSERT_EQ(st1.entries_present, 0);
	}
	EXPECT_SNAP(f, buf, N, tm_rep(down ? 'R' : '.', N));
}
