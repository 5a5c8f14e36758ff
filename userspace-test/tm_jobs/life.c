// SPDX-License-Identifier: GPL-2.0
/*
 * tm_jobs: the file or the process goes while a STREAM runs. close()
 * returns once the job stopped, well under a second (the job had 3 s to
 * go), and the job's fence, kept as a sync_file, carries -ECANCELED; the
 * engine writes nothing after close returned. A process that exits with
 * a STREAM running is gone within a second, and the fence it passed on
 * carries an error.
 */
#include <sys/socket.h>
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
