// SPDX-License-Identifier: GPL-2.0
/*
 * tm_jobs: the fault model's arguments. SUBMIT with
 * TEST_MIRROR_SUBMIT_FAULTABLE, one bad field of a valid argument at a
 * time, for each op: what the pre-validated model refuses about the op and
 * its ranges (-EINVAL, -E2BIG, -ENOENT, -EPERM for a read-only binding),
 * plus -EINVAL for an unknown flag, a syncobj (in, its point, out), a user
 * fence at 0 or not 16-byte aligned, a fence value of 0; -ENOENT a fence in
 * no binding, -EPERM one in a read-only binding. After each, nothing was
 * queued: no job counted, no device fault, the fence unwritten. SUBMIT
 * faults nothing: what only a fault can tell (PROT_NONE, mapped read-only
 * by the CPU, tracking dropped by munmap) is the job's error, in its user
 * fence, and a job queued behind another has no entry yet. Unfinished jobs
 * of both models share the per-file limit (-EBUSY). WAIT_UFENCE's errors,
 * its timeouts, and a signal.
 */
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tm_jobs.h"

#define KERNEL_ADDR	((void *)0xffff800000000000ul)

/* Nothing was queued: no job counted, no device fault, uf unwritten. */
static void nothing_queued_at(int fd, const struct drm_test_mirror_ufence *uf,
			      const char *file, int line)
{
	struct drm_test_mirror_stats st = tm_stats_get_at(fd, file, line);

	if (st.jobs_submitted || st.jobs_completed || st.jobs_failed ||
	    st.job_pages || st.device_faults || st.fault_batches ||
	    st.fault_pages)
		tm_fail(file, line,
			"a refused SUBMIT counted: jobs %llu/%llu/%llu, %llu pages, %llu device faults, %llu batches, %llu pages faulted",
			(unsigned long long)st.jobs_submitted,
			(unsigned long long)st.jobs_completed,
			(unsigned long long)st.jobs_failed,
			(unsigned long long)st.job_pages,
			(unsigned long long)st.device_faults,
			(unsigned long long)st.fault_batches,
			(unsigned long long)st.fault_pages);
	if (uf->seqno || uf->error != UF_ERR_UNSET || uf->pad != UF_PAD_UNSET)
		tm_fail(file, line,
			"the user fence of a refused SUBMIT was written: {0x%llx, %d, 0x%x}",
			(unsigned long long)uf->seqno, uf->error, uf->pad);
}

/* SUBMIT of ok with field = val fails with err, and queues nothing. */
#define BAD(ok, field, val, err) do {					\
	struct drm_test_mirror_submit __a;				\
									\
	EXPECT_ARG_ERRNO(fd, DRM_IOCTL_TEST_MIRROR_SUBMIT, __a, ok,	\
			 field, val, err);				\
	nothing_queued_at(fd, b->uf, __FILE__, __LINE__);		\
} while (0)

/*
 * As in args.c: the source and the destination are the first 2 pages of
 * mappings of 8; the fences are in a page of their own.
 */
struct fbufs {
	uint8_t *src;	/* 2 pages, read-only binding */
	uint8_t *dst;	/* 2 pages, read-write binding */
	uint8_t *ro;	/* 2 pages, read-only binding */
	uint8_t *unb;	/* 2 pages mapped, in no binding */
	struct drm_test_mirror_ufence *uf;	/* a page of fences, RW */
	struct drm_test_mirror_ufence *uf_ro;	/* the same, RO binding */
	uint32_t syncobj;	/* a syncobj with a fence */
};

static void fbufs_make(int fd, struct fbufs *b)
{
	b->src = tm_must_map_pattern(8, SEED_A);
	b->dst = tm_must_map_pattern(8, SEED_B);
	b->ro = tm_must_map_pattern(2, SEED_C);
	b->unb = tm_must_map_pattern(2, SEED_C);
	b->uf = UFENCES(fd, false);
	b->uf_ro = tm_must_map(1, PROT_READ | PROT_WRITE);
	memset(b->uf_ro, 0, SZ(1));
	tm_must_bind(fd, b->src, SZ(2), RO);
	tm_must_bind(fd, b->dst, SZ(2), RW);
	tm_must_bind(fd, b->ro, SZ(2), RO);
	tm_must_bind(fd, b->uf_ro, SZ(1), RO);
	b->syncobj = tm_must_syncobj_at(fd, true, __FILE__, __LINE__);
}

/*
 * A fence at a kernel address: refused, -EINVAL (not a user address) or
 * -ENOENT (in no binding) alike, and nothing queued.
 */
static void kernel_fence(int fd, struct drm_test_mirror_submit ok,
			 const struct fbufs *b)
{
	int ret;

	ok.ufence_addr = ADDR(KERNEL_ADDR);
	ret = tm_submit(fd, &ok);
	if (ret != -EINVAL && ret != -ENOENT)
		FAIL("SUBMIT with a user fence at 0x%llx: %s, expected EINVAL or ENOENT",
		     (unsigned long long)ok.ufence_addr, tm_errname(ret));
	nothing_queued_at(fd, b->uf, __FILE__, __LINE__);
}

/* What every op refuses alike, on a valid fault-model argument of it. */
static void fbad_common(int fd, struct drm_test_mirror_submit ok,
			const struct fbufs *b)
{
	BAD(ok, op, 4, -EINVAL);
	BAD(ok, op, 0xffffffffu, -EINVAL);
	BAD(ok, flags, TEST_MIRROR_SUBMIT_FAULTABLE | 2, -EINVAL);
	BAD(ok, flags, TEST_MIRROR_SUBMIT_FAULTABLE | 1u << 31, -EINVAL);
	BAD(ok, pad, 1, -EINVAL);
	BAD(ok, size, 0, -EINVAL);
	BAD(ok, size, SZ(1) + 8, -EINVAL);
	BAD(ok, size, TEST_MIRROR_JOB_MAX_SIZE + SZ(1), -E2BIG);
	BAD(ok, size, 1ull << 62, -E2BIG);
	BAD(ok, size, SZ(3), -ENOENT);	/* runs past its binding */
	/* no syncobj in the fault model, not even a valid one */
	BAD(ok, in_syncobj, b->syncobj, -EINVAL);
	BAD(ok, in_syncobj, 0x7777, -EINVAL);
	BAD(ok, in_point, 1, -EINVAL);
	BAD(ok, out_syncobj, b->syncobj, -EINVAL);
	BAD(ok, out_syncobj, 0x7777, -EINVAL);
	/* the user fence */
	BAD(ok, ufence_addr, 0, -EINVAL);
	BAD(ok, ufence_addr, ADDR(b->uf) + 8, -EINVAL);
	BAD(ok, ufence_addr, ADDR(b->uf) + 4, -EINVAL);
	BAD(ok, ufence_addr, ADDR(b->uf) + 1, -EINVAL);
	BAD(ok, ufence_value, 0, -EINVAL);
	BAD(ok, ufence_addr, ADDR(b->unb), -ENOENT);
	BAD(ok, ufence_addr, ADDR(PG(b->dst, 2)), -ENOENT);
	BAD(ok, ufence_addr, ADDR(b->uf_ro), -EPERM);
	BAD(ok, ufence_addr, ADDR(b->uf_ro) + SZ(1) - 16, -EPERM);
	kernel_fence(fd, ok, b);
	/* without the flag, the fence fields are the pre-validated model's */
	BAD(ok, flags, 0, -EINVAL);
}

static void fbad_dst(int fd, struct drm_test_mirror_submit ok,
		     const struct fbufs *b)
{
	BAD(ok, dst, ADDR(b->dst) + 8, -EINVAL);
	BAD(ok, dst, ADDR(KERNEL_ADDR), -EINVAL);
	BAD(ok, dst, ADDR(b->unb), -ENOENT);
	BAD(ok, dst, ADDR(PG(b->dst, 1)), -ENOENT);	/* half outside */
	BAD(ok, dst, ADDR(b->ro), -EPERM);
}

static void fbad_src(int fd, struct drm_test_mirror_submit ok,
		     const struct fbufs *b)
{
	BAD(ok, src, ADDR(b->src) + 1, -EINVAL);
	BAD(ok, src, ADDR(KERNEL_ADDR), -EINVAL);
	BAD(ok, src, ADDR(b->unb), -ENOENT);
	BAD(ok, src, ADDR(PG(b->src, 1)), -ENOENT);	/* half outside */
}

/* ok is queued, completes with error 0, and is counted. */
static void fgood_at(int fd, struct drm_test_mirror_submit ok,
		     struct drm_test_mirror_ufence *uf, uint64_t *queued,
		     const char *file, int line)
{
	int ret, err;

	ok.ufence_addr = ADDR(uf);
	ret = tm_submit(fd, &ok);
	if (ret)
		tm_fail(file, line, "the valid fault-model SUBMIT (op %u): %s",
			ok.op, tm_errname(ret));
	err = ufence_wait_at(fd, uf, ok.ufence_value, 5000, file, line);
	if (err)
		tm_fail(file, line, "the valid fault-model SUBMIT (op %u): error %s",
			ok.op, tm_errname(err));
	++*queued;
	expect_jobs_at(fd, *queued, *queued, 0, file, line);
}

TEST(fault_submit_errors)
{
	struct drm_test_mirror_submit copy, fill, atomic, sw, sr;
	uint64_t queued = 0;
	struct fbufs fb, *b = &fb;

	fbufs_make(fd, b);
	copy = fjob_arg(JOB_COPY, b->src, b->dst, SZ(2), 0, 0, b->uf, SEQ_A);
	fill = fjob_arg(JOB_FILL, NULL, b->dst, SZ(2), VAL_A, 0, b->uf, SEQ_A);
	atomic = fjob_arg(JOB_ATOMIC, NULL, b->dst, SZ(2), VAL_ADD, 0, b->uf,
			  SEQ_A);
	sw = fjob_arg(JOB_STREAM, NULL, b->dst, SZ(2), VAL_B, 10, b->uf, SEQ_A);
	sr = fjob_arg(JOB_STREAM, b->src, NULL, SZ(2), 0, 10, b->uf, SEQ_A);

	fbad_common(fd, copy, b);
	fbad_dst(fd, copy, b);
	fbad_src(fd, copy, b);
	BAD(copy, value, 1, -EINVAL);
	BAD(copy, duration_ms, 1, -EINVAL);
	BAD(copy, src, ADDR(b->dst), -EINVAL);
	BAD(copy, src, ADDR(b->dst) + SZ(1), -EINVAL);

	fbad_common(fd, fill, b);
	fbad_dst(fd, fill, b);
	BAD(fill, src, ADDR(b->src), -EINVAL);
	BAD(fill, duration_ms, 1, -EINVAL);

	fbad_common(fd, atomic, b);
	fbad_dst(fd, atomic, b);
	BAD(atomic, src, ADDR(b->src), -EINVAL);
	BAD(atomic, duration_ms, 1, -EINVAL);

	fbad_common(fd, sw, b);
	fbad_dst(fd, sw, b);
	BAD(sw, duration_ms, 0, -EINVAL);
	BAD(sw, duration_ms, TEST_MIRROR_JOB_MAX_MS + 1, -EINVAL);
	BAD(sw, src, ADDR(b->src), -EINVAL);

	fbad_common(fd, sr, b);
	fbad_src(fd, sr, b);
	BAD(sr, value, 1, -EINVAL);
	BAD(sr, duration_ms, 0, -EINVAL);

	/* each was valid but for its bad field: one fence each */
	fgood_at(fd, copy, &b->uf[0], &queued, __FILE__, __LINE__);
	fgood_at(fd, fill, &b->uf[1], &queued, __FILE__, __LINE__);
	fgood_at(fd, atomic, &b->uf[2], &queued, __FILE__, __LINE__);
	fgood_at(fd, sw, &b->uf[3], &queued, __FILE__, __LINE__);
	fgood_at(fd, sr, &b->uf[4], &queued, __FILE__, __LINE__);
	ASSERT_PATTERN(b->src, SZ(2), SEED_A);
	ASSERT_WORDS(b->dst, SZ(2), VAL_B);
}

/*
 * What SUBMIT cannot know without faulting is the job's: a FILL of memory
 * that is PROT_NONE, bound but unmapped and mapped again (tracking
 * dropped), or mapped read-only by the CPU is queued (SUBMIT returns 0),
 * and its user fence carries -EFAULT, -EFAULT, -EPERM; a COPY from
 * PROT_NONE -EFAULT. Nothing was written.
 */
TEST(fault_errors_in_the_fence)
{
	struct drm_test_mirror_ufence *uf = UFENCES(fd, true);
	uint8_t *none = tm_must_map(2, PROT_NONE);
	uint8_t *rdonly = tm_must_map(2, PROT_READ);
	uint8_t *gone = tm_must_map_pattern(2, SEED_C);
	uint8_t *dst = tm_must_map_pattern(2, SEED_B);

	tm_must_bind(fd, none, SZ(2), RW);
	tm_must_bind(fd, rdonly, SZ(2), RW);
	tm_must_bind(fd, gone, SZ(2), RW);
	tm_must_bind(fd, dst, SZ(2), RW);
	ASSERT_OK(tm_unmap(gone, 2));
	ASSERT_TRUE(mmap(gone, SZ(2), PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) ==
		    gone);
	tm_fill(gone, SZ(2), SEED_C);

	FJOB(fd, JOB_FILL, NULL, none, SZ(2), VAL_A, 0, &uf[0], SEQ_A);
	ASSERT_EQ(UFENCE(fd, &uf[0], SEQ_A, 5000), -EFAULT);
	FJOB(fd, JOB_FILL, NULL, gone, SZ(2), VAL_A, 0, &uf[1], SEQ_A);
	ASSERT_EQ(UFENCE(fd, &uf[1], SEQ_A, 5000), -EFAULT);
	FJOB(fd, JOB_FILL, NULL, rdonly, SZ(2), VAL_A, 0, &uf[2], SEQ_A);
	ASSERT_EQ(UFENCE(fd, &uf[2], SEQ_A, 5000), -EPERM);
	FJOB(fd, JOB_COPY, none, dst, SZ(2), 0, 0, &uf[3], SEQ_A);
	ASSERT_EQ(UFENCE(fd, &uf[3], SEQ_A, 5000), -EFAULT);
	ASSERT_PATTERN(gone, SZ(2), SEED_C);
	ASSERT_ZERO_MEM(rdonly, SZ(2));
	ASSERT_PATTERN(dst, SZ(2), SEED_B);
	EXPECT_JOBS(fd, 4, 0, 4);
}

/*
 * SUBMIT faults nothing: a FILL of 8 pages the CPU wrote, queued on the
 * fault engine behind a reading STREAM of 300 ms, has no device entry
 * while the STREAM runs (the device has not reached it), and no device
 * fault was counted for it; then it runs, faulting (one batch of 8 pages:
 * the default fault_batch_pages is 16), and writes its value.
 */
TEST(fault_submit_faults_nothing)
{
	struct drm_test_mirror_ufence *uf = UFENCES(fd, true);
	uint8_t *src = tm_must_map_pattern(1, SEED_A);
	uint8_t *dst = tm_must_map_pattern(NJ, SEED_B);
	struct fcount c0, c1;
	uint64_t v = 0;

	ASSERT_OK(tm_param_get("fault_batch_pages", &v));
	ASSERT_EQ(v, 16);
	tm_must_bind(fd, src, SZ(1), RO | PREFAULT);
	tm_must_bind(fd, dst, SZ(NJ), RW);
	FSTREAM_R(fd, src, 1, 300, &uf[0], SEQ_A);
	FJOB(fd, JOB_FILL, NULL, dst, SZ(NJ), VAL_A, 0, &uf[1], SEQ_B);
	c0 = FCOUNT(fd);
	ASSERT_EQ(SNAP_COUNT(fd, dst, NJ, TEST_MIRROR_SNAP_NONE), NJ);
	ASSERT_EQ(UFENCE_NOW(fd, &uf[0], SEQ_A), 0);
	ASSERT_EQ(UFENCE_NOW(fd, &uf[1], SEQ_B), 0);
	ASSERT_PATTERN(dst, SZ(NJ), SEED_B);
	ASSERT_EQ(c0.device_faults, 0);
	ASSERT_EQ(UFENCE(fd, &uf[0], SEQ_A, 5000), 0);
	ASSERT_EQ(UFENCE(fd, &uf[1], SEQ_B, 5000), 0);
	ASSERT_WORDS(dst, SZ(NJ), VAL_A);
	ASSERT_EQ(SNAP_COUNT(fd, dst, NJ, TEST_MIRROR_SNAP_WRITE), NJ);
	c1 = FCOUNT(fd);
	fcount_diag("after the FILL", &c1);
	ASSERT_EQ(c1.device_faults, 1);
	ASSERT_EQ(c1.fault_batches, 1);
	ASSERT_EQ(c1.fault_pages, NJ);
	EXPECT_JOBS(fd, 2, 2, 0);
}

/*
 * TEST_MIRROR_JOBS_PER_FILE unfinished jobs, 8 of each model: a reading
 * STREAM of 1.5 s and 7 short ones behind it, on each engine. The 17th
 * SUBMIT, of either model, is -EBUSY and queues nothing; once they are
 * done, both are queued.
 */
TEST_OPTS(fault_busy_17th_job, 0, 60)
{
	struct drm_test_mirror_ufence *uf = UFENCES(fd, true);
	uint8_t *src = tm_must_map_pattern(1, SEED_A);
	uint32_t out8 = tm_must_syncobj(fd), out17 = tm_must_syncobj(fd);
	uint64_t t0 = tm_now_ms(), dt;
	unsigned int i;

	tm_must_bind(fd, src, SZ(1), RO);
	ASSERT_OK(job_submit(fd, JOB_STREAM, src, NULL, SZ(1), 0, 1500, 0, 0));
	FSTREAM_R(fd, src, 1, 1500, &uf[0], SEQ_A);
	for (i = 1; i < 7; i++) {
		ASSERT_OK(job_submit(fd, JOB_STREAM, src, NULL, SZ(1), 0, 10,
				     0, 0));
		FSTREAM_R(fd, src, 1, 10, &uf[i], SEQ_A + i);
	}
	ASSERT_OK(job_submit(fd, JOB_STREAM, src, NULL, SZ(1), 0, 10, 0, out8));
	FSTREAM_R(fd, src, 1, 10, &uf[7], SEQ_A + 7);
	ASSERT_ERRNO(job_submit(fd, JOB_STREAM, src, NULL, SZ(1), 0, 10, 0,
				out17), -EBUSY);
	ASSERT_ERRNO(fjob_submit(fd, JOB_STREAM, src, NULL, SZ(1), 0, 10,
				 &uf[8], SEQ_B), -EBUSY);
	dt = tm_now_ms() - t0;
	ASSERT_LT(dt, 1500);
	ASSERT_EQ(FENCE_NOW(fd, out8), 0);
	ASSERT_EQ(UFENCE_NOW(fd, &uf[7], SEQ_A + 7), 0);
	ASSERT_EQ(STATS(fd).jobs_submitted, 16);
	ASSERT_EQ(tm_fence_export(fd, out17), -EINVAL);
	ASSERT_EQ(uf[8].seqno, 0);
	ASSERT_EQ(FENCE(fd, out8, 10000), 1);
	for (i = 0; i < 8; i++)
		ASSERT_EQ(UFENCE(fd, &uf[i], SEQ_A + i, 10000), 0);
	ASSERT_EQ(uf[8].seqno, 0);
	EXPECT_JOBS(fd, 16, 16, 0);
	ASSERT_OK(job_submit(fd, JOB_STREAM, src, NULL, SZ(1), 0, 10, 0, out17));
	FSTREAM_R(fd, src, 1, 10, &uf[8], SEQ_B);
	ASSERT_EQ(FENCE(fd, out17, 5000), 1);
	ASSERT_EQ(UFENCE(fd, &uf[8], SEQ_B, 5000), 0);
	EXPECT_JOBS(fd, 18, 18, 0);
}

/*
 * WAIT_UFENCE, on a word of this process (bound or not): one bad field at
 * a time -EINVAL; an address that cannot be read -EFAULT; a value not
 * reached -ETIME at once with timeout 0, after the timeout otherwise;
 * reached (equal or above) 0.
 */
TEST(wait_ufence_args)
{
	uint64_t *w = tm_must_map(1, PROT_READ | PROT_WRITE);
	uint8_t *none = tm_must_map(1, PROT_NONE);
	uint8_t *gone = tm_must_map(1, PROT_READ | PROT_WRITE);
	struct drm_test_mirror_wait_ufence ok = {
		.addr = ADDR(w),
		.value = 5,
		.timeout_ns = 0,
	}, a;
	uint64_t t0, t1;
	int i;

	ASSERT_OK(tm_unmap(gone, 1));
	w[0] = 5;
	w[1] = 7;
	EXPECT_ARG_ERRNO(fd, DRM_IOCTL_TEST_MIRROR_WAIT_UFENCE, a, ok, flags,
			 1, -EINVAL);
	EXPECT_ARG_ERRNO(fd, DRM_IOCTL_TEST_MIRROR_WAIT_UFENCE, a, ok, flags,
			 1u << 31, -EINVAL);
	EXPECT_ARG_ERRNO(fd, DRM_IOCTL_TEST_MIRROR_WAIT_UFENCE, a, ok, pad, 1,
			 -EINVAL);
	EXPECT_ARG_ERRNO(fd, DRM_IOCTL_TEST_MIRROR_WAIT_UFENCE, a, ok, addr,
			 ADDR(w) + 4, -EINVAL);
	EXPECT_ARG_ERRNO(fd, DRM_IOCTL_TEST_MIRROR_WAIT_UFENCE, a, ok, addr,
			 ADDR(w) + 1, -EINVAL);
	EXPECT_ARG_ERRNO(fd, DRM_IOCTL_TEST_MIRROR_WAIT_UFENCE, a, ok,
			 timeout_ns, -1, -EINVAL);
	EXPECT_ARG_ERRNO(fd, DRM_IOCTL_TEST_MIRROR_WAIT_UFENCE, a, ok,
			 timeout_ns, INT64_MIN, -EINVAL);
	EXPECT_ARG_ERRNO(fd, DRM_IOCTL_TEST_MIRROR_WAIT_UFENCE, a, ok, addr,
			 ADDR(none), -EFAULT);
	EXPECT_ARG_ERRNO(fd, DRM_IOCTL_TEST_MIRROR_WAIT_UFENCE, a, ok, addr,
			 ADDR(gone), -EFAULT);
	EXPECT_ARG_ERRNO(fd, DRM_IOCTL_TEST_MIRROR_WAIT_UFENCE, a, ok, addr,
			 ADDR(KERNEL_ADDR), -EFAULT);
	EXPECT_ARG_ERRNO(fd, DRM_IOCTL_TEST_MIRROR_WAIT_UFENCE, a, ok, addr, 0,
			 -EFAULT);
	/* reached: equal, above; timeout 0 or not */
	ASSERT_OK(tm_wait_ufence(fd, &w[0], 5, 0));
	ASSERT_OK(tm_wait_ufence(fd, &w[0], 4, 0));
	ASSERT_OK(tm_wait_ufence(fd, &w[0], 0, 0));
	ASSERT_OK(tm_wait_ufence(fd, &w[1], 7, 1000000000));
	/* not reached: at once, or after the timeout */
	ASSERT_ERRNO(tm_wait_ufence(fd, &w[0], 6, 0), -ETIME);
	ASSERT_ERRNO(tm_wait_ufence(fd, &w[1], ~0ull, 0), -ETIME);
	t0 = tm_now_ns();
	ASSERT_ERRNO(tm_wait_ufence(fd, &w[0], 6, 50000000), -ETIME);
	t1 = tm_now_ns();
	tm_diag("WAIT_UFENCE of 50 ms on a value not reached: %.3f ms",
		MS(t1 - t0));
	ASSERT_GE(t1 - t0, 50000000ull);
	ASSERT_LT(t1 - t0, BOUND_NS(1000));
	/*
	 * Timeouts shorter than a tick and between ticks, each asserted to
	 * be reached. (A jiffies-based wait ended the 50 ms one above 2 ms
	 * early once under TCG, where jiffies can lag the clock.)
	 */
	for (i = 0; i < 20; i++) {
		uint64_t ns = 300000 + i * 700000ull;

		t0 = tm_now_ns();
		ASSERT_ERRNO(tm_wait_ufence(fd, &w[0], 6, ns), -ETIME);
		t1 = tm_now_ns();
		ASSERT_GE(t1 - t0, ns);
	}
	/* untouched memory reads 0 (the wait faults it in as a read would) */
	ASSERT_OK(tm_wait_ufence(fd, &w[2], 0, 0));
	ASSERT_ERRNO(tm_wait_ufence(fd, &w[2], 1, 0), -ETIME);
}

static void on_signal(int sig)
{
	(void)sig;
}

/*
 * A signal whose handler does not ask for restarts ends a WAIT_UFENCE of
 * 2 s early with -EINTR: a child sends SIGUSR1 after 100 ms.
 */
TEST(wait_ufence_signal)
{
	uint64_t *w = tm_must_map(1, PROT_READ | PROT_WRITE);
	struct sigaction sa = { .sa_handler = on_signal };
	uint64_t t0, t1;
	pid_t pid, parent = getpid();
	int ret;

	sigemptyset(&sa.sa_mask);
	ASSERT_SYS(sigaction(SIGUSR1, &sa, NULL));
	w[0] = 1;
	t0 = tm_now_ns();
	pid = tm_fork();
	if (!pid) {
		tm_sleep_ms(100);
		_exit(kill(parent, SIGUSR1) ? 1 : 0);
	}
	ret = tm_wait_ufence(fd, w, 2, 2000000000);
	t1 = tm_now_ns();
	tm_must_wait_ok(pid);
	tm_diag("WAIT_UFENCE of 2 s, a signal after 100 ms: %s after %.3f ms",
		tm_errname(ret), MS(t1 - t0));
	ASSERT_ERRNO(ret, -EINTR);
	ASSERT_GE(t1 - t0, 100000000ull);
	ASSERT_LT(t1 - t0, 1500000000ull);
}
