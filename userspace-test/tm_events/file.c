// SPDX-License-Identifier: GPL-2.0
/*
 * tm_events: shared file mappings, on tmpfs (memfd) and ext4 (the scratch
 * disk). Writeback write-protects the pages (PROTECTION_PAGE) and the entries
 * stay readable; a device write refaults and dirties the page, so the disk
 * gets the device's data. ftruncate and hole punching raise CLEAR over the
 * pages that left the file: beyond EOF the device gets -EFAULT (where the CPU
 * gets SIGBUS), a hole reads as zeros for both.
 */
#include <fcntl.h>
#include <linux/falloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tm_events.h"

/* A file of npages under dir (unlinked), or -1 with errno. */
static int tmp_file(const char *dir, size_t npages)
{
	char path[256];
	int f;

	snprintf(path, sizeof(path), "%s/tm_events.XXXXXX", dir);
	f = mkostemp(path, O_CLOEXEC);
	if (f < 0)
		return -1;
	unlink(path);
	if (ftruncate(f, (off_t)SZ(npages))) {
		close(f);
		return -1;
	}
	return f;
}

static const char *scratch_dir(void)
{
	const char *d = getenv("TM_SCRATCH");

	if (!d || !*d)
		SKIP("TM_SCRATCH is not set (the guest mounts an ext4 scratch "
		     "disk with tm.scratch=1)");
	return d;
}

/*
 * Writeback write-protects the pages (PROTECTION_PAGE): the entries stay
 * readable. A device write then refaults with write intent, which dirties
 * the page again: the next msync writes it back (another PROTECTION_PAGE)
 * and the disk has the device's data.
 */
TEST(shared_file_msync_ext4)
{
	const size_t n = 4;
	const char *dir = scratch_dir();
	struct drm_test_mirror_stats st0, st1;
	struct tm_evlog *log;
	struct tm_result res;
	uint8_t *p, *dbuf;
	uint32_t h;
	int f, df;

	SETUP(fd);
	f = tmp_file(dir, n);
	if (f < 0)
		FAIL("file in %s: %s", dir, tm_errname(errno));
	p = mmap(NULL, SZ(n), PROT_READ | PROT_WRITE, MAP_SHARED, f, 0);
	ASSERT_TRUE(p != MAP_FAILED);
	tm_fill(p, SZ(n), 1);
	h = tm_must_bind(fd, p, SZ(n), RWP);
	EXPECT_SNAP(fd, p, n, "W W W W");
	ASSERT_OK(tm_evlog_drain(fd));

	ASSERT_SYS(msync(p, SZ(n), MS_SYNC));
	log = EV_TAKE(fd);
	ASSERT_EQ(EXPECT_EV(log, EV_PPAGE, h, p, PG(p, n), BIT(ACT_DOWN)), n);
	EXPECT_WITHIN(log, EV_PPAGE, p, PG(p, n));
	EXPECT_ONLY(log, BIT(EV_PPAGE));
	EXPECT_SNAP(fd, p, n, "R R R R");
	DEV_READ(fd, p, n, 0, 0, 1);

	tm_must_stats(fd, &st0);
	ASSERT_OK(tm_dev_write(fd, PG(p, 1), 1, SZ(1), 2, &res));
	tm_must_stats(fd, &st1);
	ASSERT_EQ(res.faults, 1);
	ASSERT_EQ(st1.write_faults - st0.write_faults, 1);
	EXPECT_SNAP(fd, p, n, "R W R R");
	log = EV_TAKE(fd);
	ASSERT_EQ(log->n, 0);

	/* Only the page the device wrote is dirty. */
	ASSERT_SYS(msync(p, SZ(n), MS_SYNC));
	log = EV_TAKE(fd);
	ASSERT_EQ(EXPECT_EV(log, EV_PPAGE, h, PG(p, 1), PG(p, 2),
			    BIT(ACT_DOWN)), 1);
	EXPECT_WITHIN(log, EV_PPAGE, PG(p, 1), PG(p, 2));
	EXPECT_ONLY(log, BIT(EV_PPAGE));
	EXPECT_SNAP(fd, p, n, "R R R R");

	/* On disk (O_DIRECT bypasses the page cache): the device's data. */
	dbuf = tm_must_map(n, PROT_READ | PROT_WRITE);
	{
		char path[64];

		snprintf(path, sizeof(path), "/proc/self/fd/%d", f);
		df = open(path, O_RDONLY | O_DIRECT | O_CLOEXEC);
	}
	if (df < 0)
		FAIL("O_DIRECT open: %s", tm_errname(errno));
	ASSERT_EQ(pread(df, dbuf, SZ(n), 0), (ssize_t)SZ(n));
	EXPECT_PAT(dbuf, 0, SZ(1), 1);
	EXPECT_PAT(PG(dbuf, 1), SZ(1), SZ(1), 2);
	EXPECT_PAT(PG(dbuf, 2), SZ(2), SZ(2), 1);
	close(df);
	close(f);
}

/* Truncate a shared mapping's file from 8 to 4 pages. */
static void truncate_case(int fd, int f)
{
	const size_t n = 8;
	struct tm_evlog *log;
	struct tm_result res;
	uint8_t *p;
	uint32_t h;

	p = mmap(NULL, SZ(n), PROT_READ | PROT_WRITE, MAP_SHARED, f, 0);
	ASSERT_TRUE(p != MAP_FAILED);
	tm_fill(p, SZ(n), 1);
	h = tm_must_bind(fd, p, SZ(n), RWP);
	ASSERT_OK(tm_evlog_drain(fd));

	ASSERT_SYS(ftruncate(f, (off_t)SZ(4)));
	log = EV_TAKE(fd);
	ASSERT_EQ(EXPECT_EV(log, EV_CLEAR, h, PG(p, 4), PG(p, 8),
			    BIT(ACT_INVAL)), 4);
	EXPECT_WITHIN(log, EV_CLEAR, PG(p, 4), PG(p, 8));
	EXPECT_ONLY(log, BIT(EV_CLEAR));
	EXPECT_SNAP(fd, p, n, "W W W W . . . .");
	/* Beyond EOF the CPU would get SIGBUS; the device gets -EFAULT. */
	DEV_READ_ERR(fd, PG(p, 4), 1, -EFAULT, 0);
	ASSERT_ERRNO(tm_dev_write(fd, PG(p, 6), 1, 0, 2, &res), -EFAULT);
	DEV_READ_ERR(fd, PG(p, 2), 4, -EFAULT, 2);
	DEV_READ(fd, p, 4, 0, 0, 1);
	EXPECT_SNAP(fd, p, n, "W W W W . . . .");
	munmap(p, SZ(n));
}

/*
 * Punch a hole in pages 2-3 of 8 under a shared mapping. writeback: the
 * filesystem writes the range back first (ext4_punch_hole does), which
 * write-protects the dirty pages before they are removed.
 */
static void punch_case(int fd, int f, bool writeback)
{
	const size_t n = 8;
	struct tm_evlog *log;
	uint8_t *p;
	uint32_t h;

	p = mmap(NULL, SZ(n), PROT_READ | PROT_WRITE, MAP_SHARED, f, 0);
	ASSERT_TRUE(p != MAP_FAILED);
	tm_fill(p, SZ(n), 1);
	h = tm_must_bind(fd, p, SZ(n), RWP);
	ASSERT_OK(tm_evlog_drain(fd));

	ASSERT_SYS(fallocate(f, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			     (off_t)SZ(2), (off_t)SZ(2)));
	log = EV_TAKE(fd);
	ASSERT_EQ(EXPECT_EV(log, EV_CLEAR, h, PG(p, 2), PG(p, 4),
			    BIT(ACT_INVAL)), 2);
	EXPECT_WITHIN(log, EV_CLEAR, PG(p, 2), PG(p, 4));
	if (writeback) {
		ASSERT_EQ(EXPECT_EV(log, EV_PPAGE, h, PG(p, 2), PG(p, 4),
				    BIT(ACT_DOWN)), 2);
		EXPECT_WITHIN(log, EV_PPAGE, PG(p, 2), PG(p, 4));
		EXPECT_ONLY(log, BIT(EV_CLEAR) | BIT(EV_PPAGE));
		/* Write-protected first, removed last. */
		ASSERT_EQ(log->rec[0].event, EV_PPAGE);
		ASSERT_EQ(log->rec[log->n - 1].event, EV_CLEAR);
	} else {
		EXPECT_ONLY(log, BIT(EV_CLEAR));
	}
	EXPECT_SNAP(fd, p, n, "W W . . W W W W");
	/* A hole reads as zeros, for the CPU and the device. */
	DEV_READ(fd, PG(p, 2), 2, 1, 0, 0);
	ASSERT_TRUE(tm_check_zero(PG(p, 2), SZ(2)) < 0);
	DEV_READ(fd, p, 2, 0, 0, 1);
	DEV_READ(fd, PG(p, 4), 4, 0, SZ(4), 1);
	munmap(p, SZ(n));
}

TEST(ftruncate_shared_tmpfs)
{
	int f = memfd_create("tm_events", MFD_CLOEXEC);

	SETUP(fd);
	ASSERT_SYS(f);
	ASSERT_SYS(ftruncate(f, (off_t)SZ(8)));
	truncate_case(fd, f);
	close(f);
}

TEST(ftruncate_shared_ext4)
{
	const char *dir = scratch_dir();
	int f;

	SETUP(fd);
	f = tmp_file(dir, 8);
	ASSERT_SYS(f);
	truncate_case(fd, f);
	close(f);
}

TEST(punch_hole_shared_tmpfs)
{
	int f = memfd_create("tm_events", MFD_CLOEXEC);

	SETUP(fd);
	ASSERT_SYS(f);
	ASSERT_SYS(ftruncate(f, (off_t)SZ(8)));
	punch_case(fd, f, false);
	close(f);
}

/*
 * ext4_punch_hole() of 6.1 writes the range back before it truncates the
 * page cache (PROTECTION_PAGE, then CLEAR); 6.12's and 7.3's no longer do
 * (CLEAR only). Kernel behaviour, not the driver's: keyed on the kernel
 * series.
 */
TEST(punch_hole_shared_ext4)
{
	const char *dir = scratch_dir();
	unsigned int v;
	int f;

	SETUP(fd);
	v = tm_must_kernel_version();
	if (v != 601 && v != 612 && v != 703)
		SKIP("ext4 punch-hole writeback is known for 6.1, 6.12 and "
		     "7.3 only, this is %u.%u", v / 100, v % 100);
	f = tmp_file(dir, 8);
	ASSERT_SYS(f);
	punch_case(fd, f, v == 601);
	close(f);
}
