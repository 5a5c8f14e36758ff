/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tm_sys.h: what the tests read and write outside the device (tm_sys.c):
 * procfs, sysfs and debugfs files, /proc/self/pagemap and smaps, the
 * driver's debugfs state, memory cgroups, file descriptors passed between
 * processes, the driver's tracepoint, the kernel's version.
 *
 * Functions named *_at() (or their macros) end the test on failure; the
 * others return 0 or -errno, or a value that says "none".
 */
#ifndef _TM_SYS_H_
#define _TM_SYS_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------------------ */
/* Files                                                                     */
/* ------------------------------------------------------------------------ */

/* Write val to the file at path (one write). 0 or -errno (-EIO if short). */
int tm_write_str(const char *path, const char *val);
/*
 * Read the file at path (one read) into buf, NUL terminated, without its
 * trailing newlines and spaces. 0 or -errno.
 */
int tm_read_str(const char *path, char *buf, size_t len);
/* tm_read_str() of a number (strtoull, any base). 0 or -errno. */
int tm_read_u64(const char *path, uint64_t *v);
/* Read the whole file at path into out (len bytes, NUL terminated). */
int tm_read_text(const char *path, char *out, size_t len);
/* tm_write_str() / tm_read_str() or fail the test. */
void tm_must_write_at(const char *path, const char *val, const char *file,
		      int line);
#define tm_must_write(path, val) tm_must_write_at(path, val, __FILE__, __LINE__)
void tm_must_read_str_at(const char *path, char *buf, size_t len,
			 const char *file, int line);
#define tm_must_read_str(path, buf, len) \
	tm_must_read_str_at(path, buf, len, __FILE__, __LINE__)

/*
 * The kernel's release as major * 100 + minor (601 for 6.1, 612 for
 * 6.12), 0 if uname() cannot tell; the release string.
 */
unsigned int tm_kernel_version(void);
const char *tm_kernel_release(void);
/*
 * tm_kernel_version() for a kernel behaviour (not the driver's) that
 * differs between series and that no capability of the driver tells; fails
 * the test if uname() cannot tell.
 */
unsigned int tm_must_kernel_version_at(const char *file, int line);
#define tm_must_kernel_version() \
	tm_must_kernel_version_at(__FILE__, __LINE__)

/* ------------------------------------------------------------------------ */
/* Memory of this process                                                    */
/* ------------------------------------------------------------------------ */

/* /proc/PID/pagemap bits */
#define PM_PRESENT	(1ull << 63)
#define PM_SWAP		(1ull << 62)
#define PM_SOFT_DIRTY	(1ull << 55)
#define PM_PFN_MASK	((1ull << 55) - 1)

/* The pagemap entry of the page at addr: 0 or -errno. */
int tm_pagemap_read(const void *addr, uint64_t *ent);
/* The same, or fail the test. */
uint64_t tm_pagemap_at(const void *addr, const char *file, int line);
#define PAGEMAP(addr) tm_pagemap_at(addr, __FILE__, __LINE__)
/* Is the page at addr swapped out? (false if pagemap cannot tell) */
bool tm_swapped(const void *addr);
/*
 * A field (in kB) of the /proc/self/smaps entry of the VMA that holds addr,
 * e.g. tm_smaps_kb(p, "AnonHugePages:"); -1 if there is none. Fails the
 * test if smaps cannot be read.
 */
long tm_smaps_kb_at(const void *addr, const char *field, const char *file,
		    int line);
#define tm_smaps_kb(addr, field) \
	tm_smaps_kb_at(addr, field, __FILE__, __LINE__)
/* Pin this thread to CPU 0 (the LRU batches are per CPU), or fail. */
void tm_pin_cpu0_at(const char *file, int line);
#define tm_pin_cpu0() tm_pin_cpu0_at(__FILE__, __LINE__)
/* Is there a swap device? */
bool tm_have_swap(void);
/* Transparent huge pages for MADV_HUGEPAGE mappings ("always" or "madvise")? */
bool tm_thp_usable(void);

/* ------------------------------------------------------------------------ */
/* File descriptors between processes                                        */
/* ------------------------------------------------------------------------ */

/*
 * Send fd over the AF_UNIX socket sock (SCM_RIGHTS) with len bytes of data
 * (data NULL: one byte), or fail the test.
 */
void tm_send_fd_at(int sock, int fd, const void *data, size_t len,
		   const char *file, int line);
#define tm_send_fd(sock, fd, data, len) \
	tm_send_fd_at(sock, fd, data, len, __FILE__, __LINE__)
/* Receive what tm_send_fd() sent (the same len); returns the new fd. */
int tm_recv_fd_at(int sock, void *data, size_t len, const char *file,
		  int line);
#define tm_recv_fd(sock, data, len) \
	tm_recv_fd_at(sock, data, len, __FILE__, __LINE__)

/* ------------------------------------------------------------------------ */
/* The driver's debugfs                                                      */
/* ------------------------------------------------------------------------ */

#define TM_DEBUGFS	"/sys/kernel/debug/test_mirror"
/* Room for the state of a file of the tests. */
#define TM_STATE_MAX	(64u * 1024)

/* SKIP unless the driver's debugfs directory can be read (root, mounted). */
void tm_dbg_need(void);
/*
 * The path of the debugfs state of this process's file that holds the
 * binding [p, p + npages), or with p NULL of this process's only file;
 * fails the test if there is none (or, with p NULL, more than one).
 */
void tm_dbg_state_path_at(char *path, size_t len, const void *p,
			  size_t npages, const char *file, int line);
#define tm_dbg_state_path(path, len, p, n) \
	tm_dbg_state_path_at(path, len, p, n, __FILE__, __LINE__)
/* That state, read into out (TM_STATE_MAX bytes), or fail the test. */
void tm_dbg_read_state_at(const void *p, size_t npages, char *out,
			  const char *file, int line);
#define tm_dbg_read_state(p, n, out) \
	tm_dbg_read_state_at(p, n, out, __FILE__, __LINE__)
/*
 * The segments of the mirror of the state at path ("bindings: N, segments:
 * M" line; -1 if none), and in *cuts (may be NULL) whether a segment still
 * has cuts to split. Fails the test if the file cannot be read.
 */
long tm_dbg_segments_at(const char *path, bool *cuts, const char *file,
			int line);
#define tm_dbg_segments(path, cuts) \
	tm_dbg_segments_at(path, cuts, __FILE__, __LINE__)
/*
 * Wait, at most 10 s (times TM_TIMEOUT_SCALE), until the UNMAP work item
 * has split every cut segment of the binding at p: its state lists no cut.
 * The state read last is left in out (TM_STATE_MAX bytes).
 */
void tm_dbg_wait_split_at(const void *p, size_t npages, char *out,
			  const char *file, int line);
#define tm_dbg_wait_split(p, n, out) \
	tm_dbg_wait_split_at(p, n, out, __FILE__, __LINE__)
/* Print a debugfs state as "# state: " diagnostic lines. */
void tm_dbg_diag(const char *state);

/* ------------------------------------------------------------------------ */
/* Memory cgroups (v2)                                                       */
/* ------------------------------------------------------------------------ */

#define TM_CG_ROOT	"/sys/fs/cgroup"

/* Is the memory controller enabled for the root's children? */
bool tm_cg_usable(void);
/* The path of this process's cgroup name: <root>/<program>_<name>_<pid>. */
void tm_cg_path(char *path, size_t len, const char *name);
/* Write val to / read a number from file of cgroup cg. 0 or -errno. */
int tm_cg_write(const char *cg, const char *file, const char *val);
/*
 * The number in file of cgroup cg: the first line's (key NULL), or the one
 * after "key " (memory.stat, memory.events); -1 if none.
 */
long long tm_cg_read(const char *cg, const char *file, const char *key);
/*
 * Create cgroup cg (if needed) with memory.max max (NULL: unlimited) and
 * no swap (out of the OOM killer's way), or fail the test.
 */
void tm_cg_make_at(const char *cg, const char *max, const char *file,
		   int line);
#define tm_cg_make(cg, max) tm_cg_make_at(cg, max, __FILE__, __LINE__)
/* Remove cgroup cg once its processes are gone (best effort, 2 s). */
void tm_cg_remove(const char *cg);
/* Move this process into cgroup cg, or fail the test. */
void tm_cg_enter_at(const char *cg, const char *file, int line);
#define tm_cg_enter(cg) tm_cg_enter_at(cg, __FILE__, __LINE__)

/* ------------------------------------------------------------------------ */
/* The test_mirror:tm_invalidate tracepoint                                  */
/* ------------------------------------------------------------------------ */

/* One tm_invalidate record. */
struct tm_trace_rec {
	uint32_t handle, ev, act, fl;	/* fl: 1 = blockable */
	uint64_t start, end, ent;
	int pid;
	char comm[32];
};

/*
 * Parse one line of a trace buffer: 1 if it is a tm_invalidate record
 * (then in *r), 0 if it is another line, -EINVAL if it cannot be parsed.
 */
int tm_trace_parse(const char *line, struct tm_trace_rec *r);
/*
 * Record test_mirror:tm_invalidate in a trace instance of this test's own
 * (SKIPs without the tracepoint). A janitor process disables it and
 * removes the instance when the test ends, however it ends: an enabled
 * module tracepoint would keep the module from unloading.
 */
void tm_trace_start_at(const char *file, int line);
#define tm_trace_start() tm_trace_start_at(__FILE__, __LINE__)
/* The records of the instance so far (non-consuming), at most max. */
int tm_trace_read_at(struct tm_trace_rec *recs, int max, const char *file,
		     int line);
#define tm_trace_read(recs, max) tm_trace_read_at(recs, max, __FILE__, __LINE__)
/* Print records as "# " diagnostic lines (at most 40). */
void tm_trace_print(const struct tm_trace_rec *r, int n);
/*
 * Index of the first record at or after from of event ev covering [s, e),
 * blockable as asked (-1: either), or -1.
 */
int tm_trace_find(const struct tm_trace_rec *r, int n, int from,
		  unsigned int ev, int blockable, uint64_t s, uint64_t e);

#endif /* _TM_SYS_H_ */
