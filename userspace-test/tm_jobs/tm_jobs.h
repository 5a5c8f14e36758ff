/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tm_jobs.h: what the files of tm_jobs share (main.c has the overview):
 * submitting a job, the values and sizes of the tests, waiting for the
 * engine's writes to show.
 */
#ifndef _TM_JOBS_H_
#define _TM_JOBS_H_

#include <stddef.h>
#include <stdint.h>

#include "tm_lib.h"

#define NJ		8u	/* pages of a typical job range */
#define SEED_A		0x1111u
#define SEED_B		0x2222u
#define SEED_C		0x3333u

/* What a FILL or a writing STREAM stores; what an ATOMIC adds. */
#define VAL_A		0x0123456789abcdefull
#define VAL_B		0xfedcba9876543210ull
#define VAL_ADD		0x0000000100000003ull

/*
 * A STREAM that must still be running when the test changes its range:
 * long enough for any CPU change under TCG, and every test that uses it
 * ends it early (the change, a close) or waits for it.
 */
#define LONG_MS		3000u

#define JOB_COPY	TEST_MIRROR_JOB_COPY
#define JOB_FILL	TEST_MIRROR_JOB_FILL
#define JOB_ATOMIC	TEST_MIRROR_JOB_ATOMIC
#define JOB_STREAM	TEST_MIRROR_JOB_STREAM

/*
 * The SUBMIT argument of one job: op, its ranges (NULL for none), size in
 * bytes, value, duration, in- and out-syncobj (0: none).
 */
struct drm_test_mirror_submit job_arg(uint32_t op, const void *src,
				      const void *dst, size_t size,
				      uint64_t value, uint32_t ms,
				      uint32_t in, uint32_t out);
/* tm_submit() of job_arg(): 0 or -errno. */
int job_submit(int fd, uint32_t op, const void *src, const void *dst,
	       size_t size, uint64_t value, uint32_t ms, uint32_t in,
	       uint32_t out);
/*
 * A STREAM of ms milliseconds over npages at p, writing value (write) or
 * reading, which must be queued; returns its out-syncobj.
 */
uint32_t stream_at(int fd, bool write, void *p, size_t npages,
		   uint64_t value, uint32_t ms, const char *file, int line);
#define STREAM_W(fd, p, n, value, ms) \
	stream_at(fd, true, p, n, value, ms, __FILE__, __LINE__)
#define STREAM_R(fd, p, n, ms) \
	stream_at(fd, false, p, n, 0, ms, __FILE__, __LINE__)

/* Index of the first 64-bit word of [p, p + size) that is not value, or -1. */
ssize_t words_differ(const void *p, size_t size, uint64_t value);
/* Every word of [p, p + size) must be value. */
void words_at(const void *p, size_t size, uint64_t value, const char *what,
	      const char *file, int line);
#define ASSERT_WORDS(p, size, value) \
	words_at(p, size, value, #p, __FILE__, __LINE__)
/*
 * Wait (at most ms, times the timeout scale) until the CPU sees value in
 * every word of [p, p + size): a writing job has done a whole pass there.
 */
void wait_words_at(const void *p, size_t size, uint64_t value,
		   unsigned int ms, const char *file, int line);
#define WAIT_WORDS(p, size, value, ms) \
	wait_words_at(p, size, value, ms, __FILE__, __LINE__)

/* Status of a fence now, without waiting (0: not signalled yet). */
int fence_now_at(int fd, uint32_t syncobj, const char *file, int line);
#define FENCE_NOW(fd, syncobj) fence_now_at(fd, syncobj, __FILE__, __LINE__)

/* STATS of fd: the job counters must be exactly these. */
void expect_jobs_at(int fd, uint64_t submitted, uint64_t completed,
		    uint64_t failed, const char *file, int line);
#define EXPECT_JOBS(fd, s, c, f) expect_jobs_at(fd, s, c, f, __FILE__, __LINE__)

/* A bound on a duration a test measures: ms times the timeout scale. */
#define BOUND_NS(ms)	((uint64_t)(ms) * tm_timeout_scale() * 1000000ull)
#define MS(ns)		((double)(ns) / 1e6)

#endif /* _TM_JOBS_H_ */
