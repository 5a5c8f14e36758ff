// SPDX-License-Identifier: GPL-2.0
/*
 * tm_life: lifecycle, isolation and bounded resources of test_mirror files.
 *
 * Usage:
 *   tm_life [--oom N] [harness options] [tests]
 *       the tests below (KTAP); --oom N: OOM kills in oom_kill_loop (10)
 *   tm_life --cycles N
 *       its own KTAP: rmmod is refused while a file is open, then N
 *       unload/load cycles of test_mirror.ko with finit_module() and
 *       delete_module(), a device round trip every 10 cycles, and the module
 *       loaded again at the end with the parameters it had. Nothing else
 *       may hold the device meanwhile: run it last.
 *
 * Lifecycle: close before munmap, with split work pending, with accesses in
 * flight in other threads; exit and SIGKILL with files open; the same file
 * in another address space (fork, SCM_RIGHTS both ways, exec): every ioctl
 * fails (-EACCES, or -ESRCH once the owner is gone) and neither process's
 * memory changes; rmmod refused while any file or mapping holds the module.
 *
 * OOM: a child in a memory-limited cgroup v2 mirrors memory (device reads
 * and writes in a thread) and allocates until the OOM killer kills it; it
 * must die of SIGKILL, promptly, and the device must work afterwards.
 *
 * Bounded resources: max_bindings (read at bind) and max_mirror_pages (read
 * at open) give -ENOSPC, event_log_len bounds the log; the device table is
 * charged to the opener's memory cgroup (memory.current follows it), and a
 * cgroup limit turns a huge mirror into -ENOMEM or an OOM kill inside the
 * cgroup, never a machine-wide OOM.
 */
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tm_lib.h"

#define RO	TEST_MIRROR_BIND_READ
#define RW	(TEST_MIRROR_BIND_READ | TEST_MIRROR_BIND_WRITE)
#define PF	TEST_MIRROR_BIND_PREFAULT
#define SZ(n)	((size_t)(n) * PAGE_SZ)
#define CG_ROOT	"/sys/fs/cgroup"

static unsigned int opt_oom = 10;

static bool hmm_compat_on(void);
static const char *self_exe;

/* ------------------------------------------------------------------------ */
/* Helpers                                                                   */
/* ------------------------------------------------------------------------ */

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* TM_TIMEOUT_SCALE (slow debug kernels) stretches every bound here too. */
static unsigned int tscale(void)
{
	const char *e = getenv("TM_TIMEOUT_SCALE");

	return e && atoi(e) > 1 ? (unsigned int)atoi(e) : 1;
}

/* Wait for pid at most ms; SIGKILL and fail if it does not end. */
static int wait_bounded(pid_t pid, unsigned int ms, const char *what)
{
	uint64_t end;

	ms *= tscale();
	end = now_ms() + ms;
	int status;

	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			return status;
		if (r < 0 && errno != EINTR)
			FAIL("waitpid(%s): %s", what, tm_errname(errno));
		if (now_ms() > end) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			FAIL("%s: still running after %u ms (hang): killed", what, ms);
		}
		usleep(20000);
	}
}

static void must_exit0(int status, const char *what)
{
	if (WIFSIGNALED(status))
		FAIL("%s: killed by signal %d", what, WTERMSIG(status));
	if (WEXITSTATUS(status))
		FAIL("%s: exit status %d", what, WEXITSTATUS(status));
}

/* One bind + write + read + unbind on fd: the file works. */
static void round_trip(int fd)
{
	uint8_t *p = tm_must_map_pattern(4, 0x7777), *b = malloc(SZ(4));
	uint32_t h = tm_must_bind(fd, p, SZ(4), RW);
	struct tm_result r;

	ASSERT_OK(tm_read(fd, p, SZ(4), b, &r));
	ASSERT_PATTERN(b, SZ(4), 0x7777);
	tm_fill(b, SZ(4), 0x7778);
	ASSERT_OK(tm_write(fd, p, SZ(4), b, &r));
	ASSERT_PATTERN(p, SZ(4), 0x7778);
	ASSERT_OK(tm_unbind(fd, h));
	munmap(p, SZ(4));
	free(b);
}

static void send_fd(int sock, int fd)
{
	char c = 'F';
	struct iovec iov = { &c, 1 };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = u.buf,
			      .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	if (sendmsg(sock, &msg, 0) != 1)
		FAIL("sendmsg: %s", tm_errname(errno));
}

static int recv_fd(int sock)
{
	char c;
	struct iovec iov = { &c, 1 };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = u.buf,
			      .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *cm;
	int fd;

	if (recvmsg(sock, &msg, 0) != 1)
		FAIL("recvmsg: %s", tm_errname(errno));
	cm = CMSG_FIRSTHDR(&msg);
	if (!cm || cm->cmsg_type != SCM_RIGHTS)
		FAIL("no SCM_RIGHTS");
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

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
	REFUSED(tm_bind(fd, mem, SZ(npages), RW | PF, &h));
	REFUSED(tm_bind(fd, mem, SZ(npages), RO, &h));
	REFUSED(tm_unbind(fd, 1));
	REFUSED(tm_read(fd, mem, SZ(npages), buf, NULL));
	REFUSED(tm_write(fd, mem, SZ(npages), buf, NULL));
	REFUSED(tm_snapshot(fd, mem, SZ(npages < 64 ? npages : 64), snap));
	REFUSED(tm_stats(fd, &st, false));
	REFUSED(tm_stats(fd, &st, true));
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

/* ------------------------------------------------------------------------ */
/* Lifecycle                                                                 */
/* ------------------------------------------------------------------------ */

/*
 * Close in every state: right after munmap queued the split work, with
 * bindings half dropped, with PREFAULTed tables; 200 rounds.
 */
TEST_OPTS(close_with_work_pending, 0, 120)
{
	unsigned int round;

	for (round = 0; round < 200; round++) {
		uint8_t *p = tm_must_map_pattern(32, round);
		int f = tm_must_open();
		unsigned int i;

		for (i = 0; i < 4; i++)
			tm_must_bind(f, p + SZ(8 * i), SZ(8), (round & 1) ? RW | PF : RO);
		/* cut the bindings into pieces: the work item has to split them */
		for (i = 0; i < 32; i += 3)
			munmap(p + SZ(i), PAGE_SZ);
		if (round & 2)
			usleep(round % 500);
		ASSERT_SYS(close(f));
		munmap(p, SZ(32));
	}
	round_trip(fd);
}

#define FAIL_SPLIT	"/sys/kernel/debug/test_mirror/fail_split"

static void read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");

	if (!f)
		FAIL("open %s: %s", path, tm_errname(errno));
	if (!fgets(buf, (int)len, f))
		buf[0] = '\0';
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
}

static void write_line(const char *path, const char *val)
{
	FILE *f = fopen(path, "w");

	if (!f || fputs(val, f) < 0 || fclose(f))
		FAIL("write %s to %s: %s", val, path, tm_errname(errno));
}

/* Wait (10 s at most) until the injection's state is want. */
static void wait_fail_split(const char *want)
{
	uint64_t end = now_ms() + 10000 * tscale();
	char st[32];

	for (;;) {
		read_line(FAIL_SPLIT, st, sizeof(st));
		if (!strcmp(st, want))
			return;
		if (now_ms() > end)
			FAIL("fail_split is '%s' after 10 s, expected '%s'", st, want);
		usleep(1000);
	}
}

#define TM_DEBUGFS	"/sys/kernel/debug/test_mirror"

/* The number after "segments: " in the state of this process's one file. */
static long debugfs_segments(void)
{
	char prefix[32], path[320], line[256];
	struct dirent *e;
	int found = 0;
	long segs = -1;
	DIR *d;
	FILE *f;

	snprintf(prefix, sizeof(prefix), "%d-", getpid());
	d = opendir(TM_DEBUGFS);
	if (!d)
		FAIL("opendir " TM_DEBUGFS ": %s", tm_errname(errno));
	while ((e = readdir(d)))
		if (!strncmp(e->d_name, prefix, strlen(prefix)) && ++found)
			snprintf(path, sizeof(path), TM_DEBUGFS "/%s/state", e->d_name);
	closedir(d);
	if (found != 1)
		FAIL("%d debugfs directories %s*, expected 1", found, prefix);
	f = fopen(path, "r");
	if (!f)
		FAIL("open %s: %s", path, tm_errname(errno));
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "bindings: %*u, segments: %ld", &segs) == 1)
			break;
	fclose(f);
	return segs;
}

/*
 * The UNMAP work item cannot allocate the new segments of a split, at the
 * worst moment: the first new segment's notifier is live and an UNMAP has
 * just queued it for splitting (fail_split, tm_inject.c). The rollback
 * must take it off the work list before freeing it; the old segment keeps
 * both cuts, the next run of the work item splits it, and the device works
 * on every page still mapped. A rollback that frees the queued segment
 * leaves the work item walking freed memory (KASAN on the debug kernel; a
 * corrupted segment tree or an oops elsewhere).
 */
TEST_OPTS(split_failure_rolls_back, 0, 60)
{
	uint8_t *p = tm_must_map_pattern(16, 0x4545), *b = malloc(SZ(16));
	struct drm_test_mirror_stats st;
	uint8_t snap[16];
	unsigned int i;
	uint64_t end;

	if (access(FAIL_SPLIT, W_OK))
		SKIP("no %s (debugfs): %s", FAIL_SPLIT, tm_errname(errno));
	tm_must_bind(fd, p, SZ(16), RW | PF);
	write_line(FAIL_SPLIT, "1");
	/* [0, 16) splits into [0, 8) and [9, 16): it stops after [0, 8) */
	ASSERT_SYS(munmap(p + SZ(8), PAGE_SZ));
	wait_fail_split("waiting");
	/* cut the new segment [0, 8): it is queued for splitting itself */
	ASSERT_SYS(munmap(p + SZ(2), PAGE_SZ));
	wait_fail_split("fired");
	write_line(FAIL_SPLIT, "0");
	/* the old segment, cut twice, is split on the next run: 3 segments */
	end = now_ms() + 10000 * tscale();
	while (debugfs_segments() != 3) {
		if (now_ms() > end)
			FAIL("%ld segments after 10 s, expected 3", debugfs_segments());
		usleep(1000);
	}
	ASSERT_OK(tm_snapshot(fd, p, SZ(16), snap));
	for (i = 0; i < 16; i++)
		ASSERT_EQ(snap[i], (i == 2 || i == 8) ? TEST_MIRROR_SNAP_DROPPED :
				   TEST_MIRROR_SNAP_WRITE);
	tm_must_stats(fd, &st);
	ASSERT_EQ(st.entries_present, 14);
	ASSERT_EQ(st.pages_dropped, 2);
	ASSERT_OK(tm_read(fd, p + SZ(3), SZ(5), b, NULL));
	ASSERT_EQ(memcmp(b, p + SZ(3), SZ(5)), 0);
	tm_fill(b, SZ(7), 0x4646);
	ASSERT_OK(tm_write(fd, p + SZ(9), SZ(7), b, NULL));
	ASSERT_PATTERN(p + SZ(9), SZ(7), 0x4646);
	free(b);
}

/* Close while other threads are inside ioctls on the same file. */
struct busy_arg {
	int fd;
	uint8_t *mem;
	_Atomic int stop;
	_Atomic unsigned long calls;
};

static void *busy_thread(void *arg)
{
	struct busy_arg *a = arg;
	uint8_t *buf = malloc(SZ(64));

	while (!a->stop) {
		int r = tm_read(a->fd, a->mem, SZ(64), buf, NULL);

		a->calls++;
		/* EBADF once the fd number is closed; never anything else odd */
		if (r && r != -EBADF && r != -ENOENT && r != -EFAULT && r != -EINTR)
			_exit(20);
	}
	free(buf);
	return NULL;
}

TEST_OPTS(close_during_accesses, 0, 120)
{
	unsigned int round;
	unsigned long calls = 0;

	for (round = 0; round < 50; round++) {
		pid_t pid = tm_fork();

		if (!pid) {
			struct busy_arg a = { 0 };
			pthread_t t[3];
			uint64_t t0;
			int i;

			a.mem = tm_must_map_pattern(64, round);
			a.fd = tm_must_open();
			tm_must_bind(a.fd, a.mem, SZ(64), RW);
			for (i = 0; i < 3; i++)
				pthread_create(&t[i], NULL, busy_thread, &a);
			/*
			 * Accesses must be under way before the close, however
			 * slow the kernel (a debug kernel under TCG takes far
			 * longer than a few ms for the first ones).
			 */
			t0 = now_ms();
			while (!a.calls && now_ms() - t0 < 20000ULL * tscale())
				usleep(1000);
			usleep(2000 + 100 * round);
			if (round & 1)
				munmap(a.mem, SZ(64));	/* UNMAP while reading */
			close(a.fd);	/* ioctls in flight keep the file */
			usleep(2000);
			a.stop = 1;
			for (i = 0; i < 3; i++)
				pthread_join(t[i], NULL);
			_exit(a.calls ? 0 : 21);
		}
		must_exit0(wait_bounded(pid, 30000, "close_during_accesses child"),
			   "close_during_accesses child");
		calls++;
	}
	tm_diag("%lu rounds", calls);
	round_trip(fd);
}

/* Exit and SIGKILL with files open, bindings live, accesses in flight. */
TEST_OPTS(exit_and_kill_with_files_open, 0, 180)
{
	unsigned int round;

	for (round = 0; round < 60; round++) {
		pid_t pid = tm_fork();

		if (!pid) {
			uint8_t *p = tm_must_map_pattern(128, round);
			int f1 = tm_must_open(), f2 = tm_must_open();
			struct busy_arg a = { .fd = f1, .mem = p };
			pthread_t t;

			tm_must_bind(f1, p, SZ(64), RW | PF);
			tm_must_bind(f2, p, SZ(128), RO);
			munmap(p + SZ(100), SZ(4));	/* split work queued */
			pthread_create(&t, NULL, busy_thread, &a);
			if (round % 3 == 0)
				_exit(0);		/* exit, thread mid-ioctl */
			for (;;)
				pause();		/* wait for SIGKILL */
		}
		if (round % 3) {
			usleep(1000 + 300 * (round % 7));
			kill(pid, SIGKILL);
		}
		{
			int st = wait_bounded(pid, 30000, "child with files open");

			if (round % 3 == 0)
				must_exit0(st, "exiting child");
			else if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGKILL)
				FAIL("killed child: status 0x%x", st);
		}
	}
	round_trip(fd);
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
	must_exit0(wait_bounded(pid, 30000, "child"), "child");
	ASSERT_PATTERN(mem, SZ(16), 0x1001);
	ASSERT_OK(tm_read(fd, mem, SZ(16), b, NULL));
	ASSERT_PATTERN(b, SZ(16), 0x1001);
	round_trip(fd);
}

/* SCM_RIGHTS, both ways, and the receiver outliving the owner. */
TEST(scm_rights_both_ways)
{
	uint8_t *mine = tm_must_map_pattern(16, 0x3003), *b = malloc(SZ(16));
	int sv[2], theirs;
	char c = 'x';
	pid_t pid;

	tm_must_bind(fd, mine, SZ(16), RW | PF);
	ASSERT_SYS(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	pid = tm_fork();
	if (!pid) {
		/* its own memory, at the same addresses (fork), its own file */
		uint8_t *ours = mine;
		int f = tm_must_open(), got;

		tm_fill(ours, SZ(16), 0x4004);
		tm_must_bind(f, ours, SZ(16), RW | PF);
		send_fd(sv[1], f);
		/* the parent's file, received: refused, nothing touched */
		got = recv_fd(sv[1]);
		all_ioctls_refused(got, ours, 16, -EACCES, "receiver of the parent's file");
		ASSERT_PATTERN(ours, SZ(16), 0x4004);
		/* wait until the parent has tried ours, then exit */
		ASSERT_EQ(read(sv[1], &c, 1), 1);
		ASSERT_PATTERN(ours, SZ(16), 0x4004);
		_exit(0);
	}
	theirs = recv_fd(sv[0]);
	send_fd(sv[0], fd);
	all_ioctls_refused(theirs, mine, 16, -EACCES, "receiver of the child's file");
	ASSERT_EQ(write(sv[0], &c, 1), 1);
	must_exit0(wait_bounded(pid, 30000, "child"), "child");
	/* the owner is gone: the file we hold answers -ESRCH, close is fine */
	all_ioctls_refused(theirs, mine, 16, -ESRCH, "holder after the owner exited");
	ASSERT_SYS(close(theirs));
	ASSERT_PATTERN(mine, SZ(16), 0x3003);
	ASSERT_OK(tm_read(fd, mine, SZ(16), b, NULL));
	ASSERT_PATTERN(b, SZ(16), 0x3003);
}

/* After exec the address space is new: the inherited file is refused. */
static int exec_child_main(int fd, uintptr_t addr)
{
	uint8_t *mem = tm_must_map(4, PROT_READ | PROT_WRITE);
	struct drm_test_mirror_stats st;
	int r;

	(void)addr;
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

	tm_must_bind(fd, mem, SZ(4), RW | PF);
	inherit = fcntl(fd, F_DUPFD, 100);	/* without O_CLOEXEC */
	ASSERT_TRUE(inherit >= 0);
	pid = tm_fork();
	if (!pid) {
		char a1[32], a2[32];

		snprintf(a1, sizeof(a1), "%d", inherit);
		snprintf(a2, sizeof(a2), "%lu", (unsigned long)(uintptr_t)mem);
		execl(self_exe, self_exe, "--exec-child", a1, a2, (char *)NULL);
		_exit(127);
	}
	must_exit0(wait_bounded(pid, 30000, "exec child"), "exec child");
	ASSERT_PATTERN(mem, SZ(4), 0x6006);
	round_trip(inherit);
}

/* ------------------------------------------------------------------------ */
/* Module references                                                         */
/* ------------------------------------------------------------------------ */

static int delete_module(const char *name, unsigned int flags)
{
	return syscall(__NR_delete_module, name, flags) ? -errno : 0;
}

static bool module_loaded(void)
{
	return !access("/sys/module/test_mirror/initstate", F_OK);
}

/*
 * rmmod must be refused while a file, a file in another process, or a
 * mapping of the test_hmm-compatible device holds the module.
 */
TEST(rmmod_refused_while_held)
{
	int r, hfd = -1;
	bool enabled;
	pid_t pid;
	int sv[2];
	char c;

	if (!module_loaded())
		SKIP("test_mirror is not loaded as a module");
	r = delete_module("test_mirror", O_NONBLOCK);
	if (r != -EWOULDBLOCK && r != -EBUSY)
		FAIL("delete_module with a file open: %s, expected EWOULDBLOCK", tm_errname(r));
	ASSERT_TRUE(module_loaded());
	/* held only by a file in a child */
	ASSERT_SYS(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	pid = tm_fork();
	if (!pid) {
		int f = tm_must_open();

		ASSERT_EQ(write(sv[1], "r", 1), 1);
		ASSERT_EQ(read(sv[1], &c, 1), 1);
		close(f);
		_exit(0);
	}
	ASSERT_EQ(read(sv[0], &c, 1), 1);
	r = delete_module("test_mirror", O_NONBLOCK);
	if (r != -EWOULDBLOCK && r != -EBUSY)
		FAIL("delete_module while a child holds a file: %s", tm_errname(r));
	ASSERT_EQ(write(sv[0], "x", 1), 1);
	must_exit0(wait_bounded(pid, 30000, "child"), "child");
	/* a mapping of the hmm device holds it after its file is closed */
	enabled = hmm_compat_on();
	if (!access("/dev/hmm_dmirror0", F_OK))
		hfd = open("/dev/hmm_dmirror0", O_RDWR | O_CLOEXEC);
	if (hfd >= 0) {
		void *m = mmap(NULL, SZ(4), PROT_READ | PROT_WRITE, MAP_SHARED, hfd, 0);

		ASSERT_TRUE(m != MAP_FAILED);
		close(hfd);
		close(fd);	/* the harness's file too */
		r = delete_module("test_mirror", O_NONBLOCK);
		if (r != -EWOULDBLOCK && r != -EBUSY)
			FAIL("delete_module with only a mapping of /dev/hmm_dmirror0 left: %s",
			     tm_errname(r));
		munmap(m, SZ(4));
		tm_diag("also refused while only an mmap of /dev/hmm_dmirror0 held it");
	}
	if (enabled)
		tm_param_set("hmm_compat", "0");
	ASSERT_TRUE(module_loaded());
}

/* ------------------------------------------------------------------------ */
/* Cgroups                                                                   */
/* ------------------------------------------------------------------------ */

static bool cg_usable(void)
{
	char buf[256] = "";
	FILE *f = fopen(CG_ROOT "/cgroup.subtree_control", "r");

	if (!f)
		return false;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	return strstr(buf, "memory") != NULL;
}

static void cg_path(char *path, size_t len, const char *name)
{
	snprintf(path, len, CG_ROOT "/tm_life_%s_%d", name, (int)getpid());
}

static int cg_write(const char *cg, const char *file, const char *val)
{
	char p[256];
	int f, r = 0;

	snprintf(p, sizeof(p), "%s/%s", cg, file);
	f = open(p, O_WRONLY | O_CLOEXEC);
	if (f < 0)
		return -errno;
	if (write(f, val, strlen(val)) != (ssize_t)strlen(val))
		r = -errno;
	close(f);
	return r;
}

static long long cg_read(const char *cg, const char *file, const char *key)
{
	char p[256], line[256];
	long long v = -1;
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", cg, file);
	f = fopen(p, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!key) {
			v = strtoll(line, NULL, 10);
			break;
		}
		if (!strncmp(line, key, strlen(key)) && line[strlen(key)] == ' ') {
			v = strtoll(line + strlen(key) + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return v;
}

static void cg_make(const char *cg, const char *max)
{
	if (mkdir(cg, 0755) && errno != EEXIST)
		FAIL("mkdir %s: %s", cg, tm_errname(errno));
	if (max && cg_write(cg, "memory.max", max))
		FAIL("%s/memory.max: %s", cg, tm_errname(errno));
	/* no swapping out of the way of the OOM killer */
	cg_write(cg, "memory.swap.max", "0");
}

static void cg_remove(const char *cg)
{
	int i;

	for (i = 0; i < 200; i++) {
		if (!rmdir(cg) || errno == ENOENT)
			return;
		usleep(10000);
	}
	tm_diag("could not remove %s: %s", cg, tm_errname(errno));
}

/* In a child: move this process into the cgroup. */
static void cg_enter(const char *cg)
{
	if (cg_write(cg, "cgroup.procs", "0"))
		_exit(30);
}

/* ------------------------------------------------------------------------ */
/* OOM kills of mirroring processes                                          */
/* ------------------------------------------------------------------------ */

struct mirror_arg {
	int fd;
	uint8_t *mem;
	size_t pages;
	bool write;
};

static void *mirror_loop(void *arg)
{
	struct mirror_arg *a = arg;
	uint8_t *buf = malloc(SZ(256));
	size_t off = 0;

	for (;;) {
		size_t n = a->pages - off < 256 ? a->pages - off : 256;

		if (a->write)
			tm_write(a->fd, a->mem + SZ(off), SZ(n), buf, NULL);
		else
			tm_read(a->fd, a->mem + SZ(off), SZ(n), buf, NULL);
		off = (off + n) % a->pages;
	}
	return NULL;
}

TEST_OPTS(oom_kill_loop, 0, 900)
{
	char cg[128];
	unsigned int i, killed = 0;
	long long ooms0, ooms;

	if (!cg_usable())
		SKIP("no cgroup v2 memory controller at " CG_ROOT);
	cg_path(cg, sizeof(cg), "oom");
	cg_make(cg, "48M");
	ooms0 = cg_read(cg, "memory.events", "oom_kill");
	for (i = 0; i < opt_oom; i++) {
		uint64_t t0 = now_ms();
		pid_t pid = tm_fork();
		int st;

		if (!pid) {
			struct mirror_arg a[2];
			pthread_t t[2];
			int f;

			cg_enter(cg);
			f = tm_must_open();
			a[0] = (struct mirror_arg){ f, tm_must_map_pattern(2048, i), 2048, false };
			a[1] = (struct mirror_arg){ f, tm_must_map_pattern(1024, i), 1024, true };
			tm_must_bind(f, a[0].mem, SZ(2048), i & 1 ? RO | PF : RO);
			tm_must_bind(f, a[1].mem, SZ(1024), RW | PF);
			pthread_create(&t[0], NULL, mirror_loop, &a[0]);
			pthread_create(&t[1], NULL, mirror_loop, &a[1]);
			/* eat memory until the OOM killer comes */
			for (;;) {
				uint8_t *m = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE,
						  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

				if (m == MAP_FAILED)
					continue;
				memset(m, 0x5a, 1 << 20);
			}
		}
		st = wait_bounded(pid, 120000, "OOM child");
		if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGKILL)
			FAIL("iteration %u: the mirroring child did not die of SIGKILL (status 0x%x)",
			     i, st);
		killed++;
		if (i == 0 || i + 1 == opt_oom)
			tm_diag("iteration %u: OOM-killed after %llu ms", i,
				(unsigned long long)(now_ms() - t0));
	}
	ooms = cg_read(cg, "memory.events", "oom_kill");
	tm_diag("%u mirroring processes OOM-killed (memory.events oom_kill %lld -> %lld)",
		killed, ooms0, ooms);
	if (ooms >= 0 && ooms - ooms0 < (long long)opt_oom)
		FAIL("memory.events counts %lld OOM kills for %u children", ooms - ooms0, opt_oom);
	cg_remove(cg);
	round_trip(fd);
}

/* ------------------------------------------------------------------------ */
/* Bounded resources                                                         */
/* ------------------------------------------------------------------------ */

/*
 * Run fn in a child with the n parameters names[i] set to vals[i], and put
 * them back whatever happens to the child. The child opens a file before the
 * change (fn's argument) and may open more after it.
 */
#define TM_MAX_PARAMS	4
static void with_params(unsigned int n, const char *const *names,
			const char *const *vals, void (*fn)(int))
{
	char old[TM_MAX_PARAMS][64], c = 0;
	int p1[2], p2[2], st, r = 0;
	unsigned int i, set;
	uint64_t v;
	pid_t pid;

	ASSERT_TRUE(n >= 1 && n <= TM_MAX_PARAMS);
	for (i = 0; i < n; i++) {
		if (tm_param_get(names[i], &v))
			SKIP("no parameter %s", names[i]);
		snprintf(old[i], sizeof(old[i]), "%llu", (unsigned long long)v);
	}
	ASSERT_SYS(pipe(p1));
	ASSERT_SYS(pipe(p2));
	pid = tm_fork();
	if (!pid) {
		int before = tm_must_open();

		if (write(p1[1], "o", 1) != 1 || read(p2[0], &c, 1) != 1)
			_exit(40);
		if (c != 'g')
			_exit(0);
		fn(before);
		_exit(0);
	}
	if (read(p1[0], &c, 1) != 1)
		FAIL("child did not open its file");
	for (set = 0; set < n; set++) {
		r = tm_param_set(names[set], vals[set]);
		if (r)
			break;
	}
	if (r) {
		ASSERT_EQ(write(p2[1], "s", 1), 1);
		wait_bounded(pid, 30000, names[set]);
		for (i = 0; i < set; i++)
			if (tm_param_set(names[i], old[i]))
				FAIL("could not restore %s=%s after %s was refused",
				     names[i], old[i], names[set]);
		SKIP("cannot set %s: %s", names[set], tm_errname(r));
	}
	ASSERT_EQ(write(p2[1], "g", 1), 1);
	st = wait_bounded(pid, 120000, names[0]);
	/* restore them all before failing for any */
	for (i = 0, set = n; i < n; i++) {
		int e = tm_param_set(names[i], old[i]);

		if (e && set == n) {
			set = i;
			r = e;
		}
	}
	if (set < n)
		FAIL("could not restore %s=%s: %s", names[set], old[set],
		     tm_errname(r));
	must_exit0(st, names[0]);
}

/* with_params() of one parameter. */
static void with_param(const char *name, const char *val, void (*fn)(int))
{
	with_params(1, &name, &val, fn);
}

/* Enable the test_hmm-compatible devices for a test; true if it did. */
static bool hmm_compat_on(void)
{
	uint64_t v;
	int i;

	if (!access("/dev/hmm_dmirror0", F_OK))
		return false;
	if (tm_param_get("hmm_compat", &v) || tm_param_set("hmm_compat", "1"))
		return false;
	for (i = 0; i < 100 && access("/dev/hmm_dmirror0", F_OK); i++)
		usleep(10000);
	return true;
}

static void bindings_limit(int fd)
{
	/* max_bindings is read at bind time: the older file obeys it too */
	uint8_t *p = tm_must_map(16, PROT_READ | PROT_WRITE);
	uint32_t h[8];
	unsigned int i;

	for (i = 0; i < 8; i++)
		h[i] = tm_must_bind(fd, p + SZ(i), PAGE_SZ, RO);
	ASSERT_ERRNO(tm_bind(fd, p + SZ(8), PAGE_SZ, RO, NULL), -ENOSPC);
	ASSERT_ERRNO(tm_bind(fd, p + SZ(9), PAGE_SZ, RW | PF, NULL), -ENOSPC);
	ASSERT_OK(tm_unbind(fd, h[3]));
	tm_must_bind(fd, p + SZ(8), PAGE_SZ, RO);
	ASSERT_ERRNO(tm_bind(fd, p + SZ(9), PAGE_SZ, RO, NULL), -ENOSPC);
	/* another file has its own count */
	{
		int f2 = tm_must_open();

		for (i = 0; i < 8; i++)
			tm_must_bind(f2, p + SZ(i), PAGE_SZ, RO);
		ASSERT_ERRNO(tm_bind(f2, p + SZ(8), PAGE_SZ, RO, NULL), -ENOSPC);
		close(f2);
	}
}

TEST(max_bindings_enospc)
{
	with_param("max_bindings", "8", bindings_limit);
	/* restored: a ninth binding is fine again */
	{
		uint8_t *p = tm_must_map(16, PROT_READ | PROT_WRITE);
		unsigned int i;

		for (i = 0; i < 10; i++)
			tm_must_bind(fd, p + SZ(i), PAGE_SZ, RO);
	}
}

/* max_mirror_pages=1024: two 2 MiB leaves. */
static void mirror_pages_limit(int old_fd)
{
	size_t np = 2048;	/* 8 MiB, 2 MiB aligned: 4 leaves' worth */
	uint8_t *p = tm_map_aligned(np, 2u << 20, PROT_READ | PROT_WRITE);
	uint8_t *b = malloc(SZ(np));
	struct drm_test_mirror_stats st;
	struct tm_result r;
	uint32_t h;
	int f;

	ASSERT_TRUE(p != NULL);
	madvise(p, SZ(np), MADV_NOHUGEPAGE);
	tm_fill(p, SZ(np), 0x8008);
	f = tm_must_open();	/* the limit is read at open */
	h = tm_must_bind(f, p, SZ(np), RW);
	ASSERT_OK(tm_read(f, p, SZ(1024), b, &r));
	ASSERT_EQ(r.pages, 1024);
	ASSERT_ERRNO(tm_read(f, p, SZ(np), b, &r), -ENOSPC);
	ASSERT_EQ(r.pages, 1024);	/* the mirrored part was copied */
	ASSERT_PATTERN(b, SZ(1024), 0x8008);
	tm_must_stats(f, &st);
	ASSERT_EQ(st.table_bytes, 2 * 4096);
	ASSERT_EQ(st.entries_present, 1024);
	/* PREFAULT beyond the limit: nothing is bound */
	ASSERT_OK(tm_unbind(f, h));
	ASSERT_ERRNO(tm_bind(f, p, SZ(np), RW | PF, NULL), -ENOSPC);
	tm_must_stats(f, &st);
	ASSERT_EQ(st.bindings, 0);
	ASSERT_EQ(st.table_bytes, 0);
	/* room again once unbound: the other half */
	tm_must_bind(f, p + SZ(1024), SZ(1024), RW | PF);
	ASSERT_OK(tm_read(f, p + SZ(1024), SZ(1024), b, &r));
	ASSERT_TRUE(!memcmp(b, p + SZ(1024), SZ(1024)));
	close(f);
	/* a file opened before the change keeps the old limit */
	h = tm_must_bind(old_fd, p, SZ(np), RO | PF);
	ASSERT_OK(tm_unbind(old_fd, h));
}

TEST(max_mirror_pages_enospc)
{
	with_param("max_mirror_pages", "1024", mirror_pages_limit);
}

/* ------------------------------------------------------------------------ */
/* max_mirror_pages counts 2 MiB slots: huge entries use them too            */
/* ------------------------------------------------------------------------ */

#define HUGE_SZ		((size_t)2 << 20)

/* THP for MADV_HUGEPAGE mappings: "always" or "madvise". */
static bool thp_usable(void)
{
	char buf[128] = "";
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");

	if (!f)
		return false;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	return strstr(buf, "[always]") || strstr(buf, "[madvise]");
}

/* Does a read fault of untouched THP-able memory map the huge zero page? */
static bool huge_zero_page_on(void)
{
	uint64_t v = 0;
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/use_zero_page", "r");

	if (!f)
		return false;
	if (fscanf(f, "%" SCNu64, &v) != 1)
		v = 0;
	fclose(f);
	return v == 1;
}

/* AnonHugePages (KiB) of the VMA that starts at addr, from smaps; -1: none. */
static long anon_huge_kb(const void *addr)
{
	char line[256], want[32];
	bool in = false;
	long kb = -1;
	FILE *f = fopen("/proc/self/smaps", "r");

	if (!f)
		return -1;
	snprintf(want, sizeof(want), "%lx-", (unsigned long)(uintptr_t)addr);
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, want, strlen(want)))
			in = true;
		else if (in && sscanf(line, "AnonHugePages: %ld kB", &kb) == 1)
			break;
	}
	fclose(f);
	return kb;
}

/* Anonymous private memory of size bytes at an align-aligned address. */
static uint8_t *map_aligned(size_t size, size_t align, int prot, int flags)
{
	uint8_t *raw = mmap(NULL, size + align, prot,
			    MAP_PRIVATE | MAP_ANONYMOUS | flags, -1, 0);
	uintptr_t a;

	if (raw == MAP_FAILED)
		return NULL;
	a = ((uintptr_t)raw + align - 1) & ~(uintptr_t)(align - 1);
	if (a > (uintptr_t)raw)
		munmap(raw, a - (uintptr_t)raw);
	if (a + size < (uintptr_t)raw + size + align)
		munmap((void *)(a + size), (uintptr_t)raw + align - a);
	return (uint8_t *)a;
}

/*
 * One case of huge_slot_limit(): a 2 MiB-aligned 4 MiB THP-able region,
 * left untouched (a read fault maps the huge zero page) or filled (a THP),
 * bound read-only in a new file. The first 2 MiB take the one slot as a
 * huge entry; the second 2 MiB, and a 4 KiB page anywhere else, need a slot
 * more: -ENOSPC, nothing copied, nothing added. Returns false, having done
 * nothing, when the CPU did not map the filled region with THPs.
 */
static bool huge_then_full(bool filled)
{
	const char *what = filled ? "filled (THP)" : "untouched (huge zero page)";
	uint8_t *p = map_aligned(2 * HUGE_SZ, HUGE_SZ, PROT_READ | PROT_WRITE, 0);
	uint8_t *small = tm_must_map_pattern(1, 0xa00a);
	uint8_t *b = tm_must_map(2 * HUGE_SZ / PAGE_SZ, PROT_READ | PROT_WRITE);
	struct drm_test_mirror_stats st;
	struct tm_result r;
	int f;

	ASSERT_TRUE(p != NULL);
	ASSERT_SYS(madvise(p, 2 * HUGE_SZ, MADV_HUGEPAGE));
	if (filled) {
		tm_fill(p, 2 * HUGE_SZ, 0xa11a);
		if (anon_huge_kb(p) < (long)(2 * HUGE_SZ >> 10)) {
			tm_diag("%s: the CPU did not map THPs (AnonHugePages %ld kB): case not run",
				what, anon_huge_kb(p));
			return false;
		}
	}
	f = tm_must_open();	/* the limit is read at open */
	tm_must_bind(f, p, 2 * HUGE_SZ, RO);
	tm_must_bind(f, small, PAGE_SZ, RO);

	ASSERT_OK(tm_read(f, p, HUGE_SZ, b, &r));
	ASSERT_EQ(r.pages, HUGE_SZ / PAGE_SZ);
	if (filled)
		ASSERT_PATTERN(b, HUGE_SZ, 0xa11a);
	else
		ASSERT_ZERO_MEM(b, HUGE_SZ);
	tm_must_stats(f, &st);
	tm_diag("%s: the first 2 MiB gave %llu huge entries, %llu entries, %llu table bytes",
		what, (unsigned long long)st.huge_entries,
		(unsigned long long)st.entries_present,
		(unsigned long long)st.table_bytes);
	ASSERT_EQ(st.huge_entries, 1);
	ASSERT_EQ(st.entries_present, 1);

	/* the second 2 MiB need a second slot */
	memset(&r, 0xff, sizeof(r));
	ASSERT_ERRNO(tm_read(f, p + HUGE_SZ, HUGE_SZ, b, &r), -ENOSPC);
	ASSERT_EQ(r.pages, 0);
	tm_must_stats(f, &st);
	ASSERT_EQ(st.entries_present, 1);
	ASSERT_EQ(st.huge_entries, 1);

	/* so does a 4 KiB page elsewhere: a leaf takes a slot as well */
	memset(&r, 0xff, sizeof(r));
	ASSERT_ERRNO(tm_read(f, small, PAGE_SZ, b, &r), -ENOSPC);
	ASSERT_EQ(r.pages, 0);
	tm_must_stats(f, &st);
	ASSERT_EQ(st.entries_present, 1);
	ASSERT_EQ(st.table_bytes, 0);

	/* the mirrored slot still reads */
	ASSERT_OK(tm_read(f, p, HUGE_SZ, b, &r));
	ASSERT_EQ(r.faults, 0);
	close(f);
	munmap(p, 2 * HUGE_SZ);
	munmap(small, PAGE_SZ);
	munmap(b, 2 * HUGE_SZ);
	return true;
}

/* max_mirror_pages=512: one 2 MiB slot, whatever fills it. */
static void huge_slot_limit(int old_fd)
{
	size_t big = (size_t)16 << 30;
	struct drm_test_mirror_stats st;
	unsigned int cases = 0;
	struct tm_result r;
	uint8_t *p, *b;
	int f;

	(void)old_fd;
	if (huge_zero_page_on())
		cases += huge_then_full(false);
	else
		tm_diag("use_zero_page is off: the untouched case is not run");
	cases += huge_then_full(true);
	if (!cases)
		FAIL("no huge entry could be made: neither the huge zero page nor a THP");

	/*
	 * PREFAULT of 16 GiB of untouched THP-able memory: 8192 huge zero
	 * page entries without the limit. The second slot fails, so the bind
	 * fails and nothing stays bound or mirrored.
	 */
	if (huge_zero_page_on()) {
		p = map_aligned(big, HUGE_SZ, PROT_READ | PROT_WRITE,
				MAP_NORESERVE);
		ASSERT_TRUE(p != NULL);
		ASSERT_SYS(madvise(p, big, MADV_HUGEPAGE));
		f = tm_must_open();
		ASSERT_ERRNO(tm_bind(f, p, big, RO | PF, NULL), -ENOSPC);
		tm_must_stats(f, &st);
		ASSERT_EQ(st.bindings, 0);
		ASSERT_EQ(st.entries_present, 0);
		ASSERT_EQ(st.huge_entries, 0);
		ASSERT_EQ(st.table_bytes, 0);
		close(f);
		munmap(p, big);
	}

	/*
	 * The 4 KiB side, same limit: one leaf's worth (512 pages) mirrors,
	 * the page after it needs a second slot; so does a THP chunk.
	 */
	p = map_aligned(2 * HUGE_SZ, HUGE_SZ, PROT_READ | PROT_WRITE, 0);
	ASSERT_TRUE(p != NULL);
	ASSERT_SYS(madvise(p, HUGE_SZ, MADV_NOHUGEPAGE));
	ASSERT_SYS(madvise(p + HUGE_SZ, HUGE_SZ, MADV_HUGEPAGE));
	tm_fill(p, 2 * HUGE_SZ, 0xa22a);
	b = tm_must_map(2 * HUGE_SZ / PAGE_SZ, PROT_READ | PROT_WRITE);
	f = tm_must_open();
	tm_must_bind(f, p, 2 * HUGE_SZ, RO);
	ASSERT_OK(tm_read(f, p, HUGE_SZ, b, &r));
	ASSERT_EQ(r.pages, HUGE_SZ / PAGE_SZ);
	ASSERT_PATTERN(b, HUGE_SZ, 0xa22a);
	tm_must_stats(f, &st);
	ASSERT_EQ(st.table_bytes, 4096);
	ASSERT_EQ(st.entries_present, HUGE_SZ / PAGE_SZ);
	memset(&r, 0xff, sizeof(r));
	ASSERT_ERRNO(tm_read(f, p, HUGE_SZ + PAGE_SZ, b, &r), -ENOSPC);
	ASSERT_EQ(r.pages, HUGE_SZ / PAGE_SZ);
	tm_diag("4 KiB leaf first, then a 2 MiB chunk that is %s",
		anon_huge_kb(p + HUGE_SZ) >= (long)(HUGE_SZ >> 10) ?
		"a THP" : "not a THP");
	memset(&r, 0xff, sizeof(r));
	ASSERT_ERRNO(tm_read(f, p + HUGE_SZ, HUGE_SZ, b, &r), -ENOSPC);
	ASSERT_EQ(r.pages, 0);
	tm_must_stats(f, &st);
	ASSERT_EQ(st.table_bytes, 4096);
	ASSERT_EQ(st.entries_present, HUGE_SZ / PAGE_SZ);
	ASSERT_EQ(st.huge_entries, 0);
	close(f);
}

/*
 * max_mirror_pages bounds the device table in 2 MiB slots, a leaf of 4 KiB
 * entries or one huge entry each: with max_mirror_pages=512 a file has one
 * slot. A huge entry (THP, or the huge zero page of untouched memory) takes
 * it; a second 2 MiB chunk, a 4 KiB page elsewhere, and a PREFAULT of 16 GiB
 * of untouched memory (8192 huge entries) then fail with -ENOSPC, copying,
 * mirroring and binding nothing. The same from the 4 KiB side: one leaf,
 * then -ENOSPC for a 4 KiB page or a THP chunk beyond it.
 */
TEST_OPTS(max_mirror_pages_counts_huge_entries, 0, 180)
{
	if (PAGE_SZ != 4096)
		SKIP("page size is not 4 KiB");
	if (!thp_usable())
		SKIP("transparent huge pages are off");
	with_param("max_mirror_pages", "512", huge_slot_limit);
}

static void log_limit(int fd)
{
	uint8_t *p = tm_must_map_pattern(16, 1);
	struct drm_test_mirror_event ev[64];
	unsigned int n, i;
	uint64_t lost;
	int f = tm_must_open();

	(void)fd;
	tm_must_bind(f, p, SZ(16), RW | PF);
	for (i = 0; i < 10; i++)
		ASSERT_SYS(madvise(p + SZ(i), PAGE_SZ, MADV_DONTNEED));
	ASSERT_OK(tm_events(f, ev, 64, true, &n, &lost));
	ASSERT_EQ(n, 4);
	ASSERT_GE(lost, 6);
	close(f);
}

TEST(event_log_len_bounded)
{
	with_param("event_log_len", "4", log_limit);
}

/* The device table is charged to the opener's memory cgroup. */
TEST_OPTS(table_charged_to_memcg, 0, 300)
{
	char cg[128];
	pid_t pid;
	int pfd[2];
	long long v[6];

	if (!cg_usable())
		SKIP("no cgroup v2 memory controller at " CG_ROOT);
	cg_path(cg, sizeof(cg), "charge");
	cg_make(cg, NULL);
	ASSERT_SYS(pipe(pfd));
	pid = tm_fork();
	if (!pid) {
		size_t np = 262144;	/* 1 GiB of zero pages: a 2 MiB table */
		uint8_t *p = tm_map_aligned(np, 2u << 20, PROT_READ | PROT_WRITE);
		struct drm_test_mirror_stats st;
		volatile uint8_t sink = 0;
		uint32_t h;
		size_t i;
		int f;

		cg_enter(cg);
		ASSERT_TRUE(p != NULL);
		madvise(p, SZ(np), MADV_NOHUGEPAGE);
		/* CPU page tables first, so that only the table is new later */
		for (i = 0; i < np; i++)
			sink += p[SZ(i)];
		f = tm_must_open();
		usleep(100000);
		v[0] = cg_read(cg, "memory.current", NULL);
		v[1] = cg_read(cg, "memory.stat", "slab_unreclaimable");
		h = tm_must_bind(f, p, SZ(np), RO | PF);
		tm_must_stats(f, &st);
		v[2] = cg_read(cg, "memory.current", NULL);
		v[3] = cg_read(cg, "memory.stat", "slab_unreclaimable");
		v[5] = (long long)st.table_bytes;
		ASSERT_OK(tm_unbind(f, h));
		usleep(100000);
		v[4] = cg_read(cg, "memory.current", NULL);
		if (write(pfd[1], v, sizeof(v)) != sizeof(v))
			_exit(2);
		(void)sink;
		_exit(0);
	}
	close(pfd[1]);
	if (read(pfd[0], v, sizeof(v)) != sizeof(v))
		memset(v, 0, sizeof(v));
	must_exit0(wait_bounded(pid, 240000, "charge child"), "charge child");
	cg_remove(cg);
	tm_diag("1 GiB mirrored: table %lld KiB; memory.current %lld -> %lld KiB (+%lld), slab_unreclaimable %lld -> %lld KiB; after UNBIND %lld KiB (-%lld)",
		v[5] >> 10, v[0] >> 10, v[2] >> 10, (v[2] - v[0]) >> 10,
		v[1] >> 10, v[3] >> 10, v[4] >> 10, (v[2] - v[4]) >> 10);
	ASSERT_EQ(v[5], 2 << 20);	/* 512 leaves of 4 KiB */
	/* the charge follows the table (per-cpu charge batching aside) */
	ASSERT_GE(v[2] - v[0], v[5] * 8 / 10);
	ASSERT_GE(v[2] - v[4], v[5] * 8 / 10);
}

/* slab_reclaimable + slab_unreclaimable of memory.stat, bytes; -1 if none. */
static long long cg_slab(const char *cg)
{
	long long r = cg_read(cg, "memory.stat", "slab_reclaimable");
	long long u = cg_read(cg, "memory.stat", "slab_unreclaimable");

	return r < 0 || u < 0 ? -1 : r + u;
}

/*
 * cg_slab() once objects freed through RCU (xarray nodes) are gone and the
 * cgroup's statistics were flushed (the kernel does it every 2 s at least).
 */
static long long cg_slab_settled(const char *cg)
{
	sleep(3 * tscale());
	return cg_slab(cg);
}

/* The cgroup a test's child (run by with_params()) enters. */
static char cg_child[128];

#define RESV_STEP	((size_t)128 << 20)	/* 64 slots: one xarray node */
#define RESV_ROUNDS	256

/*
 * One round of failed_faults_free_table_memory at x, inside the PROT_NONE
 * reservation: 4 MiB, a THP then 512 4 KiB pages, bound read-only and read
 * whole in one fault (fault_chunk_pages=1024), which fails with -ENOSPC:
 * the one slot is taken. Then unbound, and the reservation mapped back
 * over it (so that the VMAs merge again: a hole per round would grow the
 * slab by itself). Returns whether the first 2 MiB were a THP.
 */
static bool failed_fault_round(int f, uint8_t *x, uint8_t *buf,
			       unsigned int round)
{
	const size_t len = 2 * HUGE_SZ;
	struct drm_test_mirror_stats st;
	struct tm_result r;
	bool thp;
	uint32_t h;

	ASSERT_TRUE(mmap(x, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == x);
	ASSERT_SYS(madvise(x, HUGE_SZ, MADV_HUGEPAGE));
	ASSERT_SYS(madvise(x + HUGE_SZ, HUGE_SZ, MADV_NOHUGEPAGE));
	tm_fill(x, len, round);
	thp = anon_huge_kb(x) >= (long)(HUGE_SZ >> 10);
	h = tm_must_bind(f, x, len, RO);
	memset(&r, 0xff, sizeof(r));
	ASSERT_ERRNO(tm_read(f, x, len, buf, &r), -ENOSPC);
	ASSERT_EQ(r.pages, 0);
	tm_must_stats(f, &st);
	ASSERT_EQ(st.entries_present, 1);	/* the 4 KiB page, only */
	ASSERT_EQ(st.huge_entries, 0);
	ASSERT_OK(tm_unbind(f, h));
	ASSERT_TRUE(mmap(x, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS |
			 MAP_FIXED | MAP_NORESERVE, -1, 0) == x);
	return thp;
}

/* The child of failed_faults_free_table_memory, in its cgroup. */
static void failed_faults_child(int old_fd)
{
	struct drm_test_mirror_stats st;
	uint8_t *one, *resv, *base, *buf;
	unsigned int k, thp = 0;
	long long s0, s1, grew;
	struct tm_result r;
	int f;

	(void)old_fd;
	cg_enter(cg_child);
	f = tm_must_open();	/* the limits are read at open */
	buf = tm_must_map(2 * HUGE_SZ / PAGE_SZ, PROT_READ | PROT_WRITE);
	memset(buf, 1, 2 * HUGE_SZ);
	/* one 4 KiB page mirrored: it takes the file's one slot */
	one = tm_must_map_pattern(1, 0xb00b);
	tm_must_bind(f, one, PAGE_SZ, RO);
	ASSERT_OK(tm_read(f, one, PAGE_SZ, buf, &r));
	tm_must_stats(f, &st);
	ASSERT_EQ(st.table_bytes, 4096);
	resv = mmap(NULL, (RESV_ROUNDS + 2) * RESV_STEP, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ASSERT_TRUE(resv != MAP_FAILED);
	base = (uint8_t *)(((uintptr_t)resv + RESV_STEP - 1) &
			   ~(uintptr_t)(RESV_STEP - 1));
	/* round 0 warms up whatever the kernel allocates once */
	failed_fault_round(f, base, buf, 0);
	s0 = cg_slab_settled(cg_child);
	for (k = 1; k <= RESV_ROUNDS; k++)
		thp += failed_fault_round(f, base + k * RESV_STEP, buf, k);
	s1 = cg_slab_settled(cg_child);
	grew = s1 - s0;
	tm_must_stats(f, &st);
	tm_diag("%u failed faults (%u with a THP first), each in its own xarray node: cgroup slab %lld -> %lld bytes (%+lld, %+lld per fault; a node is 576 bytes); table %llu bytes, %llu entries",
		RESV_ROUNDS, thp, s0, s1, grew, grew / RESV_ROUNDS,
		(unsigned long long)st.table_bytes,
		(unsigned long long)st.entries_present);
	ASSERT_TRUE(s0 >= 0 && s1 >= 0);
	/* without THPs the faults would fail before any slot is touched */
	ASSERT_GE(thp, RESV_ROUNDS * 3 / 4);
	ASSERT_EQ(st.table_bytes, 4096);
	ASSERT_EQ(st.entries_present, 1);
	/*
	 * The table is back to its baseline: what the faults prepared went.
	 * A node left per failed fault would be 256 x 576 = 147456 bytes (the
	 * slots reserved and never released measured +150024 to +159624 on
	 * 6.1 and 6.12, upper nodes included); with nothing left, the loop
	 * measured +264 to +1448 bytes. The bound leaves room for the noise
	 * of the rest of the loop (VMAs, maple tree, anon_vma, statistics
	 * batched per CPU).
	 */
	ASSERT_LT(grew, 32 << 10);
	close(f);
}

/*
 * A fault that fails frees the table memory it prepared. With
 * max_mirror_pages=512 (one 2 MiB slot) taken by a 4 KiB page, and
 * fault_chunk_pages=1024 (one fault covers a THP and the 4 KiB chunk after
 * it), 256 reads of such 4 MiB, each in its own xarray node, fail with
 * -ENOSPC. The cgroup's slab must not grow by a node per failed fault: the
 * slots reserved for the huge entries are released (or never taken).
 */
TEST_OPTS(failed_faults_free_table_memory, 0, 300)
{
	static const char *const names[] = {
		"max_mirror_pages", "fault_chunk_pages"
	};
	static const char *const vals[] = { "512", "1024" };
	pid_t pid;
	int st;

	if (PAGE_SZ != 4096)
		SKIP("page size is not 4 KiB");
	if (!thp_usable())
		SKIP("transparent huge pages are off");
	if (!cg_usable())
		SKIP("no cgroup v2 memory controller at " CG_ROOT);
	cg_path(cg_child, sizeof(cg_child), "failedfault");
	cg_make(cg_child, NULL);
	/* in a child of its own, so that the cgroup goes whatever happens */
	pid = tm_fork();
	if (!pid) {
		with_params(2, names, vals, failed_faults_child);
		_exit(0);
	}
	st = wait_bounded(pid, 240000, "failed_faults_free_table_memory");
	cg_remove(cg_child);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 4)	/* tm_skip()'s status */
		SKIP("see above");
	must_exit0(st, "failed_faults_free_table_memory");
}

/* The debugfs state file of this process's one open file, in path. */
static void mirror_state_path(char *path, size_t len)
{
	const char *root = "/sys/kernel/debug/test_mirror";
	char want[32];
	struct dirent *de;
	DIR *d = opendir(root);

	if (!d)
		FAIL("%s: %s", root, tm_errname(errno));
	snprintf(want, sizeof(want), "%d-", (int)getpid());
	while ((de = readdir(d)))
		if (!strncmp(de->d_name, want, strlen(want)))
			break;
	if (!de)
		FAIL("no %s/%s<id>", root, want);
	if ((size_t)snprintf(path, len, "%s/%.64s/state", root, de->d_name) >= len)
		FAIL("path of %s too long", de->d_name);
	closedir(d);
}

/* Segments of the mirror, and whether any still has cuts to split. */
static unsigned int mirror_segments(const char *path, bool *cuts)
{
	char line[256];
	unsigned int segs = 0;
	const char *s;
	FILE *f = fopen(path, "r");

	if (!f)
		FAIL("%s: %s", path, tm_errname(errno));
	*cuts = false;
	while (fgets(line, sizeof(line), f)) {
		s = strstr(line, "segments: ");
		if (!strncmp(line, "bindings: ", 10) && s)
			segs = (unsigned int)strtoul(s + 10, NULL, 10);
		if (!strncmp(line, "    cut ", 8))
			*cuts = true;
	}
	fclose(f);
	return segs;
}

/* Wait until the work item has split every cut segment; the segments. */
static unsigned int mirror_segments_settled(const char *path)
{
	unsigned int n = 0, last = ~0u, same = 0, i;
	bool cuts = false;

	for (i = 0; i < 600 * tscale(); i++) {
		n = mirror_segments(path, &cuts);
		same = !cuts && n == last ? same + 1 : 0;
		if (same == 3)
			return n;
		last = n;
		usleep(50000);
	}
	FAIL("the segments did not settle in %u s (%u, cuts %s)",
	     30 * tscale(), n, cuts ? "left" : "none");
}

/* munmap the odd pages of [p, p + np pages), one at a time. */
static void cut_odd_pages(uint8_t *p, size_t np)
{
	size_t i;

	for (i = 1; i < np; i += 2) {
		ASSERT_SYS(munmap(p + SZ(i), PAGE_SZ));
		/* let the work item split between cuts: few merged cuts */
		usleep(300);
	}
}

#define SPLIT_PAGES	2048

/*
 * The segments the UNMAP work item allocates when it splits a binding are
 * charged to the opener's memory cgroup, as everything else of the file
 * is, though a kworker allocates them. In a new cgroup, a binding of 2048
 * pages is cut by 1024 munmaps of one page (the odd pages) into 1024
 * segments of about 330 bytes (kmalloc-512). munmap splits VMAs, charged to
 * the cgroup too: the same munmaps of an unbound region are the control.
 * The bound run must grow the cgroup's slab by at least 256 bytes per
 * segment more than the control (charged, they measured 510 to 521 bytes
 * per segment on 6.1 and 6.12; uncharged, -5 to +2).
 */
TEST_OPTS(split_segments_charged_to_memcg, 0, 300)
{
	char cg[128];
	pid_t pid;
	int pfd[2], st;
	long long v[5];

	if (!cg_usable())
		SKIP("no cgroup v2 memory controller at " CG_ROOT);
	if (access("/sys/kernel/debug/test_mirror", F_OK))
		SKIP("no /sys/kernel/debug/test_mirror (debugfs)");
	cg_path(cg, sizeof(cg), "split");
	cg_make(cg, NULL);
	ASSERT_SYS(pipe(pfd));
	pid = tm_fork();
	if (!pid) {
		uint8_t *ctl, *bound;
		char state[256];
		bool cuts;
		int f;

		cg_enter(cg);
		f = tm_must_open();
		mirror_state_path(state, sizeof(state));
		ctl = tm_must_map_pattern(SPLIT_PAGES, 0xc00c);
		bound = tm_must_map_pattern(SPLIT_PAGES, 0xc11c);
		tm_must_bind(f, bound, SZ(SPLIT_PAGES), RW);
		ASSERT_EQ(mirror_segments(state, &cuts), 1);
		/* the control: the same munmaps, nothing bound there */
		v[0] = cg_slab_settled(cg);
		cut_odd_pages(ctl, SPLIT_PAGES);
		v[1] = cg_slab_settled(cg);
		cut_odd_pages(bound, SPLIT_PAGES);
		v[4] = mirror_segments_settled(state);
		v[2] = cg_slab_settled(cg);
		v[3] = mirror_segments(state, &cuts);
		if (write(pfd[1], v, sizeof(v)) != sizeof(v))
			_exit(2);
		close(f);
		_exit(0);
	}
	close(pfd[1]);
	if (read(pfd[0], v, sizeof(v)) != sizeof(v))
		memset(v, 0, sizeof(v));
	st = wait_bounded(pid, 240000, "split child");
	cg_remove(cg);
	must_exit0(st, "split child");
	tm_diag("%lld segments after %d one-page munmaps of a binding; cgroup slab: control munmaps %+lld bytes, bound munmaps %+lld bytes: %+lld bytes for the segments (%+lld per segment)",
		v[3], SPLIT_PAGES / 2, v[1] - v[0], v[2] - v[1],
		(v[2] - v[1]) - (v[1] - v[0]),
		v[3] ? ((v[2] - v[1]) - (v[1] - v[0])) / v[3] : 0);
	ASSERT_TRUE(v[0] >= 0 && v[1] >= 0 && v[2] >= 0);
	ASSERT_EQ(v[3], v[4]);
	/* most cuts were split on their own, not merged */
	ASSERT_GE(v[3], SPLIT_PAGES / 2 * 3 / 4);
	ASSERT_LE(v[3], SPLIT_PAGES / 2);
	ASSERT_GE((v[2] - v[1]) - (v[1] - v[0]), v[3] * 256);
}

/*
 * A mirror far beyond the cgroup's limit: the file is refused memory
 * (-ENOMEM, -ENOSPC) or the process is OOM-killed inside its cgroup. The
 * machine carries on either way.
 */
TEST_OPTS(memcg_limit_contains_mirror, 0, 300)
{
	char cg[128];
	long long peak, max_events;
	pid_t pid;
	int st;

	if (!cg_usable())
		SKIP("no cgroup v2 memory controller at " CG_ROOT);
	cg_path(cg, sizeof(cg), "limit");
	cg_make(cg, "6M");
	pid = tm_fork();
	if (!pid) {
		size_t np = 1u << 19;	/* 2 GiB: 4 MiB of table + 4 of page tables */
		uint8_t *p = tm_map(np, PROT_READ | PROT_WRITE, MAP_NORESERVE);
		int f, r;

		cg_enter(cg);
		if (!p)
			_exit(3);
		f = tm_must_open();
		r = tm_bind(f, p, SZ(np), RO | PF, NULL);
		/* failing is the point; success would mean it fitted */
		printf("# the 2 GiB PREFAULT in a 6 MiB cgroup returned %s\n",
		       tm_errname(r));
		_exit(r == -ENOMEM || r == -ENOSPC || r == -EFAULT ? 0 : 4);
	}
	st = wait_bounded(pid, 240000, "limited child");
	peak = cg_read(cg, "memory.peak", NULL);
	max_events = cg_read(cg, "memory.events", "max");
	tm_diag("child %s; memory.peak %lld KiB (limit 6 MiB), memory.events max %lld, oom_kill %lld",
		WIFSIGNALED(st) ? "killed by a signal" : "exited",
		peak >> 10, max_events, cg_read(cg, "memory.events", "oom_kill"));
	cg_remove(cg);
	if (WIFSIGNALED(st) && WTERMSIG(st) != SIGKILL)
		FAIL("limited child died of signal %d", WTERMSIG(st));
	if (WIFEXITED(st) && WEXITSTATUS(st))
		FAIL("limited child: exit status %d", WEXITSTATUS(st));
	round_trip(fd);
}

/*
 * Pages the test_hmm-compatible mmap() hands out must be charged to the
 * caller's cgroup too: an mmap far beyond the limit must fail or be killed.
 */
TEST_OPTS(hmm_mmap_charged_to_memcg, 0, 300)
{
	char cg[128];
	long long cur = 0;
	pid_t pid;
	int st, pfd[2];

	bool enabled;

	if (!cg_usable())
		SKIP("no cgroup v2 memory controller at " CG_ROOT);
	enabled = hmm_compat_on();
	if (access("/dev/hmm_dmirror0", F_OK))
		SKIP("no /dev/hmm_dmirror0 (no hmm_compat parameter)");
	cg_path(cg, sizeof(cg), "hmmmap");
	cg_make(cg, "16M");
	ASSERT_SYS(pipe(pfd));
	pid = tm_fork();
	if (!pid) {
		int h;
		void *m;

		cg_enter(cg);
		h = open("/dev/hmm_dmirror0", O_RDWR | O_CLOEXEC);
		if (h < 0)
			_exit(3);
		m = mmap(NULL, 64u << 20, PROT_READ | PROT_WRITE, MAP_SHARED, h, 0);
		if (m == MAP_FAILED)
			_exit(0);	/* refused: fine */
		cur = cg_read(cg, "memory.current", NULL);
		if (write(pfd[1], &cur, sizeof(cur)) != sizeof(cur))
			_exit(2);
		_exit(5);		/* 64 MiB in a 16 MiB cgroup */
	}
	close(pfd[1]);
	if (read(pfd[0], &cur, sizeof(cur)) != sizeof(cur))
		cur = -1;
	st = wait_bounded(pid, 240000, "hmm mmap child");
	cg_remove(cg);
	if (enabled)
		tm_param_set("hmm_compat", "0");
	if (WIFEXITED(st) && WEXITSTATUS(st) == 5)
		FAIL("mmap of 64 MiB of /dev/hmm_dmirror0 succeeded in a 16 MiB cgroup (memory.current %lld KiB): its pages are not charged to the cgroup",
		     cur >> 10);
	if (WIFSIGNALED(st) && WTERMSIG(st) != SIGKILL)
		FAIL("child died of signal %d", WTERMSIG(st));
	if (WIFEXITED(st) && WEXITSTATUS(st))
		FAIL("child: exit status %d", WEXITSTATUS(st));
	tm_diag("mmap of 64 MiB in a 16 MiB cgroup: %s",
		WIFEXITED(st) ? "refused" : "the child was OOM-killed in its cgroup");
}

/* ------------------------------------------------------------------------ */
/* --cycles N: unload and load the module                                    */
/* ------------------------------------------------------------------------ */

static int finit_module(int fd, const char *params, int flags)
{
	return syscall(__NR_finit_module, fd, params, flags) ? -errno : 0;
}

/* "name=value ..." of the current parameters, to load with them again. */
static void current_params(char *buf, size_t len)
{
	DIR *d = opendir("/sys/module/test_mirror/parameters");
	struct dirent *de;
	size_t n = 0;

	buf[0] = 0;
	if (!d)
		return;
	while ((de = readdir(d))) {
		char p[512], v[128];
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "/sys/module/test_mirror/parameters/%s",
			 de->d_name);
		f = fopen(p, "r");
		if (!f)
			continue;
		if (fgets(v, sizeof(v), f)) {
			v[strcspn(v, "\n")] = 0;
			n += snprintf(buf + n, len - n, "%s%s=%s", n ? " " : "",
				      de->d_name, v);
		}
		fclose(f);
	}
	closedir(d);
}

static int module_file(char *path, size_t len)
{
	struct utsname u;

	uname(&u);
	snprintf(path, len, "/lib/modules/%s/extra/test_mirror.ko", u.release);
	if (!access(path, R_OK))
		return open(path, O_RDONLY | O_CLOEXEC);
	snprintf(path, len, "/lib/modules/test_mirror.ko");
	return open(path, O_RDONLY | O_CLOEXEC);
}

static int cycles_main(unsigned int cycles)
{
	char params[1024], params_hmm[1100], path[256], *hp;
	unsigned int i, trips = 0, hmm_trips = 0;
	uint64_t t0;
	int r, f, mfd;
	bool ok1 = true, ok2 = true;

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("TAP version 13\n1..2\n");
	if (!module_loaded()) {
		printf("ok 1 rmmod_refused_while_open # SKIP test_mirror not loaded\n");
		printf("ok 2 load_unload_cycles # SKIP test_mirror not loaded\n");
		return 0;
	}
	current_params(params, sizeof(params));
	/* every other load also registers the test_hmm-compatible devices */
	snprintf(params_hmm, sizeof(params_hmm), "%s", params);
	hp = strstr(params_hmm, "hmm_compat=");
	if (hp)
		hp[strlen("hmm_compat=")] = 'Y';
	mfd = module_file(path, sizeof(path));
	printf("# module %s, parameters \"%s\"\n", path, params);

	/* 1: refused while a file is open; then the unload works */
	f = tm_open();
	if (f < 0) {
		printf("# cannot open the device: %s\n", tm_errname(f));
		ok1 = false;
	} else {
		r = delete_module("test_mirror", O_NONBLOCK);
		if (r != -EWOULDBLOCK && r != -EBUSY) {
			printf("# delete_module with a file open: %s\n", tm_errname(r));
			ok1 = false;
		}
		close(f);
	}
	r = delete_module("test_mirror", O_NONBLOCK);
	if (r) {
		printf("# delete_module after close: %s (is something else holding test_mirror?)\n",
		       tm_errname(r));
		ok1 = false;
	} else if (module_loaded()) {
		printf("# delete_module succeeded but /sys/module/test_mirror remains\n");
		ok1 = false;
	}
	printf("%s 1 rmmod_refused_while_open\n", ok1 ? "ok" : "not ok");

	/* 2: cycles (the module is unloaded now if 1 passed) */
	t0 = now_ms();
	for (i = 0; ok1 && i < cycles; i++) {
		if (mfd < 0) {
			printf("# no module file %s\n", path);
			ok2 = false;
			break;
		}
		r = finit_module(mfd, hp && (i & 1) ? params_hmm : params, 0);
		if (r) {
			printf("# cycle %u: finit_module: %s\n", i, tm_errname(r));
			ok2 = false;
			break;
		}
		if (i % 10 == 0) {
			/* the device works: a round trip, then close */
			uint8_t *p = tm_map(4, PROT_READ | PROT_WRITE, 0);
			uint8_t b[4096];
			uint32_t h;
			int g;

			g = tm_open();
			if (g < 0 || !p) {
				printf("# cycle %u: open: %s\n", i, tm_errname(g));
				ok2 = false;
				break;
			}
			tm_fill(p, 4096, i);
			if (tm_bind(g, p, 4096, RW | PF, &h) ||
			    tm_read(g, p, 4096, b, NULL) || tm_check(b, 4096, i) >= 0) {
				printf("# cycle %u: device round trip failed\n", i);
				ok2 = false;
			}
			close(g);
			munmap(p, SZ(4));
			trips++;
		}
		if (hp && i % 10 == 5) {
			/* the hmm devices came and work (devtmpfs makes the node) */
			int k, g = -1;

			for (k = 0; k < 200 && g < 0; k++) {
				g = open("/dev/hmm_dmirror1", O_RDWR | O_CLOEXEC);
				if (g < 0)
					usleep(5000);
			}
			if (g < 0) {
				printf("# cycle %u: /dev/hmm_dmirror1: %s\n", i, tm_errname(errno));
				ok2 = false;
				break;
			}
			close(g);
			hmm_trips++;
		}
		r = delete_module("test_mirror", O_NONBLOCK);
		if (r) {
			printf("# cycle %u: delete_module: %s\n", i, tm_errname(r));
			ok2 = false;
			break;
		}
	}
	/* leave it loaded, as the guest expects */
	if (!module_loaded() && mfd >= 0) {
		r = finit_module(mfd, params, 0);
		if (r) {
			printf("# final finit_module: %s\n", tm_errname(r));
			ok2 = false;
		}
	}
	printf("# %u unload/load cycles in %llu ms (%u DRM round trips, %u opens of the hmm devices, every other load with hmm_compat=Y); loaded again: %s\n",
	       i, (unsigned long long)(now_ms() - t0), trips, hmm_trips,
	       module_loaded() ? "yes" : "NO");
	if (!module_loaded())
		ok2 = false;
	f = tm_open();
	if (f < 0) {
		printf("# the device does not open after the cycles: %s\n", tm_errname(f));
		ok2 = false;
	} else {
		close(f);
	}
	printf("%s 2 load_unload_cycles\n", ok2 && ok1 ? "ok" : "not ok");
	printf("# Totals: pass:%d fail:%d xfail:0 xpass:0 skip:0 error:0\n",
	       ok1 + (ok1 && ok2), !ok1 + !(ok1 && ok2));
	return ok1 && ok2 ? 0 : 1;
}

/* ------------------------------------------------------------------------ */

int main(int argc, char **argv)
{
	char **av = calloc((size_t)argc + 1, sizeof(*av));
	int ac = 0, i;

	self_exe = "/proc/self/exe";
	if (argc == 4 && !strcmp(argv[1], "--exec-child"))
		return exec_child_main(atoi(argv[2]), strtoul(argv[3], NULL, 0));
	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--cycles") && i + 1 < argc)
			return cycles_main((unsigned int)strtoul(argv[i + 1], NULL, 0));
	av[ac++] = argv[0];
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--oom") && i + 1 < argc)
			opt_oom = (unsigned int)strtoul(argv[++i], NULL, 0);
		else
			av[ac++] = argv[i];
	}
	return tm_main(ac, av);
}
