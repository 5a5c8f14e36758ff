/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tm_lib: userspace helpers for test_mirror test programs.
 *
 * Three parts:
 *
 *  1. Device access. tm_open() finds the test_mirror render node; the
 *     tm_bind() ... tm_events() wrappers issue one ioctl each and return 0 or
 *     a negative errno, never -1. tm_ioctl() is the raw form, for tests that
 *     need to hand the driver a malformed argument.
 *
 *  2. A small KTAP (kselftest) harness. A program declares tests with
 *     TEST(name) { ... } and calls tm_main() from main(). Each test runs in
 *     its own forked child (in its own process group) with its own freshly
 *     opened device file, so a crash, a hang or a test that forks cannot take
 *     the runner down. ASSERT_*() end the test on the first failure and print
 *     file:line and both values; SKIP() ends it as skipped.
 *
 *  3. Helpers: anonymous mappings filled with a known pattern, pattern checks,
 *     the event log (read, find, summarise), snapshot maps, module
 *     parameters, names of events, actions and errnos.
 *
 * Functions named tm_must_*() and the harness macros may only be used inside
 * a test (they end the test on failure); everything else just returns.
 */
#ifndef _TM_LIB_H_
#define _TM_LIB_H_

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <drm/test_mirror_drm.h>

/* ------------------------------------------------------------------------ */
/* Device access                                                             */
/* ------------------------------------------------------------------------ */

/* Outcome of a device READ or WRITE (the out fields of the ioctl). */
struct tm_result {
	uint64_t pages;		/* pages copied (also on error) */
	uint64_t faults;	/* device faults taken */
	uint64_t faulted_pages;	/* pages installed by those faults */
};

/*
 * tm_open_dev() - open the test_mirror render node
 * @path: if not NULL, receives the node's path
 * @len: size of @path
 *
 * Scans /dev/dri/renderD* in numeric order and returns the first one whose
 * DRM driver name is "test_mirror", opened O_RDWR | O_CLOEXEC.
 * Return: the fd, or -ENODEV if there is none (-errno if /dev/dri cannot be
 * read).
 */
int tm_open_dev(char *path, size_t len);
static inline int tm_open(void)
{
	return tm_open_dev(NULL, 0);
}

/* ioctl() that returns 0 or -errno. Does not restart on EINTR. */
int tm_ioctl(int fd, unsigned long request, void *arg);

/* BIND: flags TEST_MIRROR_BIND_*; *handle receives the handle (may be NULL). */
int tm_bind(int fd, const void *addr, size_t size, uint32_t flags,
	    uint32_t *handle);
int tm_unbind(int fd, uint32_t handle);
/* READ: device reads [addr, addr+size) into buf. res may be NULL. */
int tm_read(int fd, const void *addr, size_t size, void *buf,
	    struct tm_result *res);
/* WRITE: device writes buf into [addr, addr+size). res may be NULL. */
int tm_write(int fd, const void *addr, size_t size, const void *buf,
	     struct tm_result *res);
/* SNAPSHOT: out receives size / page size bytes of TEST_MIRROR_SNAP_*. */
int tm_snapshot(int fd, const void *addr, size_t size, uint8_t *out);
/* STATS: reset zeroes the counters after reading them. */
int tm_stats(int fd, struct drm_test_mirror_stats *st, bool reset);
/*
 * EVENTS: up to max records into recs, oldest first. *n receives the number
 * written, *lost (may be NULL) the records that fell out of the log unread.
 */
int tm_events(int fd, struct drm_test_mirror_event *recs, unsigned int max,
	      bool consume, unsigned int *n, uint64_t *lost);

/* "UNMAP", "CLEAR", ...; "?" for an unknown value. */
const char *tm_event_name(unsigned int event);
/* "NONE", "INVALIDATE", "DOWNGRADE", ...; "?" for an unknown value. */
const char *tm_action_name(unsigned int action);
/* "EINVAL" for -EINVAL or EINVAL; "OK" for 0. Never NULL. */
const char *tm_errname(int err);

/* ------------------------------------------------------------------------ */
/* Memory and pattern helpers                                                */
/* ------------------------------------------------------------------------ */

/* The CPU page size (cached sysconf(_SC_PAGESIZE)). */
size_t tm_page_size(void);
#define PAGE_SZ		(tm_page_size())

/*
 * tm_map() - anonymous private mapping of npages pages
 * @prot: PROT_* of the mapping
 * @flags: extra MAP_* flags (e.g. MAP_POPULATE), 0 for none
 *
 * The memory is neither touched nor filled. MADV_NOHUGEPAGE is applied so
 * that a small test mapping never becomes a transparent huge page.
 * Return: the address, or NULL with errno set.
 */
void *tm_map(size_t npages, int prot, int flags);
/* tm_map() aligned to align bytes (a power of two); no MADV_NOHUGEPAGE. */
void *tm_map_aligned(size_t npages, size_t align, int prot);
/* munmap() of npages pages; returns 0 or -errno. */
int tm_unmap(void *addr, size_t npages);

/*
 * The pattern: 64-bit words that depend on a seed and the word's offset,
 * never zero, so that two seeds, two pages, or a zero page are all told
 * apart.
 */
uint64_t tm_pattern_word(uint32_t seed, size_t word);
/* Fill size bytes (a multiple of 8) at p with the pattern of seed. */
void tm_fill(void *p, size_t size, uint32_t seed);
/* Byte offset of the first word that differs from the pattern, or -1. */
ssize_t tm_check(const void *p, size_t size, uint32_t seed);
/* Byte offset of the first non-zero byte, or -1. */
ssize_t tm_check_zero(const void *p, size_t size);

/* ------------------------------------------------------------------------ */
/* Event log and snapshot helpers                                            */
/* ------------------------------------------------------------------------ */

#define TM_EVLOG_MAX	1024

/* A copy of the event log, as read by tm_evlog_read(). */
struct tm_evlog {
	unsigned int n;
	uint64_t lost;
	struct drm_test_mirror_event rec[TM_EVLOG_MAX];
};

/* Read up to TM_EVLOG_MAX records; returns 0 or -errno. */
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
/* Print the log as "# " diagnostic lines. */
void tm_evlog_print(const struct tm_evlog *log);

/*
 * One character per snapshot byte:
 *   '.' no entry    'R' read-only entry    'W' read-write entry
 *   'r' / 'w' the same, as part of a huge (PMD-sized) entry
 *   'D' dropped (unmapped while bound)     '-' not bound
 *   '?' anything else (a value the contract does not allow)
 */
char tm_snap_char(uint8_t snap);
/*
 * Render npages snapshot bytes as "W W R . D" into buf (at least 2 * npages
 * bytes). Returns buf.
 */
char *tm_snap_str(const uint8_t *snap, size_t npages, char *buf);

/* ------------------------------------------------------------------------ */
/* Module parameters (/sys/module/test_mirror/parameters/)                   */
/* ------------------------------------------------------------------------ */

/* Read a parameter as an unsigned number (Y/N read as 1/0). 0 or -errno. */
int tm_param_get(const char *name, uint64_t *val);
/* Write a string to a parameter. 0 or -errno. */
int tm_param_set(const char *name, const char *val);

/* ------------------------------------------------------------------------ */
/* The harness                                                               */
/* ------------------------------------------------------------------------ */

/* Test options (TEST_OPTS). */
#define TM_OPT_NODEV	(1u << 0)	/* do not open the device: fd is -1 */

#define TM_DEFAULT_TIMEOUT	30	/* seconds, per test */

struct tm_test {
	const char *name;
	void (*fn)(int fd);
	const char *file;
	int line;
	unsigned int opts;
	unsigned int timeout;		/* seconds, 0 = default */
	struct tm_test *next;
};

void tm_register(struct tm_test *t);

/*
 * TEST(name) { body } - declare a test. The body runs in a forked child,
 * with fd a test_mirror file opened by that child. Tests run in the order of
 * their declaration.
 */
#define TEST(name) TEST_OPTS(name, 0, 0)
#define TEST_OPTS(name, opts, timeout)					\
	static void name(int fd);					\
	static struct tm_test tm_test_##name = {			\
		#name, name, __FILE__, __LINE__, (opts), (timeout), NULL \
	};								\
	__attribute__((constructor)) static void tm_reg_##name(void)	\
	{								\
		tm_register(&tm_test_##name);				\
	}								\
	static void name(int fd __attribute__((unused)))

/*
 * tm_main() - run the registered tests, print KTAP, return the exit status
 *
 * Usage: prog [-l] [-v] [-T seconds] [-t pattern]... [pattern]...
 *   -l           list the tests and exit
 *   -v           print each test's duration as a diagnostic
 *   -T seconds   default per-test timeout (also env TM_TIMEOUT)
 *                (env TM_TIMEOUT_SCALE=N multiplies every test's timeout)
 *   -t pattern   run only tests whose name matches (fnmatch), repeatable;
 *                bare arguments are patterns too
 * Exit status: 0 if no test failed, 1 otherwise, 2 on a usage error.
 */
int tm_main(int argc, char **argv);

/* End the test as failed / skipped. printf-style message. */
void tm_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 3, 4)));
void tm_skip(const char *fmt, ...)
	__attribute__((noreturn, format(printf, 1, 2)));
/* Print a "# " diagnostic line. */
void tm_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/*
 * The factor of env TM_TIMEOUT_SCALE (1 if unset or below 1), by which the
 * harness multiplies every test's timeout: tests that bound a duration of
 * their own multiply it too.
 */
unsigned int tm_timeout_scale(void);

#define FAIL(...)	tm_fail(__FILE__, __LINE__, __VA_ARGS__)
#define SKIP(...)	tm_skip(__VA_ARGS__)

#define TM_ASSERT_U(a, op, b) do {					\
	unsigned long long __a = (unsigned long long)(a);		\
	unsigned long long __b = (unsigned long long)(b);		\
	if (!(__a op __b))						\
		tm_fail(__FILE__, __LINE__,				\
			"expected %s %s %s: %lld (0x%llx) vs %lld (0x%llx)", \
			#a, #op, #b, (long long)__a, __a,		\
			(long long)__b, __b);				\
} while (0)

#define TM_ASSERT_S(a, op, b) do {					\
	long long __a = (long long)(a);					\
	long long __b = (long long)(b);					\
	if (!(__a op __b))						\
		tm_fail(__FILE__, __LINE__,				\
			"expected %s %s %s: %lld (0x%llx) vs %lld (0x%llx)", \
			#a, #op, #b, __a, (unsigned long long)__a,	\
			__b, (unsigned long long)__b);			\
} while (0)

/* Equality compares the bit patterns; ordering compares signed values. */
#define ASSERT_EQ(a, b)		TM_ASSERT_U(a, ==, b)
#define ASSERT_NE(a, b)		TM_ASSERT_U(a, !=, b)
#define ASSERT_LT(a, b)		TM_ASSERT_S(a, <, b)
#define ASSERT_LE(a, b)		TM_ASSERT_S(a, <=, b)
#define ASSERT_GT(a, b)		TM_ASSERT_S(a, >, b)
#define ASSERT_GE(a, b)		TM_ASSERT_S(a, >=, b)

#define ASSERT_TRUE(c) do {						\
	if (!(c))							\
		tm_fail(__FILE__, __LINE__, "expected %s", #c);		\
} while (0)
#define ASSERT_FALSE(c) do {						\
	if (c)								\
		tm_fail(__FILE__, __LINE__, "expected !(%s)", #c);	\
} while (0)

/* call returns 0 or -errno (the tm_*() convention); expect err (<= 0). */
#define ASSERT_ERRNO(call, err) do {					\
	int __r = (call);						\
	int __e = (err);						\
	if (__r != __e)							\
		tm_fail(__FILE__, __LINE__, "%s: expected %s, got %s (%d)", \
			#call, tm_errname(__e), tm_errname(__r), __r);	\
} while (0)
#define ASSERT_OK(call)		ASSERT_ERRNO(call, 0)

/* A libc call that returns -1 and sets errno on failure must succeed. */
#define ASSERT_SYS(call) do {						\
	if ((long)(call) == -1)						\
		tm_fail(__FILE__, __LINE__, "%s: %s", #call,		\
			tm_errname(errno));				\
} while (0)

/* The memory must hold the pattern of seed / zeros. */
#define ASSERT_PATTERN(p, size, seed) do {				\
	ssize_t __off = tm_check((p), (size), (seed));			\
	if (__off >= 0)							\
		tm_fail(__FILE__, __LINE__,				\
			"%s: pattern %u differs at byte %zd (page %zd): " \
			"0x%016llx, expected 0x%016llx", #p,		\
			(unsigned int)(seed), __off,			\
			__off / (ssize_t)PAGE_SZ,			\
			(unsigned long long)*(const uint64_t *)		\
				((const char *)(p) + __off),		\
			(unsigned long long)tm_pattern_word((seed),	\
				(size_t)__off / 8));			\
} while (0)
#define ASSERT_ZERO_MEM(p, size) do {					\
	ssize_t __off = tm_check_zero((p), (size));			\
	if (__off >= 0)							\
		tm_fail(__FILE__, __LINE__,				\
			"%s: expected zeros, byte %zd (page %zd) is 0x%02x", \
			#p, __off, __off / (ssize_t)PAGE_SZ,		\
			((const unsigned char *)(p))[__off]);		\
} while (0)

/* ------------------------------------------------------------------------ */
/* Test-only helpers (end the test on failure)                               */
/* ------------------------------------------------------------------------ */

/*
 * Each tm_must_*() is a macro that passes the caller's file and line, so a
 * failure points at the test, not at the library.
 */

/* tm_map() or fail. */
void *tm_must_map_at(size_t npages, int prot, const char *file, int line);
#define tm_must_map(npages, prot) \
	tm_must_map_at(npages, prot, __FILE__, __LINE__)
/* tm_must_map() RW, filled with the pattern of seed (pages present, dirty). */
void *tm_must_map_pattern_at(size_t npages, uint32_t seed, const char *file,
			     int line);
#define tm_must_map_pattern(npages, seed) \
	tm_must_map_pattern_at(npages, seed, __FILE__, __LINE__)
/* tm_bind() or fail; returns the handle (checked non-zero). */
uint32_t tm_must_bind_at(int fd, const void *addr, size_t size,
			 uint32_t flags, const char *file, int line);
#define tm_must_bind(fd, addr, size, flags) \
	tm_must_bind_at(fd, addr, size, flags, __FILE__, __LINE__)
/* tm_stats() (no reset) or fail. */
void tm_must_stats_at(int fd, struct drm_test_mirror_stats *st,
		      const char *file, int line);
#define tm_must_stats(fd, st) tm_must_stats_at(fd, st, __FILE__, __LINE__)
/* tm_evlog_read() (non consuming) into a newly allocated log, or fail. */
struct tm_evlog *tm_must_evlog_at(int fd, const char *file, int line);
#define tm_must_evlog(fd) tm_must_evlog_at(fd, __FILE__, __LINE__)
/* tm_open() or fail. */
int tm_must_open_at(const char *file, int line);
#define tm_must_open() tm_must_open_at(__FILE__, __LINE__)

/*
 * fork() for use inside a test: stdout is flushed first. The child must end
 * with _exit() (or a failing ASSERT, which exits with status 1).
 */
pid_t tm_fork(void);
/* Wait for pid and fail the test unless it exited with status 0. */
void tm_must_wait_ok_at(pid_t pid, const char *file, int line);
#define tm_must_wait_ok(pid) tm_must_wait_ok_at(pid, __FILE__, __LINE__)

/* ------------------------------------------------------------------------ */
/* userfaultfd: pages supplied late, and a device call held on one           */
/* ------------------------------------------------------------------------ */

/*
 * tm_must_uffd_missing() - register [addr, addr + size) for missing-page
 * faults with a new userfaultfd (blocking reads). The pages must not be
 * present yet. SKIPs the test if the kernel has no userfaultfd. Returns
 * the userfaultfd.
 */
int tm_must_uffd_missing_at(void *addr, size_t size, const char *file,
			    int line);
#define tm_must_uffd_missing(addr, size) \
	tm_must_uffd_missing_at(addr, size, __FILE__, __LINE__)
/*
 * Wait up to timeout_ms for the next missing-page fault; *addr (may be
 * NULL) receives the faulting address. 0, -ETIMEDOUT, or -errno.
 */
int tm_uffd_wait(int uffd, int timeout_ms, uint64_t *addr);
/*
 * Supply the page at addr (page aligned) with a copy of src (one page) and
 * wake the waiter. 0 or -errno.
 */
int tm_uffd_copy(int uffd, void *addr, const void *src);

/*
 * A device READ or WRITE made in a thread of its own, whose user buffer is
 * one page nobody has supplied yet: the driver waits for it while it holds
 * the file's structural lock (it faults the buffer in there), so the file's
 * other ioctls and its UNMAP work item wait too, until tm_held_release().
 */
struct tm_held {
	int fd;
	int uffd;
	bool write;
	const void *addr;	/* the bound page the device accesses */
	uint8_t *buf;		/* the user buffer (missing until release) */
	int ret;		/* the access's return value */
	struct tm_result res;
	unsigned long thread;	/* pthread_t */
	pid_t tid;		/* the thread's id, set before the access */
};

/*
 * tm_held_start() - start a device access of the bound page at addr
 * (READ into the missing buffer, or WRITE from it) and return once the
 * driver waits for the buffer, or fail the test after 10 s. The buffer is a
 * new private anonymous page.
 */
void tm_held_start_at(struct tm_held *h, int fd, const void *addr, bool write,
		      const char *file, int line);
#define tm_held_start(h, fd, addr, write) \
	tm_held_start_at(h, fd, addr, write, __FILE__, __LINE__)
/*
 * tm_held_start_buf() - tm_held_start() with the caller's buffer: buf is
 * one page, not present yet, of private anonymous or shmem memory. It is
 * registered here for missing faults and stays mapped after
 * tm_held_release(): it is the caller's.
 */
void tm_held_start_buf_at(struct tm_held *h, int fd, const void *addr,
			  bool write, void *buf, const char *file, int line);
#define tm_held_start_buf(h, fd, addr, write, buf) \
	tm_held_start_buf_at(h, fd, addr, write, buf, __FILE__, __LINE__)
/*
 * tm_held_release() - supply the buffer page, filled with byte fill, and
 * wait for the access to end; its outcome is then in h->ret and h->res.
 */
void tm_held_release_at(struct tm_held *h, uint8_t fill, const char *file,
			int line);
#define tm_held_release(h, fill) \
	tm_held_release_at(h, fill, __FILE__, __LINE__)

#endif /* _TM_LIB_H_ */
