// SPDX-License-Identifier: GPL-2.0
/*
 * tm_tests: a device READ stores nothing but the data. When the
 * destination of a READ is not writable-present (COW-shared after fork,
 * write-protected by clear_refs, paged out), the driver makes it so
 * without storing anything there; a READ that fails leaves its destination
 * (private or shmem) as it was.
 */
#include <sys/mman.h>
#include <unistd.h>

#include "tm_tests.h"

/*
 * When the destination of a READ is not writable-present, the driver must
 * make it so without storing anything there: the device's data is all a
 * READ may write. The first tests read a bound range into itself (ptr ==
 * addr) after the CPU write-protected its pages: every byte must stay.
 */

/* After fork the pages are COW-shared: both copies keep their content. */
TEST(read_into_itself_after_fork)
{
	uint8_t *buf = tm_must_map_pattern(N, SEED_A);
	struct tm_result res;
	int go[2], ret;
	pid_t pid;
	char c = 'g';

	tm_must_bind(fd, buf, SZ(N), RW);
	DEV_READ(fd, buf, N, -1, 0, SEED_A);
	ASSERT_SYS(pipe(go));
	pid = tm_fork();
	if (pid == 0) {
		close(go[1]);
		ASSERT_EQ(read(go[0], &c, 1), 1);
		ASSERT_PATTERN(buf, SZ(N), SEED_A);
		_exit(0);
	}
	close(go[0]);
	ret = tm_read(fd, buf, SZ(N), buf, &res);
	/* first the child's copy */
	ASSERT_EQ(write(go[1], &c, 1), 1);
	tm_must_wait_ok(pid);
	ASSERT_OK(ret);
	ASSERT_EQ(res.pages, N);
	ASSERT_PATTERN(buf, SZ(N), SEED_A);
}

/* Clearing the soft-dirty bits write-protects the pages. */
TEST(read_into_itself_after_soft_dirty)
{
	uint8_t *buf = tm_must_map_pattern(N, SEED_A);
	struct tm_result res;

	tm_must_bind(fd, buf, SZ(N), RW);
	DEV_READ(fd, buf, N, -1, 0, SEED_A);
	tm_must_write("/proc/self/clear_refs", "4");
	ASSERT_OK(tm_read(fd, buf, SZ(N), buf, &res));
	ASSERT_EQ(res.pages, N);
	ASSERT_PATTERN(buf, SZ(N), SEED_A);
}

/*
 * Paged out: the device's read fault swaps the pages back in, and 6.1 maps
 * a page swapped in by a read fault read-only. (6.12 maps an exclusive
 * page writable even on a read fault: there the READ copies at once, and
 * this test cannot tell a store from none.)
 */
TEST(read_into_itself_after_pageout)
{
	struct tm_result res;
	uint8_t *buf;

	tm_pin_cpu0();
	buf = tm_must_map_pattern(N, SEED_A);
	tm_must_bind(fd, buf, SZ(N), RW);
	DEV_READ(fd, buf, N, -1, 0, SEED_A);
	must_page_out(buf, N);
	ASSERT_OK(tm_read(fd, buf, SZ(N), buf, &res));
	ASSERT_EQ(res.pages, N);
	ASSERT_PATTERN(buf, SZ(N), SEED_A);
}

/*
 * A READ into a missing userfaultfd page waits in the driver for it; the
 * source is unmapped meanwhile (its tracking is dropped), so the READ then
 * fails. The destination holds exactly what userspace supplied.
 */
TEST(failed_read_leaves_destination_untouched)
{
	uint8_t *src = tm_must_map_pattern(1, SEED_A);
	struct tm_held h;

	tm_must_bind(fd, src, SZ(1), RW);
	DEV_READ(fd, src, 1, -1, 0, SEED_A);
	tm_held_start(&h, fd, src, false);
	ASSERT_OK(tm_unmap(src, 1));
	tm_held_release(&h, 0xab);
	ASSERT_ERRNO(h.ret, -EFAULT);
	ASSERT_EQ(h.res.pages, 0);
	ASSERT_BYTES(h.buf, SZ(1), 0xab);
}

/*
 * The same with a shared (shmem) destination: the file holds exactly what
 * userspace supplied too.
 */
TEST(failed_read_leaves_shmem_destination_untouched)
{
	uint8_t *src = tm_must_map_pattern(1, SEED_A);
	uint8_t *page = tm_scratch(1);
	struct tm_held h;
	uint8_t *dst;
	int mfd;

	mfd = memfd_create("tm_read_dest", MFD_CLOEXEC);
	ASSERT_SYS(mfd);
	ASSERT_SYS(ftruncate(mfd, SZ(1)));
	dst = mmap(NULL, SZ(1), PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	ASSERT_TRUE(dst != MAP_FAILED);
	tm_must_bind(fd, src, SZ(1), RW);
	DEV_READ(fd, src, 1, -1, 0, SEED_A);
	tm_held_start_buf(&h, fd, src, false, dst);
	ASSERT_OK(tm_unmap(src, 1));
	tm_held_release(&h, 0xab);
	ASSERT_ERRNO(h.ret, -EFAULT);
	ASSERT_EQ(h.res.pages, 0);
	ASSERT_EQ(pread(mfd, page, SZ(1), 0), SZ(1));
	ASSERT_BYTES(page, SZ(1), 0xab);
	ASSERT_BYTES(dst, SZ(1), 0xab);
}
