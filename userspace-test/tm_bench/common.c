// SPDX-License-Identifier: GPL-2.0
/*
 * tm_bench: memory and the device, for the sections. Buffers 2 MiB
 * aligned, with or without THP, touched or populated by the CPU; files of
 * a given policy and fault chunk (module parameters, read at open);
 * STATS, BIND and UNBIND that report their errors; device READs of a whole
 * range through the window, or of one page in every stride; jobs of both
 * models (SUBMIT): pre-validated ones signalling a syncobj, fault-model ones
 * reporting their end in a user fence of a page bound to their file; and
 * /proc/meminfo.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <xf86drm.h>

#include "tm_bench.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE	23
#endif

/* ------------------------------------------------------------------------ */
/* Memory                                                                    */
/* ------------------------------------------------------------------------ */

/* size bytes, 2 MiB aligned, THP allowed or forbidden. */
char *map_buf(unsigned long size, bool thp)
{
	char *p = tm_mmap_aligned(size, HUGE_SZ, PROT_READ | PROT_WRITE, 0);

	if (p)
		madvise(p, size, thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
	return p;
}

/* The CPU writes one word in every page (first touch: it faults them in). */
void cpu_write_touch(char *p, unsigned long size)
{
	unsigned long i;

	for (i = 0; i < size; i += PAGE_SZ)
		*(volatile uint64_t *)(p + i) = i | 1;
}

static void populate(char *p, unsigned long size)
{
	if (madvise(p, size, MADV_POPULATE_WRITE))
		cpu_write_touch(p, size);
}

char *map_populated(unsigned long size, bool thp)
{
	char *p = map_buf(size, thp);

	if (p)
		populate(p, size);
	else
		bench_err("mmap %lu MiB: %s", size / MiB, strerror(errno));
	return p;
}

unsigned long meminfo_kb(const char *key)
{
	char line[256];
	size_t kl = strlen(key);
	unsigned long v = 0;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, kl) && line[kl] == ':') {
			v = strtoul(line + kl + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

/* ------------------------------------------------------------------------ */
/* Device                                                                    */
/* ------------------------------------------------------------------------ */

/* A new file with the given policy and chunk (both read at open). */
int open_fd(bool aware, unsigned int chunk)
{
	char v[32];
	int fd, r;

	r = tm_param_set("event_aware", aware ? "Y" : "N");
	snprintf(v, sizeof(v), "%u", chunk);
	if (!r)
		r = tm_param_set("fault_chunk_pages", v);
	if (r) {
		bench_err("setting module parameters: %s", tm_errname(r));
		return r;
	}
	fd = tm_open();
	if (fd < 0)
		bench_err("open test_mirror: %s", tm_errname(fd));
	return fd;
}

struct drm_test_mirror_stats stats(int fd)
{
	struct drm_test_mirror_stats st;
	int r = tm_stats(fd, &st, false);

	if (r) {
		bench_err("STATS: %s", tm_errname(r));
		memset(&st, 0, sizeof(st));
	}
	return st;
}
uint32_t dev_bind(int fd, const void *p, unsigned long size, uint32_t flags)
{
	uint32_t h = 0;
	int r = tm_bind(fd, p, size, flags, &h);

	if (r)
		bench_err("BIND %p+%lu MiB flags %#x: %s", p, size / MiB, flags,
			  tm_errname(r));
	return h;
}

void dev_unbind(int fd, uint32_t h)
{
	int r;

	if (!h)
		return;
	r = tm_unbind(fd, h);
	if (r)
		bench_err("UNBIND %u: %s", h, tm_errname(r));
}

/* The device reads the whole range, WIN_SZ per READ; returns faults. */
uint64_t dev_read(int fd, const char *p, unsigned long size)
{
	unsigned long off, n;
	struct tm_result res;
	uint64_t faults = 0;
	int r;

	for (off = 0; off < size; off += n) {
		n = size - off < WIN_SZ ? size - off : WIN_SZ;
		r = tm_read(fd, p + off, n, win, &res);
		if (r) {
			bench_err("READ %p+%lu: %s", p + off, n, tm_errname(r));
			return faults;
		}
		faults += res.faults;
	}
	return faults;
}

/* The device reads one page in every @stride pages, one READ each. */
uint64_t dev_gather(int fd, const char *p, unsigned long size,
		    unsigned long stride)
{
	struct tm_result res;
	uint64_t faults = 0;
	unsigned long off;
	int r;

	for (off = 0; off < size; off += stride * PAGE_SZ) {
		r = tm_read(fd, p + off, PAGE_SZ, win, &res);
		if (r) {
			bench_err("READ %p: %s", p + off, tm_errname(r));
			return faults;
		}
		faults += res.faults;
	}
	return faults;
}

/* ------------------------------------------------------------------------ */
/* Jobs                                                                      */
/* ------------------------------------------------------------------------ */

/* A pre-validated job whose fence goes to syncobj @out (0: none). */
int job_submit(int fd, uint32_t op, const void *src, const void *dst,
	       unsigned long size, uint64_t value, uint32_t ms, uint32_t out)
{
	struct drm_test_mirror_submit s = {
		.op = op,
		.src = (uintptr_t)src,
		.dst = (uintptr_t)dst,
		.size = size,
		.value = value,
		.duration_ms = ms,
		.out_syncobj = out,
	};

	return tm_submit(fd, &s);
}

/* Wait for the fence of syncobj @h (drmSyncobjWait(): 0 or -errno). */
int job_wait(int fd, uint32_t h)
{
	return drmSyncobjWait(fd, &h, 1, INT64_MAX, 0, NULL);
}

/*
 * The user fences of a file's fault-model jobs: one page of UF_SLOTS
 * fences, bound read-write and prefaulted, so that writing a fence
 * normally takes no device fault (which would count in device_faults).
 */
int uf_setup(struct ufences *u, int fd)
{
	memset(u, 0, sizeof(*u));
	u->fd = fd;
	u->uf = tm_map(1, PROT_READ | PROT_WRITE, 0);
	if (!u->uf) {
		bench_err("user fences: mmap: %s", strerror(errno));
		return -ENOMEM;
	}
	memset(u->uf, 0, PAGE_SZ);
	u->h = dev_bind(fd, u->uf, PAGE_SZ, TEST_MIRROR_BIND_READ |
			TEST_MIRROR_BIND_WRITE | TEST_MIRROR_BIND_PREFAULT);
	if (!u->h) {
		munmap(u->uf, PAGE_SZ);
		u->uf = NULL;
		return -EINVAL;
	}
	return 0;
}

void uf_done(struct ufences *u)
{
	if (!u->uf)
		return;
	dev_unbind(u->fd, u->h);
	munmap(u->uf, PAGE_SZ);
	u->uf = NULL;
}

/*
 * A fault-model job (TEST_MIRROR_SUBMIT_FAULTABLE) whose end goes to fence
 * @slot of @u: the sequence number it will write (> 0), or -errno.
 */
int64_t fault_submit(struct ufences *u, unsigned int slot, uint32_t op,
		     const void *src, const void *dst, unsigned long size,
		     uint64_t value, uint32_t ms)
{
	struct drm_test_mirror_submit s = {
		.op = op,
		.flags = TEST_MIRROR_SUBMIT_FAULTABLE,
		.src = (uintptr_t)src,
		.dst = (uintptr_t)dst,
		.size = size,
		.value = value,
		.duration_ms = ms,
		.ufence_addr = (uintptr_t)&u->uf[slot],
		.ufence_value = u->seq + 1,
	};
	int r = tm_submit(u->fd, &s);

	if (r)
		return r;
	return (int64_t)++u->seq;
}

/*
 * Wait (WAIT_UFENCE) at most @timeout_ns for fence @slot of @u to reach
 * @seq: the job's error (0 or -errno from the fence), or the wait's
 * (-ETIME: not ended yet).
 */
int fault_wait(struct ufences *u, unsigned int slot, uint64_t seq,
	       int64_t timeout_ns)
{
	int r = tm_wait_ufence(u->fd, &u->uf[slot].seqno, seq, timeout_ns);

	if (r)
		return r;
	return u->uf[slot].error;
}

/* Has the job of fence @slot (sequence @seq) ended? */
bool fault_ended(struct ufences *u, unsigned int slot, uint64_t seq)
{
	return __atomic_load_n(&u->uf[slot].seqno, __ATOMIC_ACQUIRE) >= seq;
}

/* Set a module parameter to a number; 0 or -errno (reported). */
int param_set_u(const char *name, unsigned long v)
{
	char s[32];
	int r;

	snprintf(s, sizeof(s), "%lu", v);
	r = tm_param_set(name, s);
	if (r)
		bench_err("setting module parameter %s=%s: %s", name, s,
			  tm_errname(r));
	return r;
}
