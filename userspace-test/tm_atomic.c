// SPDX-License-Identifier: GPL-2.0
/*
 * tm_atomic: device atomics (DRM ioctl ATOMIC) on pages the device takes
 * with make_device_exclusive(). Run with -l to list the tests.
 *
 * The proof: the CPU and the device each add 1 to one counter N times,
 * concurrently (interleaved: neither more than a few adds ahead), and the
 * counter ends at exactly 2N; every value the two
 * saw before their adds is a different one of 0 .. 2N-1. Then one test per
 * behaviour, with exact outcomes: the table (SNAPSHOT), the events, the
 * counters, and what each CPU change does to an exclusive page (touch,
 * mprotect, fork, munmap, another device), and bad input.
 *
 * Where the kernel lacks make_device_exclusive() (6.1, 6.12) the
 * capability is clear and a valid ATOMIC fails with EOPNOTSUPP, which
 * cap_matches_kernel asserts; the tests that need the capability skip.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tm_lib.h"

#define EV_EXCL		TEST_MIRROR_EVENT_EXCLUSIVE
#define SNAP_EXCL	(TEST_MIRROR_SNAP_WRITE | TEST_MIRROR_SNAP_EXCLUSIVE)
#define ADD		TEST_MIRROR_ATOMIC_FETCH_ADD
#define CMPXCHG		TEST_MIRROR_ATOMIC_CMPXCHG

/* Adds each side makes in race_cpu_device_2n. */
#define RACE_N		4000

static int atomic_op(int fd, const void *addr, uint32_t op, uint64_t operand,
		     uint64_t compare, struct drm_test_mirror_atomic *out)
{
	struct drm_test_mirror_atomic a = {
		.addr = ADDR(addr),
		.operand = operand,
		.compare = compare,
		.op = op,
	};
	int ret = tm_ioctl(fd, DRM_IOCTL_TEST_MIRROR_ATOMIC, &a);

	if (out)
		*out = a;
	return ret;
}

/* ATOMIC add that must work: returns the old value; *granted if asked. */
static uint64_t must_add_at(int fd, const void *addr, uint64_t v,
			    uint32_t *granted, const char *file, int line)
{
	struct drm_test_mirror_atomic a;
	int ret = atomic_op(fd, addr, ADD, v, 0, &a);

	if (ret)
		tm_fail(file, line, "ATOMIC add: %s", tm_errname(ret));
	if (granted)
		*granted = a.granted;
	return a.old;
}
#define must_add(fd, addr, v, g) must_add_at(fd, addr, v, g, __FILE__, __LINE__)

static void need_cap(int fd)
{
	if (!tm_has_cap(fd, TEST_MIRROR_CAP_DEVICE_EXCLUSIVE))
		SKIP("no make_device_exclusive() on this kernel (cap_matches_kernel checks EOPNOTSUPP)");
}

/* A CPU read of the 64-bit word at p (it takes the page back). */
static uint64_t cpu_read(const void *p)
{
	return *(const volatile uint64_t *)p;
}

/* ------------------------------------------------------------------------ */

/*
 * The capability is set exactly on the kernel that has the one-page
 * make_device_exclusive() with CONFIG_DEVICE_PRIVATE: of Debian's, 7.3.
 * Without it, a valid ATOMIC fails with EOPNOTSUPP and changes nothing.
 */
TEST(cap_matches_kernel)
{
	unsigned int kv = tm_must_kernel_version();
	bool cap = tm_has_cap(fd, TEST_MIRROR_CAP_DEVICE_EXCLUSIVE);
	uint64_t *p = tm_must_map(1, PROT_READ | PROT_WRITE);
	struct drm_test_mirror_stats st;

	ASSERT_EQ(cap, kv >= 700);
	p[0] = 41;
	tm_must_bind(fd, p, SZ(1), RW);
	if (cap)
		return;
	ASSERT_ERRNO(atomic_op(fd, p, ADD, 1, 0, NULL), -EOPNOTSUPP);
	ASSERT_ERRNO(atomic_op(fd, p, CMPXCHG, 1, 41, NULL), -EOPNOTSUPP);
	ASSERT_EQ(p[0], 41);
	st = STATS(fd);
	ASSERT_EQ(st.atomics, 0);
	ASSERT_EQ(st.exclusive_grants, 0);
}

/*
 * The uAPI checks come first on every kernel (-EINVAL); then, with the
 * capability, the address checks: misaligned, beyond user space, unbound,
 * read-only binding.
 */
TEST(bad_input)
{
	bool cap = tm_has_cap(fd, TEST_MIRROR_CAP_DEVICE_EXCLUSIVE);
	int want = cap ? 0 : -EOPNOTSUPP;
	uint64_t *p = tm_must_map(2, PROT_READ | PROT_WRITE);
	struct drm_test_mirror_atomic a, ok = {
		.addr = ADDR(p), .operand = 1, .op = ADD,
	};

	p[0] = 5;
	tm_must_bind(fd, p, SZ(1), RW);
	tm_must_bind(fd, PG(p, 1), SZ(1), RO);
	a = ok, a.op = 2;
	ASSERT_ERRNO(tm_ioctl(fd, DRM_IOCTL_TEST_MIRROR_ATOMIC, &a), -EINVAL);
	a = ok, a.op = 0xffffffff;
	ASSERT_ERRNO(tm_ioctl(fd, DRM_IOCTL_TEST_MIRROR_ATOMIC, &a), -EINVAL);
	a = ok, a.flags = 1;
	ASSERT_ERRNO(tm_ioctl(fd, DRM_IOCTL_TEST_MIRROR_ATOMIC, &a), -EINVAL);
	a = ok, a.flags = 0x80000000u;
	ASSERT_ERRNO(tm_ioctl(fd, DRM_IOCTL_TEST_MIRROR_ATOMIC, &a), -EINVAL);
	a = ok, a.pad = 1;
	ASSERT_ERRNO(tm_ioctl(fd, DRM_IOCTL_TEST_MIRROR_ATOMIC, &a), -EINVAL);
	a = ok, a.reserved[0] = 1;
	ASSERT_ERRNO(tm_ioctl(fd, DRM_IOCTL_TEST_MIRROR_ATOMIC, &a), -EINVAL);
	a = ok, a.reserved[1] = 1ull << 63;
	ASSERT_ERRNO(tm_ioctl(fd, DRM_IOCTL_TEST_MIRROR_ATOMIC, &a), -EINVAL);
	a = ok, a.compare = 1;	/* no compare for an add */
	ASSERT_ERRNO(tm_ioctl(fd, DRM_IOCTL_TEST_MIRROR_ATOMIC, &a), -EINVAL);
	/* beyond the uAPI checks: the kernel's answer */
	a = ok, a.addr += 4;
	ASSERT_ERRNO(tm_ioctl(fd, DRM_IOCTL_TEST_MIRROR_ATOMIC, &a),
		     cap ? -EINVAL : want);
	a = ok, a.addr += 1;
	ASSERT_ERRNO(tm_ioctl(fd, DRM_IOCTL_TEST_MIRROR_ATOMIC, &a),
		     cap ? -EINVAL : want);
	a = ok, a.addr = ~0ull << 12;
	ASSERT_ERRNO(tm_ioctl(fd, DRM_IOCTL_TEST_MIRROR_ATOMIC, &a),
		     cap ? -EINVAL : want);
	a = ok, a.addr = ADDR(PG(p, 2));	/* in no binding */
	ASSERT_ERRNO(tm_ioctl(fd, DRM_IOCTL_TEST_MIRROR_ATOMIC, &a),
		     cap ? -ENOENT : want);
	a = ok, a.addr = ADDR(PG(p, 1));	/* a read-only binding */
	ASSERT_ERRNO(tm_ioctl(fd, DRM_IOCTL_TEST_MIRROR_ATOMIC, &a),
		     cap ? -EPERM : want);
	/* nothing was taken or changed */
	ASSERT_EQ(STATS(fd).atomics, 0);
	ASSERT_EQ(STATS(fd).exclusive_grants, 0);
	ASSERT_EQ(SNAP_COUNT(fd, p, 1, TEST_MIRROR_SNAP_NONE), 1);
	ASSERT_EQ(p[0], 5);
}

/*
 * Fetch-add: the first takes the page (EXCLUSIVE, ours: SKIP; SNAPSHOT
 * EXCLUSIVE), the second finds it held; the CPU's read takes it back
 * (CLEAR, owner none: the entry invalidated, one exclusive page lost), and
 * the next add takes it again.
 */
TEST(fetch_add_events_and_lifetime)
{
	uint64_t *p = tm_must_map(1, PROT_READ | PROT_WRITE);
	struct drm_test_mirror_stats st;
	struct tm_evlog *log;
	uint32_t h, g;

	need_cap(fd);
	p[0] = 5;
	p[1] = 77;
	h = tm_must_bind(fd, p, SZ(1), RW);
	tm_evlog_drain(fd);
	ASSERT_EQ(must_add(fd, p, 3, &g), 5);
	ASSERT_EQ(g, 1);
	ASSERT_EQ(SNAP_COUNT(fd, p, 1, SNAP_EXCL), 1);
	ASSERT_EQ(must_add(fd, p, 2, &g), 8);
	ASSERT_EQ(g, 0);
	ASSERT_EQ(must_add(fd, &p[1], ~0ull, &g), 77);	/* adds wrap: -1 */
	ASSERT_EQ(g, 0);
	log = EV_TAKE(fd);
	EXPECT_NREC(log, 1);
	EXPECT_REC(log, 0, EV_EXCL, h, p, PG(p, 1), ACT_SKIP, 0);
	free(log);
	st = STATS(fd);
	ASSERT_EQ(st.atomics, 3);
	ASSERT_EQ(st.exclusive_grants, 1);
	ASSERT_EQ(st.exclusive_lost, 0);
	ASSERT_EQ(st.events[EV_EXCL], 1);

	/* the CPU touches the page */
	ASSERT_EQ(cpu_read(p), 10);
	log = EV_TAKE(fd);
	EXPECT_NREC(log, 1);
	EXPECT_REC(log, 0, EV_CLEAR, h, p, PG(p, 1), ACT_INVAL, 1);
	free(log);
	ASSERT_EQ(SNAP_COUNT(fd, p, 1, TEST_MIRROR_SNAP_NONE), 1);
	ASSERT_EQ(p[1], 76);
	st = STATS(fd);
	ASSERT_EQ(st.exclusive_lost, 1);
	ASSERT_EQ(st.entries_present, 0);

	ASSERT_EQ(must_add(fd, p, 1, &g), 10);
	ASSERT_EQ(g, 1);
	ASSERT_EQ(SNAP_COUNT(fd, p, 1, SNAP_EXCL), 1);
	st = STATS(fd);
	ASSERT_EQ(st.atomics, 4);
	ASSERT_EQ(st.exclusive_grants, 2);
	ASSERT_EQ(cpu_read(p), 11);
	ASSERT_EQ(STATS(fd).exclusive_lost, 2);
}

/*
 * Under the event-blind policy too, the device's own EXCLUSIVE is its own
 * move (SKIP): the atomic works, and the CPU's touch invalidates as any
 * event does.
 */
TEST(blind_policy_too)
{
	uint64_t *p = tm_must_map(1, PROT_READ | PROT_WRITE);
	struct tm_evlog *log;
	uint32_t h, g;
	int fb;

	need_cap(fd);
	fb = tm_must_open_blind();
	p[0] = 30;
	h = tm_must_bind(fb, p, SZ(1), RW);
	tm_evlog_drain(fb);
	ASSERT_EQ(must_add(fb, p, 2, &g), 30);
	ASSERT_EQ(g, 1);
	ASSERT_EQ(must_add(fb, p, 2, &g), 32);
	ASSERT_EQ(g, 0);
	log = EV_TAKE(fb);
	EXPECT_NREC(log, 1);
	EXPECT_REC(log, 0, EV_EXCL, h, p, PG(p, 1), ACT_SKIP, 0);
	free(log);
	ASSERT_EQ(cpu_read(p), 34);
	log = EV_TAKE(fb);
	EXPECT_NREC(log, 1);
	EXPECT_REC(log, 0, EV_CLEAR, h, p, PG(p, 1), ACT_INVAL, 1);
	free(log);
	ASSERT_EQ(STATS(fb).exclusive_lost, 1);
}

/* Compare-exchange: stores only on a match, returns the old value. */
TEST(cmpxchg)
{
	uint64_t *p = tm_must_map(1, PROT_READ | PROT_WRITE);
	struct drm_test_mirror_atomic a;

	need_cap(fd);
	p[3] = 7;
	tm_must_bind(fd, p, SZ(1), RW);
	ASSERT_OK(atomic_op(fd, &p[3], CMPXCHG, 9, 6, &a));
	ASSERT_EQ(a.old, 7);
	ASSERT_EQ(a.granted, 1);
	ASSERT_OK(atomic_op(fd, &p[3], CMPXCHG, 9, 7, &a));
	ASSERT_EQ(a.old, 7);
	ASSERT_EQ(a.granted, 0);
	ASSERT_OK(atomic_op(fd, &p[3], CMPXCHG, 1, 7, &a));
	ASSERT_EQ(a.old, 9);
	ASSERT_EQ(cpu_read(&p[3]), 9);
	ASSERT_EQ(p[2], 0);
	ASSERT_EQ(p[4], 0);
	ASSERT_EQ(STATS(fd).atomics, 3);
}

/*
 * Neither side may run more than RACE_W adds ahead of the other: the two
 * really interleave (under TCG a thread could otherwise finish its N adds
 * in one time slice), while inside the window they race freely.
 */
#define RACE_W		8

struct race {
	uint64_t *ctr;
	uint64_t *seen;		/* one count per value 0 .. 2N-1 */
	volatile int go;
	unsigned int done[2];	/* adds done: [0] the CPU, [1] the device */
	unsigned int dup;
};

static void race_mark(struct race *r, uint64_t old)
{
	if (old >= 2 * RACE_N || __atomic_fetch_add(&r->seen[old], 1,
						    __ATOMIC_RELAXED))
		__atomic_fetch_add(&r->dup, 1, __ATOMIC_RELAXED);
}

/* Before add i of side me: wait until the other side is within the window. */
static void race_step(struct race *r, int me, unsigned int i)
{
	while (__atomic_load_n(&r->done[!me], __ATOMIC_ACQUIRE) + RACE_W < i)
		sched_yield();
}

static void race_done(struct race *r, int me)
{
	__atomic_fetch_add(&r->done[me], 1, __ATOMIC_RELEASE);
}

static void *race_cpu(void *arg)
{
	struct race *r = arg;
	unsigned int i;

	while (!r->go)
		;
	for (i = 0; i < RACE_N; i++) {
		race_step(r, 0, i);
		race_mark(r, __atomic_fetch_add(r->ctr, 1, __ATOMIC_SEQ_CST));
		race_done(r, 0);
	}
	return NULL;
}

/*
 * The proof: the CPU (a thread, lock xadd) and the device (ATOMIC) each
 * add 1 to one counter RACE_N times at once, never more than RACE_W adds
 * apart. The counter ends at exactly 2 * RACE_N; the old values of all the
 * adds are 0 .. 2N-1, each once. A run of adds of one side is about
 * 2 * RACE_W long at most (the window, plus an add in flight on each side
 * that the other does not see yet), so the CPU takes the page back some
 * N / (2 * RACE_W) times; the test asserts half of that, which a race
 * without interleaving (one grant, one loss) cannot reach. Each time the
 * device takes the page again:
 * it never lost the page more often than it took it, nor took it more than
 * once without losing it in between (then, after the last CPU read, as
 * often).
 */
TEST_OPTS(race_cpu_device_2n, 0, 300)
{
	uint64_t *p = tm_must_map(1, PROT_READ | PROT_WRITE);
	struct race r = { .ctr = &p[0] };
	struct drm_test_mirror_stats st;
	struct timespec t0, t1;
	pthread_t cpu;
	unsigned int i;
	double secs;
	uint64_t k;

	need_cap(fd);
	r.seen = calloc(2 * RACE_N, sizeof(*r.seen));
	ASSERT_TRUE(r.seen);
	tm_must_bind(fd, p, SZ(1), RW);
	ASSERT_EQ(pthread_create(&cpu, NULL, race_cpu, &r), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r.go = 1;
	for (i = 0; i < RACE_N; i++) {
		race_step(&r, 1, i);
		race_mark(&r, must_add(fd, p, 1, NULL));
		race_done(&r, 1);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ASSERT_EQ(pthread_join(cpu, NULL), 0);
	st = STATS(fd);
	ASSERT_EQ(cpu_read(p), 2 * RACE_N);
	ASSERT_EQ(r.dup, 0);
	for (k = 0; k < 2 * RACE_N; k++)
		ASSERT_EQ(r.seen[k], 1);
	ASSERT_EQ(st.atomics, RACE_N);
	ASSERT_GE(st.exclusive_grants, RACE_N / (4 * (RACE_W + 1)));
	ASSERT_LE(st.exclusive_grants, RACE_N);
	ASSERT_GE(st.exclusive_grants, st.exclusive_lost);
	ASSERT_LE(st.exclusive_grants - st.exclusive_lost, 1);
	secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	tm_diag("2N race: N=%u, counter %" PRIu64 " = 2N, device grants %llu, lost %llu, retries %llu, %.3f s, %.0f device atomics/s",
		RACE_N, p[0], (unsigned long long)st.exclusive_grants,
		(unsigned long long)st.exclusive_lost,
		(unsigned long long)st.retries, secs, RACE_N / secs);
	/* the last CPU read took the page back if the device held it */
	st = STATS(fd);
	ASSERT_EQ(st.exclusive_grants, st.exclusive_lost);
	ASSERT_EQ(SNAP_COUNT(fd, p, 1, TEST_MIRROR_SNAP_NONE), 1);
}

/*
 * The device's own READ and WRITE use the exclusive entry (no fault) and
 * keep the page exclusive; the CPU then sees what the device wrote.
 */
TEST(device_access_keeps_exclusive)
{
	uint64_t *p = tm_must_map(1, PROT_READ | PROT_WRITE);
	uint64_t *buf = tm_scratch(1);
	struct tm_result res;

	need_cap(fd);
	tm_fill(p, SZ(1), 0x51);
	tm_must_bind(fd, p, SZ(1), RW);
	must_add(fd, p, 0, NULL);
	ASSERT_OK(tm_read(fd, p, SZ(1), buf, &res));
	ASSERT_EQ(res.faults, 0);
	ASSERT_PATTERN(buf, SZ(1), 0x51);
	tm_fill(buf, SZ(1), 0x52);
	ASSERT_OK(tm_write(fd, p, SZ(1), buf, &res));
	ASSERT_EQ(res.faults, 0);
	ASSERT_EQ(SNAP_COUNT(fd, p, 1, SNAP_EXCL), 1);
	ASSERT_EQ(STATS(fd).exclusive_lost, 0);
	ASSERT_PATTERN(p, SZ(1), 0x52);
	ASSERT_EQ(STATS(fd).exclusive_lost, 1);
}

/*
 * mprotect(PROT_READ) takes the page back (PROTECTION_VMA); an ATOMIC then
 * fails with -EPERM and changes nothing; PROT_READ|PROT_WRITE again, it
 * works.
 */
TEST(mprotect_read_only_eperm)
{
	uint64_t *p = tm_must_map(1, PROT_READ | PROT_WRITE);
	struct tm_evlog *log;
	uint32_t h, g;

	need_cap(fd);
	p[0] = 100;
	h = tm_must_bind(fd, p, SZ(1), RW);
	must_add(fd, p, 1, NULL);
	tm_evlog_drain(fd);
	ASSERT_SYS(mprotect(p, SZ(1), PROT_READ));
	log = EV_TAKE(fd);
	EXPECT_EV_N(log, TEST_MIRROR_EVENT_PROTECTION_VMA, h, p, PG(p, 1),
		    BIT(ACT_INVAL), 1);
	free(log);
	ASSERT_EQ(STATS(fd).exclusive_lost, 1);
	ASSERT_EQ(SNAP_COUNT(fd, p, 1, TEST_MIRROR_SNAP_NONE), 1);
	ASSERT_ERRNO(atomic_op(fd, p, ADD, 1, 0, NULL), -EPERM);
	ASSERT_ERRNO(atomic_op(fd, p, CMPXCHG, 0, 101, NULL), -EPERM);
	ASSERT_EQ(cpu_read(p), 101);
	ASSERT_EQ(STATS(fd).atomics, 1);
	ASSERT_SYS(mprotect(p, SZ(1), PROT_READ | PROT_WRITE));
	ASSERT_EQ(must_add(fd, p, 1, &g), 101);
	ASSERT_EQ(g, 1);
	ASSERT_EQ(cpu_read(p), 102);
}

/*
 * fork write-protects the page (PROTECTION_PAGE: the entry is downgraded
 * and no longer exclusive). The child's write breaks COW for itself; the
 * parent's next ATOMIC takes its own copy again.
 */
TEST(fork_cow)
{
	uint64_t *p = tm_must_map(1, PROT_READ | PROT_WRITE);
	struct tm_evlog *log;
	uint32_t h, g;
	pid_t pid;

	need_cap(fd);
	p[0] = 1;
	h = tm_must_bind(fd, p, SZ(1), RW);
	must_add(fd, p, 1, NULL);
	tm_evlog_drain(fd);
	pid = tm_fork();
	if (!pid) {
		if (cpu_read(p) != 2)
			_exit(2);
		p[0] = 1000;
		_exit(cpu_read(p) == 1000 ? 0 : 3);
	}
	tm_must_wait_ok(pid);
	log = EV_TAKE(fd);
	EXPECT_EV(log, TEST_MIRROR_EVENT_PROTECTION_PAGE, h, p, PG(p, 1),
		  BIT(ACT_DOWN));
	free(log);
	ASSERT_EQ(STATS(fd).exclusive_lost, 1);
	ASSERT_EQ(SNAP_COUNT(fd, p, 1, TEST_MIRROR_SNAP_READ), 1);
	ASSERT_EQ(must_add(fd, p, 1, &g), 2);
	ASSERT_EQ(g, 1);
	ASSERT_EQ(SNAP_COUNT(fd, p, 1, SNAP_EXCL), 1);
	ASSERT_EQ(cpu_read(p), 3);
}

/*
 * Only anonymous private memory: a shared file mapping, a private file
 * mapping and shared anonymous memory give -EINVAL, and nothing is taken.
 */
TEST(file_and_shared_einval)
{
	uint64_t *shared, *priv, *shanon;
	int mfd;

	need_cap(fd);
	mfd = memfd_create("tm_atomic", MFD_CLOEXEC);
	ASSERT_GE(mfd, 0);
	ASSERT_SYS(ftruncate(mfd, SZ(1)));
	shared = mmap(NULL, SZ(1), PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	priv = mmap(NULL, SZ(1), PROT_READ | PROT_WRITE, MAP_PRIVATE, mfd, 0);
	shanon = mmap(NULL, SZ(1), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(shared != MAP_FAILED && priv != MAP_FAILED &&
		    shanon != MAP_FAILED);
	shared[0] = 4;
	shanon[0] = 6;
	tm_must_bind(fd, shared, SZ(1), RW);
	tm_must_bind(fd, priv, SZ(1), RW);
	tm_must_bind(fd, shanon, SZ(1), RW);
	ASSERT_ERRNO(atomic_op(fd, shared, ADD, 1, 0, NULL), -EINVAL);
	ASSERT_ERRNO(atomic_op(fd, priv, ADD, 1, 0, NULL), -EINVAL);
	ASSERT_ERRNO(atomic_op(fd, shanon, ADD, 1, 0, NULL), -EINVAL);
	ASSERT_EQ(shared[0], 4);
	ASSERT_EQ(priv[0], 4);
	ASSERT_EQ(shanon[0], 6);
	ASSERT_EQ(STATS(fd).exclusive_grants, 0);
	ASSERT_EQ(STATS(fd).atomics, 0);
}

/*
 * munmap of an exclusive page: UNMAP drops it (lost), the next ATOMIC at
 * that address fails with -EFAULT. Unbinding another exclusive page gives
 * it up without a loss; the CPU's later touch is no event of this file.
 */
TEST(munmap_and_unbind)
{
	uint64_t *p = tm_must_map(2, PROT_READ | PROT_WRITE);
	uint64_t *q = (uint64_t *)PG(p, 1);
	struct tm_evlog *log;
	uint32_t hp, hq;

	need_cap(fd);
	p[0] = 1;
	q[0] = 2;
	hp = tm_must_bind(fd, p, SZ(1), RW);
	hq = tm_must_bind(fd, q, SZ(1), RW);
	must_add(fd, p, 1, NULL);
	must_add(fd, q, 1, NULL);
	ASSERT_EQ(STATS(fd).exclusive_grants, 2);
	ASSERT_OK(tm_unbind(fd, hq));
	ASSERT_EQ(STATS(fd).exclusive_lost, 0);
	tm_evlog_drain(fd);
	ASSERT_EQ(cpu_read(q), 3);
	log = EV_TAKE(fd);
	EXPECT_NREC(log, 0);
	free(log);
	ASSERT_OK(tm_unmap(p, 1));
	log = EV_TAKE(fd);
	EXPECT_EV_N(log, TEST_MIRROR_EVENT_UNMAP, hp, p, PG(p, 1),
		    BIT(ACT_DROP), 1);
	free(log);
	ASSERT_EQ(STATS(fd).exclusive_lost, 1);
	ASSERT_ERRNO(atomic_op(fd, p, ADD, 1, 0, NULL), -EFAULT);
}

/*
 * Two files of the device mirror one page: when A takes it, B's entry is
 * invalidated (the EXCLUSIVE is not B's own); B's READ then takes the page
 * back for the CPU, and A has lost it.
 */
TEST(other_file_invalidates)
{
	uint64_t *p = tm_must_map(1, PROT_READ | PROT_WRITE);
	uint64_t *buf = tm_scratch(1);
	struct tm_evlog *log;
	uint32_t ha, hb;
	int fb;

	need_cap(fd);
	fb = tm_must_open();
	p[0] = 20;
	ha = tm_must_bind(fd, p, SZ(1), RW);
	hb = tm_must_bind(fb, p, SZ(1), RWP);
	ASSERT_EQ(SNAP_COUNT(fb, p, 1, TEST_MIRROR_SNAP_WRITE), 1);
	tm_evlog_drain(fd);
	tm_evlog_drain(fb);
	must_add(fd, p, 1, NULL);
	log = EV_TAKE(fb);
	EXPECT_NREC(log, 1);
	EXPECT_REC(log, 0, EV_EXCL, hb, p, PG(p, 1), ACT_INVAL, 1);
	free(log);
	log = EV_TAKE(fd);
	EXPECT_NREC(log, 1);
	EXPECT_REC(log, 0, EV_EXCL, ha, p, PG(p, 1), ACT_SKIP, 0);
	free(log);
	ASSERT_EQ(SNAP_COUNT(fb, p, 1, TEST_MIRROR_SNAP_NONE), 1);
	ASSERT_OK(tm_read(fb, p, SZ(1), buf, NULL));
	ASSERT_EQ(buf[0], 21);
	ASSERT_EQ(STATS(fd).exclusive_lost, 1);
	ASSERT_EQ(SNAP_COUNT(fd, p, 1, TEST_MIRROR_SNAP_NONE), 1);
}

TM_MAIN()
