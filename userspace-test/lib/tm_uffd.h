/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tm_uffd.h: userfaultfd (tm_uffd.c): pages supplied late, write-protected
 * ranges, and a device call held on a page nobody has supplied yet.
 */
#ifndef _TM_UFFD_H_
#define _TM_UFFD_H_

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "tm_dev.h"

/*
 * A new userfaultfd (O_CLOEXEC | flags), its API handshake done. SKIPs the
 * test if the kernel has no userfaultfd; fails if the handshake does.
 */
int tm_must_uffd_open_at(int flags, const char *file, int line);
#define tm_must_uffd_open(flags) tm_must_uffd_open_at(flags, __FILE__, __LINE__)
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
/* Write-protect [p, p + size) through uffd u (on), or lift it, or fail. */
void tm_uffd_wp_at(int u, void *p, size_t size, bool on, const char *file,
		   int line);
#define tm_uffd_wp(u, p, size, on) \
	tm_uffd_wp_at(u, p, size, on, __FILE__, __LINE__)
/*
 * Wait up to timeout_ms for the next missing-page fault; *addr (may be
 * NULL) receives the faulting address. 0, -ETIMEDOUT, or -errno.
 */
int tm_uffd_wait(int uffd, int timeout_ms, uint64_t *addr);
/* The same, with the whole message (its flags: WP, WRITE). */
struct uffd_msg;
int tm_uffd_wait_msg(int uffd, int timeout_ms, struct uffd_msg *msg);
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

/*
 * Wait until the thread *tid of this process (0 until the thread has
 * published its id) sleeps inside system call nr. The first field of
 * /proc/self/task/<tid>/syscall is the call's number only while the thread
 * sleeps in that call ("running" while it runs, -1 while it sleeps outside
 * any call), so a thread seen sleeping in ioctl() on the device waits in
 * the driver, not on its way into it. Fails the test after 10 s.
 */
void tm_wait_in_syscall_at(const pid_t *tid, long nr, const char *file,
			   int line);
#define tm_wait_in_syscall(tid, nr) \
	tm_wait_in_syscall_at(tid, nr, __FILE__, __LINE__)

#endif /* _TM_UFFD_H_ */
