// SPDX-License-Identifier: GPL-2.0
/*
 * tm_bench: P7 device memory and device atomics, in the same boot and with
 * the same three devices as P6 (p6_peer.c: lib/test_hmm's
 * /dev/hmm_dmirror0, test_mirror's compat front-end on the same node, and
 * the DRM render node), one at a time, the order rotating with the
 * repetition:
 *
 *   to_device  a buffer populated by the CPU (4 KiB pages; --smoke 1 MiB,
 *              else 16 MiB) moved to the device's memory in one call:
 *              MIGRATE_TO_DEV (test_hmm, compat) or DEVMEM TO_DEVICE (drm);
 *              pages/s;
 *   to_system  the same pages moved back: MIGRATE_TO_SYS or DEVMEM
 *              TO_SYSTEM; pages/s. The counts are checked, and the data
 *              after the round trip. The test_hmm ABI's MIGRATE_TO_DEV
 *              also copies the moved pages out to the caller (cmd.ptr: the
 *              resident window), as its EXCLUSIVE copies the page: that
 *              copy is part of test_hmm's and compat's figures, not drm's.
 *
 * and the device atomics on one page (--smoke 16, else 1000 operations):
 *
 *   drm atomic_retake    the CPU adds 1 to a word of the page, then the
 *                        device's ATOMIC fetch-add: each ATOMIC takes the
 *                        page exclusive again (make_device_exclusive()),
 *                        the CPU's add having taken it back; ops/s of the
 *                        pair, and the grants are counted (one per op);
 *   drm atomic_held      ATOMIC again and again without a CPU touch: the
 *                        device keeps the page (one grant in all);
 *   test_hmm / compat    the nearest operation of the test_hmm ABI: the CPU
 *   exclusive_retake     adds 1, then EXCLUSIVE of that one page (it takes
 *                        the page exclusive and does nothing more).
 *
 * Where the kernel has no device-private memory
 * (TEST_MIRROR_CAP_DEVICE_PRIVATE clear) the section says so and measures
 * nothing; without device atomics (TEST_MIRROR_CAP_DEVICE_EXCLUSIVE) it
 * leaves the atomics out; without a test_hmm module (every kernel but the
 * one make bench-peer boots with it) test_hmm is left out, which is an
 * error only in a full run. No target: the figures are reported (METRIC
 * lines with target "-", met n/a) for RESULTS and for comparison.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <misc/test_mirror_hmm.h>

#include "tm_bench.h"

enum { K_TODEV, K_TOSYS, K_RETAKE, K_HELD, NK };
static const char *const k_name[NK] = { "to_device", "to_system",
					"atomic_retake", "atomic_held" };

/* One move of [p, p + size) by d, in one call; the pages it moved, or -errno. */
static long move(unsigned int d, int fd, char *p, unsigned long size,
		 bool to_dev)
{
	struct drm_test_mirror_devmem dm = { 0 };
	struct tm_hmm_cmd cmd = { 0 };
	int r;

	if (d == D_DRM) {
		dm.addr = (uintptr_t)p;
		dm.size = size;
		dm.op = to_dev ? TEST_MIRROR_DEVMEM_TO_DEVICE :
				 TEST_MIRROR_DEVMEM_TO_SYSTEM;
		r = tm_ioctl(fd, DRM_IOCTL_TEST_MIRROR_DEVMEM, &dm);
		return r ? r : (long)dm.pages;
	}
	cmd.addr = (uintptr_t)p;
	cmd.ptr = (uintptr_t)win;	/* TO_DEV copies the pages out there */
	cmd.npages = size / PAGE_SZ;
	if (ioctl(fd, to_dev ? TM_HMM_IOC_MIGRATE_TO_DEV : TM_HMM_IOC_MIGRATE_TO_SYS,
		  &cmd))
		return -errno;
	return cmd.cpages;
}

/* The device's file for [p, p + size): drm binds it. */
static int open_dev(unsigned int d, char *p, unsigned long size, uint32_t *h)
{
	int fd;

	if (d != D_DRM)
		return tm_hmm_open(0);
	fd = tm_open();
	if (fd >= 0 && tm_bind(fd, p, size, RW, h)) {
		close(fd);
		return -EIO;
	}
	return fd;
}

/* One round trip of a new buffer by d: ns each way into s[]. */
static void measure_moves(unsigned int d, unsigned long size, struct smp *s)
{
	unsigned long npages = size / PAGE_SZ, i;
	uint64_t t0, t1, t2;
	long to_dev, to_sys;
	uint32_t h = 0;
	char *p;
	int fd;

	p = peer_buf(size, false);
	if (!p) {
		bench_err("mmap %lu MiB: %s", size / MiB, strerror(errno));
		return;
	}
	fd = open_dev(d, p, size, &h);
	if (fd < 0) {
		bench_err("%s: cannot open the device: %s", dev_name[d],
			  tm_errname(fd));
		munmap(p, size);
		return;
	}
	t0 = tm_now_ns();
	to_dev = move(d, fd, p, size, true);
	t1 = tm_now_ns();
	to_sys = move(d, fd, p, size, false);
	t2 = tm_now_ns();
	if (to_dev != (long)npages || to_sys != (long)npages) {
		bench_err("%s: moved %ld pages to the device and %ld back, of %lu",
			  dev_name[d], to_dev, to_sys, npages);
	} else {
		smp_add(&s[K_TODEV], t1 - t0);
		smp_add(&s[K_TOSYS], t2 - t1);
	}
	for (i = 0; i < size; i += PAGE_SZ)
		if (*(volatile uint64_t *)(p + i) != (i | 1)) {
			bench_err("%s: page %lu changed in the round trip",
				  dev_name[d], i / PAGE_SZ);
			break;
		}
	if (h && tm_unbind(fd, h))
		bench_err("drm: UNBIND failed");
	close(fd);
	munmap(p, size);
}

/*
 * n device atomics on one page by d; into s[K_RETAKE] with a CPU add
 * before each one (the page taken exclusive again each time), and for drm
 * into s[K_HELD] without. The counts and the word are checked.
 */
static void measure_atomics(unsigned int d, unsigned int n, struct smp *s)
{
	struct drm_test_mirror_atomic a = { .op = TEST_MIRROR_ATOMIC_FETCH_ADD,
					    .operand = 1 };
	volatile uint64_t *w;
	struct tm_hmm_cmd cmd;
	uint64_t t0, t, g0, want;
	uint32_t h = 0;
	unsigned int i;
	int fd, r = 0;
	char *p;

	p = peer_buf(PAGE_SZ, false);
	if (!p) {
		bench_err("mmap: %s", strerror(errno));
		return;
	}
	w = (volatile uint64_t *)p;
	fd = open_dev(d, p, PAGE_SZ, &h);
	if (fd < 0) {
		bench_err("%s: cannot open the device: %s", dev_name[d],
			  tm_errname(fd));
		munmap(p, PAGE_SZ);
		return;
	}
	a.addr = (uintptr_t)p;
	want = *w;
	g0 = d == D_DRM ? stats(fd).exclusive_grants : 0;
	t0 = tm_now_ns();
	for (i = 0; i < n && !r; i++) {
		*w += 1;
		if (d == D_DRM) {
			r = tm_ioctl(fd, DRM_IOCTL_TEST_MIRROR_ATOMIC, &a);
		} else {
			memset(&cmd, 0, sizeof(cmd));
			cmd.addr = (uintptr_t)p;
			cmd.ptr = (uintptr_t)win;
			cmd.npages = 1;
			r = ioctl(fd, TM_HMM_IOC_EXCLUSIVE, &cmd) ? -errno : 0;
		}
	}
	t = tm_now_ns() - t0;
	want += d == D_DRM ? 2 * n : n;
	if (r)
		bench_err("%s: %s: %s", dev_name[d],
			  d == D_DRM ? "ATOMIC" : "EXCLUSIVE", tm_errname(r));
	else if (*w != want)
		bench_err("%s: the word is %llu, not %llu", dev_name[d],
			  (unsigned long long)*w, (unsigned long long)want);
	else if (d == D_DRM && stats(fd).exclusive_grants - g0 != n)
		bench_err("drm: %llu exclusive grants for %u ATOMICs after a CPU add",
			  (unsigned long long)(stats(fd).exclusive_grants - g0), n);
	else
		smp_add(&s[K_RETAKE], t);
	if (d == D_DRM && !r) {
		*w += 1;	/* the page back to the CPU: one grant below */
		want = *w + n;
		g0 = stats(fd).exclusive_grants;
		t0 = tm_now_ns();
		for (i = 0; i < n && !r; i++)
			r = tm_ioctl(fd, DRM_IOCTL_TEST_MIRROR_ATOMIC, &a);
		t = tm_now_ns() - t0;
		if (r)
			bench_err("drm: ATOMIC: %s", tm_errname(r));
		else if (stats(fd).exclusive_grants - g0 != 1)
			bench_err("drm: %llu exclusive grants for %u ATOMICs on a held page",
				  (unsigned long long)(stats(fd).exclusive_grants - g0), n);
		else if (*w != want)
			bench_err("drm: the word is %llu, not %llu",
				  (unsigned long long)*w, (unsigned long long)want);
		else
			smp_add(&s[K_HELD], t);
	}
	if (h && tm_unbind(fd, h))
		bench_err("drm: UNBIND failed");
	close(fd);
	munmap(p, PAGE_SZ);
}

static void report(struct smp s[ND][NK], unsigned long size, unsigned int n)
{
	double rate[ND][NK] = { { 0 } };
	unsigned int d, k;
	char nm[96];

	for (d = 0; d < ND; d++)
		for (k = 0; k < NK; k++) {
			double m = med(&s[d][k]);

			if (!s[d][k].n || m <= 0)
				continue;
			rate[d][k] = (k < K_RETAKE ? size / PAGE_SZ : n) / (m / 1e9);
		}
	printf("# %-9s %12s %12s %14s %14s\n", "device", "to_device", "to_system",
	       "atomic_retake", "atomic_held");
	for (d = 0; d < ND; d++)
		printf("# %-9s %12.0f %12.0f %14.0f %14.0f\n", dev_name[d],
		       rate[d][K_TODEV], rate[d][K_TOSYS], rate[d][K_RETAKE],
		       rate[d][K_HELD]);
	for (d = 0; d < ND; d++)
		for (k = 0; k < NK; k++) {
			if (!rate[d][k])
				continue;
			snprintf(nm, sizeof(nm), "p7.%s.%s", dev_name[d], k_name[k]);
			series(nm, k < K_RETAKE ? size / MiB : n,
			       k < K_RETAKE ? "MiB" : "ops", rate[d][k],
			       k < K_RETAKE ? "pages_per_s" : "ops_per_s");
			snprintf(nm, sizeof(nm), "P7.%s_%s", k_name[k], dev_name[d]);
			metric(nm, rate[d][k], k < K_RETAKE ? "pages_per_s" : "ops_per_s",
			       "-", -1, NULL);
		}
	for (d = D_COMPAT; d <= D_DRM; d++)
		for (k = K_TODEV; k <= K_TOSYS; k++) {
			if (!rate[d][k] || !rate[D_HMM][k])
				continue;
			snprintf(nm, sizeof(nm), "P7.%s_%s_over_test_hmm", k_name[k],
				 dev_name[d]);
			metric(nm, rate[d][k] / rate[D_HMM][k], "ratio", "-", -1, NULL);
		}
	fflush(stdout);
}

void p7_devmem(void)
{
	unsigned long size = smoke ? 1 * MiB : 16 * MiB;
	unsigned int n = smoke ? 16 : 1000, r, k, d;
	struct smp s[ND][NK];
	bool have_hmm, kept, atomics;

	if (!(caps & TEST_MIRROR_CAP_DEVICE_PRIVATE)) {
		printf("# P7 skipped: this kernel has no device-private memory"
		       " (TEST_MIRROR_CAP_DEVICE_PRIVATE clear)\n");
		return;
	}
	atomics = caps & TEST_MIRROR_CAP_DEVICE_EXCLUSIVE;
	if (peer_setup(&have_hmm, &kept))
		return;
	if (!have_hmm && !smoke)
		bench_err("no test_hmm module (make bench-peer builds one for 7.3)");
	printf("\n## P7 device memory: pages/s each way, 4 KiB pages, %lu MiB in"
	       " one call; device atomics/s on one page, %u each\n", size / MiB, n);
	if (!atomics)
		printf("# device atomics left out: TEST_MIRROR_CAP_DEVICE_EXCLUSIVE clear\n");
	if (kept)
		printf("# test_hmm was loaded before: it stays, compat is not measured\n");
	memset(s, 0, sizeof(s));
	for (r = 0; r < reps_for(size); r++)
		for (k = 0; k < ND; k++) {
			d = (k + r) % ND;
			if ((d == D_HMM && !have_hmm) || (d == D_COMPAT && kept))
				continue;
			if (dev_up(d)) {
				bench_err("%s: cannot bring the device up", dev_name[d]);
				continue;
			}
			measure_moves(d, size, s[d]);
			if (atomics)
				measure_atomics(d, n, s[d]);
			dev_down(d);
		}
	report(s, size, n);
	peer_done();
}
