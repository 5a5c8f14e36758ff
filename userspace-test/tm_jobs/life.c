// SPDX-License-Identifier: GPL-2.0
/*
 * tm_jobs: the file or the process goes while a STREAM runs. close()
 * returns once the job stopped, well under a second (the job had 3 s to
 * go), and the job's fence, kept as a sync_file, carries -ECANCELED; the
 * engine writes nothing after close returned. A process that exits with
 * a STREAM running is gone within a second, and the fence it passed on
 * carries an error. While the engine's TLB acknowledgment is outstanding,
 * a non-blockable invalidation (a reap of a killed process's memory) is
 * refused and counted.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tm_jobs.h"

TEST(close_stops_stream)
{
	uint8_t *buf = tm_must_map_pattern(NJ, SEED_A);
	int f2 = tm_must_open(), sf;
	uint64_t t0, t1;
	uint32_t out;

	tm_must_bind(f2, buf, SZ(NJ), RW);
	out = STREAM_W(f2, buf, NJ, VAL_A, LONG_MS);
	sf = tm_fence_export(f2, out);
	ASSERT_GE(sf, 0);
	WAIT_WORDS(buf, SZ(NJ), VAL_A, 2000);
	t0 = tm_now_ns();
	ASSERT_SYS(close(f2));
	t1 = tm_now_ns();
	tm_diag("close with a STREAM running: %.3f ms", MS(t1 - t0));
	ASSERT_LT(t1 - t0, BOUND_NS(500));
	ASSERT_EQ(FENCE_FILE(sf, 1), -ECANCELED);
	/* the engine has stopped: what the CPU writes now stays */
	tm_fill(buf, SZ(NJ), SEED_B);
	tm_sleep_ms(100);
	ASSERT_PATTERN(buf, SZ(NJ), SEED_B);
	close(sf);
}

/*
 * A child submits a writing STREAM of 3 s, hands its fence (a sync_file)
 * to the parent once the job runs, and _exit()s. The parent sees it gone
 * within a second of the hand-over, and the fence signalled with an error:
 * -EFAULT if the address space's teardown (RELEASE, which comes first in
 * exit) ended the job, -ECANCELED if the file's close did.
 */
TEST(exit_stops_stream)
{
	int sv[2], sf, st;
	uint64_t t0, t1;
	char c = 0;
	pid_t pid;

	ASSERT_SYS(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	pid = tm_fork();
	if (!pid) {
		uint8_t *buf = tm_must_map_pattern(NJ, SEED_A);
		int f = tm_must_open(), s;
		uint32_t out;

		close(sv[0]);
		tm_must_bind(f, buf, SZ(NJ), RW);
		out = STREAM_W(f, buf, NJ, VAL_A, LONG_MS);
		s = tm_fence_export(f, out);
		ASSERT_GE(s, 0);
		WAIT_WORDS(buf, SZ(NJ), VAL_A, 2000);
		tm_send_fd(sv[1], s, "r", 1);
		_exit(0);
	}
	close(sv[1]);
	sf = tm_recv_fd(sv[0], &c, 1);
	t0 = tm_now_ns();
	st = tm_wait_bounded(pid, 1000, "exit with a STREAM running");
	t1 = tm_now_ns();
	tm_must_exit0(st, "child");
	tm_diag("exit with a STREAM running: gone %.3f ms after the hand-over",
		MS(t1 - t0));
	ASSERT_LT(t1 - t0, BOUND_NS(1000));
	st = FENCE_FILE(sf, 1000);
	tm_diag("the fence of the exited process's STREAM: %s", tm_errname(st));
	ASSERT_TRUE(st == -EFAULT || st == -ECANCELED);
	close(sf);
}

#ifndef SYS_pidfd_open
#define SYS_pidfd_open		434
#endif
#ifndef SYS_process_mrelease
#define SYS_process_mrelease	448
#endif

#define NR_REAP		32u	/* pages the killed child's STREAM reads */
#define ACK_DELAY	"1500"	/* ms: tlb_ack_delay_ms during the test */

/* The state letter of /proc/pid/stat (R, S, D...), or 0. */
static char proc_state(pid_t pid)
{
	char path[64], txt[512], *p;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (tm_read_text(path, txt, sizeof(txt)))
		return 0;
	p = strrchr(txt, ')');
	return p && p[1] == ' ' ? p[2] : 0;
}

/*
 * The child: a fault-model STREAM reads NR_REAP pages until every page is
 * valid; the child hands its file to the parent, then munmaps the first
 * page, which waits (in D state, mmap_lock held for read) for the engine's
 * slow acknowledgment. The parent kills it meanwhile.
 */
static void reap_child(int sock)
{
	uint8_t *buf = tm_must_map_pattern(NR_REAP, SEED_A);
	int f = tm_must_open();
	struct drm_test_mirror_ufence *uf = UFENCES(f, true);

	tm_must_bind(f, buf, SZ(NR_REAP), RO);
	FSTREAM_R(f, buf, NR_REAP, LONG_MS, uf, SEQ_A);
	WAIT_FAULT_PAGES(f, NR_REAP, 2000);
	tm_send_fd(sock, f, "r", 1);
	ASSERT_OK(tm_unmap(buf, 1));
	_exit(0);
}

static void reap_during_ack(int unused)
{
	struct engine_totals t0 = ENGINE_TOTALS(), t1;
	int sv[2], f, pidfd, r = 0, i, status;
	uint64_t start;
	char c = 0;
	pid_t pid;

	(void)unused;
	ASSERT_SYS(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	pid = tm_fork();
	if (!pid) {
		close(sv[0]);
		reap_child(sv[1]);
	}
	close(sv[1]);
	pidfd = syscall(SYS_pidfd_open, pid, 0);
	ASSERT_GE(pidfd, 0);
	/* the child's file: its mirror outlives the child */
	f = tm_recv_fd(sv[0], &c, 1);
	/* the munmap waits for the acknowledgment, uninterruptibly */
	start = tm_now_ns();
	while (proc_state(pid) != 'D') {
		ASSERT_LT(tm_now_ns() - start, BOUND_NS(1000));
		tm_sleep_ms(1);
	}
	ASSERT_SYS(kill(pid, SIGKILL));
	/*
	 * The reap calls the callbacks non-blockable: ours must return
	 * false (the table was busy, or an acknowledgment is outstanding),
	 * and process_mrelease() fail with EAGAIN. Again if it was only
	 * busy.
	 */
	for (i = 0; i < 5; i++) {
		r = syscall(SYS_process_mrelease, pidfd, 0) ? -errno : 0;
		ASSERT_EQ(r, -EAGAIN);
		t1 = ENGINE_TOTALS();
		if (t1.nonblock_ack_pending != t0.nonblock_ack_pending)
			break;
	}
	tm_diag("process_mrelease() of the killed child: %s, %d calls; %llu non-blockable callbacks returned false awaiting the acknowledgment",
		tm_errname(r), i + 1,
		t1.nonblock_ack_pending - t0.nonblock_ack_pending);
	ASSERT_GE(t1.nonblock_ack_pending, t0.nonblock_ack_pending + 1);
	status = tm_wait_bounded(pid, 5000, "the killed child");
	ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	close(f);
	t1 = ENGINE_TOTALS();
	ASSERT_EQ(t1.fault_jobs, t0.fault_jobs + 1);
	ASSERT_EQ(t1.late, t0.late);
	close(pidfd);
}

/*
 * A non-blockable invalidation while the engine's TLB acknowledgment is
 * outstanding returns false ("Jobs: the fault model"). The OOM reaper
 * gives one, and process_mrelease() runs the same reap on demand: with
 * tlb_ack_delay_ms, a killed child's munmap keeps an acknowledgment
 * outstanding while the parent reaps the child's memory. The reap fails
 * with EAGAIN, at least one callback refused for the acknowledgment
 * (debugfs engine: nonblock_ack_pending), and no engine access came after
 * an invalidation.
 */
TEST_OPTS(nonblock_reap_refused_while_ack_outstanding, 0, 60)
{
	uint64_t v = 1;

	ASSERT_OK(tm_param_get("tlb_ack_delay_ms", &v));
	ASSERT_EQ(v, 0);
	tm_with_param("tlb_ack_delay_ms", ACK_DELAY, reap_during_ack);
	ASSERT_OK(tm_param_get("tlb_ack_delay_ms", &v));
	ASSERT_EQ(v, 0);
}
