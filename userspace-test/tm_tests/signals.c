// SPDX-License-Identifier: GPL-2.0
/*
 * tm_tests: signals during device calls. Only a fatal signal ends a device
 * call early; a READ waiting for the file's lock and a WRITE waiting for a
 * userfaultfd page get SIGUSR1 (a handler without SA_RESTART) and complete.
 */
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tm_tests.h"

static volatile sig_atomic_t usr1_caught;

static void on_usr1(int sig)
{
	(void)sig;
	usr1_caught++;
}

/*
 * Catch SIGUSR1 with a handler installed without SA_RESTART: a system call
 * the signal interrupts fails with EINTR instead of being restarted.
 */
static void catch_usr1(void)
{
	struct sigaction sa = { .sa_handler = on_usr1 };

	sigemptyset(&sa.sa_mask);
	ASSERT_SYS(sigaction(SIGUSR1, &sa, NULL));
}

/*
 * Only a fatal signal ends a device call early (-EINTR). Any other signal
 * waits until the call returns, even one whose handler does not restart
 * system calls.
 */

/* A device READ of one page made in a thread of its own. */
struct bg_read {
	int fd;
	const void *addr;
	void *dst;
	pid_t tid;		/* published before the READ */
	int ret;
	struct tm_result res;
};

static void *bg_read_fn(void *arg)
{
	struct bg_read *r = arg;

	__atomic_store_n(&r->tid, gettid(), __ATOMIC_RELEASE);
	r->ret = tm_read(r->fd, r->addr, SZ(1), r->dst, &r->res);
	return NULL;
}

/*
 * A READ that waits for the file's lock (another READ holds it, waiting
 * for its buffer) gets SIGUSR1: it keeps waiting, then reads.
 */
TEST(lock_wait_ignores_signal)
{
	uint8_t *held = tm_must_map_pattern(1, SEED_A);
	uint8_t *buf = tm_must_map_pattern(1, SEED_B);
	struct bg_read r = { .fd = fd, .addr = buf, .dst = tm_scratch(1) };
	struct tm_held h;
	pthread_t t;

	catch_usr1();
	tm_must_bind(fd, held, SZ(1), RW);
	tm_must_bind(fd, buf, SZ(1), RW);
	DEV_READ(fd, buf, 1, -1, 0, SEED_B);
	tm_held_start(&h, fd, held, false);
	ASSERT_EQ(pthread_create(&t, NULL, bg_read_fn, &r), 0);
	tm_wait_in_syscall(&r.tid, SYS_ioctl);
	ASSERT_EQ(pthread_kill(t, SIGUSR1), 0);
	/* time for a wait the signal ends to end, before the lock is free */
	usleep(200 * 1000);
	tm_held_release(&h, 0xab);
	ASSERT_EQ(pthread_join(t, NULL), 0);
	ASSERT_OK(h.ret);
	ASSERT_PATTERN(h.buf, SZ(1), SEED_A);
	ASSERT_OK(r.ret);
	ASSERT_EQ(r.res.pages, 1);
	ASSERT_PATTERN(r.dst, SZ(1), SEED_B);
	/* the signal did reach the thread, once its READ returned */
	ASSERT_EQ(usr1_caught, 1);
}

/*
 * A device WRITE whose source is a missing userfaultfd page gets SIGUSR1
 * while the driver waits for that page: once it is supplied, the WRITE
 * completes and the CPU sees the data.
 */
TEST(write_from_uffd_source_ignores_signal)
{
	uint8_t *buf = tm_must_map_pattern(1, SEED_A);
	struct tm_held h;

	catch_usr1();
	tm_must_bind(fd, buf, SZ(1), RW);
	DEV_READ(fd, buf, 1, -1, 0, SEED_A);
	tm_held_start(&h, fd, buf, true);
	tm_wait_in_syscall(&h.tid, SYS_ioctl);
	ASSERT_EQ(pthread_kill((pthread_t)h.thread, SIGUSR1), 0);
	usleep(200 * 1000);
	tm_held_release(&h, 0xab);
	ASSERT_OK(h.ret);
	ASSERT_EQ(h.res.pages, 1);
	ASSERT_BYTES(buf, SZ(1), 0xab);
	ASSERT_EQ(usr1_caught, 1);
}
