// SPDX-License-Identifier: GPL-2.0
/*
 * tm_events: hugetlb, private (MAP_HUGETLB) and shared (a hugetlbfs memfd).
 * A huge page is mirrored by one huge entry. mprotect, fork, MADV_DONTNEED,
 * a hole punch and a truncate invalidate and keep the tracking; munmap drops
 * it, and each page is counted dropped once. Which events the kernel raises
 * when it zaps hugetlb pages depends on its series
 * (hugetlb_zap_raises_unmap()).
 */
#include <fcntl.h>
#include <inttypes.h>
#include <linux/falloc.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tm_events.h"

TEST(hugetlb_2m)
{
	struct drm_test_mirror_stats st;
	struct tm_evlog *log;
	struct tm_result res;
	uint64_t nr = 0;
	uint8_t *p;
	uint32_t h;
	pid_t pid;

	SETUP(fd);
	tm_read_u64("/proc/sys/vm/nr_hugepages", &nr);
	if (!nr)
		SKIP("no huge pages reserved (/proc/sys/vm/nr_hugepages is 0)");
	p = mmap(NULL, HUGE_SZ, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	if (p == MAP_FAILED)
		FAIL("MAP_HUGETLB 2 MiB with %" PRIu64 " huge pages: %s", nr,
		     tm_errname(errno));
	tm_fill(p, HUGE_SZ, 1);
	h = tm_must_bind(fd, p, HUGE_SZ, RW);
	DEV_READ(fd, p, HUGE_PAGES, 1, 0, 1);
	st = STATS(fd);
	ASSERT_EQ(st.huge_entries, 1);
	ASSERT_EQ(SNAP_COUNT(fd, p, HUGE_PAGES,
			     TEST_MIRROR_SNAP_WRITE | TEST_MIRROR_SNAP_HUGE),
		  HUGE_PAGES);
	ASSERT_OK(tm_evlog_drain(fd));

	/* hugetlb_change_protection: PROTECTION_VMA. */
	ASSERT_SYS(mprotect(p, HUGE_SZ, PROT_READ));
	log = EV_TAKE(fd);
	ASSERT_EQ(EXPECT_EV(log, EV_PVMA, h, p, p + HUGE_SZ,
			    BIT(vma_dg ? ACT_DOWN : ACT_INVAL)), 1);
	EXPECT_ONLY(log, BIT(EV_PVMA));
	ASSERT_EQ(SNAP_COUNT(fd, p, HUGE_PAGES, vma_dg ?
			     TEST_MIRROR_SNAP_READ | TEST_MIRROR_SNAP_HUGE :
			     TEST_MIRROR_SNAP_NONE), HUGE_PAGES);
	DEV_READ(fd, p, HUGE_PAGES, vma_dg ? 0 : 1, 0, 1);
	ASSERT_ERRNO(tm_dev_write(fd, p, 1, 0, 2, &res), -EPERM);
	ASSERT_SYS(mprotect(p, HUGE_SZ, PROT_READ | PROT_WRITE));
	DEV_READ(fd, p, HUGE_PAGES, -1, 0, 1);
	ASSERT_OK(tm_evlog_drain(fd));

	/* fork of a private hugetlb mapping: copy_hugetlb_page_range. */
	pid = tm_fork();
	if (pid == 0)
		_exit(0);
	tm_must_wait_ok(pid);
	log = EV_TAKE(fd);
	ASSERT_EQ(EXPECT_EV(log, EV_CLEAR, h, p, p + HUGE_SZ, BIT(ACT_INVAL)), 1);
	EXPECT_ONLY(log, BIT(EV_CLEAR));
	ASSERT_EQ(STATS(fd).entries_present, 0);
	DEV_READ(fd, p, HUGE_PAGES, 1, 0, 1);
	ASSERT_EQ(STATS(fd).huge_entries, 1);
	ASSERT_OK(tm_dev_write(fd, p, 1, 0, 3, &res));
	EXPECT_PAT(p, 0, SZ(1), 3);
	ASSERT_OK(tm_evlog_drain(fd));

	/* munmap: UNMAP. */
	ASSERT_SYS(munmap(p, HUGE_SZ));
	log = EV_TAKE(fd);
	ASSERT_EQ(EXPECT_EV(log, EV_UNMAP, h, p, p + HUGE_SZ, BIT(ACT_DROP)), 1);
	EXPECT_ONLY(log, BIT(EV_UNMAP));
	ASSERT_EQ(SNAP_COUNT(fd, p, HUGE_PAGES, TEST_MIRROR_SNAP_DROPPED),
		  HUGE_PAGES);
	ASSERT_EQ(STATS(fd).huge_entries, 0);
}

/*
 * Up to 6.1, __unmap_hugepage_range() raises UNMAP itself over the range it
 * zaps: nested in zap_page_range_single()'s CLEAR for MADV_DONTNEED, nested
 * in unmap_vmas()' UNMAP for munmap (so UNMAP comes twice), and alone for a
 * hugetlbfs truncate or hole punch (hugetlb_vmdelete_list()). 6.12 and 7.3
 * raise CLEAR there and no event in __unmap_hugepage_range(). Kernel
 * behaviour, not the driver's: keyed on the kernel series, known for 6.1,
 * 6.12 and 7.3. Returns true on 6.1.
 */
static bool hugetlb_zap_raises_unmap(void)
{
	unsigned int v = tm_must_kernel_version();

	if (v != 601 && v != 612 && v != 703)
		SKIP("the hugetlb zap events are known for 6.1, 6.12 and 7.3 "
		     "only, this is %u.%u", v / 100, v % 100);
	return v == 601;
}

static void require_hugepages(void)
{
	uint64_t nr = 0;

	tm_read_u64("/proc/sys/vm/nr_hugepages", &nr);
	if (!nr)
		SKIP("no huge pages reserved (/proc/sys/vm/nr_hugepages is 0)");
}

/* A hugetlbfs file (memfd) of size bytes. */
static int hugetlbfs_file(size_t size)
{
	int f;

	require_hugepages();
	f = memfd_create("tm_events", MFD_CLOEXEC | MFD_HUGETLB);
	if (f < 0)
		FAIL("memfd_create(MFD_HUGETLB): %s", tm_errname(errno));
	ASSERT_SYS(ftruncate(f, (off_t)size));
	return f;
}

/*
 * Map the first nhuge huge pages of f shared, fill them with the pattern of
 * seed, bind them RW and read them with the device: one fault, one huge
 * read-write entry per huge page. With per_page, each huge page is a VMA of
 * its own (hugetlb VMAs never merge), so that one of them can be unmapped
 * without splitting a VMA. Returns the address; *h the handle.
 */
static uint8_t *hugetlbfs_map_mirrored(int fd, int f, size_t nhuge,
				       uint32_t seed, bool per_page, uint32_t *h)
{
	struct drm_test_mirror_stats st;
	uint8_t *p;
	size_t i;

	if (per_page) {
		p = tm_map_aligned(nhuge * HUGE_PAGES, HUGE_SZ, PROT_NONE);
		ASSERT_TRUE(p != NULL);
		for (i = 0; i < nhuge; i++)
			if (mmap(p + i * HUGE_SZ, HUGE_SZ, PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_FIXED, f,
				 (off_t)(i * HUGE_SZ)) != p + i * HUGE_SZ)
				FAIL("mmap of huge page %zu of a hugetlbfs file: %s",
				     i, tm_errname(errno));
	} else {
		p = mmap(NULL, nhuge * HUGE_SZ, PROT_READ | PROT_WRITE,
			 MAP_SHARED, f, 0);
		if (p == MAP_FAILED)
			FAIL("mmap of a hugetlbfs file, %zu huge pages: %s",
			     nhuge, tm_errname(errno));
	}
	tm_fill(p, nhuge * HUGE_SZ, seed);
	*h = tm_must_bind(fd, p, nhuge * HUGE_SZ, RW);
	DEV_READ(fd, p, nhuge * HUGE_PAGES, 1, 0, seed);
	st = STATS(fd);
	ASSERT_EQ(st.huge_entries, nhuge);
	ASSERT_EQ(st.entries_present, nhuge);
	ASSERT_EQ(SNAP_COUNT(fd, p, nhuge * HUGE_PAGES,
			     TEST_MIRROR_SNAP_WRITE | TEST_MIRROR_SNAP_HUGE),
		  nhuge * HUGE_PAGES);
	ASSERT_OK(tm_evlog_drain(fd));
	return p;
}

/*
 * munmap of [p, p + size), all of binding h, which holds `entries` device
 * entries: UNMAP over exactly that range, twice on 6.1 (unmap_vmas(), then
 * __unmap_hugepage_range()), once on 6.12, each time DROP. The tracking of
 * every page is dropped, counted once.
 */
static void hugetlb_munmap_drops(int fd, uint32_t h, uint8_t *p, size_t size,
				 uint64_t entries)
{
	uint64_t dropped = STATS(fd).pages_dropped;
	struct drm_test_mirror_stats st;
	struct tm_evlog *log;

	ASSERT_OK(tm_evlog_drain(fd));
	ASSERT_SYS(munmap(p, size));
	log = EV_TAKE(fd);
	EXPECT_REC(log, 0, EV_UNMAP, h, p, p + size, ACT_DROP, entries);
	if (hugetlb_zap_raises_unmap()) {
		ASSERT_EQ(log->n, 2);
		EXPECT_REC(log, 1, EV_UNMAP, h, p, p + size, ACT_DROP, 0);
	} else {
		ASSERT_EQ(log->n, 1);
	}
	ASSERT_EQ(SNAP_COUNT(fd, p, size / PAGE_SZ, TEST_MIRROR_SNAP_DROPPED),
		  size / PAGE_SZ);
	st = STATS(fd);
	ASSERT_EQ(st.pages_dropped - dropped, size / PAGE_SZ);
	ASSERT_EQ(st.entries_present, 0);
	ASSERT_EQ(st.huge_entries, 0);
	DEV_READ_ERR(fd, p, 1, -EFAULT, 0);
	DEV_READ_ERR(fd, p + size - PAGE_SZ, 1, -EFAULT, 0);
}

/*
 * MADV_DONTNEED of a private hugetlb mapping frees the huge page; the mapping
 * stays, and the next touch gets a new, zeroed huge page. The device must
 * lose its entry but keep the tracking, and read those zeros. 6.1 raises
 * CLEAR (zap_page_range_single()) and, nested in it, UNMAP
 * (__unmap_hugepage_range()) while the VMA is still mapped: both invalidate.
 * 6.12 raises CLEAR only. munmap afterwards drops.
 */
TEST(hugetlb_dontneed_keeps_tracking)
{
	struct drm_test_mirror_stats st0, st;
	struct tm_evlog *log;
	struct tm_result res;
	uint8_t *p;
	uint32_t h;

	SETUP(fd);
	require_hugepages();
	p = mmap(NULL, HUGE_SZ, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	if (p == MAP_FAILED)
		FAIL("MAP_HUGETLB 2 MiB: %s", tm_errname(errno));
	tm_fill(p, HUGE_SZ, 1);
	h = tm_must_bind(fd, p, HUGE_SZ, RW);
	DEV_READ(fd, p, HUGE_PAGES, 1, 0, 1);
	ASSERT_EQ(STATS(fd).huge_entries, 1);
	ASSERT_OK(tm_evlog_drain(fd));
	st0 = STATS(fd);

	ASSERT_SYS(madvise(p, HUGE_SZ, MADV_DONTNEED));
	log = EV_TAKE(fd);
	EXPECT_REC(log, 0, EV_CLEAR, h, p, p + HUGE_SZ, ACT_INVAL, 1);
	if (hugetlb_zap_raises_unmap()) {
		ASSERT_EQ(log->n, 2);
		EXPECT_REC(log, 1, EV_UNMAP, h, p, p + HUGE_SZ, ACT_INVAL, 0);
	} else {
		ASSERT_EQ(log->n, 1);
	}
	ASSERT_EQ(SNAP_COUNT(fd, p, HUGE_PAGES, TEST_MIRROR_SNAP_NONE),
		  HUGE_PAGES);
	st = STATS(fd);
	ASSERT_EQ(st.pages_dropped, st0.pages_dropped);
	ASSERT_EQ(st.entries_present, 0);
	ASSERT_EQ(st.huge_entries, 0);

	/*
	 * The device read faults in a new huge page: zeros. A read fault on a
	 * private mapping maps it read-only, hence a read-only huge entry.
	 */
	res = DEV_READ(fd, p, HUGE_PAGES, 1, 0, 0);
	ASSERT_EQ(res.faulted_pages, HUGE_PAGES);
	ASSERT_EQ(SNAP_COUNT(fd, p, HUGE_PAGES,
			     TEST_MIRROR_SNAP_READ | TEST_MIRROR_SNAP_HUGE),
		  HUGE_PAGES);
	ASSERT_ZERO_MEM(p, HUGE_SZ);
	/*
	 * A device write of the whole page faults with write intent; the
	 * page is this mapping's own, so the CPU makes it writable in place
	 * (no COW, no event), and the CPU sees the device's data.
	 */
	ASSERT_OK(tm_dev_write(fd, p, HUGE_PAGES, 0, 2, &res));
	ASSERT_EQ(res.faults, 1);
	EXPECT_PAT(p, 0, HUGE_SZ, 2);
	ASSERT_EQ(SNAP_COUNT(fd, p, HUGE_PAGES,
			     TEST_MIRROR_SNAP_WRITE | TEST_MIRROR_SNAP_HUGE),
		  HUGE_PAGES);
	st = STATS(fd);
	ASSERT_EQ(st.huge_entries, 1);
	ASSERT_EQ(st.pages_dropped, st0.pages_dropped);
	log = EV_TAKE(fd);
	ASSERT_EQ(log->n, 0);

	hugetlb_munmap_drops(fd, h, p, HUGE_SZ, 1);
}

/*
 * Hole punch in a hugetlbfs file under a shared mapping, of the first of two
 * huge pages: the page leaves the file and the mapping, the VMA stays, and
 * the hole reads as zeros. 6.1 raises UNMAP over the hole
 * (hugetlb_vmdelete_list() -> unmap_hugepage_range()), 6.12 CLEAR: both
 * invalidate the hole only; the tracking is kept, the other huge entry too.
 */
TEST(hugetlbfs_punch_hole_keeps_tracking)
{
	struct drm_test_mirror_stats st0, st;
	struct tm_evlog *log;
	uint8_t *p, *buf;
	uint32_t h;
	int f;

	SETUP(fd);
	f = hugetlbfs_file(2 * HUGE_SZ);
	p = hugetlbfs_map_mirrored(fd, f, 2, 1, false, &h);
	st0 = STATS(fd);

	ASSERT_SYS(fallocate(f, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0,
			     (off_t)HUGE_SZ));
	log = EV_TAKE(fd);
	ASSERT_EQ(log->n, 1);
	EXPECT_REC(log, 0, hugetlb_zap_raises_unmap() ? EV_UNMAP : EV_CLEAR, h,
		   p, p + HUGE_SZ, ACT_INVAL, 1);
	ASSERT_EQ(SNAP_COUNT(fd, p, HUGE_PAGES, TEST_MIRROR_SNAP_NONE),
		  HUGE_PAGES);
	ASSERT_EQ(SNAP_COUNT(fd, p + HUGE_SZ, HUGE_PAGES,
			     TEST_MIRROR_SNAP_WRITE | TEST_MIRROR_SNAP_HUGE),
		  HUGE_PAGES);
	st = STATS(fd);
	ASSERT_EQ(st.pages_dropped, st0.pages_dropped);
	ASSERT_EQ(st.entries_present, 1);
	ASSERT_EQ(st.huge_entries, 1);

	/* The file reads zeros in the hole, its data after it. */
	buf = tm_must_map(2 * HUGE_PAGES, PROT_READ | PROT_WRITE);
	ASSERT_EQ(pread(f, buf, 2 * HUGE_SZ, 0), (ssize_t)(2 * HUGE_SZ));
	ASSERT_ZERO_MEM(buf, HUGE_SZ);
	EXPECT_PAT(buf + HUGE_SZ, HUGE_SZ, HUGE_SZ, 1);
	/* The device too: the hole refaults (zeros), the rest needs none. */
	DEV_READ(fd, p, HUGE_PAGES, 1, 0, 0);
	DEV_READ(fd, p + HUGE_SZ, HUGE_PAGES, 0, HUGE_SZ, 1);
	ASSERT_ZERO_MEM(p, HUGE_SZ);
	st = STATS(fd);
	ASSERT_EQ(st.huge_entries, 2);
	ASSERT_EQ(st.pages_dropped, st0.pages_dropped);

	hugetlb_munmap_drops(fd, h, p, 2 * HUGE_SZ, 2);
	close(f);
}

/* A CPU read of addr, in a child, ends with SIGBUS. */
static void expect_cpu_sigbus(const void *addr)
{
	int status;
	pid_t pid;

	pid = tm_fork();
	if (pid == 0) {
		signal(SIGBUS, SIG_DFL);
		(void)*(const volatile uint8_t *)addr;
		_exit(0);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			FAIL("waitpid(%d): %s", pid, tm_errname(errno));
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGBUS)
		FAIL("a CPU read at %p: status 0x%x, expected SIGBUS", addr,
		     status);
}

/*
 * ftruncate of a hugetlbfs file from two huge pages to one, under a shared
 * mapping of both: the second page leaves the file, the VMA stays. The CPU
 * gets SIGBUS there; the device loses its entry and a device access fails
 * (-EFAULT: hmm_range_fault() gets VM_FAULT_SIGBUS), but the tracking stays,
 * as for any file truncation: once the file grows again, the device reads
 * its zeros, as the CPU does. 6.1 raises UNMAP over the cut-off part
 * (hugetlb_vmtruncate() -> hugetlb_vmdelete_list()), 6.12 CLEAR: both
 * invalidate.
 */
TEST(hugetlbfs_truncate)
{
	struct drm_test_mirror_stats st0, st;
	struct tm_evlog *log;
	struct tm_result res;
	uint8_t *p;
	uint32_t h;
	int f;

	SETUP(fd);
	f = hugetlbfs_file(2 * HUGE_SZ);
	p = hugetlbfs_map_mirrored(fd, f, 2, 1, false, &h);
	st0 = STATS(fd);

	ASSERT_SYS(ftruncate(f, (off_t)HUGE_SZ));
	log = EV_TAKE(fd);
	ASSERT_EQ(log->n, 1);
	EXPECT_REC(log, 0, hugetlb_zap_raises_unmap() ? EV_UNMAP : EV_CLEAR, h,
		   p + HUGE_SZ, p + 2 * HUGE_SZ, ACT_INVAL, 1);
	ASSERT_EQ(SNAP_COUNT(fd, p, HUGE_PAGES,
			     TEST_MIRROR_SNAP_WRITE | TEST_MIRROR_SNAP_HUGE),
		  HUGE_PAGES);
	ASSERT_EQ(SNAP_COUNT(fd, p + HUGE_SZ, HUGE_PAGES, TEST_MIRROR_SNAP_NONE),
		  HUGE_PAGES);
	st = STATS(fd);
	ASSERT_EQ(st.pages_dropped, st0.pages_dropped);
	ASSERT_EQ(st.entries_present, 1);

	/* Beyond EOF: SIGBUS for the CPU, -EFAULT for the device. */
	expect_cpu_sigbus(p + HUGE_SZ);
	DEV_READ_ERR(fd, p + HUGE_SZ, 1, -EFAULT, 0);
	DEV_READ_ERR(fd, p + 2 * HUGE_SZ - PAGE_SZ, 1, -EFAULT, 0);
	ASSERT_ERRNO(tm_dev_write(fd, p + HUGE_SZ, 1, 0, 2, &res), -EFAULT);
	DEV_READ_ERR(fd, p + HUGE_SZ - SZ(2), 4, -EFAULT, 2);
	DEV_READ(fd, p, HUGE_PAGES, 0, 0, 1);
	/* Nothing was installed there, and nothing dropped. */
	ASSERT_EQ(SNAP_COUNT(fd, p + HUGE_SZ, HUGE_PAGES, TEST_MIRROR_SNAP_NONE),
		  HUGE_PAGES);
	ASSERT_EQ(STATS(fd).pages_dropped, st0.pages_dropped);
	log = EV_TAKE(fd);
	ASSERT_EQ(log->n, 0);

	/* The file grows again (no event): the device reads its zeros. */
	ASSERT_SYS(ftruncate(f, (off_t)(2 * HUGE_SZ)));
	DEV_READ(fd, p + HUGE_SZ, HUGE_PAGES, 1, 0, 0);
	ASSERT_ZERO_MEM(p + HUGE_SZ, HUGE_SZ);
	DEV_READ(fd, p, HUGE_PAGES, 0, 0, 1);
	ASSERT_EQ(STATS(fd).huge_entries, 2);
	log = EV_TAKE(fd);
	ASSERT_EQ(log->n, 0);

	hugetlb_munmap_drops(fd, h, p, 2 * HUGE_SZ, 2);
	close(f);
}

/*
 * munmap of a shared hugetlbfs mapping of two huge pages: UNMAP over exactly
 * the mapping, twice on 6.1 (unmap_vmas(), then __unmap_hugepage_range()),
 * once on 6.12; both drop, and the pages are counted dropped once.
 */
TEST(hugetlbfs_munmap_drops)
{
	uint8_t *p;
	uint32_t h;
	int f;

	SETUP(fd);
	f = hugetlbfs_file(2 * HUGE_SZ);
	p = hugetlbfs_map_mirrored(fd, f, 2, 1, false, &h);
	hugetlb_munmap_drops(fd, h, p, 2 * HUGE_SZ, 2);
	close(f);
}

/*
 * munmap of the second of two huge pages of a shared hugetlbfs mapping bound
 * as one, then of the rest: UNMAP over exactly the unmapped part, twice on
 * 6.1 (unmap_vmas(), then __unmap_hugepage_range()), once on 6.12; drop.
 * The part left mapped keeps its huge entry. On 6.1 the second UNMAP cuts
 * the same pages of a segment that is still alive: they were dropped once,
 * and pages_dropped must count them once. Each huge page is a VMA of its
 * own: splitting a hugetlb VMA trips a lockdep assertion in Debian's
 * 6.1.192 itself (hugetlb_split() runs before __vma_adjust() takes the
 * i_mmap lock it asserts), which the debug kernel reports.
 */
TEST(hugetlbfs_munmap_part_drops)
{
	struct drm_test_mirror_stats st0, st;
	struct tm_evlog *log;
	uint8_t *p;
	uint32_t h;
	int f;

	SETUP(fd);
	f = hugetlbfs_file(2 * HUGE_SZ);
	p = hugetlbfs_map_mirrored(fd, f, 2, 1, true, &h);
	st0 = STATS(fd);

	ASSERT_SYS(munmap(p + HUGE_SZ, HUGE_SZ));
	log = EV_TAKE(fd);
	EXPECT_REC(log, 0, EV_UNMAP, h, p + HUGE_SZ, p + 2 * HUGE_SZ,
		   ACT_DROP, 1);
	if (hugetlb_zap_raises_unmap()) {
		ASSERT_EQ(log->n, 2);
		EXPECT_REC(log, 1, EV_UNMAP, h, p + HUGE_SZ, p + 2 * HUGE_SZ,
			   ACT_DROP, 0);
	} else {
		ASSERT_EQ(log->n, 1);
	}
	ASSERT_EQ(SNAP_COUNT(fd, p + HUGE_SZ, HUGE_PAGES,
			     TEST_MIRROR_SNAP_DROPPED), HUGE_PAGES);
	ASSERT_EQ(SNAP_COUNT(fd, p, HUGE_PAGES,
			     TEST_MIRROR_SNAP_WRITE | TEST_MIRROR_SNAP_HUGE),
		  HUGE_PAGES);
	st = STATS(fd);
	ASSERT_EQ(st.pages_dropped - st0.pages_dropped, HUGE_PAGES);
	ASSERT_EQ(st.entries_present, 1);
	DEV_READ(fd, p, HUGE_PAGES, 0, 0, 1);
	DEV_READ_ERR(fd, p + HUGE_SZ - SZ(1), 2, -EFAULT, 1);
	/* The same after the work item split the tracking. */
	wait_pages_dropped(fd, st0.pages_dropped + HUGE_PAGES);
	ASSERT_EQ(SNAP_COUNT(fd, p + HUGE_SZ, HUGE_PAGES,
			     TEST_MIRROR_SNAP_DROPPED), HUGE_PAGES);
	DEV_READ(fd, p, HUGE_PAGES, 0, 0, 1);

	hugetlb_munmap_drops(fd, h, p, HUGE_SZ, 1);
	close(f);
}
