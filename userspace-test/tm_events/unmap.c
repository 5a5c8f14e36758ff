// SPDX-License-Identifier: GPL-2.0
/*
 * tm_events: munmap, mremap and MAP_FIXED over a binding. Each raises UNMAP
 * over the range that left the address space: the tracking there is dropped
 * ('D'), the rest of the binding keeps its entries, and no device access
 * reaches that range again, not even new memory mapped at the same address,
 * until it is bound again. Also the races of a dropped segment: mremap's
 * second UNMAP while the work item removes the segment, and callbacks that
 * reach a segment on its way out.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tm_events.h"

TEST(munmap_whole)
{
	const size_t n = 8;
	uint8_t *p = tm_must_map_pattern(n, 1);
	uint32_t h = tm_must_bind(fd, p, SZ(n), RWP);
	struct tm_evlog *log;
	struct tm_result res;
	void *q;

	SETUP(fd);
	ASSERT_SYS(munmap(p, SZ(n)));
	log = EV_TAKE(fd);
	ASSERT_EQ(EXPECT_EV(log, EV_UNMAP, h, p, PG(p, n), BIT(ACT_DROP)), n);
	EXPECT_ONLY(log, BIT(EV_UNMAP));
	EXPECT_SNAP(fd, p, n, tm_rep('D', n));
	ASSERT_EQ(STATS(fd).entries_present, 0);
	DEV_READ_ERR(fd, p, n, -EFAULT, 0);

	/* New memory at the same address: still no device access. */
	q = mmap(p, SZ(n), PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	ASSERT_TRUE(q == (void *)p);
	tm_fill(p, SZ(n), 2);
	DEV_READ_ERR(fd, p, 1, -EFAULT, 0);
	ASSERT_ERRNO(tm_dev_write(fd, p, 1, 0, 3, &res), -EFAULT);
	ASSERT_EQ(res.pages, 0);
	/* nor for the whole range, either way */
	DEV_READ_ERR(fd, p, n, -EFAULT, 0);
	ASSERT_ERRNO(tm_dev_write(fd, p, n, 0, 3, &res), -EFAULT);
	ASSERT_EQ(res.pages, 0);
	EXPECT_PAT(p, 0, SZ(n), 2);
	EXPECT_SNAP(fd, p, n, tm_rep('D', n));
	wait_pages_dropped(fd, n);

	/* Until bound again. */
	ASSERT_OK(tm_unbind(fd, h));
	h = tm_must_bind(fd, p, SZ(n), RW);
	DEV_READ(fd, p, n, 1, 0, 2);
}

TEST(munmap_middle)
{
	const size_t n = 8;
	uint8_t *p = tm_must_map_pattern(n, 1);
	uint32_t h = tm_must_bind(fd, p, SZ(n), RWP);
	struct tm_evlog *log;

	SETUP(fd);
	ASSERT_SYS(munmap(PG(p, 3), SZ(2)));
	log = EV_TAKE(fd);
	ASSERT_EQ(EXPECT_EV(log, EV_UNMAP, h, PG(p, 3), PG(p, 5),
			    BIT(ACT_DROP)), 2);
	EXPECT_WITHIN(log, EV_UNMAP, PG(p, 3), PG(p, 5));
	EXPECT_ONLY(log, BIT(EV_UNMAP));
	EXPECT_SNAP(fd, p, n, "W W W D D W W W");
	ASSERT_EQ(STATS(fd).entries_present, 6);

	/* The rest of the binding keeps its entries: no refault. */
	DEV_READ(fd, p, 3, 0, 0, 1);
	DEV_READ(fd, PG(p, 5), 3, 0, SZ(5), 1);
	/* A read across the hole stops at it. */
	DEV_READ_ERR(fd, PG(p, 2), 2, -EFAULT, 1);
	DEV_READ_ERR(fd, PG(p, 4), 1, -EFAULT, 0);

	/* After the work item split the tracking, the same holds. */
	wait_pages_dropped(fd, 2);
	ASSERT_EQ(STATS(fd).bindings, 1);
	EXPECT_SNAP(fd, p, n, "W W W D D W W W");
	DEV_READ(fd, p, 3, 0, 0, 1);
	DEV_READ(fd, PG(p, 5), 3, 0, SZ(5), 1);
	/* The kept parts are still tracked: a CLEAR there still reaches us. */
	ASSERT_SYS(madvise(PG(p, 6), SZ(1), MADV_DONTNEED));
	log = EV_TAKE(fd);
	ASSERT_EQ(EXPECT_EV(log, EV_CLEAR, h, PG(p, 6), PG(p, 7),
			    BIT(ACT_INVAL)), 1);
	EXPECT_SNAP(fd, p, n, "W W W D D W . W");
	DEV_READ(fd, PG(p, 6), 1, 1, 0, 0);
}

TEST(mremap_move)
{
	const size_t n = 4;
	uint8_t *p = tm_must_map_pattern(n, 1);
	uint8_t *target = tm_must_map(n, PROT_NONE);
	uint32_t h = tm_must_bind(fd, p, SZ(n), RWP);
	struct tm_evlog *log;
	uint8_t *q;

	SETUP(fd);
	q = mremap(p, SZ(n), SZ(n), MREMAP_MAYMOVE | MREMAP_FIXED, target);
	ASSERT_TRUE(q == target);
	log = EV_TAKE(fd);
	/* The old range: UNMAP (move_page_tables, then the old VMA's unmap). */
	ASSERT_EQ(EXPECT_EV(log, EV_UNMAP, h, p, PG(p, n), BIT(ACT_DROP)), n);
	EXPECT_ONLY(log, BIT(EV_UNMAP));
	EXPECT_SNAP(fd, p, n, tm_rep('D', n));
	DEV_READ_ERR(fd, p, 1, -EFAULT, 0);
	DEV_READ_ERR(fd, p, n, -EFAULT, 0);
	ASSERT_EQ(STATS(fd).entries_present, 0);

	/* The new range is not tracked until bound. */
	EXPECT_SNAP(fd, q, n, tm_rep('-', n));
	DEV_READ_ERR(fd, q, 1, -ENOENT, 0);
	EXPECT_PAT(q, 0, SZ(n), 1);
	tm_must_bind(fd, q, SZ(n), RW);
	DEV_READ(fd, q, n, 1, 0, 1);
}

/*
 * mremap raises UNMAP twice over the old range: move_page_tables(), then the
 * unmap of the old VMA. The first drops the whole segment, and the work item
 * that removes it may run while the second is in progress. Repeated, so that
 * a race there shows (as a hang or a kernel splat).
 */
TEST_OPTS(mremap_move_repeated, 0, 60)
{
	const size_t n = 4;
	uint8_t *target = tm_must_map(n, PROT_NONE);
	struct drm_test_mirror_stats st;
	const char *env = getenv("TM_EV_ITERS");
	unsigned int i, iters = env ? (unsigned int)atoi(env) : 2000;
	uint32_t h;
	uint8_t *p;
	void *q;

	SETUP(fd);
	for (i = 0; i < iters; i++) {
		p = tm_must_map_pattern(n, i + 1);
		h = tm_must_bind(fd, p, SZ(n), RWP);
		q = mremap(p, SZ(n), SZ(n), MREMAP_MAYMOVE | MREMAP_FIXED,
			   target);
		ASSERT_TRUE(q == target);
		ASSERT_OK(tm_unbind(fd, h));
		/* Reserve the target again (it is not bound: no event). */
		q = mmap(target, SZ(n), PROT_NONE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		ASSERT_TRUE(q == target);
	}
	st = STATS(fd);
	ASSERT_EQ(st.bindings, 0);
	ASSERT_EQ(st.entries_present, 0);
	/* The second UNMAP misses us when the work item was quicker. */
	ASSERT_GE(st.events[EV_UNMAP], i);
	ASSERT_LE(st.events[EV_UNMAP], 2 * i);
	tm_diag("%u moves, %" PRIu64 " UNMAP callbacks", i,
		(uint64_t)st.events[EV_UNMAP]);
}

static volatile int hammer_stop;

/* Invalidate the whole address space (SOFT_DIRTY), over and over. */
static void *clear_refs_hammer(void *arg)
{
	unsigned long *count = arg;
	int f = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);

	if (f < 0)
		return NULL;
	while (!hammer_stop) {
		if (pwrite(f, "4", 1, 0) == 1)
			(*count)++;
	}
	close(f);
	return NULL;
}

/*
 * A segment whose tracking UNMAP dropped is removed by the work item, and an
 * unbound one by UNBIND; a callback can still reach it until its notifier is
 * removed. Here another thread keeps invalidating the whole address space
 * (clear_refs soft-dirty) while bindings are munmapped and unbound, so such
 * late callbacks happen often. No hang, no splat, counters consistent.
 */
TEST_OPTS(dead_segment_late_callbacks, 0, 60)
{
	const size_t n = 4;
	const char *env = getenv("TM_EV_ITERS");
	unsigned int i, iters = env ? (unsigned int)atoi(env) : 300;
	struct drm_test_mirror_stats st;
	unsigned long hits = 0;
	pthread_t thr;
	uint32_t h;
	uint8_t *p;

	SETUP(fd);
	if (access("/proc/self/clear_refs", W_OK))
		SKIP("no /proc/self/clear_refs");
	ASSERT_EQ(pthread_create(&thr, NULL, clear_refs_hammer, &hits), 0);
	for (i = 0; i < iters; i++) {
		p = tm_must_map_pattern(n, i + 1);
		h = tm_must_bind(fd, p, SZ(n), RWP);
		ASSERT_SYS(munmap(p, SZ(n)));
		if (i & 1)
			tm_sleep_ms(0);
		ASSERT_OK(tm_unbind(fd, h));
	}
	hammer_stop = 1;
	ASSERT_EQ(pthread_join(thr, NULL), 0);
	st = STATS(fd);
	tm_diag("%u bind/munmap/unbind rounds, %lu clear_refs, %" PRIu64
		" SOFT_DIRTY callbacks", i, hits,
		(uint64_t)st.events[EV_SDIRTY]);
	ASSERT_GT(hits, 0);
	ASSERT_EQ(st.bindings, 0);
	ASSERT_EQ(st.entries_present, 0);
	ASSERT_EQ(st.events[EV_UNMAP], i);
}

TEST(mremap_shrink)
{
	const size_t n = 8;
	uint8_t *p = tm_must_map_pattern(n, 1);
	uint32_t h = tm_must_bind(fd, p, SZ(n), RWP);
	struct tm_evlog *log;
	void *q;

	SETUP(fd);
	q = mremap(p, SZ(n), SZ(4), 0);
	ASSERT_TRUE(q == (void *)p);
	log = EV_TAKE(fd);
	ASSERT_EQ(EXPECT_EV(log, EV_UNMAP, h, PG(p, 4), PG(p, 8),
			    BIT(ACT_DROP)), 4);
	EXPECT_WITHIN(log, EV_UNMAP, PG(p, 4), PG(p, 8));
	EXPECT_ONLY(log, BIT(EV_UNMAP));
	EXPECT_SNAP(fd, p, n, "W W W W D D D D");
	DEV_READ(fd, p, 4, 0, 0, 1);
	DEV_READ_ERR(fd, PG(p, 3), 2, -EFAULT, 1);
	wait_pages_dropped(fd, 4);
}

TEST(map_fixed_over_binding)
{
	const size_t n = 4;
	uint8_t *p = tm_must_map_pattern(n, 1);
	uint32_t h = tm_must_bind(fd, p, SZ(n), RWP);
	struct tm_evlog *log;
	struct tm_result res;
	void *q;

	SETUP(fd);
	q = mmap(PG(p, 1), SZ(2), PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	ASSERT_TRUE(q == (void *)PG(p, 1));
	tm_fill_at(PG(p, 1), SZ(1), SZ(2), 2);
	log = EV_TAKE(fd);
	ASSERT_EQ(EXPECT_EV(log, EV_UNMAP, h, PG(p, 1), PG(p, 3),
			    BIT(ACT_DROP)), 2);
	EXPECT_WITHIN(log, EV_UNMAP, PG(p, 1), PG(p, 3));
	EXPECT_ONLY(log, BIT(EV_UNMAP));
	EXPECT_SNAP(fd, p, n, "W D D W");
	/* Memory is mapped there, but it is not what was bound. */
	DEV_READ_ERR(fd, PG(p, 1), 1, -EFAULT, 0);
	ASSERT_ERRNO(tm_dev_write(fd, PG(p, 2), 1, 0, 3, &res), -EFAULT);
	EXPECT_PAT(PG(p, 1), SZ(1), SZ(2), 2);
	DEV_READ(fd, p, 1, 0, 0, 1);
	DEV_READ(fd, PG(p, 3), 1, 0, SZ(3), 1);
}
