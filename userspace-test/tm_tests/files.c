// SPDX-License-Identifier: GPL-2.0
/*
 * tm_tests: files and processes. close before or after munmap, with live
 * bindings, exit with the file open; two files on the same range are
 * independent and both see its UNMAP; a file whose owner exited without
 * ever binding gives -ESRCH. tm_life asserts isolation between address
 * spaces in full.
 */
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tm_tests.h"

TEST(close_before_munmap)
{
	uint8_t *buf = tm_must_map_pattern(N, SEED_A);
	int fd2 = tm_must_open();

	tm_must_bind(fd2, buf, SZ(N), RW);
	DEV_WRITE(fd2, buf, N, 0, SEED_B);
	ASSERT_SYS(close(fd2));
	ASSERT_OK(tm_unmap(buf, N));
	tm_must_round_trip(fd);
}

TEST(munmap_before_close)
{
	uint8_t *buf = tm_must_map_pattern(N, SEED_A);
	int fd2 = tm_must_open();

	tm_must_bind(fd2, buf, SZ(N), RW);
	DEV_WRITE(fd2, buf, N, 0, SEED_B);
	ASSERT_OK(tm_unmap(buf, N));
	ASSERT_SYS(close(fd2));
	tm_must_round_trip(fd);
}

TEST(close_with_live_bindings)
{
	uint8_t *buf = tm_must_map_pattern(N, SEED_A);
	int fd2 = tm_must_open();
	struct tm_evlog *log;

	tm_must_bind(fd2, buf, SZ(N), RW);
	DEV_READ(fd2, buf, N, -1, 0, SEED_A);
	ASSERT_SYS(close(fd2));
	/* the closed file's notifiers are gone: CPU activity is harmless */
	ASSERT_SYS(mprotect(buf, SZ(N), PROT_READ));
	ASSERT_SYS(madvise(buf, SZ(N), MADV_DONTNEED));
	/* and the other file saw none of it */
	log = tm_must_evlog(fd);
	EXPECT_NREC(log, 0);
	tm_must_round_trip(fd);
}

TEST(exit_with_fd_open)
{
	pid_t pid = tm_fork();

	if (pid == 0) {
		uint8_t *buf = tm_must_map_pattern(N, SEED_A);
		int fd2 = tm_must_open();

		tm_must_bind(fd2, buf, SZ(N), RW);
		DEV_READ(fd2, buf, N, -1, 0, SEED_A);
		DEV_WRITE(fd2, buf, N, 0, SEED_B);
		_exit(0);	/* fd2 and the binding still open */
	}
	tm_must_wait_ok(pid);
	tm_must_round_trip(fd);
	{
		int fd3 = tm_must_open();

		tm_must_round_trip(fd3);
		ASSERT_SYS(close(fd3));
	}
}

TEST(two_fds_same_range_independent)
{
	uint8_t *buf = tm_must_map_pattern(N, SEED_A);
	int fd2 = tm_must_open();
	uint32_t h1 = tm_must_bind(fd, buf, SZ(N), RW);
	uint8_t *dst = tm_scratch(N);
	struct tm_result res;

	/* no -EEXIST across files */
	tm_must_bind(fd2, buf, SZ(N), RW);
	DEV_READ(fd, buf, N, -1, 0, SEED_A);
	EXPECT_SNAP(fd2, buf, N, tm_rep('.', N));
	DEV_READ(fd2, buf, N, -1, 0, SEED_A);
	ASSERT_OK(tm_unbind(fd, h1));
	EXPECT_SNAP(fd, buf, N, tm_rep('-', N));
	ASSERT_OK(tm_read(fd2, buf, SZ(N), dst, &res));
	ASSERT_EQ(res.faults, 0);
	ASSERT_PATTERN(dst, SZ(N), SEED_A);
}

TEST(two_fds_unmap_logged_on_both)
{
	uint8_t *buf = tm_must_map_pattern(N, SEED_A);
	int fd2 = tm_must_open();
	uint32_t h1 = tm_must_bind(fd, buf, SZ(N), RW);
	uint32_t h2 = tm_must_bind(fd2, buf, SZ(N), RO);
	struct tm_evlog *l1, *l2;

	DEV_READ(fd, buf, N, -1, 0, SEED_A);
	ASSERT_OK(tm_unmap(buf, N));
	l1 = tm_must_evlog(fd);
	l2 = tm_must_evlog(fd2);
	ASSERT_EQ(EXPECT_EV_N(l1, EV_UNMAP, h1, buf, PG(buf, N),
			      BIT(ACT_DROP), 1), N);
	ASSERT_EQ(EXPECT_EV_N(l2, EV_UNMAP, h2, buf, PG(buf, N),
			      BIT(ACT_DROP), 1), 0);
	EXPECT_SNAP(fd, buf, N, tm_rep('D', N));
	EXPECT_SNAP(fd2, buf, N, tm_rep('D', N));
}

/*
 * The owner exits without ever binding: no notifier heard its address
 * space go, yet every call through the file fails with -ESRCH, as after an
 * owner that had bindings, and touches no memory. (-EACCES is right only
 * while the owner's address space still has users: the child is reaped
 * first.)
 */
TEST(owner_exit_without_bind_esrch)
{
	uint8_t *buf = tm_must_map_pattern(N, SEED_A);
	struct drm_test_mirror_event rec[4];
	struct drm_test_mirror_stats st;
	uint8_t *dst = tm_scratch(N);
	uint8_t snap[N];
	int sv[2], rfd;
	pid_t pid;

	ASSERT_SYS(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	pid = tm_fork();
	if (pid == 0) {
		tm_send_fd(sv[1], tm_must_open(), NULL, 0);
		_exit(0);
	}
	rfd = tm_recv_fd(sv[0], NULL, 0);
	tm_must_wait_ok(pid);
	ASSERT_ERRNO(tm_stats(rfd, &st, false), -ESRCH);
	ASSERT_ERRNO(tm_events(rfd, rec, 4, false, NULL, NULL), -ESRCH);
	ASSERT_ERRNO(tm_bind(rfd, buf, SZ(N), RW, NULL), -ESRCH);
	ASSERT_ERRNO(tm_read(rfd, buf, SZ(N), dst, NULL), -ESRCH);
	ASSERT_BYTES(dst, SZ(N), 0xee);
	memset(snap, 0xee, sizeof(snap));
	ASSERT_ERRNO(tm_snapshot(rfd, buf, SZ(N), snap), -ESRCH);
	ASSERT_BYTES(snap, sizeof(snap), 0xee);
	ASSERT_SYS(close(rfd));
}
