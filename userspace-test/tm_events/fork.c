// SPDX-License-Identifier: GPL-2.0
/*
 * tm_events: fork of a process with private bound memory. copy_page_range()
 * write-protects the parent's pages (PROTECTION_PAGE: read-only entries are
 * kept); a CPU or device write in the parent breaks COW (CLEAR) and the device
 * follows the parent's new page. The child's memory shows neither write, and
 * the child's own write reaches neither the parent nor the device.
 */
#include <unistd.h>

#include "tm_events.h"

TEST(fork_cow_private)
{
	const size_t n = 4;
	uint8_t *p = tm_must_map_pattern(n, 1);
	uint32_t h = tm_must_bind(fd, p, SZ(n), RWP);
	struct drm_test_mirror_stats st;
	int to_child[2], to_parent[2];
	struct tm_evlog *log;
	struct tm_result res;
	pid_t pid;

	SETUP(fd);
	ASSERT_SYS(pipe(to_child));
	ASSERT_SYS(pipe(to_parent));
	pid = tm_fork();
	if (pid == 0) {
		struct drm_test_mirror_stats cst;

		/* The inherited file belongs to the parent's mm. */
		ASSERT_ERRNO(tm_stats(fd, &cst, false), -EACCES);
		tm_wait_byte(to_child[0]);
		/* Neither the parent's CPU nor device writes show here. */
		EXPECT_PAT(p, 0, SZ(n), 1);
		tm_fill_at(PG(p, 2), SZ(2), SZ(1), 9);
		tm_send_byte(to_parent[1]);
		tm_wait_byte(to_child[0]);
		_exit(0);
	}
	log = EV_TAKE(fd);
	/* copy_page_range write-protects the parent's pages. */
	ASSERT_EQ(EXPECT_EV_N(log, EV_PPAGE, h, p, PG(p, n), BIT(ACT_DOWN), 1),
		  n);
	EXPECT_ONLY(log, BIT(EV_PPAGE));
	EXPECT_SNAP(fd, p, n, "R R R R");
	st = STATS(fd);
	ASSERT_EQ(st.entries_present, n);
	DEV_READ(fd, p, n, 0, 0, 1);

	/* Parent CPU write: COW → CLEAR; the device sees the new page. */
	tm_fill_at(p, 0, SZ(1), 2);
	log = EV_TAKE(fd);
	ASSERT_EQ(EXPECT_EV(log, EV_CLEAR, h, p, PG(p, 1), BIT(ACT_INVAL)), 1);
	EXPECT_WITHIN(log, EV_CLEAR, p, PG(p, 1));
	EXPECT_ONLY(log, BIT(EV_CLEAR));
	EXPECT_SNAP(fd, p, n, ". R R R");
	DEV_READ(fd, p, 1, 1, 0, 2);

	/* Device write: refaults with write intent, the CPU breaks COW. */
	ASSERT_OK(tm_dev_write(fd, PG(p, 1), 1, SZ(1), 3, &res));
	ASSERT_EQ(res.pages, 1);
	ASSERT_EQ(res.faults, 1);
	log = EV_TAKE(fd);
	EXPECT_EV(log, EV_CLEAR, h, PG(p, 1), PG(p, 2), BIT(ACT_INVAL));
	EXPECT_ONLY(log, BIT(EV_CLEAR));
	/* Page 0 is the parent's own since its COW: mapped writable. */
	EXPECT_SNAP(fd, p, n, "W W R R");
	EXPECT_PAT(PG(p, 1), SZ(1), SZ(1), 3);

	/* The child still has the original data; its own write ... */
	tm_send_byte(to_child[1]);
	tm_wait_byte(to_parent[0]);
	/* ... shows neither in the parent's memory nor to the device. */
	DEV_READ(fd, PG(p, 2), 2, 0, SZ(2), 1);
	EXPECT_PAT(PG(p, 2), SZ(2), SZ(2), 1);
	log = EV_TAKE(fd);
	ASSERT_EQ(log->n, 0);
	tm_send_byte(to_child[1]);
	tm_must_wait_ok(pid);
	DEV_READ(fd, p, 1, 0, 0, 2);
	DEV_READ(fd, PG(p, 1), 1, 0, SZ(1), 3);
}
