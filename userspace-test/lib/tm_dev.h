/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tm_dev.h: the test_mirror device (tm_dev.c): opening its render node,
 * one wrapper per ioctl, the names of its events and actions, and the
 * test-only forms that end the test on failure.
 *
 * The tm_bind() ... tm_submit() wrappers issue one ioctl each and return 0
 * or a negative errno, never -1. tm_ioctl() is the raw form, for tests that
 * need to hand the driver a malformed argument.
 */
#ifndef _TM_DEV_H_
#define _TM_DEV_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <drm/test_mirror_drm.h>

/* BIND flags, as the tests spell them. */
#define RO		TEST_MIRROR_BIND_READ
#define RW		(TEST_MIRROR_BIND_READ | TEST_MIRROR_BIND_WRITE)
#define PREFAULT	TEST_MIRROR_BIND_PREFAULT
#define RWP		(RW | PREFAULT)

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

/* ------------------------------------------------------------------------ */
/* Jobs (SUBMIT) and their fences                                            */
/* ------------------------------------------------------------------------ */

/*
 * SUBMIT: queue the job *job (struct drm_test_mirror_submit as the uAPI
 * has it, the caller's fields as they are: a test may pass bad ones).
 */
int tm_submit(int fd, struct drm_test_mirror_submit *job);
/*
 * WAIT_UFENCE: wait until the 64-bit value at addr is at least value, for
 * at most timeout_ns (0: only look). 0 or -errno (-ETIME: timed out).
 */
int tm_wait_ufence(int fd, const volatile void *addr, uint64_t value,
		   int64_t timeout_ns);
/* A new binary syncobj of fd (libdrm), signalled or not. 0 or -errno. */
int tm_syncobj_new(int fd, bool signaled, uint32_t *handle);
/*
 * tm_fence_status() - the state of a fence
 * @fd: the file of @syncobj, or -1 if @sync_file is given instead
 * @syncobj: the syncobj whose fence is read (exported as a sync_file with
 *	drmSyncobjExportSyncFile()); ignored when @fd is -1
 * @sync_file: a sync_file fd (used when @fd is -1; not closed)
 * @wait_ms: wait at most this long for the fence to signal (0: do not wait)
 * @status: out: the fence's status (SYNC_IOC_FILE_INFO): 1 signalled
 *	without error, 0 still running, negative: the error it signalled with
 *
 * Return: 0 or -errno (-EINVAL: the syncobj has no fence, as from the
 * export).
 */
int tm_fence_status(int fd, uint32_t syncobj, int sync_file,
		    unsigned int wait_ms, int *status);
/*
 * drmSyncobjExportSyncFile() of syncobj: the sync_file fd (O_CLOEXEC), or
 * -errno.
 */
int tm_fence_export(int fd, uint32_t syncobj);

/* "UNMAP", "CLEAR", ...; "?" for an unknown value. */
const char *tm_event_name(unsigned int event);
/* "NONE", "INVALIDATE", "DOWNGRADE", ...; "?" for an unknown value. */
const char *tm_action_name(unsigned int action);
/*
 * The value of a name of tm_event_name() / tm_action_name() (any case),
 * or -1.
 */
int tm_event_value(const char *name);
int tm_action_value(const char *name);

/* ------------------------------------------------------------------------ */
/* Module parameters (/sys/module/test_mirror/parameters/)                   */
/* ------------------------------------------------------------------------ */

/* Read a parameter as an unsigned number (Y/N read as 1/0). 0 or -errno. */
int tm_param_get(const char *name, uint64_t *val);
/* Write a string to a parameter. 0 or -errno. */
int tm_param_set(const char *name, const char *val);
/* Is test_mirror a loaded module (not built in, not absent)? */
bool tm_module_loaded(void);

/* ------------------------------------------------------------------------ */
/* The test_hmm-compatible front-end (/dev/hmm_dmirror0 and 1)              */
/* ------------------------------------------------------------------------ */

/*
 * Make the front-end's devices exist: 0 if they were there, 1 if this
 * turned them on (module parameter hmm_compat; the caller turns them off
 * again), -ENOENT if the module has no such parameter, -errno otherwise.
 */
int tm_hmm_enable(void);
/* Open /dev/hmm_dmirror<unit> (O_RDWR | O_CLOEXEC): the fd or -errno. */
int tm_hmm_open(unsigned int unit);

/* ------------------------------------------------------------------------ */
/* Test-only forms (end the test on failure)                                 */
/* ------------------------------------------------------------------------ */

/*
 * Each tm_must_*() is a macro that passes the caller's file and line, so a
 * failure points at the test, not at the library.
 */

/* tm_open() or fail. */
int tm_must_open_at(const char *file, int line);
#define tm_must_open() tm_must_open_at(__FILE__, __LINE__)
/*
 * tm_must_open_param() - a new file opened while module parameter name is
 * val (a parameter read at open: event_aware, event_log_len,
 * max_mirror_pages), which is then put back as it was. SKIPs the test if
 * the parameter cannot be read or set; fails if it cannot be put back.
 */
int tm_must_open_param_at(const char *name, const char *val,
			  const char *file, int line);
#define tm_must_open_param(name, val) \
	tm_must_open_param_at(name, val, __FILE__, __LINE__)
/* A file of the event-blind policy (event_aware=N at open), checked. */
#define tm_must_open_blind() \
	tm_must_open_param_at("event_aware", "N", __FILE__, __LINE__)
/* tm_bind() or fail; returns the handle (checked non-zero). */
uint32_t tm_must_bind_at(int fd, const void *addr, size_t size,
			 uint32_t flags, const char *file, int line);
#define tm_must_bind(fd, addr, size, flags) \
	tm_must_bind_at(fd, addr, size, flags, __FILE__, __LINE__)
/* tm_syncobj_new() or fail; returns the handle. */
uint32_t tm_must_syncobj_at(int fd, bool signaled, const char *file, int line);
#define tm_must_syncobj(fd) tm_must_syncobj_at(fd, false, __FILE__, __LINE__)
/*
 * FENCE(fd, syncobj, ms) - wait at most ms milliseconds (times
 * tm_timeout_scale()) for the fence of syncobj to signal, and evaluate to
 * its status (1, or the negative errno it carries); fail if it has no
 * fence or does not signal in time. FENCE_FILE(sync_file, ms): the same
 * for a sync_file fd.
 */
int tm_must_fence_at(int fd, uint32_t syncobj, int sync_file,
		     unsigned int ms, const char *file, int line);
#define FENCE(fd, syncobj, ms) \
	tm_must_fence_at(fd, syncobj, -1, ms, __FILE__, __LINE__)
#define FENCE_FILE(sync_file, ms) \
	tm_must_fence_at(-1, 0, sync_file, ms, __FILE__, __LINE__)
/* tm_stats() (no reset) or fail. */
void tm_must_stats_at(int fd, struct drm_test_mirror_stats *st,
		      const char *file, int line);
#define tm_must_stats(fd, st) tm_must_stats_at(fd, st, __FILE__, __LINE__)
/* The STATS of fd, as a value (tm_stats() or fail). */
struct drm_test_mirror_stats tm_stats_get_at(int fd, const char *file,
					     int line);
#define STATS(fd) tm_stats_get_at(fd, __FILE__, __LINE__)
/* Does fd's file have capability cap (TEST_MIRROR_CAP_*)? */
#define tm_has_cap(fd, cap) (!!(STATS(fd).caps & (cap)))
/*
 * A full round trip on fd, which must work: 4 new pages filled with a
 * pattern are bound RW, read by the device (the pattern), written by it
 * (the CPU sees the new pattern), unbound and unmapped.
 */
void tm_must_round_trip_at(int fd, const char *file, int line);
#define tm_must_round_trip(fd) tm_must_round_trip_at(fd, __FILE__, __LINE__)
/*
 * tm_with_params() - run fn(file) in a child with the n (at most 4) module
 * parameters names[i] set to vals[i], and put them back whatever happens
 * to the child. The child opens a file before the change (fn's argument)
 * and may open more after it. SKIPs if a parameter cannot be read or set;
 * fails if the child fails, or if a parameter cannot be put back.
 */
void tm_with_params_at(unsigned int n, const char *const *names,
		       const char *const *vals, void (*fn)(int),
		       const char *file, int line);
#define tm_with_params(n, names, vals, fn) \
	tm_with_params_at(n, names, vals, fn, __FILE__, __LINE__)
#define tm_with_param(name, val, fn) do {				\
	const char *__n = (name), *__v = (val);				\
	tm_with_params_at(1, &__n, &__v, fn, __FILE__, __LINE__);	\
} while (0)

#endif /* _TM_DEV_H_ */
