/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tm_expect.h: what the tests assert on (tm_expect.c): the event log, the
 * device table (SNAPSHOT, debugfs), device reads and writes, and memory
 * contents. Every EXPECT_*() / ASSERT_*() / DEV_*() here ends the test on
 * a mismatch with the caller's file:line, what was seen and what was
 * expected (the event log or the table, where that helps).
 */
#ifndef _TM_EXPECT_H_
#define _TM_EXPECT_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <drm/test_mirror_drm.h>

/* Events and actions, as the tests spell them. */
#define EV_UNMAP	TEST_MIRROR_EVENT_UNMAP
#define EV_CLEAR	TEST_MIRROR_EVENT_CLEAR
#define EV_PVMA		TEST_MIRROR_EVENT_PROTECTION_VMA
#define EV_PPAGE	TEST_MIRROR_EVENT_PROTECTION_PAGE
#define EV_SDIRTY	TEST_MIRROR_EVENT_SOFT_DIRTY
#define EV_RELEASE	TEST_MIRROR_EVENT_RELEASE
#define EV_MIGRATE	TEST_MIRROR_EVENT_MIGRATE

#define ACT_INVAL	TEST_MIRROR_ACTION_INVALIDATE
#define ACT_DOWN	TEST_MIRROR_ACTION_DOWNGRADE
#define ACT_DROP	TEST_MIRROR_ACTION_DROP
#define ACT_RELEASE	TEST_MIRROR_ACTION_RELEASE
#define ACT_BUSY	TEST_MIRROR_ACTION_BUSY
#define ACT_SKIP	TEST_MIRROR_ACTION_SKIP

/* ------------------------------------------------------------------------ */
/* The event log                                                             */
/* ------------------------------------------------------------------------ */

/*
 * The records a log copy holds by default. Its 64 KiB come from the heap,
 * not from a mapping of their own: tests that munmap a range and map it
 * again at the same address need nothing else to land there in between.
 */
#define TM_EVLOG_MAX	1024

/* A copy of the event log, as read by tm_evlog_read(). */
struct tm_evlog {
	unsigned int n;
	uint64_t lost;
	unsigned int max;	/* room in rec[]: TM_EVLOG_MAX unless asked */
	struct drm_test_mirror_event rec[];
};

/* Read up to log->max records; returns 0 or -errno. */
int tm_evlog_read(int fd, struct tm_evlog *log, bool consume);
/* Consume (discard) every record in the log; returns 0 or -errno. */
int tm_evlog_drain(int fd);

/*
 * Summary of the records of one event that touch a range, made by
 * tm_evlog_sum().
 */
struct tm_evsum {
	unsigned int count;	/* records that overlap the range */
	bool covers;		/* their union covers the whole range */
	uint32_t actions;	/* 1 << action, for each action seen */
	uint32_t flags_and;	/* AND of their flags (0 if count == 0) */
	uint64_t entries;	/* sum of their entries */
};

/*
 * tm_evlog_sum() - summarise the records of one event over a range
 * @event: TEST_MIRROR_EVENT_*
 * @handle: only records of this binding; 0 for any
 * @start, @end: the range [start, end)
 */
void tm_evlog_sum(const struct tm_evlog *log, unsigned int event,
		  uint32_t handle, uint64_t start, uint64_t end,
		  struct tm_evsum *sum);
/* Records of the given event (any handle, any range). */
unsigned int tm_evlog_count(const struct tm_evlog *log, unsigned int event);
/*
 * The records of event ev of binding h (0: any), oldest first, into recs
 * (at most max); returns how many there are (may exceed max).
 */
unsigned int tm_evlog_filter(const struct tm_evlog *log, unsigned int ev,
			     uint32_t h, struct drm_test_mirror_event *recs,
			     unsigned int max);
/* Print the log as "# " diagnostic lines (at most 32 records). */
void tm_evlog_print(const struct tm_evlog *log);

/* tm_evlog_read() (non consuming) into a newly allocated log, or fail. */
struct tm_evlog *tm_must_evlog_at(int fd, const char *file, int line);
#define tm_must_evlog(fd) tm_must_evlog_at(fd, __FILE__, __LINE__)
/*
 * Read and consume the log into a new copy (of room for max records: a test
 * that expects more than TM_EVLOG_MAX says so), print it; fail if any was
 * lost.
 */
struct tm_evlog *tm_ev_take_at(int fd, unsigned int max, const char *file,
			       int line);
#define EV_TAKE(fd) tm_ev_take_at(fd, TM_EVLOG_MAX, __FILE__, __LINE__)
#define EV_TAKE_MAX(fd, max) tm_ev_take_at(fd, max, __FILE__, __LINE__)
/* A new, empty copy of room for max records, or fail. */
struct tm_evlog *tm_evlog_new_at(unsigned int max, const char *file,
				 int line);
#define tm_evlog_new() tm_evlog_new_at(TM_EVLOG_MAX, __FILE__, __LINE__)

/*
 * EXPECT_EV(log, ev, h, s, e, acts) - the records of event ev of binding h
 * (0: any) over [s, e) (pointers or addresses): at least one, their union
 * covers [s, e), every one was blockable, and the set of actions taken is
 * exactly acts (a mask of BIT(action)). Evaluates to the entries they
 * affected. EXPECT_EV_N(..., nrec): and there are exactly nrec of them.
 */
uint64_t tm_expect_ev_at(const char *file, int line,
			 const struct tm_evlog *log, unsigned int ev,
			 uint32_t h, uint64_t s, uint64_t e, uint32_t acts,
			 int nrec);
#define EXPECT_EV(log, ev, h, s, e, acts) \
	tm_expect_ev_at(__FILE__, __LINE__, log, ev, h, ADDR(s), ADDR(e), \
			acts, -1)
#define EXPECT_EV_N(log, ev, h, s, e, acts, nrec) \
	tm_expect_ev_at(__FILE__, __LINE__, log, ev, h, ADDR(s), ADDR(e), \
			acts, nrec)

/* Every record of event ev lies within [lo, hi). */
void tm_expect_within_at(const char *file, int line,
			 const struct tm_evlog *log, unsigned int ev,
			 uint64_t lo, uint64_t hi);
#define EXPECT_WITHIN(log, ev, lo, hi) \
	tm_expect_within_at(__FILE__, __LINE__, log, ev, ADDR(lo), ADDR(hi))

/* Every record is one of the events in mask (BIT(event)). */
void tm_expect_only_at(const char *file, int line,
		       const struct tm_evlog *log, uint32_t mask);
#define EXPECT_ONLY(log, mask) tm_expect_only_at(__FILE__, __LINE__, log, mask)

/* The log holds exactly n records (printed if not). */
void tm_expect_nrec_at(const char *file, int line,
		       const struct tm_evlog *log, unsigned int n);
#define EXPECT_NREC(log, n) tm_expect_nrec_at(__FILE__, __LINE__, log, n)

/*
 * Record i of the log is exactly: event ev of binding h over [s, e), action
 * act, entries affected, blockable.
 */
void tm_expect_rec_at(const char *file, int line, const struct tm_evlog *log,
		      unsigned int i, unsigned int ev, uint32_t h, uint64_t s,
		      uint64_t e, unsigned int act, uint64_t entries);
#define EXPECT_REC(log, i, ev, h, s, e, act, entries) \
	tm_expect_rec_at(__FILE__, __LINE__, log, i, ev, h, ADDR(s), ADDR(e), \
			 act, entries)

/*
 * EXPECT_RELEASE_THEN_UNMAP(r, n, released, s, e) - the tm_invalidate
 * trace records r[0..n) (tm_trace_read()) hold a blockable RELEASE of the
 * whole address space, action RELEASE, that removed `released` entries,
 * and after it a blockable UNMAP over [s, e), action DROP: how an address
 * space ends (exit, exec). Evaluates to the index of that UNMAP.
 */
struct tm_trace_rec;
int tm_expect_release_then_unmap_at(const char *file, int line,
				    const struct tm_trace_rec *r, int n,
				    uint64_t released, uint64_t s, uint64_t e);
#define EXPECT_RELEASE_THEN_UNMAP(r, n, released, s, e) \
	tm_expect_release_then_unmap_at(__FILE__, __LINE__, r, n, released, \
					s, e)

/* ------------------------------------------------------------------------ */
/* The device table                                                          */
/* ------------------------------------------------------------------------ */

/*
 * One character per snapshot byte:
 *   '.' no entry    'R' read-only entry    'W' read-write entry
 *   'r' / 'w' the same, as part of a huge (PMD-sized) entry
 *   'D' dropped (unmapped while bound)     '-' not bound
 *   'X' read-write entry of a page the device holds exclusive (ATOMIC)
 *   'V' / 'v' read-write / read-only entry of a page in device memory
 *   'H' / 'h' the same, as part of a huge entry (a 2 MiB device folio)
 *   '?' anything else (a value the contract does not allow)
 */
char tm_snap_char(uint8_t snap);
/*
 * Render npages snapshot bytes as "W W R . D" into buf (at least 2 * npages
 * bytes). Returns buf.
 */
char *tm_snap_str(const uint8_t *snap, size_t npages, char *buf);
/*
 * "R R R R" or ". . . ." etc.: n (at most 512) copies of c, in one of a few
 * rotating static buffers (enough for the arguments of one call).
 */
const char *tm_rep(char c, size_t n);

/*
 * EXPECT_SNAP(fd, p, npages, want) - the snapshot of npages at p is want,
 * in tm_snap_char() notation with a space between pages ("W W . D"); in
 * want, '*' stands for any entry, 'R' or 'W'.
 */
void tm_expect_snap_at(const char *file, int line, int fd, const void *p,
		       size_t npages, const char *want);
#define EXPECT_SNAP(fd, p, n, want) \
	tm_expect_snap_at(__FILE__, __LINE__, fd, p, n, want)
/* Pages of [p, p + npages) whose snapshot byte is exactly val. */
size_t tm_snap_count_at(const char *file, int line, int fd, const void *p,
			size_t npages, uint8_t val);
#define SNAP_COUNT(fd, p, n, val) \
	tm_snap_count_at(__FILE__, __LINE__, fd, p, n, val)

/*
 * EXPECT_STATE_RUNS(state, p, npages, want) - the entry runs the debugfs
 * state (tm_dbg_state()) lists for the npages at p cover exactly the pages
 * that want (in EXPECT_SNAP() notation) says are 'W', as "write" runs: no
 * dropped page keeps an entry, hidden or not.
 */
void tm_expect_state_runs_at(const char *file, int line, const char *state,
			     const void *p, size_t npages, const char *want);
#define EXPECT_STATE_RUNS(state, p, n, want) \
	tm_expect_state_runs_at(__FILE__, __LINE__, state, p, n, want)

/* ------------------------------------------------------------------------ */
/* Device reads and writes                                                   */
/* ------------------------------------------------------------------------ */

/*
 * DEV_READ(fd, p, npages, faults, off, seed) - device read of npages at p
 * into a fresh buffer, which must succeed for every page with `faults`
 * device faults (-1: any) and hold the pattern of seed at byte offset off
 * (seed 0: zeros). Evaluates to the struct tm_result.
 */
struct tm_result tm_dev_read_at(const char *file, int line, int fd,
				const void *p, size_t npages, long faults,
				size_t off, uint32_t seed);
#define DEV_READ(fd, p, n, faults, off, seed) \
	tm_dev_read_at(__FILE__, __LINE__, fd, p, n, faults, off, seed)
/*
 * Device read of npages at p, which must succeed and equal what the CPU
 * reads there.
 */
void tm_dev_read_cpu_at(const char *file, int line, int fd, const void *p,
			size_t npages);
#define DEV_READ_CPU(fd, p, n) tm_dev_read_cpu_at(__FILE__, __LINE__, fd, p, n)
/* Device read that must fail with err, having copied `pages` pages. */
void tm_dev_read_err_at(const char *file, int line, int fd, const void *p,
			size_t npages, int err, uint64_t pages);
#define DEV_READ_ERR(fd, p, n, err, pages) \
	tm_dev_read_err_at(__FILE__, __LINE__, fd, p, n, err, pages)
/*
 * Device write of the pattern of seed (as at byte offset off) to npages at
 * p: 0 or -errno; res may be NULL. DEV_WRITE() must succeed.
 */
int tm_dev_write(int fd, const void *p, size_t npages, size_t off,
		 uint32_t seed, struct tm_result *res);
#define DEV_WRITE(fd, p, n, off, seed) \
	ASSERT_OK(tm_dev_write(fd, p, n, off, seed, NULL))

/*
 * EXPECT_ARG_ERRNO(fd, request, arg, ok, field, val, err) - the ioctl
 * request fails with err when its argument arg is the valid argument ok
 * but for field, which is val: one bad field at a time.
 */
#define EXPECT_ARG_ERRNO(fd, request, arg, ok, field, val, err) do {	\
	int __r, __e = (err);						\
									\
	(arg) = (ok);							\
	(arg).field = (val);						\
	__r = tm_ioctl(fd, request, &(arg));				\
	if (__r != __e)							\
		tm_fail(__FILE__, __LINE__,				\
			"%s with %s = %s (0x%llx): expected %s, got %s", \
			#request, #field, #val,				\
			(unsigned long long)(arg).field,		\
			tm_errname(__e), tm_errname(__r));		\
} while (0)

/* ------------------------------------------------------------------------ */
/* Memory contents                                                           */
/* ------------------------------------------------------------------------ */

/* The memory must hold the pattern of seed / zeros. */
#define ASSERT_PATTERN(p, size, seed) EXPECT_PAT(p, 0, size, seed)
#define ASSERT_ZERO_MEM(p, size) do {					\
	ssize_t __off = tm_check_zero((p), (size));			\
	if (__off >= 0)							\
		tm_fail(__FILE__, __LINE__,				\
			"%s: expected zeros, byte %zd (page %zd) is 0x%02x", \
			#p, __off, __off / (ssize_t)PAGE_SZ,		\
			((const unsigned char *)(p))[__off]);		\
} while (0)
/* buf (size bytes) must hold the pattern of seed as at byte offset off. */
#define EXPECT_PAT(buf, off, size, seed) do {				\
	ssize_t __o = tm_check_at((buf), (off), (size), (seed));	\
	if (__o >= 0)							\
		tm_fail(__FILE__, __LINE__,				\
			"%s: pattern %u (offset 0x%zx) differs at byte %zd " \
			"(page %zd): 0x%016llx, expected 0x%016llx", #buf, \
			(unsigned int)(seed), (size_t)(off), __o,	\
			__o / (ssize_t)PAGE_SZ,				\
			(unsigned long long)*(const uint64_t *)		\
				((const char *)(buf) + __o),		\
			(unsigned long long)tm_pattern_word((seed),	\
				((size_t)(off) + (size_t)__o) / 8));	\
} while (0)
/* Every one of the size bytes at p must be byte. */
void tm_expect_bytes_at(const char *file, int line, const void *p,
			size_t size, uint8_t byte, const char *what);
#define ASSERT_BYTES(p, size, byte) \
	tm_expect_bytes_at(__FILE__, __LINE__, p, size, byte, #p)

#endif /* _TM_EXPECT_H_ */
