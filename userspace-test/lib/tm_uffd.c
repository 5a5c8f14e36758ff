// SPDX-License-Identifier: GPL-2.0
/*
 * tm_uffd: userfaultfd helpers and the held device access. See tm_uffd.h.
 */
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tm_lib.h"

int tm_must_uffd_open_at(int flags, const char *file, int line)
{
	struct uffdio_api api = { .api = UFFD_API };
	int u = (int)syscall(__NR_userfaultfd, O_CLOEXEC | flags);

	if (u < 0)
		tm_skip("userfaultfd: %s", tm_errname(errno));
	if (ioctl(u, UFFDIO_API, &api))
		tm_fail(file, line, "UFFDIO_API: %s", tm_errname(errno));
	return u;
}

int tm_must_uffd_missing_at(void *addr, size_t size, const char *file,
			    int line)
{
	struct uffdio_register reg = {
		.range = { .start = (uintptr_t)addr, .len = size },
		.mode = UFFDIO_REGISTER_MODE_MISSING,
	};
	int u = tm_must_uffd_open_at(0, file, line);

	if (ioctl(u, UFFDIO_REGISTER, &reg))
		tm_fail(file, line, "UFFDIO_REGISTER of %p +0x%zx: %s", addr,
			size, tm_errname(errno));
	return u;
}

void tm_uffd_wp_at(int u, void *p, size_t size, bool on, const char *file,
		   int line)
{
	struct uffdio_writeprotect wp = {
		.range = { .start = ADDR(p), .len = size },
		.mode = on ? UFFDIO_WRITEPROTECT_MODE_WP : 0,
	};

	if (ioctl(u, UFFDIO_WRITEPROTECT, &wp))
		tm_fail(file, line, "UFFDIO_WRITEPROTECT(%d): %s", on,
			tm_errname(errno));
}

int tm_uffd_wait_msg(int uffd, int timeout_ms, struct uffd_msg *msg)
{
	struct pollfd pfd = { .fd = uffd, .events = POLLIN };
	uint64_t end = tm_now_ms() + (uint64_t)timeout_ms;
	int fl = fcntl(uffd, F_GETFL), r = -ETIMEDOUT;
	ssize_t n;

	/*
	 * poll() of a blocking userfaultfd always reports an error (a fault
	 * may be woken before it is read): poll and read it non-blocking.
	 */
	if (fl < 0 || fcntl(uffd, F_SETFL, fl | O_NONBLOCK))
		return -errno;
	while (tm_now_ms() < end) {
		if (poll(&pfd, 1, (int)(end - tm_now_ms())) < 0 && errno != EINTR) {
			r = -errno;
			break;
		}
		n = read(uffd, msg, sizeof(*msg));
		if (n == sizeof(*msg)) {
			r = msg->event == UFFD_EVENT_PAGEFAULT ? 0 : -EPROTO;
			break;
		}
		if (n >= 0 || (errno != EAGAIN && errno != EINTR)) {
			r = n < 0 ? -errno : -EIO;
			break;
		}
	}
	fcntl(uffd, F_SETFL, fl);
	return r;
}

int tm_uffd_wait(int uffd, int timeout_ms, uint64_t *addr)
{
	struct uffd_msg msg;
	int r = tm_uffd_wait_msg(uffd, timeout_ms, &msg);

	if (!r && addr)
		*addr = msg.arg.pagefault.address;
	return r;
}

int tm_uffd_copy(int uffd, void *addr, const void *src)
{
	struct uffdio_copy cp = {
		.dst = (uintptr_t)addr,
		.src = (uintptr_t)src,
		.len = PAGE_SZ,
	};

	return ioctl(uffd, UFFDIO_COPY, &cp) ? -errno : 0;
}

static void *tm_held_fn(void *arg)
{
	struct tm_held *h = arg;

	__atomic_store_n(&h->tid, gettid(), __ATOMIC_RELEASE);
	if (h->write)
		h->ret = tm_write(h->fd, h->addr, PAGE_SZ, h->buf, &h->res);
	else
		h->ret = tm_read(h->fd, h->addr, PAGE_SZ, h->buf, &h->res);
	return NULL;
}

void tm_held_start_at(struct tm_held *h, int fd, const void *addr, bool write,
		      const char *file, int line)
{
	void *buf = tm_must_map_at(1, PROT_READ | PROT_WRITE, file, line);

	tm_held_start_buf_at(h, fd, addr, write, buf, file, line);
}

void tm_held_start_buf_at(struct tm_held *h, int fd, const void *addr,
			  bool write, void *buf, const char *file, int line)
{
	pthread_t t;
	int r;

	memset(h, 0, sizeof(*h));
	h->fd = fd;
	h->addr = addr;
	h->write = write;
	h->buf = buf;
	h->uffd = tm_must_uffd_missing_at(h->buf, PAGE_SZ, file, line);
	if (pthread_create(&t, NULL, tm_held_fn, h))
		tm_fail(file, line, "pthread_create");
	h->thread = (unsigned long)t;
	r = tm_uffd_wait(h->uffd, 10000, NULL);
	if (r)
		tm_fail(file, line, "the device %s did not wait for its buffer: %s",
			write ? "WRITE" : "READ", tm_errname(r));
}

void tm_held_release_at(struct tm_held *h, uint8_t fill, const char *file,
			int line)
{
	uint8_t *page = malloc(PAGE_SZ);
	int r;

	if (!page)
		tm_fail(file, line, "out of memory");
	memset(page, fill, PAGE_SZ);
	r = tm_uffd_copy(h->uffd, h->buf, page);
	free(page);
	if (r)
		tm_fail(file, line, "UFFDIO_COPY: %s", tm_errname(r));
	pthread_join((pthread_t)h->thread, NULL);
	close(h->uffd);
}

void tm_wait_in_syscall_at(const pid_t *tid, long nr, const char *file,
			   int line)
{
	uint64_t deadline = tm_now_ms() + 10000;
	char path[64], text[128] = "";
	pid_t id = 0;

	do {
		ssize_t n = 0;
		char *end;
		int f;

		id = __atomic_load_n(tid, __ATOMIC_ACQUIRE);
		if (id) {
			snprintf(path, sizeof(path),
				 "/proc/self/task/%d/syscall", (int)id);
			f = open(path, O_RDONLY | O_CLOEXEC);
			if (f < 0)
				tm_fail(file, line, "%s: %s", path,
					tm_errname(errno));
			n = read(f, text, sizeof(text) - 1);
			close(f);
		}
		if (n > 0) {
			text[n] = '\0';
			if (strtol(text, &end, 10) == nr && end != text &&
			    *end == ' ')
				return;
		}
		usleep(1000);
	} while (tm_now_ms() < deadline);
	tm_fail(file, line,
		"thread %d never slept in system call %ld: \"%.40s\"",
		(int)id, nr, text);
}
