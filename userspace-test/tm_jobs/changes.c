// SPDX-License-Identifier: GPL-2.0
/*
 * tm_jobs: CPU changes to the range of a running STREAM. The job never
 * faults: munmap or MADV_DONTNEED of part of its range ends it with
 * -EFAULT, quickly, and the invalidation waits for the engine's page
 * access in flight (munmap returns within 200 ms; what the CPU keeps holds
 * the job's value, a page MADV_DONTNEED dropped reads zeros after);
 * mprotect(PROT_READ) and fork leave read-only entries, which a reading
 * STREAM survives (mprotect only where the kernel says the VMA's new
 * access, TEST_MIRROR_CAP_VMA_DOWNGRADE; elsewhere PROTECTION_VMA removes
 * the entries and the job fails) and a writing one does not. MIGRATE and
 * DEVMEM of the job's own file are refused (-EBUSY) on a range that
 * overlaps the unfinished job, not beside it, and work once it is done;
 * another file's MIGRATE moves the pages and ends the job with -EFAULT.
 */
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tm_jobs.h"

#define NS	64u	/* pages of the STREAM of the unmap tests */

static int to_device(int fd, void *p, size_t npages)
{
	struct drm_test_mirror_devmem a = {
		.addr = ADDR(p),
		.size = SZ(npages),
		.op = TEST_MIRROR_DEVMEM_TO_DEVICE,
	};

	return tm_ioctl(fd, DRM_IOCTL_TEST_MIRROR_DEVMEM, &a);
}

/*
 * munmap of half the range of a writing STREAM, once the CPU sees the
 * job's value everywhere (the job runs): munmap returns within 200 ms, the
 * fence carries -EFAULT within a second (long before the job's 3 s), the
 * other half holds the value in every word, and the engine touched no page
 * after the invalidation had returned.
 */
FIXTURE(unmap) {};

FIXTURE_VARIANT(unmap) {
	bool low;	/* unmap the low half, else the high one */
};

FIXTURE_VARIANT_ADD(unmap, low_half) { .low = true };
FIXTURE_VARIANT_ADD(unmap, high_half) { .low = false };

TEST_F(unmap, stream_write_munmap_half)
{
	uint8_t *buf = tm_must_map_pattern(NS, SEED_A);
	uint8_t *gone = variant->low ? buf : PG(buf, NS / 2);
	uint8_t *kept = variant->low ? PG(buf, NS / 2) : buf;
	struct drm_test_mirror_stats st;
	uint64_t t0, t1, t2;
	uint32_t out;

	tm_must_bind(fd, buf, SZ(NS), RW);
	out = STREAM_W(fd, buf, NS, VAL_A, LONG_MS);
	WAIT_WORDS(buf, SZ(NS), VAL_A, 2000);
	t0 = tm_now_ns();
	ASSERT_OK(tm_unmap(gone, NS / 2));
	t1 = tm_now_ns();
	ASSERT_EQ(FENCE(fd, out, 1000), -EFAULT);
	t2 = tm_now_ns();
	tm_diag("munmap of %u of the %u pages of a running STREAM: %.3f ms; the fence signalled %.3f ms after it",
		NS / 2, NS, MS(t1 - t0), MS(t2 - t1));
	ASSERT_LT(t1 - t0, BOUND_NS(200));
	ASSERT_WORDS(kept, SZ(NS / 2), VAL_A);
	EXPECT_JOBS(fd, 1, 0, 1);
	st = STATS(fd);
	ASSERT_GE(st.job_pages, NS);
	tm_diag("job_pages %llu, job_inval_waits %llu",
		(unsigned long long)st.job_pages,
		(unsigned long long)st.job_inval_waits);
}

/*
 * MADV_DONTNEED of one page of a running writing STREAM: -EFAULT; the page
 * reads zeros after (the engine wrote nothing into the new one), every
 * other page holds the value.
 */
TEST(stream_write_dontneed_page)
{
	uint8_t *buf = tm_must_map_pattern(NJ * 2, SEED_A);
	const unsigned int k = 5;
	uint32_t out;

	tm_must_bind(fd, buf, SZ(NJ * 2), RW);
	out = STREAM_W(fd, buf, NJ * 2, VAL_A, LONG_MS);
	WAIT_WORDS(buf, SZ(NJ * 2), VAL_A, 2000);
	ASSERT_SYS(madvise(PG(buf, k), SZ(1), MADV_DONTNEED));
	ASSERT_EQ(FENCE(fd, out, 1000), -EFAULT);
	ASSERT_ZERO_MEM(PG(buf, k), SZ(1));
	ASSERT_WORDS(buf, SZ(k), VAL_A);
	ASSERT_WORDS(PG(buf, k + 1), SZ(NJ * 2 - k - 1), VAL_A);
	EXPECT_JOBS(fd, 1, 0, 1);
}

/*
 * A CPU change that write-protects the range of a running STREAM:
 * mprotect(PROT_READ) of the range, or fork (COW). A reading STREAM
 * survives it (status 1, its data untouched), but mprotect where the
 * kernel cannot say the VMA's new access (no CAP_VMA_DOWNGRADE: the
 * entries are removed, -EFAULT); a writing one fails (-EFAULT), and what it
 * wrote stays.
 */
enum wp_change { WP_MPROTECT, WP_FORK };

FIXTURE(wprot) {};

FIXTURE_VARIANT(wprot) {
	bool write;
	enum wp_change change;
};

FIXTURE_VARIANT_ADD(wprot, read_mprotect) { .write = false, .change = WP_MPROTECT };
FIXTURE_VARIANT_ADD(wprot, read_fork) { .write = false, .change = WP_FORK };
FIXTURE_VARIANT_ADD(wprot, write_mprotect) { .write = true, .change = WP_MPROTECT };
FIXTURE_VARIANT_ADD(wprot, write_fork) { .write = true, .change = WP_FORK };

TEST_F(wprot, stream_under_write_protect)
{
	uint8_t *buf = tm_must_map_pattern(NJ * 2, SEED_A);
	bool down = tm_has_cap(fd, TEST_MIRROR_CAP_VMA_DOWNGRADE);
	int want, st;
	uint32_t out;
	pid_t pid;

	tm_must_bind(fd, buf, SZ(NJ * 2), variant->write ? RW : RO);
	if (variant->write) {
		out = STREAM_W(fd, buf, NJ * 2, VAL_A, 1000);
		WAIT_WORDS(buf, SZ(NJ * 2), VAL_A, 900);
	} else {
		out = STREAM_R(fd, buf, NJ * 2, 1000);
		tm_sleep_ms(100);
	}
	ASSERT_EQ(FENCE_NOW(fd, out), 0);
	if (variant->change == WP_MPROTECT) {
		ASSERT_SYS(mprotect(buf, SZ(NJ * 2), PROT_READ));
	} else {
		pid = tm_fork();
		if (!pid)
			_exit(0);
		tm_must_wait_ok(pid);
	}
	if (variant->write)
		want = -EFAULT;
	else if (variant->change == WP_MPROTECT && !down)
		want = -EFAULT;
	else
		want = 1;
	st = FENCE(fd, out, 3000);
	tm_diag("%s STREAM, %s (%s): fence %s", variant->write ? "writing" :
		"reading", variant->change == WP_FORK ? "fork" : "mprotect",
		down ? "VMA_DOWNGRADE" : "no VMA_DOWNGRADE",
		st == 1 ? "1" : tm_errname(st));
	ASSERT_EQ(st, want);
	if (variant->write)
		ASSERT_WORDS(buf, SZ(NJ * 2), VAL_A);
	else
		ASSERT_PATTERN(buf, SZ(NJ * 2), SEED_A);
	EXPECT_JOBS(fd, 1, want == 1, want != 1);
}

/*
 * MIGRATE and DEVMEM of the job's own file on a range that overlaps a
 * running STREAM: -EBUSY (DEVMEM: -EOPNOTSUPP without device memory), and
 * the job goes on (status 1); MIGRATE of the pages beside it works while
 * it runs, and of its own pages once it is done.
 */
TEST(migrate_busy_under_job)
{
	uint8_t *buf = tm_must_map_pattern(24, SEED_A);
	bool dp = tm_has_cap(fd, TEST_MIRROR_CAP_DEVICE_PRIVATE);
	uint64_t moved = 0;
	uint32_t out;

	tm_must_bind(fd, buf, SZ(24), RW);
	out = STREAM_W(fd, buf, 16, VAL_A, 1000);
	WAIT_WORDS(buf, SZ(16), VAL_A, 900);
	ASSERT_ERRNO(migrate_range(fd, PG(buf, 12), 8, &moved), -EBUSY);
	ASSERT_ERRNO(migrate_range(fd, buf, 1, &moved), -EBUSY);
	ASSERT_ERRNO(to_device(fd, PG(buf, 12), 8),
		     dp ? -EBUSY : -EOPNOTSUPP);
	ASSERT_OK(migrate_range(fd, PG(buf, 16), 8, &moved));
	ASSERT_EQ(moved, 8);
	ASSERT_EQ(FENCE_NOW(fd, out), 0);
	ASSERT_EQ(FENCE(fd, out, 3000), 1);
	ASSERT_OK(migrate_range(fd, buf, 16, &moved));
	ASSERT_EQ(moved, 16);
	ASSERT_WORDS(buf, SZ(16), VAL_A);
	EXPECT_PAT(PG(buf, 16), SZ(16), SZ(8), SEED_A);
	EXPECT_JOBS(fd, 1, 1, 0);
}

/*
 * MIGRATE by another file of the pages of a running STREAM: the pages
 * move, the job's entries go (MIGRATE, not its own), the job fails with
 * -EFAULT; the data is the job's value wherever it lives.
 */
TEST(migrate_other_file_ends_job)
{
	uint8_t *buf = tm_must_map_pattern(NJ, SEED_A);
	int f2 = tm_must_open();
	uint64_t moved = 0;
	uint32_t out;

	tm_must_bind(fd, buf, SZ(NJ), RW);
	tm_must_bind(f2, buf, SZ(NJ), RW);
	out = STREAM_W(fd, buf, NJ, VAL_A, LONG_MS);
	WAIT_WORDS(buf, SZ(NJ), VAL_A, 2000);
	ASSERT_OK(migrate_range(f2, buf, NJ, &moved));
	ASSERT_EQ(moved, NJ);
	ASSERT_EQ(FENCE(fd, out, 1000), -EFAULT);
	ASSERT_WORDS(buf, SZ(NJ), VAL_A);
	EXPECT_JOBS(fd, 1, 0, 1);
}
