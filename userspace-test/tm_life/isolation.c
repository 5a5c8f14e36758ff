// SPDX-License-Identifier: GPL-2.0
/*
 * tm_life: isolation between address spaces. The same file in another
 * address space (a forked child, a receiver of SCM_RIGHTS either way, the
 * new image after exec): every ioctl fails (-EACCES, or -ESRCH once the
 * owner is gone) and neither process's memory changes.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tm_life.h"

/*
 * Every ioctl of the DRM front-end, with valid arguments that would touch
 * mem (npages pages): all must fail with want, and mem and the caller's
 * buffers must not change. Returns the number of calls.
 */
static unsigned int all_ioctls_refused(int fd, uint8_t *mem, size_t npages,
				       int want, const char *who)
{
	uint8_t *buf = tm_must_map(npages, PROT_READ | PROT_WRITE);
	uint8_t *memcopy = malloc(SZ(npages)), *bufcopy = malloc(SZ(npages));
	struct drm_test_mirror_stats st;
	struct drm_test_mirror_event ev[4];
	unsigned int n = 0, cnt;
	uint8_t snap[64];
	uint32_t h;
	uint64_t lost;

	memcpy(memcopy, mem, SZ(npages));
	tm_fill(buf, SZ(npages), 0xBEEF);
	memcpy(bufcopy, buf, SZ(npages));
	memset(snap, 0xCC, sizeof(snap));

#define REFUSED(call) do {						\
	int __r = (call);						\
	n++;								\
	if (__r != want)						\
		FAIL("%s: %s gave %s, expected %s", who, #call,		\
		     tm_errname(__r), tm_errname(want));		\
} while (0)
	REFUSED(tm_bind(fd, mem, SZ(npages), RW | PREFAULT, &h));
	REFUSED(tm_bind(fd, mem, SZ(npages), RO, &h));
	REFUSED(tm_unbind(fd, 1));
	REFUSED(tm_read(fd, mem, SZ(npages), buf, NULL));
	REFUSED(tm_write(fd, mem, SZ(npages), buf, NULL));
	REFUSED(tm_snapshot(fd, mem, SZ(npages < 64 ? npages : 64), snap));
	REFUSED(tm_stats(fd, &st, false));
	REFUSED(tm_stats(fd, &st, true));
	REFUSED(tm_events(fd, ev, 4, false, &cnt, &lost));
	REFUSED(tm_events(fd, ev, 4, true, &cnt, &lost));
#ifdef DRM_IOCTL_TEST_MIRROR_MIGRATE
	{
		struct drm_test_mirror_migrate mg = {
			.addr = (uintptr_t)mem, .size = SZ(npages),
		};

		REFUSED(tm_ioctl(fd, DRM_IOCTL_TEST_MIRROR_MIGRATE, &mg));
	}
#endif
#undef REFUSED
	if (memcmp(memcopy, mem, SZ(npages)))
		FAIL("%s: the refused calls changed the memory", who);
	if (memcmp(bufcopy, buf, SZ(npages)))
		FAIL("%s: the refused calls changed the caller's buffer", who);
	for (cnt = 0; cnt < sizeof(snap); cnt++)
		if (snap[cnt] != 0xCC)
			FAIL("%s: the refused SNAPSHOT wrote its output", who);
	munmap(buf, SZ(npages));
	free(memcopy);
	free(bufcopy);
	return n;
}

/* A forked child: every ioctl refused, nobody's memory touched. */
TEST(fork_child_refused_everything)
{
	uint8_t *mem = tm_must_map_pattern(16, 0x1001), *b = malloc(SZ(16));
	pid_t pid;

	tm_must_bind(fd, mem, SZ(16), RW);
	ASSERT_OK(tm_read(fd, mem, SZ(16), b, NULL));	/* entries exist */
	pid = tm_fork();
	if (!pid) {
		unsigned int n = all_ioctls_refused(fd, mem, 16, -EACCES, "forked child");

		/* the child's private copy: its writes stay its own */
		tm_fill(mem, SZ(16), 0x2002);
		_exit(n ? 0 : 1);
	}
	tm_must_exit0(tm_wait_bounded(pid, 30000, "child"), "child");
	ASSERT_PATTERN(mem, SZ(16), 0x1001);
	ASSERT_OK(tm_read(fd, mem, SZ(16), b, NULL));
	ASSERT_PATTERN(b, SZ(16), 0x1001);
	tm_must_round_trip(fd);
}

/* SCM_RIGHTS, both ways, and the receiver outliving the owner. */
TEST(scm_rights_both_ways)
{
	uint8_t *mine = tm_must_map_pattern(16, 0x3003), *b = malloc(SZ(16));
	int sv[2], theirs;
	char c = 'x';
	pid_t pid;

	tm_must_bind(fd, mine, SZ(16), RW | PREFAULT);
	ASSERT_SYS(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	pid = tm_fork();
	if (!pid) {
		/* its own memory, at the same addresses (fork), its own file */
		uint8_t *ours = mine;
		int f = tm_must_open(), got;

		tm_fill(ours, SZ(16), 0x4004);
		tm_must_bind(f, ours, SZ(16), RW | PREFAULT);
		tm_send_fd(sv[1], f, NULL, 0);
		/* the parent's file, received: refused, nothing touched */
		got = tm_recv_fd(sv[1], NULL, 0);
		all_ioctls_refused(got, ours, 16, -EACCES, "receiver of the parent's file");
		ASSERT_PATTERN(ours, SZ(16), 0x4004);
		/* wait until the parent has tried ours, then exit */
		ASSERT_EQ(read(sv[1], &c, 1), 1);
		ASSERT_PATTERN(ours, SZ(16), 0x4004);
		_exit(0);
	}
	theirs = tm_recv_fd(sv[0], NULL, 0);
	tm_send_fd(sv[0], fd, NULL, 0);
	all_ioctls_refused(theirs, mine, 16, -EACCES, "receiver of the child's file");
	ASSERT_EQ(write(sv[0], &c, 1), 1);
	tm_must_exit0(tm_wait_bounded(pid, 30000, "child"), "child");
	/* the owner is gone: the file we hold answers -ESRCH, close is fine */
	all_ioctls_refused(theirs, mine, 16, -ESRCH, "holder after the owner exited");
	ASSERT_SYS(close(theirs));
	ASSERT_PATTERN(mine, SZ(16), 0x3003);
	ASSERT_OK(tm_read(fd, mine, SZ(16), b, NULL));
	ASSERT_PATTERN(b, SZ(16), 0x3003);
	tm_must_round_trip(fd);
}

/* After exec the address space is new: the inherited file is refused. */
int exec_child_main(int fd)
{
	uint8_t *mem = tm_must_map(4, PROT_READ | PROT_WRITE);
	struct drm_test_mirror_stats st;
	int r;

	tm_fill(mem, SZ(4), 0x5005);
	r = tm_stats(fd, &st, false);
	if (r != -EACCES) {
		printf("# exec child: STATS gave %s\n", tm_errname(r));
		return 1;
	}
	all_ioctls_refused(fd, mem, 4, -EACCES, "after exec");
	return 0;
}

TEST(exec_refused)
{
	uint8_t *mem = tm_must_map_pattern(4, 0x6006);
	int inherit;
	pid_t pid;

	tm_must_bind(fd, mem, SZ(4), RW | PREFAULT);
	inherit = fcntl(fd, F_DUPFD, 100);	/* without O_CLOEXEC */
	ASSERT_TRUE(inherit >= 0);
	pid = tm_fork();
	if (!pid) {
		char a1[32];

		snprintf(a1, sizeof(a1), "%d", inherit);
		execl("/proc/self/exe", "tm_life", "--exec-child", a1,
		      (char *)NULL);
		_exit(127);
	}
	tm_must_exit0(tm_wait_bounded(pid, 30000, "exec child"), "exec child");
	ASSERT_PATTERN(mem, SZ(4), 0x6006);
	tm_must_round_trip(inherit);
}
