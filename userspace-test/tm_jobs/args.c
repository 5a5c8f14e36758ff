// SPDX-License-Identifier: GPL-2.0
/*
 * tm_jobs: SUBMIT's errors, one bad field of a valid argument at a time,
 * for each op: -EINVAL (op, flags, pad, reserved, a field the op does not
 * use, misaligned, empty or overlapping ranges, a range in the kernel's
 * half, the duration), -E2BIG (size), -ENOENT (a range outside its
 * binding, syncobj handles), -EPERM (a destination in a read-only
 * binding, or mapped read-only by the CPU), -EFAULT (PROT_NONE, tracking
 * dropped by munmap). After each, nothing was queued: no job
 * counted, no fence in the out-syncobj. Then each valid argument is
 * queued and completes. -EBUSY: a 17th unfinished job.
 */
#include <string.h>
#include <sys/mman.h>

#include "tm_jobs.h"

#define KERNEL_ADDR	((void *)0xffff800000000000ul)

/* Nothing was queued: no job counted, no fence in out. */
static void nothing_queued_at(int fd, uint32_t out, const char *file,
			      int line)
{
	struct drm_test_mirror_stats st = tm_stats_get_at(fd, file, line);
	int sf;

	if (st.jobs_submitted || st.jobs_completed || st.jobs_failed ||
	    st.job_pages)
		tm_fail(file, line,
			"a refused SUBMIT counted: jobs %llu/%llu/%llu, %llu pages",
			(unsigned long long)st.jobs_submitted,
			(unsigned long long)st.jobs_completed,
			(unsigned long long)st.jobs_failed,
			(unsigned long long)st.job_pages);
	sf = tm_fence_export(fd, out);
	if (sf != -EINVAL)
		tm_fail(file, line,
			"the out-syncobj of a refused SUBMIT: export gave %s, expected EINVAL (no fence)",
			tm_errname(sf));
}

/* SUBMIT of ok with field = val fails with err, and queues nothing. */
#define BAD(ok, field, val, err) do {					\
	struct drm_test_mirror_submit __a;				\
									\
	EXPECT_ARG_ERRNO(fd, DRM_IOCTL_TEST_MIRROR_SUBMIT, __a, ok,	\
			 field, val, err);				\
	nothing_queued_at(fd, (ok).out_syncobj, __FILE__, __LINE__);	\
} while (0)

/* ok itself is queued and completes. */
static void good_at(int fd, struct drm_test_mirror_submit ok,
		    uint64_t *queued, const char *file, int line)
{
	int ret = tm_submit(fd, &ok), st;

	if (ret)
		tm_fail(file, line, "the valid SUBMIT (op %u): %s", ok.op,
			tm_errname(ret));
	st = tm_must_fence_at(fd, ok.out_syncobj, -1, 5000, file, line);
	if (st != 1)
		tm_fail(file, line, "the valid SUBMIT (op %u): fence %s", ok.op,
			tm_errname(st));
	++*queued;
	expect_jobs_at(fd, *queued, *queued, 0, file, line);
}

/*
 * The source and the destination are the first 2 pages of mappings of 8:
 * a range of 3 pages runs out of its binding (-ENOENT), into memory that
 * is mapped, and the two never overlap.
 */
struct bufs {
	uint8_t *src;	/* 2 pages, read-only binding */
	uint8_t *dst;	/* 2 pages, read-write binding */
	uint8_t *ro;	/* 2 pages, read-only binding (a bad destination) */
	uint8_t *none;	/* 2 pages PROT_NONE, read-write binding */
	uint8_t *rdonly; /* 2 pages mapped PROT_READ, read-write binding */
	uint8_t *gone;	/* 2 pages bound, unmapped, mapped again */
	uint8_t *unb;	/* 2 pages mapped, in no binding */
};

static void bufs_make(int fd, struct bufs *b)
{
	b->src = tm_must_map_pattern(8, SEED_A);
	b->dst = tm_must_map_pattern(8, SEED_B);
	b->ro = tm_must_map_pattern(2, SEED_C);
	b->none = tm_must_map(2, PROT_NONE);
	b->rdonly = tm_must_map(2, PROT_READ);
	b->gone = tm_must_map_pattern(2, SEED_C);
	b->unb = tm_must_map_pattern(2, SEED_C);
	tm_must_bind(fd, b->src, SZ(2), RO);
	tm_must_bind(fd, b->dst, SZ(2), RW);
	tm_must_bind(fd, b->ro, SZ(2), RO);
	tm_must_bind(fd, b->none, SZ(2), RW);
	tm_must_bind(fd, b->rdonly, SZ(2), RW);
	tm_must_bind(fd, b->gone, SZ(2), RW);
	ASSERT_OK(tm_unmap(b->gone, 2));
	ASSERT_TRUE(mmap(b->gone, SZ(2), PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) ==
		    b->gone);
	memset(b->gone, 1, SZ(2));
}

/* What every op refuses alike, on a valid argument of that op. */
static void bad_common(int fd, struct drm_test_mirror_submit ok,
		       const struct bufs *b)
{
	uint32_t fenceless = tm_must_syncobj(fd);

	BAD(ok, op, 4, -EINVAL);
	BAD(ok, op, 0xffffffffu, -EINVAL);
	BAD(ok, flags, 1, -EINVAL);
	BAD(ok, flags, 1u << 31, -EINVAL);
	BAD(ok, pad, 1, -EINVAL);
	BAD(ok, ufence_addr, 4096, -EINVAL);
	BAD(ok, ufence_value, 1ull << 63, -EINVAL);
	BAD(ok, size, 0, -EINVAL);
	BAD(ok, size, SZ(1) + 8, -EINVAL);
	BAD(ok, size, TEST_MIRROR_JOB_MAX_SIZE + SZ(1), -E2BIG);
	BAD(ok, size, 1ull << 62, -E2BIG);
	BAD(ok, size, SZ(3), -ENOENT);	/* runs past its binding */
	BAD(ok, in_syncobj, 0x7777, -ENOENT);
	BAD(ok, in_syncobj, fenceless, -ENOENT);
	BAD(ok, out_syncobj, 0x7777, -ENOENT);
	(void)b;
}

/* The destination of a writing op: every way it can be bad. */
static void bad_dst(int fd, struct drm_test_mirror_submit ok,
		    const struct bufs *b)
{
	BAD(ok, dst, ADDR(b->dst) + 8, -EINVAL);
	BAD(ok, dst, ADDR(KERNEL_ADDR), -EINVAL);
	BAD(ok, dst, ADDR(b->unb), -ENOENT);
	BAD(ok, dst, ADDR(PG(b->dst, 1)), -ENOENT);	/* half outside */
	BAD(ok, dst, ADDR(b->ro), -EPERM);
	BAD(ok, dst, ADDR(b->none), -EFAULT);
	BAD(ok, dst, ADDR(b->rdonly), -EPERM);
	BAD(ok, dst, ADDR(b->gone), -EFAULT);
}

/* The source of a reading op. */
static void bad_src(int fd, struct drm_test_mirror_submit ok,
		    const struct bufs *b)
{
	BAD(ok, src, ADDR(b->src) + 1, -EINVAL);
	BAD(ok, src, ADDR(KERNEL_ADDR), -EINVAL);
	BAD(ok, src, ADDR(b->unb), -ENOENT);
	BAD(ok, src, ADDR(PG(b->src, 1)), -ENOENT);	/* half outside */
	BAD(ok, src, ADDR(b->none), -EFAULT);
	BAD(ok, src, ADDR(b->gone), -EFAULT);
}

TEST(submit_errors)
{
	struct drm_test_mirror_submit copy, fill, atomic, sw, sr;
	uint32_t out = tm_must_syncobj(fd);
	uint64_t queued = 0;
	struct bufs b;

	bufs_make(fd, &b);
	copy = job_arg(JOB_COPY, b.src, b.dst, SZ(2), 0, 0, 0, out);
	fill = job_arg(JOB_FILL, NULL, b.dst, SZ(2), VAL_A, 0, 0, out);
	atomic = job_arg(JOB_ATOMIC, NULL, b.dst, SZ(2), VAL_ADD, 0, 0, out);
	sw = job_arg(JOB_STREAM, NULL, b.dst, SZ(2), VAL_B, 10, 0, out);
	sr = job_arg(JOB_STREAM, b.src, NULL, SZ(2), 0, 10, 0, out);

	bad_common(fd, copy, &b);
	bad_dst(fd, copy, &b);
	bad_src(fd, copy, &b);
	BAD(copy, value, 1, -EINVAL);
	BAD(copy, duration_ms, 1, -EINVAL);
	/* overlapping ranges: the same, or one page apart */
	BAD(copy, src, ADDR(b.dst), -EINVAL);
	BAD(copy, src, ADDR(b.dst) + SZ(1), -EINVAL);

	bad_common(fd, fill, &b);
	bad_dst(fd, fill, &b);
	BAD(fill, src, ADDR(b.src), -EINVAL);
	BAD(fill, duration_ms, 1, -EINVAL);

	bad_common(fd, atomic, &b);
	bad_dst(fd, atomic, &b);
	BAD(atomic, src, ADDR(b.src), -EINVAL);
	BAD(atomic, duration_ms, 1, -EINVAL);

	bad_common(fd, sw, &b);
	bad_dst(fd, sw, &b);
	BAD(sw, duration_ms, 0, -EINVAL);
	BAD(sw, duration_ms, TEST_MIRROR_JOB_MAX_MS + 1, -EINVAL);
	BAD(sw, duration_ms, 0xffffffffu, -EINVAL);
	/* a STREAM reads or writes, not both */
	BAD(sw, src, ADDR(b.src), -EINVAL);

	bad_common(fd, sr, &b);
	bad_src(fd, sr, &b);
	BAD(sr, value, 1, -EINVAL);
	BAD(sr, duration_ms, 0, -EINVAL);

	/* each argument refused above was valid but for its bad field */
	good_at(fd, copy, &queued, __FILE__, __LINE__);
	good_at(fd, fill, &queued, __FILE__, __LINE__);
	good_at(fd, atomic, &queued, __FILE__, __LINE__);
	good_at(fd, sw, &queued, __FILE__, __LINE__);
	good_at(fd, sr, &queued, __FILE__, __LINE__);
	ASSERT_PATTERN(b.src, SZ(2), SEED_A);
	ASSERT_WORDS(b.dst, SZ(2), VAL_B);
}

/*
 * TEST_MIRROR_JOBS_PER_FILE (16) jobs unfinished: a reading STREAM of 2 s
 * runs, 15 short ones wait behind it; the 17th SUBMIT is refused with
 * -EBUSY and queues nothing (its out-syncobj gets no fence, 16 counted).
 * Once they are done, the same SUBMIT is queued.
 */
TEST_OPTS(busy_17th_job, 0, 60)
{
	uint8_t *src = tm_must_map_pattern(1, SEED_A);
	uint32_t out16 = tm_must_syncobj(fd), out17 = tm_must_syncobj(fd);
	uint64_t t0 = tm_now_ms(), dt;
	unsigned int i;
	int sf;

	ASSERT_EQ(TEST_MIRROR_JOBS_PER_FILE, 16);
	tm_must_bind(fd, src, SZ(1), RO);
	ASSERT_OK(job_submit(fd, JOB_STREAM, src, NULL, SZ(1), 0, 2000, 0, 0));
	for (i = 1; i < 15; i++)
		ASSERT_OK(job_submit(fd, JOB_STREAM, src, NULL, SZ(1), 0, 20, 0,
				     0));
	ASSERT_OK(job_submit(fd, JOB_STREAM, src, NULL, SZ(1), 0, 20, 0, out16));
	ASSERT_ERRNO(job_submit(fd, JOB_STREAM, src, NULL, SZ(1), 0, 20, 0,
				out17), -EBUSY);
	dt = tm_now_ms() - t0;
	/* the first job was running all along: the 16 were unfinished */
	ASSERT_LT(dt, 2000);
	ASSERT_EQ(FENCE_NOW(fd, out16), 0);
	ASSERT_EQ(STATS(fd).jobs_submitted, 16);
	sf = tm_fence_export(fd, out17);
	ASSERT_EQ(sf, -EINVAL);
	ASSERT_EQ(FENCE(fd, out16, 10000), 1);
	EXPECT_JOBS(fd, 16, 16, 0);
	ASSERT_OK(job_submit(fd, JOB_STREAM, src, NULL, SZ(1), 0, 20, 0, out17));
	ASSERT_EQ(FENCE(fd, out17, 5000), 1);
	EXPECT_JOBS(fd, 17, 17, 0);
}
