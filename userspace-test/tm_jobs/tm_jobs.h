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

/*
 * MIGRATE of npages at p by fd: 0 or -errno; *moved receives the pages
 * moved.
 */
int migrate_range(int fd, void *p, size_t npages, uint64_t *moved);

/* ------------------------------------------------------------------------ */
/* The fault model (TEST_MIRROR_SUBMIT_FAULTABLE) and its user fences        */
/* ------------------------------------------------------------------------ */

/*
 * What a user fence holds before the device wrote it: seqno 0, and an
 * error and a pad that the device's write (error first, pad 0) changes.
 */
#define UF_ERR_UNSET	0x5a5a5a5a
#define UF_PAD_UNSET	0xa5a5a5a5u

/* The sequence numbers the tests give their fault-model jobs. */
#define SEQ_A		0x1000000000000001ull
#define SEQ_B		0x2000000000000002ull

/* User fences in one page. */
#define UF_PER_PAGE	(PAGE_SZ / sizeof(struct drm_test_mirror_ufence))

/*
 * A page of user fences (UF_PER_PAGE of them, all unwritten) of its own,
 * bound read-write on fd: with prefault, the device has a write entry for it
 * before any job, so that writing a fence raises no device fault (as long
 * as nothing takes that entry away); without it, the first fence written
 * raises one (the binding is that one page: one batch, one page).
 */
struct drm_test_mirror_ufence *ufences_at(int fd, bool prefault,
					  const char *file, int line);
#define UFENCES(fd, prefault) ufences_at(fd, prefault, __FILE__, __LINE__)

/*
 * The SUBMIT argument of a fault-model job: as job_arg(), with no syncobj,
 * and the user fence uf, to be written seq at the job's end.
 */
struct drm_test_mirror_submit fjob_arg(uint32_t op, const void *src,
				       const void *dst, size_t size,
				       uint64_t value, uint32_t ms,
				       const struct drm_test_mirror_ufence *uf,
				       uint64_t seq);
/* tm_submit() of fjob_arg(): 0 or -errno. */
int fjob_submit(int fd, uint32_t op, const void *src, const void *dst,
		size_t size, uint64_t value, uint32_t ms,
		const struct drm_test_mirror_ufence *uf, uint64_t seq);
/* fjob_submit() or fail the test. */
void fjob_must_at(int fd, uint32_t op, const void *src, const void *dst,
		  size_t size, uint64_t value, uint32_t ms,
		  const struct drm_test_mirror_ufence *uf, uint64_t seq,
		  const char *file, int line);
#define FJOB(fd, op, src, dst, size, value, ms, uf, seq) \
	fjob_must_at(fd, op, src, dst, size, value, ms, uf, seq, \
		     __FILE__, __LINE__)
/* A fault-model STREAM of ms over npages at p, writing value, or reading. */
#define FSTREAM_W(fd, p, n, value, ms, uf, seq) \
	FJOB(fd, JOB_STREAM, NULL, p, SZ(n), value, ms, uf, seq)
#define FSTREAM_R(fd, p, n, ms, uf, seq) \
	FJOB(fd, JOB_STREAM, p, NULL, SZ(n), 0, ms, uf, seq)

/*
 * UFENCE(fd, uf, seq, ms) - wait through WAIT_UFENCE on fd, at most ms
 * (times the timeout scale), for the job's end: the seqno of uf reaches
 * seq; it must then be exactly seq, its pad 0, its error 0 or a negative
 * errno; evaluates to that error. Fails if the fence is not written in
 * time.
 */
int ufence_wait_at(int fd, const struct drm_test_mirror_ufence *uf,
		   uint64_t seq, unsigned int ms, const char *file, int line);
#define UFENCE(fd, uf, seq, ms) ufence_wait_at(fd, uf, seq, ms, __FILE__, __LINE__)
/*
 * UFENCE_NOW(fd, uf, seq) - the job has ended (1: WAIT_UFENCE with timeout
 * 0 gives 0; the fence is then written in full, as UFENCE() checks) or not
 * yet (0: -ETIME; its seqno is still 0).
 */
int ufence_now_at(int fd, const struct drm_test_mirror_ufence *uf,
		  uint64_t seq, const char *file, int line);
#define UFENCE_NOW(fd, uf, seq) ufence_now_at(fd, uf, seq, __FILE__, __LINE__)

/* The fault engine's counters of a file (STATS). */
struct fcount {
	uint64_t device_faults, fault_batches, fault_pages;
	uint64_t tlb_flushes, tlb_flushes_avoided, nonblock_ack_pending;
};

struct fcount fcount_at(int fd, const char *file, int line);
#define FCOUNT(fd) fcount_at(fd, __FILE__, __LINE__)
/*
 * Wait (at most ms, times the timeout scale) until the file's fault handler
 * has made n pages valid (fault_pages): a job's first pass has faulted.
 */
void wait_fault_pages_at(int fd, uint64_t n, unsigned int ms,
			 const char *file, int line);
#define WAIT_FAULT_PAGES(fd, n, ms) \
	wait_fault_pages_at(fd, n, ms, __FILE__, __LINE__)
/* Print them as a diagnostic, after what. */
void fcount_diag(const char *what, const struct fcount *c);

/* The engine's counters since load, every file together (debugfs "engine"). */
struct engine_totals {
	unsigned long long jobs, late, early, fault_jobs, device_faults;
	unsigned long long tlb_flushes, nonblock_ack_pending;
};

/* Read them (SKIP without debugfs). */
struct engine_totals engine_totals_at(const char *file, int line);
#define ENGINE_TOTALS() engine_totals_at(__FILE__, __LINE__)

/* A bound on a duration a test measures: ms times the timeout scale. */
#define BOUND_NS(ms)	((uint64_t)(ms) * tm_timeout_scale() * 1000000ull)
#define MS(ns)		((double)(ns) / 1e6)

#endif /* _TM_JOBS_H_ */
