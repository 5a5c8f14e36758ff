// SPDX-License-Identifier: GPL-2.0
/*
 * tm_life: lifecycle. A file closed right after munmap queued the split
 * work, with bindings half dropped, with PREFAULTed tables; a split whose
 * allocation fails rolls back (fail_split); close while other threads are
 * inside ioctls on the file; exit and SIGKILL with files open, bindings
 * live, accesses in flight. The device works after each.
 */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tm_life.h"

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
			tm_must_bind(f, p + SZ(8 * i), SZ(8), (round & 1) ? RW | PREFAULT : RO);
		/* cut the bindings into pieces: the work item has to split them */
		for (i = 0; i < 32; i += 3)
			munmap(p + SZ(i), PAGE_SZ);
		if (round & 2)
			usleep(round % 500);
		ASSERT_SYS(close(f));
		munmap(p, SZ(32));
	}
	tm_must_round_trip(fd);
}

#define FAIL_SPLIT	TM_DEBUGFS "/fail_split"

/* Wait (10 s at most) until the injection's state is want. */
static void wait_fail_split(const char *want)
{
	uint64_t end = tm_now_ms() + 10000 * tm_timeout_scale();
	char st[32];

	for (;;) {
		tm_must_read_str(FAIL_SPLIT, st, sizeof(st));
		if (!strcmp(st, want))
			return;
		if (tm_now_ms() > end)
			FAIL("fail_split is '%s' after 10 s, expected '%s'", st, want);
		usleep(1000);
	}
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
	char state[320];
	uint8_t snap[16];
	unsigned int i;
	uint64_t end;

	if (access(FAIL_SPLIT, W_OK))
		SKIP("no %s (debugfs): %s", FAIL_SPLIT, tm_errname(errno));
	tm_must_bind(fd, p, SZ(16), RW | PREFAULT);
	tm_must_write(FAIL_SPLIT, "1");
	/* [0, 16) splits into [0, 8) and [9, 16): it stops after [0, 8) */
	ASSERT_SYS(munmap(p + SZ(8), PAGE_SZ));
	wait_fail_split("waiting");
	/* cut the new segment [0, 8): it is queued for splitting itself */
	ASSERT_SYS(munmap(p + SZ(2), PAGE_SZ));
	wait_fail_split("fired");
	tm_must_write(FAIL_SPLIT, "0");
	/* the old segment, cut twice, is split on the next run: 3 segments */
	end = tm_now_ms() + 10000 * tm_timeout_scale();
	tm_dbg_state_path(state, sizeof(state), NULL, 0);
	while (tm_dbg_segments(state, NULL) != 3) {
		if (tm_now_ms() > end)
			FAIL("%ld segments after 10 s, expected 3",
			     tm_dbg_segments(state, NULL));
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
			t0 = tm_now_ms();
			while (!a.calls && tm_now_ms() - t0 < 20000ULL * tm_timeout_scale())
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
		tm_must_exit0(tm_wait_bounded(pid, 30000, "close_during_accesses child"),
			   "close_during_accesses child");
		calls++;
	}
	tm_diag("%lu rounds", calls);
	tm_must_round_trip(fd);
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

			tm_must_bind(f1, p, SZ(64), RW | PREFAULT);
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
			int st = tm_wait_bounded(pid, 30000, "child with files open");

			if (round % 3 == 0)
				tm_must_exit0(st, "exiting child");
			else if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGKILL)
				FAIL("killed child: status 0x%x", st);
		}
	}
	tm_must_round_trip(fd);
}
