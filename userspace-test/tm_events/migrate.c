// SPDX-License-Identifier: GPL-2.0
/*
 * tm_events: pages that move. KSM merging, memory compaction and soft offline
 * migrate pages under a binding: CLEAR for every page that moved, and the
 * device reads the CPU's data from the new page; move_pages() to the node the
 * pages are on moves nothing and raises nothing. The device's own migration
 * (the MIGRATE ioctl) raises MIGRATE with the migrating file as owner: that
 * file moves its entries itself, another file mirroring the pages
 * invalidates.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tm_events.h"

#define KSM "/sys/kernel/mm/ksm/"

TEST_OPTS(ksm_merge, 0, 120)
{
	char run_old[16], scan_old[16], sleep_old[16];
	struct tm_evlog *log;
	struct tm_result res;
	uint64_t deadline, sharing = 0;
	uint8_t *p;
	uint32_t h;

	SETUP(fd);
	if (tm_read_str(KSM "run", run_old, sizeof(run_old)) ||
	    tm_read_str(KSM "pages_to_scan", scan_old, sizeof(scan_old)) ||
	    tm_read_str(KSM "sleep_millisecs", sleep_old, sizeof(sleep_old)))
		SKIP("no KSM (/sys/kernel/mm/ksm)");
	p = tm_must_map(2, PROT_READ | PROT_WRITE);
	tm_fill(p, SZ(1), 1);
	memcpy(PG(p, 1), p, SZ(1));
	h = tm_must_bind(fd, p, SZ(2), RWP);
	ASSERT_SYS(madvise(p, SZ(2), MADV_MERGEABLE));
	ASSERT_OK(tm_evlog_drain(fd));
	ASSERT_TRUE((PAGEMAP(p) & PM_PFN_MASK) !=
		    (PAGEMAP(PG(p, 1)) & PM_PFN_MASK));

	tm_must_write(KSM "pages_to_scan", "1000");
	tm_must_write(KSM "sleep_millisecs", "10");
	tm_must_write(KSM "run", "1");
	deadline = tm_now_ms() + 90000;
	while (tm_now_ms() < deadline) {
		tm_sleep_ms(100);
		tm_read_u64(KSM "pages_sharing", &sharing);
		if (sharing &&
		    (PAGEMAP(p) & PM_PFN_MASK) == (PAGEMAP(PG(p, 1)) & PM_PFN_MASK))
			break;
	}
	tm_write_str(KSM "run", "0");
	tm_write_str(KSM "pages_to_scan", scan_old);
	tm_write_str(KSM "sleep_millisecs", sleep_old);
	log = EV_TAKE(fd);
	if ((PAGEMAP(p) & PM_PFN_MASK) != (PAGEMAP(PG(p, 1)) & PM_PFN_MASK))
		FAIL("KSM did not merge the two identical pages in 90 s "
		     "(pages_sharing %" PRIu64 ")", sharing);
	/* write_protect_page and replace_page: CLEAR on both pages. */
	ASSERT_EQ(EXPECT_EV(log, EV_CLEAR, h, p, PG(p, 2), BIT(ACT_INVAL)), 2);
	EXPECT_WITHIN(log, EV_CLEAR, p, PG(p, 2));
	EXPECT_ONLY(log, BIT(EV_CLEAR));
	EXPECT_SNAP(fd, p, 2, ". .");

	/* The device reads the merged (read-only) page: same data. */
	DEV_READ(fd, p, 1, 1, 0, 1);
	DEV_READ(fd, PG(p, 1), 1, 1, 0, 1);
	EXPECT_SNAP(fd, p, 2, "R R");
	/* A device write breaks the sharing for its page only. */
	ASSERT_OK(tm_dev_write(fd, p, 1, 0, 2, &res));
	ASSERT_EQ(res.faults, 1);
	log = EV_TAKE(fd);
	EXPECT_EV(log, EV_CLEAR, h, p, PG(p, 1), BIT(ACT_INVAL));
	EXPECT_ONLY(log, BIT(EV_CLEAR));
	EXPECT_PAT(p, 0, SZ(1), 2);
	EXPECT_PAT(PG(p, 1), 0, SZ(1), 1);
	DEV_READ(fd, PG(p, 1), 1, 0, 0, 1);
}

/* Print the compaction/migration counters of /proc/vmstat (deltas). */
static void vmstat_diag(bool delta)
{
	static const char *const keys[] = {
		"compact_migrate_scanned", "compact_free_scanned",
		"compact_isolated", "compact_stall", "pgmigrate_success",
		"pgmigrate_fail",
	};
	static uint64_t prev[6];
	char line[128], out[512] = "";
	FILE *f = fopen("/proc/vmstat", "re");
	size_t k;

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		for (k = 0; k < 6; k++) {
			size_t l = strlen(keys[k]);
			uint64_t v;

			if (strncmp(line, keys[k], l) || line[l] != ' ')
				continue;
			v = strtoull(line + l + 1, NULL, 10);
			snprintf(out + strlen(out), sizeof(out) - strlen(out),
				 " %s %" PRIu64, keys[k], v - (delta ? prev[k] : 0));
			prev[k] = v;
		}
	}
	fclose(f);
	tm_diag("vmstat%s:%s", delta ? " delta" : "", out);
}

/*
 * Memory compaction migrates pages (try_to_migrate_one). It only moves pages
 * out of partly used pageblocks into the holes of other partly used ones
 * (whole free pageblocks are no target), from the bottom of the zone up to
 * where its two scanners meet. The test makes partly used blocks: it maps
 * 16384 pages and frees 15 of every 16, keeping 1024 mirrored pages spread
 * over the 64 MiB. Whether any of them lies below the meeting point depends
 * on where the allocator put them: if none moved, the test skips (the
 * deterministic migration test is migrate_soft_offline). Every page whose
 * PFN changed must have been invalidated (CLEAR), and the device reads the
 * CPU's data.
 */
TEST_OPTS(compaction_migrates, 0, 120)
{
	const size_t n = 16384, step = 16, rounds = 6;
	uint64_t *pfn = calloc(rounds * n, sizeof(*pfn));
	uint8_t *reg[6];
	uint32_t hreg[6];
	struct tm_evlog *log;
	size_t i, k, r, nr = 0, moved = 0;
	uint64_t lo, hi;
	uint8_t *p;

	SETUP(fd);
	ASSERT_TRUE(pfn != NULL);
	/* One CLEAR per migrated page: a log big enough for all. */
	close(fd);
	fd = tm_must_open_param("event_log_len", "8192");
	vmstat_diag(false);
	/* Each round adds a region elsewhere in memory, then compacts. */
	for (r = 0; r < rounds && !moved; r++) {
		nr = r + 1;
		reg[r] = p = tm_must_map_pattern(n, 1);
		hreg[r] = tm_must_bind(fd, p, SZ(n), RWP);
		for (i = 0; i < n; i += step)
			ASSERT_SYS(madvise(PG(p, i + 1), SZ(step - 1),
					   MADV_DONTNEED));
		ASSERT_OK(tm_evlog_drain(fd));
		ASSERT_EQ(STATS(fd).entries_present, (r + 1) * (n / step));
		lo = UINT64_MAX;
		hi = 0;
		for (i = 0; i < n; i += step) {
			pfn[r * n + i] = PAGEMAP(PG(p, i)) & PM_PFN_MASK;
			if (!pfn[r * n + i])
				SKIP("pagemap shows no PFNs (needs CAP_SYS_ADMIN)");
			lo = pfn[r * n + i] < lo ? pfn[r * n + i] : lo;
			hi = pfn[r * n + i] > hi ? pfn[r * n + i] : hi;
		}
		tm_diag("round %zu: %zu mirrored pages at pfn 0x%" PRIx64
			"..0x%" PRIx64, r, n / step, lo, hi);
		ASSERT_OK(tm_write_str("/proc/sys/vm/compact_memory", "1"));
		vmstat_diag(true);
		for (k = 0; k < nr; k++)
			for (i = 0; i < n; i += step)
				moved += (PAGEMAP(PG(reg[k], i)) & PM_PFN_MASK) !=
					 pfn[k * n + i];
	}
	/* a CLEAR per migrated page: as many as the log can hold */
	log = EV_TAKE_MAX(fd, 8192);
	tm_diag("compaction moved %zu of %zu mirrored pages", moved,
		nr * (n / step));
	if (!moved)
		SKIP("compaction moved none of the %zu mirrored pages of %zu "
		     "regions (it moved others: see vmstat); placement-dependent",
		     nr * (n / step), nr);
	EXPECT_ONLY(log, BIT(EV_CLEAR));
	for (r = 0; r < nr; r++) {
		p = reg[r];
		for (i = 0; i < n; i += step) {
			if ((PAGEMAP(PG(p, i)) & PM_PFN_MASK) == pfn[r * n + i])
				continue;
			EXPECT_EV(log, EV_CLEAR, hreg[r], PG(p, i), PG(p, i + 1),
				  BIT(ACT_INVAL));
			EXPECT_SNAP(fd, PG(p, i), 1, ".");
		}
		for (i = 0; i < n; i += step)
			DEV_READ(fd, PG(p, i), 1, -1, SZ(i), 1);
	}
	ASSERT_EQ(STATS(fd).entries_present, nr * (n / step));
}

/* Soft offline migrates one page's content to a new page, always. */
TEST(migrate_soft_offline)
{
	const size_t n = 4;
	uint8_t *p = tm_must_map_pattern(n, 1);
	uint32_t h = tm_must_bind(fd, p, SZ(n), RWP);
	struct tm_evlog *log;
	uint64_t before, after;

	SETUP(fd);
	before = PAGEMAP(PG(p, 1)) & PM_PFN_MASK;
	if (!before)
		SKIP("pagemap shows no PFNs (needs CAP_SYS_ADMIN)");
	if (madvise(PG(p, 1), SZ(1), MADV_SOFT_OFFLINE)) {
		if (errno == EINVAL || errno == EPERM)
			SKIP("MADV_SOFT_OFFLINE: %s (CONFIG_MEMORY_FAILURE?)",
			     tm_errname(errno));
		FAIL("MADV_SOFT_OFFLINE: %s", tm_errname(errno));
	}
	after = PAGEMAP(PG(p, 1)) & PM_PFN_MASK;
	tm_diag("pfn 0x%" PRIx64 " -> 0x%" PRIx64, before, after);
	ASSERT_NE(before, after);
	log = EV_TAKE(fd);
	ASSERT_EQ(EXPECT_EV(log, EV_CLEAR, h, PG(p, 1), PG(p, 2),
			    BIT(ACT_INVAL)), 1);
	EXPECT_WITHIN(log, EV_CLEAR, PG(p, 1), PG(p, 2));
	EXPECT_ONLY(log, BIT(EV_CLEAR));
	EXPECT_SNAP(fd, p, n, "W . W W");
	DEV_READ(fd, p, n, 1, 0, 1);
}

/* move_pages() to the node the pages are on moves nothing: no event. */
TEST(move_pages_same_node_no_event)
{
	const size_t n = 4;
	uint8_t *p = tm_must_map_pattern(n, 1);
	void *pages[4];
	int nodes[4] = { 0, 0, 0, 0 }, status[4];
	struct tm_evlog *log;
	uint64_t pfn[4];
	size_t i;

	SETUP(fd);
	tm_must_bind(fd, p, SZ(n), RWP);
	for (i = 0; i < n; i++) {
		pages[i] = PG(p, i);
		pfn[i] = PAGEMAP(PG(p, i)) & PM_PFN_MASK;
	}
	if (syscall(SYS_move_pages, 0, n, pages, NULL, status, 0))
		SKIP("move_pages: %s", tm_errname(errno));
	for (i = 0; i < n; i++)
		nodes[i] = status[i];
	ASSERT_SYS(syscall(SYS_move_pages, 0, n, pages, nodes, status,
			   MPOL_MF_MOVE));
	for (i = 0; i < n; i++) {
		ASSERT_EQ(status[i], nodes[i]);
		ASSERT_EQ(PAGEMAP(PG(p, i)) & PM_PFN_MASK, pfn[i]);
	}
	log = EV_TAKE(fd);
	ASSERT_EQ(log->n, 0);
	EXPECT_SNAP(fd, p, n, "W W W W");
}

/*
 * Device migration (MIGRATE ioctl): the kernel raises MIGRATE with the
 * migrating file as owner. That file skips the invalidation and moves its
 * entries to the new pages itself; a second file mirroring the same pages
 * sees a foreign owner and invalidates. A CPU write after the migration
 * lands in the new pages, so a device read that returns it with no fault
 * proves the owner's entries were moved, not left on the old pages.
 */
TEST(device_migrate_owner_skips)
{
	const size_t n = 16;
	uint8_t *p = tm_must_map_pattern(n, 1);
	uint32_t h = tm_must_bind(fd, p, SZ(n), RWP);
	int other = tm_must_open();
	uint32_t ho = tm_must_bind(other, p, SZ(n), RWP);
	struct drm_test_mirror_migrate mg = {
		.addr = ADDR(p),
		.size = SZ(n),
	};
	struct tm_evlog *log;

	SETUP(fd);
	ASSERT_OK(tm_evlog_drain(other));
	ASSERT_OK(tm_ioctl(fd, DRM_IOCTL_TEST_MIRROR_MIGRATE, &mg));
	ASSERT_EQ(mg.migrated, n);

	log = EV_TAKE(fd);
	ASSERT_EQ(EXPECT_EV(log, EV_MIGRATE, h, p, PG(p, n), BIT(ACT_SKIP)), 0);
	EXPECT_ONLY(log, BIT(EV_MIGRATE));
	EXPECT_SNAP(fd, p, n, "W W W W W W W W W W W W W W W W");
	log = EV_TAKE(other);
	ASSERT_EQ(EXPECT_EV(log, EV_MIGRATE, ho, p, PG(p, n), BIT(ACT_INVAL)), n);
	EXPECT_ONLY(log, BIT(EV_MIGRATE));
	EXPECT_SNAP(other, p, n, ". . . . . . . . . . . . . . . .");

	/* The pages moved: data unchanged, then a CPU write to the new pages. */
	DEV_READ(fd, p, n, 0, 0, 1);
	tm_fill_at(p, 0, SZ(n), 7);
	DEV_READ(fd, p, n, 0, 0, 7);
	DEV_READ(other, p, n, 1, 0, 7);
}

/* MIGRATE ioctl arguments: the range must be bound, in one VMA, anonymous. */
TEST(device_migrate_errors)
{
	const size_t n = 4;
	uint8_t *p = tm_must_map_pattern(2 * n, 1);
	struct drm_test_mirror_migrate mg = { .addr = ADDR(p), .size = SZ(n) };

	SETUP(fd);
	ASSERT_ERRNO(tm_ioctl(fd, DRM_IOCTL_TEST_MIRROR_MIGRATE, &mg), -ENOENT);
	tm_must_bind(fd, p, SZ(n), RW);
	mg.flags = 1;
	ASSERT_ERRNO(tm_ioctl(fd, DRM_IOCTL_TEST_MIRROR_MIGRATE, &mg), -EINVAL);
	mg.flags = 0;
	mg.size = SZ(2 * n);	/* beyond the binding */
	ASSERT_ERRNO(tm_ioctl(fd, DRM_IOCTL_TEST_MIRROR_MIGRATE, &mg), -EINVAL);
	mg.size = SZ(n);
	ASSERT_SYS(munmap(PG(p, 1), SZ(1)));
	mg.addr = ADDR(PG(p, 1));
	mg.size = SZ(1);	/* tracking dropped by UNMAP */
	ASSERT_ERRNO(tm_ioctl(fd, DRM_IOCTL_TEST_MIRROR_MIGRATE, &mg), -EFAULT);
	mg.addr = ADDR(p);
	ASSERT_OK(tm_ioctl(fd, DRM_IOCTL_TEST_MIRROR_MIGRATE, &mg));
	ASSERT_EQ(mg.migrated, 1);
}
