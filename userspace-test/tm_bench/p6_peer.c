// SPDX-License-Identifier: GPL-2.0
/*
 * tm_bench: P6 peer. The same workloads, in one boot, against three
 * devices that mirror the same buffer:
 *
 *   test_hmm  the kernel's own lib/test_hmm.c (/dev/hmm_dmirror0), built
 *             unmodified out of tree (scripts/build-test-hmm.sh); loaded
 *             with modprobe for its turn and removed after it;
 *   compat    test_mirror's test_hmm-compatible front-end, the same ABI on
 *             the same node (module parameter hmm_compat=1 for its turn);
 *   drm       test_mirror's own render node (BIND, READ);
 *
 * one at a time, in an order that rotates with the repetition. For each of
 * base pages and THP and each size (16 MiB ... 1 GiB; --smoke: 4 MiB), a
 * buffer is populated by the CPU (MADV_POPULATE_WRITE), then, per device:
 *
 *   cold      device READ of the whole buffer, 16 MiB per call into a
 *             resident window, right after the open (compat, test_hmm) or
 *             the BIND (drm): device faults and copy;
 *   warm      the same READ again: copy only (checked: no fault, the data);
 *   populate  cold - warm: what bringing the pages into the device table
 *             costs, per page;
 *   touch     the same three on a buffer the CPU never touched: the cold
 *             READ is the first touch, its device faults map the zero page
 *             (THP: the huge zero page) into the CPU page table;
 *   snapshot  SNAPSHOT of the whole buffer (test_hmm ABI only: the CPU's
 *             page table through hmm_range_fault() without faulting);
 *   munmap    munmap of the mirrored buffer, the file still open.
 *
 * and, in the same round, the floors:
 *
 *   plain     munmap of a buffer populated the same way with no device file
 *             open (the munmap ratio is mirrored / plain);
 *   copy      read(2) of a tmpfs file of the same size into the same
 *             window, 16 MiB per call: the kernel copying the same bytes to
 *             userspace (THP: a tmpfs mounted huge=always, so the file is
 *             in 2 MiB folios too);
 *   walk      hmm_range_fault() alone over the range: compat's SNAPSHOT,
 *             which is one hmm_range_fault() without faulting per 512
 *             pages, one byte out per page.
 *
 * Targets (ratios of medians in this boot, test_mirror's two paths each):
 * populate <= test_hmm's per page on base pages and <= half of it on THP;
 * warm read <= 1.25 x copy; munmap mirrored / plain <= 1.25; compat's
 * snapshot <= test_hmm's.
 *
 * P6 runs only when asked for (--only P6: make bench-peer) or in --smoke;
 * without a test_hmm module (every kernel but the one make bench-peer boots
 * with it) only test_mirror's two paths are measured, and in a full run that
 * is an error.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <misc/test_mirror_hmm.h>

#include "tm_bench.h"

const char *const dev_name[ND] = { "test_hmm", "compat", "drm" };

enum { M_COLD, M_WARM, M_POP, M_SNAP, M_MUNMAP, M_PLAIN, M_COPY, M_FCOLD,
       M_FWARM, M_FPOP, NM };
static const char *const m_name[NM] = { "cold_read", "warm_read", "populate",
					"snapshot", "munmap", "munmap_plain",
					"copy_floor", "touch_cold_read",
					"touch_warm_read", "touch_populate" };

static const unsigned long p6_sizes[] = { 16 * MiB, 64 * MiB, 256 * MiB,
					  1 * GiB };

#define HUGE_MNT	"/tmp/tm-bench-huge"

static bool have_hmm;		/* the test_hmm module could be loaded */
static bool hmm_kept;		/* it was loaded before: never removed here */
static uint64_t orig_compat;
const char *opt_peer_devs = "";	/* --peer-devs: the devices measured */
const char *opt_peer_modes = "";	/* --peer-modes: base, thp or both */

static bool peer_want(unsigned int d)
{
	return !opt_peer_devs[0] || strstr(opt_peer_devs, dev_name[d]);
}

/* A device's state for one measure. */
struct pdev {
	int fd;
	uint32_t handle;	/* drm */
};

/* ------------------------------------------------------------------------ */
/* Turning each device on and off                                            */
/* ------------------------------------------------------------------------ */

static int run_cmd(const char *cmd)
{
	int r = system(cmd);

	return r == -1 ? -errno : (WIFEXITED(r) ? WEXITSTATUS(r) : 1);
}

static bool wait_node(const char *path, bool present)
{
	int i;

	for (i = 0; i < 200; i++) {
		if (!access(path, F_OK) == present)
			return true;
		usleep(10000);
	}
	return false;
}

/**
 * dev_up() - make a device's node (if any) exist, the other one's not
 * @d: D_HMM, D_COMPAT or D_DRM.
 *
 * Return: 0, or -errno if the device cannot be brought up.
 */
int dev_up(unsigned int d)
{
	int r;

	switch (d) {
	case D_HMM:
		/* --smoke runs in the suite, whose guests have no test_hmm */
		r = run_cmd(smoke ? "modprobe -q test_hmm" : "modprobe test_hmm");
		if (r)
			return -ENODEV;
		break;
	case D_COMPAT:
		r = tm_param_set("hmm_compat", "1");
		if (r)
			return r;
		break;
	default:
		return 0;
	}
	return wait_node("/dev/hmm_dmirror0", true) ? 0 : -ETIMEDOUT;
}

/**
 * dev_down() - remove what dev_up() brought up (a test_hmm loaded before
 * the run stays)
 * @d: D_HMM, D_COMPAT or D_DRM.
 */
void dev_down(unsigned int d)
{
	if (d == D_HMM) {
		if (hmm_kept)
			return;
		if (run_cmd("rmmod test_hmm"))
			bench_err("rmmod test_hmm failed");
	} else if (d == D_COMPAT) {
		if (tm_param_set("hmm_compat", "0"))
			bench_err("cannot turn hmm_compat off");
	} else {
		return;
	}
	if (!wait_node("/dev/hmm_dmirror0", false))
		bench_err("/dev/hmm_dmirror0 still there after %s went", dev_name[d]);
}

/* Open dev for a buffer [p, p + size): the file, and the binding for drm. */
static int pdev_open(unsigned int d, struct pdev *pd, char *p,
		     unsigned long size)
{
	pd->handle = 0;
	if (d == D_DRM) {
		pd->fd = tm_open();
		if (pd->fd < 0)
			return pd->fd;
		if (tm_bind(pd->fd, p, size, RW, &pd->handle)) {
			close(pd->fd);
			return -EIO;
		}
		return 0;
	}
	pd->fd = tm_hmm_open(0);
	return pd->fd < 0 ? pd->fd : 0;
}

static void pdev_close(unsigned int d, struct pdev *pd)
{
	if (d == D_DRM && pd->handle && tm_unbind(pd->fd, pd->handle))
		bench_err("drm: UNBIND failed");
	close(pd->fd);
}

/* ------------------------------------------------------------------------ */
/* The workloads                                                             */
/* ------------------------------------------------------------------------ */

static int hmm_cmd(int fd, unsigned long req, const void *addr,
		   unsigned long npages, void *ptr, struct tm_hmm_cmd *cmd)
{
	memset(cmd, 0, sizeof(*cmd));
	cmd->addr = (uintptr_t)addr;
	cmd->ptr = (uintptr_t)ptr;
	cmd->npages = npages;
	return ioctl(fd, req, cmd) ? -errno : 0;
}

/* Device READ of the buffer, WIN_SZ per call; the faults it took, or -1. */
static long pdev_read(unsigned int d, struct pdev *pd, const char *p,
		      unsigned long size)
{
	unsigned long off, n, faults = 0;
	struct tm_hmm_cmd cmd;
	struct tm_result res;
	int r;

	for (off = 0; off < size; off += n) {
		n = size - off < WIN_SZ ? size - off : WIN_SZ;
		if (d == D_DRM) {
			r = tm_read(pd->fd, p + off, n, win, &res);
			faults += res.faults;
			if (!r && res.pages != n / PAGE_SZ)
				r = -EIO;
		} else {
			r = hmm_cmd(pd->fd, TM_HMM_IOC_READ, p + off,
				    n / PAGE_SZ, win, &cmd);
			faults += cmd.faults;
			if (!r && cmd.cpages != n / PAGE_SZ)
				r = -EIO;
		}
		if (r) {
			bench_err("%s: READ %p+%lu: %s", dev_name[d], p + off,
				  n, tm_errname(r));
			return -1;
		}
	}
	return faults;
}

/* The window holds the last chunk read: the word of each page is there. */
static void check_window(unsigned int d, const char *p, unsigned long size)
{
	unsigned long n = size < WIN_SZ ? size : WIN_SZ, i;
	const char *src = p + size - n;

	for (i = 0; i < n; i += PAGE_SZ)
		if (*(const uint64_t *)(win + i) != *(const uint64_t *)(src + i)) {
			bench_err("%s: READ data differs at page %lu of the last chunk",
				  dev_name[d], i / PAGE_SZ);
			return;
		}
}

/* SNAPSHOT of the buffer (test_hmm ABI); pages the CPU maps with a PMD. */
static long pdev_snapshot(unsigned int d, struct pdev *pd, const char *p,
			  unsigned long size, uint8_t *out)
{
	struct tm_hmm_cmd cmd;
	unsigned long i, huge = 0;
	int r;

	r = hmm_cmd(pd->fd, TM_HMM_IOC_SNAPSHOT, p, size / PAGE_SZ, out, &cmd);
	if (!r && cmd.cpages != size / PAGE_SZ)
		r = -EIO;
	if (r) {
		bench_err("%s: SNAPSHOT: %s", dev_name[d], tm_errname(r));
		return -1;
	}
	for (i = 0; i < size / PAGE_SZ; i++)
		huge += !!(out[i] & TM_HMM_PROT_PMD);
	return huge;
}

/**
 * peer_buf() - a buffer populated by the CPU, one distinct word written in
 * each page
 * @size: bytes.
 * @thp: in transparent huge pages.
 *
 * Return: the buffer, or NULL (errno set).
 */
char *peer_buf(unsigned long size, bool thp)
{
	char *p = map_populated(size, thp);

	if (p)
		cpu_write_touch(p, size);
	return p;
}

/*
 * The kernel's copy of size bytes to userspace: a tmpfs file of that size
 * (in dir), read(2) into the window WIN_SZ at a time. Returns the time.
 */
static uint64_t copy_floor(const char *dir, unsigned long size)
{
	unsigned long off, n;
	uint64_t t0, t = 0;
	char path[128];
	ssize_t r;
	int fd;

	snprintf(path, sizeof(path), "%s/tm-bench-floor", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		bench_err("open %s: %s", path, strerror(errno));
		return 0;
	}
	unlink(path);
	memset(win, 0x5a, WIN_SZ);
	for (off = 0; off < size; off += n) {
		n = size - off < WIN_SZ ? size - off : WIN_SZ;
		if (pwrite(fd, win, n, off) != (ssize_t)n) {
			bench_err("write %s: %s", path, strerror(errno));
			goto out;
		}
	}
	t0 = tm_now_ns();
	for (off = 0; off < size; off += n) {
		n = size - off < WIN_SZ ? size - off : WIN_SZ;
		r = pread(fd, win, n, off);
		if (r != (ssize_t)n) {
			bench_err("read %s: %s", path, r < 0 ? strerror(errno) : "short");
			goto out;
		}
	}
	t = tm_now_ns() - t0;
out:
	close(fd);
	return t;
}

/*
 * One device's workloads on a new buffer; times into s[d][]. The buffer is
 * populated by the CPU, or, @touch, never touched: the device's cold READ
 * is then its first touch, and its faults map the (huge) zero page.
 */
static void measure_dev(unsigned int d, unsigned long size, bool thp,
			bool touch, struct smp s[ND][NM], uint8_t *snap,
			double *huge)
{
	uint64_t t0, cold, warm;
	struct pdev pd;
	long f, h;
	char *p;

	p = touch ? map_buf(size, thp) : peer_buf(size, thp);
	if (!p) {
		bench_err("mmap %lu MiB: %s", size / MiB, strerror(errno));
		return;
	}
	if (pdev_open(d, &pd, p, size)) {
		bench_err("%s: cannot open the device", dev_name[d]);
		munmap(p, size);
		return;
	}
	t0 = tm_now_ns();
	f = pdev_read(d, &pd, p, size);
	cold = tm_now_ns() - t0;
	if (f == 0)
		bench_err("%s: cold READ took no fault", dev_name[d]);
	t0 = tm_now_ns();
	f = pdev_read(d, &pd, p, size);
	warm = tm_now_ns() - t0;
	if (f > 0)
		bench_err("%s: warm READ took %ld faults", dev_name[d], f);
	check_window(d, p, size);
	if (touch) {
		smp_add(&s[d][M_FCOLD], cold);
		smp_add(&s[d][M_FWARM], warm);
		smp_add(&s[d][M_FPOP], (double)cold - warm);
		munmap(p, size);
		pdev_close(d, &pd);
		return;
	}
	smp_add(&s[d][M_COLD], cold);
	smp_add(&s[d][M_WARM], warm);
	smp_add(&s[d][M_POP], (double)cold - warm);
	if (d != D_DRM) {
		t0 = tm_now_ns();
		h = pdev_snapshot(d, &pd, p, size, snap);
		smp_add(&s[d][M_SNAP], tm_now_ns() - t0);
		if (h >= 0)
			*huge = 100.0 * h / (size / PAGE_SZ);
	}
	t0 = tm_now_ns();
	munmap(p, size);
	smp_add(&s[d][M_MUNMAP], tm_now_ns() - t0);
	pdev_close(d, &pd);
}

/*
 * The floors that need no device: plain munmap, and the kernel's copy from
 * a tmpfs file in dir (none if dir is NULL).
 */
static void measure_floors(unsigned long size, bool thp, const char *dir,
			   struct smp *s)
{
	uint64_t t0, t;
	char *p;

	p = peer_buf(size, thp);
	if (p) {
		t0 = tm_now_ns();
		munmap(p, size);
		smp_add(&s[M_PLAIN], tm_now_ns() - t0);
	}
	t = dir ? copy_floor(dir, size) : 0;
	if (t)
		smp_add(&s[M_COPY], t);
}

/* ------------------------------------------------------------------------ */
/* Report                                                                    */
/* ------------------------------------------------------------------------ */

static double per_page(const struct smp *s, unsigned long size)
{
	return med(s) / (size / PAGE_SZ);
}

/* One target: METRIC P6.<name>_<mode>_<size> = v, met if v <= limit. */
static void target(const char *what, const char *mode, const char *sz,
		   double v, double limit)
{
	char nm[128], tg[32];

	if (!(v == v) || v <= 0)
		return;		/* a device that was not measured */
	snprintf(nm, sizeof(nm), "P6.%s_%s_%s", what, mode, sz);
	snprintf(tg, sizeof(tg), "<=%g", limit);
	metric(nm, v, "ratio", tg, v <= limit, NULL);
}

static void report(unsigned long size, bool thp, struct smp s[ND + 1][NM],
		   const double *huge)
{
	const char *mode = thp ? "thp" : "base";
	double pp[ND + 1][NM], hpop;
	char nm[96], sz[32];
	unsigned int d, k;

	szname(size, sz);
	for (d = 0; d <= ND; d++)
		for (k = 0; k < NM; k++)
			pp[d][k] = s[d][k].n ? per_page(&s[d][k], size) : 0;
	printf("# %-4s %6s", mode, sz);
	for (d = 0; d < ND; d++)
		printf(" %9.1f", pp[d][M_POP]);
	for (d = 0; d < ND; d++)
		printf(" %9.1f", pp[d][M_FPOP]);
	for (d = 0; d < ND; d++)
		printf(" %9.1f", pp[d][M_WARM]);
	printf(" %9.1f %9.1f %9.1f %9.1f", pp[ND][M_COPY], pp[D_HMM][M_SNAP],
	       pp[D_COMPAT][M_SNAP], pp[ND][M_PLAIN]);
	for (d = 0; d < ND; d++)
		printf(" %7.2f", pp[ND][M_PLAIN] ? pp[d][M_MUNMAP] / pp[ND][M_PLAIN] : 0);
	printf(" %5.0f%%\n", huge[D_COMPAT]);

	for (d = 0; d < ND; d++)
		for (k = 0; k < NM; k++) {
			if (!s[d][k].n)
				continue;
			snprintf(nm, sizeof(nm), "p6.%s.%s.%s", mode, dev_name[d],
				 m_name[k]);
			series(nm, size / MiB, "MiB", pp[d][k], "ns_per_page");
		}
	for (k = M_PLAIN; k <= M_COPY; k++) {
		snprintf(nm, sizeof(nm), "p6.%s.floor.%s", mode, m_name[k]);
		series(nm, size / MiB, "MiB", pp[ND][k], "ns_per_page");
	}
	/* the hmm_range_fault() walk floor: compat's snapshot */
	snprintf(nm, sizeof(nm), "p6.%s.floor.walk", mode);
	series(nm, size / MiB, "MiB", pp[D_COMPAT][M_SNAP], "ns_per_page");
	snprintf(nm, sizeof(nm), "p6.%s.huge_pct", mode);
	series(nm, size / MiB, "MiB", huge[D_COMPAT], "%");

	hpop = pp[D_HMM][M_POP];
	for (d = D_COMPAT; d <= D_DRM; d++) {
		char what[64];

		snprintf(what, sizeof(what), "populate_%s_over_test_hmm", dev_name[d]);
		if (have_hmm && hpop > 0)
			target(what, mode, sz, pp[d][M_POP] / hpop, thp ? 0.5 : 1);
		snprintf(what, sizeof(what), "touch_populate_%s_over_test_hmm",
			 dev_name[d]);
		if (have_hmm && pp[D_HMM][M_FPOP] > 0)
			target(what, mode, sz, pp[d][M_FPOP] / pp[D_HMM][M_FPOP],
			       thp ? 0.5 : 1);
		snprintf(what, sizeof(what), "warm_read_%s_over_copy_floor",
			 dev_name[d]);
		if (pp[ND][M_COPY] > 0)
			target(what, mode, sz, pp[d][M_WARM] / pp[ND][M_COPY], 1.25);
		snprintf(what, sizeof(what), "munmap_%s_mirrored_over_plain",
			 dev_name[d]);
		if (pp[ND][M_PLAIN] > 0)
			target(what, mode, sz, pp[d][M_MUNMAP] / pp[ND][M_PLAIN], 1.25);
	}
	if (have_hmm && pp[D_HMM][M_SNAP] > 0)
		target("snapshot_compat_over_test_hmm", mode, sz,
		       pp[D_COMPAT][M_SNAP] / pp[D_HMM][M_SNAP], 1);
	fflush(stdout);
}

/* ------------------------------------------------------------------------ */
/* The section                                                               */
/* ------------------------------------------------------------------------ */

static void restore_compat(void)
{
	tm_param_set("hmm_compat", orig_compat ? "1" : "0");
}

/**
 * peer_setup() - the devices' common start: the module's defaults named,
 * compat off, and whether test_hmm can be loaded
 * @have: out: test_hmm can be loaded (or was loaded before).
 * @kept: out: test_hmm was loaded before: it stays, and compat, which
 *	would need its node, cannot be measured.
 *
 * Return: 0, or -errno (reported) if the module's parameters cannot be set;
 * peer_done() puts hmm_compat back.
 */
int peer_setup(bool *have, bool *kept)
{
	if (tm_param_get("hmm_compat", &orig_compat)) {
		bench_err("no hmm_compat parameter");
		return -ENOENT;
	}
	/* every file opened here: the module's defaults, named */
	if (tm_param_set("event_aware", "Y") ||
	    tm_param_set("fault_chunk_pages", "512")) {
		bench_err("cannot set the module parameters");
		return -EIO;
	}
	tm_param_set("hmm_compat", "0");
	/*
	 * A test_hmm loaded before (tm_profile -m test_hmm, to name its
	 * functions) stays; compat, which would need its node, is left out.
	 */
	hmm_kept = !access("/sys/module/test_hmm", F_OK);
	have_hmm = hmm_kept || !dev_up(D_HMM);
	if (have_hmm)
		dev_down(D_HMM);
	*have = have_hmm;
	*kept = hmm_kept;
	return 0;
}

/** peer_done() - put hmm_compat back as peer_setup() found it */
void peer_done(void)
{
	restore_compat();
}

void p6_peer(void)
{
	unsigned int t, i, r, k, d;
	bool huge_mnt = false;
	uint8_t *snap = NULL;
	char sz[32];

	if (peer_setup(&have_hmm, &hmm_kept))
		return;
	if (!have_hmm && !smoke && peer_want(D_HMM))
		bench_err("no test_hmm module (make bench-peer builds one for 7.3)");
	if (hmm_kept)
		printf("# test_hmm was loaded before: it stays, compat is not measured\n");
	mkdir(HUGE_MNT, 0700);
	if (!mount("tmpfs", HUGE_MNT, "tmpfs", 0, "huge=always,mode=0700"))
		huge_mnt = true;
	else
		bench_err("mount tmpfs huge=always: %s", strerror(errno));

	printf("\n## P6 peer: lib/test_hmm, test_mirror's compat front-end and DRM"
	       " path, and the floors; ns per 4 KiB page\n");
	printf("# populate = cold READ - warm READ; warm: READ again (copy only);"
	       " copy: read(2) of a tmpfs file;\n"
	       "# snapshot: SNAPSHOT (hmm_range_fault() without faulting);"
	       " plain: munmap with no device; munmap: mirrored / plain\n");
	printf("# %-4s %6s %9s %9s %9s %9s %9s %9s %9s %9s %9s %9s %9s %9s %9s %7s %7s %7s %6s\n",
	       "", "size", "pop:hmm", "pop:cmp", "pop:drm", "tpop:hmm", "tpop:cmp",
	       "tpop:drm", "warm:hmm", "warm:cmp",
	       "warm:drm", "copy", "snap:hmm", "snap:cmp", "munmap", "mu:hmm",
	       "mu:cmp", "mu:drm", "huge");
	for (t = 0; t < 2; t++) {
		bool thp = t;

		if (opt_peer_modes[0] && !strstr(opt_peer_modes, thp ? "thp" : "base"))
			continue;
		for (i = 0; i < ARRAY_SIZE(p6_sizes); i++) {
			unsigned long size = smoke ? 4 * MiB : p6_sizes[i];
			struct smp s[ND + 1][NM];
			double huge[ND] = { 0 };

			if (smoke && i)
				break;
			if (size > max_bytes) {
				printf("# %s %s skipped: needs more guest memory (TM_MEM)\n",
				       thp ? "THP " : "base", szname(size, sz));
				continue;
			}
			free(snap);
			snap = malloc(size / PAGE_SZ);
			if (!snap) {
				bench_err("no memory for the snapshot");
				goto out;
			}
			memset(s, 0, sizeof(s));
			for (r = 0; r < reps_for(size); r++) {
				for (k = 0; k < ND + 1; k++) {
					/* rotate the order: nobody is always first */
					d = (k + r) % (ND + 1);
					if (d == ND) {
						measure_floors(size, thp,
							       !thp ? "/tmp" :
							       huge_mnt ? HUGE_MNT : NULL,
							       s[ND]);
						continue;
					}
					if (!peer_want(d) || (d == D_HMM && !have_hmm) ||
					    (d == D_COMPAT && hmm_kept))
						continue;
					if (dev_up(d)) {
						bench_err("%s: cannot bring the device up",
							  dev_name[d]);
						continue;
					}
					measure_dev(d, size, thp, false, s, snap,
						    &huge[d]);
					measure_dev(d, size, thp, true, s, snap,
						    &huge[d]);
					dev_down(d);
				}
			}
			report(size, thp, s, huge);
		}
	}
out:
	free(snap);
	if (huge_mnt)
		umount(HUGE_MNT);
	rmdir(HUGE_MNT);
	restore_compat();
}
