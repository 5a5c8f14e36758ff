// SPDX-License-Identifier: GPL-2.0
/*
 * tm_tests: SNAPSHOT, the device table as userspace sees it: no entry
 * before an access, a read-only or a writable entry after one, '-' where
 * nothing is bound; SNAPSHOT itself never faults; its bad arguments
 * (-EINVAL) and pointers (-EFAULT); and a process killed in the middle of
 * a SNAPSHOT of 1 TiB dies promptly.
 */
#include <inttypes.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tm_tests.h"

TEST(snapshot_none_before_access)
{
	uint8_t *buf = tm_must_map_pattern(N, SEED_A);

	tm_must_bind(fd, buf, SZ(N), RW);
	EXPECT_SNAP(fd, buf, N, tm_rep('.', N));
}

TEST(snapshot_after_read)
{
	uint8_t *buf = tm_must_map_pattern(N, SEED_A);

	tm_must_bind(fd, buf, SZ(N), RW);
	DEV_READ(fd, buf, N, -1, 0, SEED_A);
	EXPECT_SNAP(fd, buf, N, tm_rep('*', N));
}

TEST(snapshot_read_binding_is_read)
{
	uint8_t *buf = tm_must_map_pattern(N, SEED_A);

	tm_must_bind(fd, buf, SZ(N), RO);
	DEV_READ(fd, buf, N, -1, 0, SEED_A);
	EXPECT_SNAP(fd, buf, N, tm_rep('R', N));
}

TEST(snapshot_after_write_is_write)
{
	uint8_t *buf = tm_must_map_pattern(N, SEED_A);

	tm_must_bind(fd, buf, SZ(N), RW);
	DEV_WRITE(fd, buf, N, 0, SEED_B);
	EXPECT_SNAP(fd, buf, N, tm_rep('W', N));
}

TEST(snapshot_does_not_fault)
{
	uint8_t *buf = tm_must_map_pattern(N, SEED_A);
	struct drm_test_mirror_stats st;

	tm_must_bind(fd, buf, SZ(N), RW);
	EXPECT_SNAP(fd, buf, N, tm_rep('.', N));
	EXPECT_SNAP(fd, buf, N, tm_rep('.', N));
	tm_must_stats(fd, &st);
	ASSERT_EQ(st.faulted_pages, 0);
	ASSERT_EQ(st.entries_present, 0);
}

TEST(snapshot_unbound_pages)
{
	uint8_t *buf = tm_must_map_pattern(4, SEED_A);

	EXPECT_SNAP(fd, buf, 4, tm_rep('-', 4));
	tm_must_bind(fd, PG(buf, 1), SZ(2), RW);
	EXPECT_SNAP(fd, buf, 4, "- . . -");
	DEV_READ_CPU(fd, PG(buf, 1), 1);
	EXPECT_SNAP(fd, buf, 4, "- * . -");
}

TEST(snapshot_args_einval)
{
	uint8_t *buf = tm_must_map_pattern(N, SEED_A);
	uint8_t out[N + 1];
	struct drm_test_mirror_snapshot a;
	const struct drm_test_mirror_snapshot ok = {
		.addr = ADDR(buf), .size = SZ(N), .ptr = ADDR(out),
	};

	tm_must_bind(fd, buf, SZ(N), RW);
	EXPECT_ARG_ERRNO(fd, DRM_IOCTL_TEST_MIRROR_SNAPSHOT, a, ok, addr, ADDR(buf) + 1, -EINVAL);
	EXPECT_ARG_ERRNO(fd, DRM_IOCTL_TEST_MIRROR_SNAPSHOT, a, ok, size, SZ(1) + 1, -EINVAL);
	EXPECT_ARG_ERRNO(fd, DRM_IOCTL_TEST_MIRROR_SNAPSHOT, a, ok, size, 0, -EINVAL);
	EXPECT_ARG_ERRNO(fd, DRM_IOCTL_TEST_MIRROR_SNAPSHOT, a, ok, size,
			 (uint64_t)-SZ(1), -EINVAL);
	EXPECT_ARG_ERRNO(fd, DRM_IOCTL_TEST_MIRROR_SNAPSHOT, a, ok, addr,
			 ADDR(KERNEL_ADDR), -EINVAL);
	EXPECT_ARG_ERRNO(fd, DRM_IOCTL_TEST_MIRROR_SNAPSHOT, a, ok, flags, 1, -EINVAL);
	EXPECT_ARG_ERRNO(fd, DRM_IOCTL_TEST_MIRROR_SNAPSHOT, a, ok, pad, 1, -EINVAL);
	a = ok;
	ASSERT_OK(tm_ioctl(fd, DRM_IOCTL_TEST_MIRROR_SNAPSHOT, &a));
}

TEST(snapshot_bad_ptr_efault)
{
	uint8_t *buf = tm_must_map_pattern(N, SEED_A);
	uint8_t *hole = tm_must_map(1, PROT_READ | PROT_WRITE);

	ASSERT_OK(tm_unmap(hole, 1));
	tm_must_bind(fd, buf, SZ(N), RW);
	ASSERT_ERRNO(tm_snapshot(fd, buf, SZ(N), NULL), -EFAULT);
	ASSERT_ERRNO(tm_snapshot(fd, buf, SZ(N), hole), -EFAULT);
	ASSERT_ERRNO(tm_snapshot(fd, buf, SZ(N), KERNEL_ADDR), -EFAULT);
}

#define TIB		(1ull << 40)

/*
 * A SNAPSHOT of 1 TiB walks 2^28 pages (minutes under TCG). A process
 * killed in the middle of it must die promptly: the driver stops on a
 * fatal signal. The child binds 1 TiB of reserved address space (bound
 * memory need not be mapped), gives it a 256 MiB output array, and is
 * killed 1 s into the SNAPSHOT. Bound on its death: once the walk stops
 * (within one batch of pages), exit unmaps address space that has no page
 * tables and at most 1 s worth of output pages, and frees a binding that
 * has no device entries: about 20 ms measured under TCG, so 3 s (times
 * TM_TIMEOUT_SCALE for the debug kernels) leaves a loaded host a wide
 * margin.
 */
TEST(snapshot_of_1tib_killed_promptly)
{
	uint64_t bound_ms = 3000ull * tm_timeout_scale(), killed;
	int ready[2], done[2], status;
	pid_t pid, r;
	char c;

	ASSERT_SYS(pipe(ready));
	ASSERT_SYS(pipe(done));
	pid = tm_fork();
	if (pid == 0) {
		int cfd = tm_must_open();
		void *space, *out;

		close(ready[0]);
		close(done[0]);
		space = mmap(NULL, TIB, PROT_NONE, MAP_PRIVATE |
			     MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		ASSERT_TRUE(space != MAP_FAILED);
		tm_must_bind(cfd, space, TIB, RO);
		out = mmap(NULL, TIB / PAGE_SZ, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		ASSERT_TRUE(out != MAP_FAILED);
		ASSERT_EQ(write(ready[1], "r", 1), 1);
		c = tm_snapshot(cfd, space, TIB, out) ? 'e' : 'd';
		/* the walk ended before the kill: say so, and wait for it */
		ASSERT_EQ(write(done[1], &c, 1), 1);
		pause();
		_exit(0);
	}
	close(ready[1]);
	close(done[1]);
	ASSERT_EQ(read(ready[0], &c, 1), 1);
	usleep(1000 * 1000);
	ASSERT_SYS(kill(pid, SIGKILL));
	killed = tm_now_ms();
	while ((r = waitpid(pid, &status, WNOHANG)) == 0) {
		if (tm_now_ms() - killed > bound_ms)
			FAIL("child not reaped %" PRIu64 " ms after SIGKILL",
			     bound_ms);
		usleep(10 * 1000);
	}
	ASSERT_EQ(r, pid);
	ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	if (read(done[0], &c, 1) == 1)
		SKIP("the SNAPSHOT of 1 TiB ended (%c) before the kill", c);
}
