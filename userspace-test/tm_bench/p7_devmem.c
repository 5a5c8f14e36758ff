// SPDX-License-Identifier: GPL-2.0
/*
 * tm_bench: P7 device memory and device atomics, in the same boot and with
 * the same three devices as P6 (p6_peer.c: lib/test_hmm's
 * /dev/hmm_dmirror0, test_mirror's compat front-end on the same node, and
 * the DRM render node), one at a time, the order rotating with the
 * repetition:
 *
 *   to_device      a buffer populated by the CPU (4 KiB pages; --smoke
 *                  1 MiB, else 16 MiB) moved to the device's memory in one
 *                  call: MIGRATE_TO_DEV (test_hmm, compat) or DEVMEM
 *                  TO_DEVICE (drm); pages/s;
 *   to_system      the same pages moved back: MIGRATE_TO_SYS or DEVMEM
 *                  TO_SYSTEM; pages/s;
 *   to_device_thp  the same round trip of a THP buffer (2 MiB aligned,
 *   to_system_thp  MADV_HUGEPAGE, populated by the CPU in 2 MiB folios;
 *                  --smoke 4 MiB, else 16 MiB), pages/s counted in 4 KiB
 *                  pages as every count here. A device that moves 2 MiB
 *                  folios (MIGRATE_VMA_SELECT_COMPOUND: test_hmm's does)
 *                  moves each as one folio each way; one that does not has
 *                  the kernel split it first. The buffer is checked to be
 *                  all THP before the move (its VMA's AnonHugePages); one
 *                  that is not is left out of the figures, said so, and
 *                  with THP off (transparent_hugepage/enabled "never") the
 *                  2M kinds are not measured at all. How much of it comes
 *                  back in THP is printed (human table only).
 *
 * Each way the count moved is checked (all the pages; but test_hmm's
 * MIGRATE_TO_SYS counts a 2 MiB folio it moved whole as one), that no page
 * stayed in device memory (test_hmm ABI: SNAPSHOT after the trip; drm: the
 * CPU faults no page home while it checks the data), and the data after
 * the round trip. The test_hmm ABI's MIGRATE_TO_DEV also copies the moved
 * pages out to the caller (cmd.ptr: the resident window), as its EXCLUSIVE
 * copies the page: that copy is part of test_hmm's and compat's figures,
 * not drm's.
 *
 * Then the device atomics on one page (--smoke 16, else 1000 operations):
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

enum { K_TODEV, K_TOSYS, K_TODEV_THP, K_TOSYS_THP, K_RETAKE, K_HELD, NK };
static const char *const k_name[NK] = { "to_device", "to_system",
					"to_device_thp", "to_system_thp",
					"atomic_retake", "atomic_held" };

/* The moves: the 4 KiB kinds and the THP kinds, each way. */
static bool is_move(unsigned int k)
{
	return k < K_RETAKE;
}

static bool is_thp(unsigned int k)
{
	return k == K_TODEV_THP || k == K_TOSYS_THP;
}

/* KiB of [p, p + size) in THP: -1 unless its VMA is exactly that range. */
static long thp_kb(const char *p, unsigned long size)
{
	if (tm_smaps_kb(p, "Size:") != (long)(size / KiB))
		return -1;
	return tm_smaps_kb(p, "AnonHugePages:");
}

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

/*
 * Pages of [p, p + size) that a test_hmm-ABI device still holds in its
 * memory, seen without faulting them (SNAPSHOT into the window), or -errno.
 */
static long on_device(int fd, char *p, unsigned long size)
{
	unsigned long npages = size / PAGE_SZ, i;
	struct tm_hmm_cmd cmd = { 0 };
	long n = 0;
	uint8_t v;

	cmd.addr = (uintptr_t)p;
	cmd.ptr = (uintptr_t)win;
	cmd.npages = npages;
	if (ioctl(fd, TM_HMM_IOC_SNAPSHOT, &cmd))
		return -errno;
	if (cmd.cpages != npages)
		return -EIO;
	for (i = 0; i < npages; i++) {
		v = win[i] & 0xf0;
		n += v == TM_HMM_PROT_DEV_PRIVATE_LOCAL ||
		     v == TM_HMM_PROT_DEV_PRIVATE_REMOTE;
	}
	return n;
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

/*
 * One round trip of a new buffer by d, of 4 KiB pages or (thp) of 2 MiB
 * folios: ns each way into s[K_TODEV], s[K_TOSYS] or the THP pair. For a
 * THP buffer, *back is set to the percentage of it in THP after the trip;
 * one that the CPU did not populate all in THP is not measured (said so).
 */
static void measure_moves(unsigned int d, unsigned long size, bool thp,
			  struct smp *s, double *back)
{
	unsigned int kd = thp ? K_TODEV_THP : K_TODEV;
	unsigned int ks = thp ? K_TOSYS_THP : K_TOSYS;
	unsigned long npages = size / PAGE_SZ, i;
	uint64_t t0, t1, t2, t3, f0 = 0;
	long to_dev, to_sys, kb, left = 0;
	bool ok = true;
	uint32_t h = 0;
	char *p;
	int fd;

	p = peer_buf(size, thp);
	if (!p) {
		bench_err("mmap %lu MiB: %s", size / MiB, strerror(errno));
		return;
	}
	if (thp) {
		kb = thp_kb(p, size);
		if (kb != (long)(size / KiB)) {
			printf("# %s: 2M left out of this round: %ld of %lu KiB in THP%s\n",
			       dev_name[d], kb < 0 ? 0 : kb, size / KiB,
			       kb < 0 ? " (the buffer's VMA is not its own)" : "");
			munmap(p, size);
			return;
		}
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
	/* the SNAPSHOT check below sees them: all on the device, here */
	left = d == D_DRM || to_dev <= 0 ? (long)npages : on_device(fd, p, size);
	if (left != (long)npages) {
		bench_err("%s: SNAPSHOT after MIGRATE_TO_DEV: %ld of %lu pages on the device%s%s",
			  dev_name[d], left < 0 ? 0 : left, npages,
			  left < 0 ? ", " : "", left < 0 ? tm_errname(left) : "");
		ok = false;
	}
	t2 = tm_now_ns();
	to_sys = move(d, fd, p, size, false);
	t3 = tm_now_ns();
	/*
	 * test_hmm's MIGRATE_TO_SYS counts the migrate_vma entries it moved,
	 * and a 2 MiB folio moved whole is one entry: its THP count is
	 * npages / 512 when every folio went back whole, npages when the
	 * kernel split them all. What stayed on the device is counted below.
	 */
	if (to_dev != (long)npages ||
	    (to_sys != (long)npages &&
	     !(thp && d == D_HMM && to_sys >= (long)(npages / HUGE_PAGES) &&
	       to_sys < (long)npages))) {
		bench_err("%s: moved %ld pages to the device and %ld back, of %lu%s",
			  dev_name[d], to_dev, to_sys, npages, thp ? " (THP)" : "");
		ok = false;
	}
	if (thp) {
		kb = thp_kb(p, size);
		*back = kb < 0 ? -1 : 100.0 * kb / (size / KiB);
	}
	/* nothing left in device memory: seen, or faulted home by the check */
	if (d != D_DRM)
		left = on_device(fd, p, size);
	else
		f0 = stats(fd).devmem_cpu_faults;
	for (i = 0; i < size; i += PAGE_SZ)
		if (*(volatile uint64_t *)(p + i) != (i | 1)) {
			bench_err("%s: page %lu changed in the round trip",
				  dev_name[d], i / PAGE_SZ);
			break;
		}
	if (d == D_DRM)
		left = stats(fd).devmem_cpu_faults - f0;
	if (left < 0)
		bench_err("%s: SNAPSHOT after MIGRATE_TO_SYS: %s", dev_name[d],
			  tm_errname(left));
	else if (left && d == D_DRM)
		bench_err("drm: the CPU faulted %ld times from device memory after TO_SYSTEM",
			  left);
	else if (left)
		bench_err("%s: %ld pages still on the device after MIGRATE_TO_SYS",
			  dev_name[d], left);
	if (left)
		ok = false;
	if (ok) {
		smp_add(&s[kd], t1 - t0);
		smp_add(&s[ks], t3 - t2);
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

/*
 * size: the 4 KiB buffer's, tsize: the THP buffer's (0: THP off); back[]:
 * the percentage of each device's THP buffer in THP after its last trip.
 */
static void report(struct smp s[ND][NK], unsigned long size,
		   unsigned long tsize, unsigned int n, const double *back)
{
	double rate[ND][NK] = { { 0 } };
	char nm[96], pct[16];
	unsigned long x;
	unsigned int d, k;

	for (d = 0; d < ND; d++)
		for (k = 0; k < NK; k++) {
			double m = med(&s[d][k]);

			if (!s[d][k].n || m <= 0)
				continue;
			x = !is_move(k) ? n : (is_thp(k) ? tsize : size) / PAGE_SZ;
			rate[d][k] = x / (m / 1e9);
		}
	printf("# %-9s %12s %12s %12s %12s %14s %14s %8s\n", "device",
	       "to_device", "to_system", "to_dev_2M", "to_sys_2M",
	       "atomic_retake", "atomic_held", "2M_back");
	for (d = 0; d < ND; d++) {
		if (back[d] < 0)
			snprintf(pct, sizeof(pct), "-");
		else
			snprintf(pct, sizeof(pct), "%.0f%%", back[d]);
		printf("# %-9s %12.0f %12.0f %12.0f %12.0f %14.0f %14.0f %8s\n",
		       dev_name[d], rate[d][K_TODEV], rate[d][K_TOSYS],
		       rate[d][K_TODEV_THP], rate[d][K_TOSYS_THP],
		       rate[d][K_RETAKE], rate[d][K_HELD], pct);
	}
	printf("# 2M_back: the part of the THP buffer in THP after its last round trip\n");
	for (d = 0; d < ND; d++)
		for (k = 0; k < NK; k++) {
			if (!rate[d][k])
				continue;
			x = !is_move(k) ? n : (is_thp(k) ? tsize : size) / MiB;
			snprintf(nm, sizeof(nm), "p7.%s.%s", dev_name[d], k_name[k]);
			series(nm, x, is_move(k) ? "MiB" : "ops", rate[d][k],
			       is_move(k) ? "pages_per_s" : "ops_per_s");
			snprintf(nm, sizeof(nm), "P7.%s_%s", k_name[k], dev_name[d]);
			metric(nm, rate[d][k], is_move(k) ? "pages_per_s" : "ops_per_s",
			       "-", -1, NULL);
		}
	for (d = D_COMPAT; d <= D_DRM; d++)
		for (k = K_TODEV; is_move(k); k++) {
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
	/* two folios at least: a range of several 2 MiB folios */
	unsigned long tsize = size < 2 * HUGE_SZ ? 2 * HUGE_SZ : size;
	unsigned int n = smoke ? 16 : 1000, r, k, d;
	double back[ND] = { -1, -1, -1 };
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
	if (!tm_thp_usable())
		tsize = 0;
	printf("\n## P7 device memory: pages/s each way, 4 KiB pages (%lu MiB)"
	       " and 2 MiB THP folios (%lu MiB), in one call; device atomics/s"
	       " on one page, %u each\n", size / MiB, tsize / MiB, n);
	if (!tsize)
		printf("# 2M left out: THP is off (transparent_hugepage/enabled)\n");
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
			measure_moves(d, size, false, s[d], NULL);
			if (tsize)
				measure_moves(d, tsize, true, s[d], &back[d]);
			if (atomics)
				measure_atomics(d, n, s[d]);
			dev_down(d);
		}
	report(s, size, tsize, n, back);
	peer_done();
}
