// SPDX-License-Identifier: GPL-2.0
/*
 * tm_devmem: the device's own memory (device-private pages), through the
 * DEVMEM ioctl, on a kernel that has it (TEST_MIRROR_CAP_DEVICE_PRIVATE);
 * elsewhere, that the ioctl says -EOPNOTSUPP.
 *
 * Each test asserts the exact outcome: the pages moved, where SNAPSHOT says
 * each page lives (TEST_MIRROR_SNAP_DEVICE), the STATS counters (per file:
 * moves; device-wide: evictions, CPU faults, pages in use), the events the
 * moves raised (MIGRATE skipped by the mover, MIGRATE invalidating on the
 * way home, CLEAR for an eviction) and the data, byte for byte, on both
 * sides. Every test ends with the device's pages in use back where they
 * started: a device page left behind fails it.
 *
 * Usage: tm_devmem [tm_main options] [pattern...]; tm_devmem -l lists.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tm_lib.h"

#define SNAP_DEV_W	(TEST_MIRROR_SNAP_WRITE | TEST_MIRROR_SNAP_DEVICE)

static int devmem(int fd, const void *p, size_t npages, uint32_t op,
		  uint64_t *pages)
{
	struct drm_test_mirror_devmem a = {
		.addr = ADDR(p),
		.size = SZ(npages),
		.op = op,
	};
	int ret = tm_ioctl(fd, DRM_IOCTL_TEST_MIRROR_DEVMEM, &a);

	if (pages)
		*pages = a.pages;
	return ret;
}

/* Move npages at p to the device (or home): all of them must move. */
#define TO_DEV(fd, p, n) move_all(fd, p, n, TEST_MIRROR_DEVMEM_TO_DEVICE, \
				  __FILE__, __LINE__)
#define TO_SYS(fd, p, n) move_all(fd, p, n, TEST_MIRROR_DEVMEM_TO_SYSTEM, \
				  __FILE__, __LINE__)

static void move_all(int fd, const void *p, size_t npages, uint32_t op,
		     const char *file, int line)
{
	uint64_t pages = 0;
	int ret = devmem(fd, p, npages, op, &pages);

	if (ret || pages != npages)
		tm_fail(file, line, "DEVMEM op %u of %zu pages: %s, %llu moved",
			op, npages, tm_errname(ret), (unsigned long long)pages);
}

/* Skip unless the device has memory of its own. */
static void need_devmem(int fd)
{
	if (!tm_has_cap(fd, TEST_MIRROR_CAP_DEVICE_PRIVATE))
		SKIP("no device memory (kernel without CONFIG_DEVICE_PRIVATE)");
}

/* The device's pages in use now (device-wide). */
static uint64_t dev_pages(int fd)
{
	return STATS(fd).devmem_pages;
}

/* Without device memory, DEVMEM is -EOPNOTSUPP whatever it is asked. */
TEST(no_device_memory_eopnotsupp)
{
	uint8_t *p;
	uint64_t pages = 7;

	if (tm_has_cap(fd, TEST_MIRROR_CAP_DEVICE_PRIVATE))
		SKIP("the device has memory of its own");
	/* no device memory, so no 2 MiB device folios either */
	ASSERT_FALSE(tm_has_cap(fd, TEST_MIRROR_CAP_DEVICE_HUGE));
	p = tm_must_map_pattern(4, 1);
	tm_must_bind(fd, p, SZ(4), RW);
	ASSERT_ERRNO(devmem(fd, p, 4, TEST_MIRROR_DEVMEM_TO_DEVICE, &pages),
		     -EOPNOTSUPP);
	ASSERT_EQ(pages, 0);
	ASSERT_ERRNO(devmem(fd, p, 4, TEST_MIRROR_DEVMEM_TO_SYSTEM, NULL),
		     -EOPNOTSUPP);
	ASSERT_EQ(STATS(fd).devmem_pages, 0);
	ASSERT_PATTERN(p, SZ(4), 1);
}

/* Bad arguments: one bad field at a time, -EINVAL; unbound: -ENOENT. */
TEST(bad_arguments)
{
	struct drm_test_mirror_devmem ok, a;
	uint8_t *p;

	need_devmem(fd);
	p = tm_must_map_pattern(4, 1);
	tm_must_bind(fd, p, SZ(2), RW);
	ok = (struct drm_test_mirror_devmem){ .addr = ADDR(p), .size = SZ(1) };
	EXPECT_ARG_ERRNO(fd, DRM_IOCTL_TEST_MIRROR_DEVMEM, a, ok, op, 2, -EINVAL);
	EXPECT_ARG_ERRNO(fd, DRM_IOCTL_TEST_MIRROR_DEVMEM, a, ok, flags, 1, -EINVAL);
	EXPECT_ARG_ERRNO(fd, DRM_IOCTL_TEST_MIRROR_DEVMEM, a, ok, reserved, 1,
			 -EINVAL);
	EXPECT_ARG_ERRNO(fd, DRM_IOCTL_TEST_MIRROR_DEVMEM, a, ok, addr,
			 ADDR(p) + 1, -EINVAL);
	EXPECT_ARG_ERRNO(fd, DRM_IOCTL_TEST_MIRROR_DEVMEM, a, ok, size, 0,
			 -EINVAL);
	/* beyond the binding, and not bound at all */
	EXPECT_ARG_ERRNO(fd, DRM_IOCTL_TEST_MIRROR_DEVMEM, a, ok, size, SZ(3),
			 -EINVAL);
	EXPECT_ARG_ERRNO(fd, DRM_IOCTL_TEST_MIRROR_DEVMEM, a, ok, addr,
			 ADDR(PG(p, 3)), -ENOENT);
	ASSERT_EQ(STATS(fd).devmem_to_device, 0);
	ASSERT_PATTERN(p, SZ(4), 1);
}

/*
 * To the device and back: SNAPSHOT says where the pages live, the device
 * reads and writes its own copy without a fault, MIGRATE is skipped by the
 * mover on the way there and invalidates on the way home, the CPU finds
 * the device's data.
 */
TEST(round_trip)
{
	struct drm_test_mirror_stats st;
	struct tm_evlog *log;
	struct tm_result res;
	uint64_t base;
	uint8_t *p;
	uint32_t h;

	need_devmem(fd);
	base = dev_pages(fd);
	p = tm_must_map_pattern(16, 1);
	h = tm_must_bind(fd, p, SZ(16), RWP);
	ASSERT_OK(tm_evlog_drain(fd));

	TO_DEV(fd, p, 16);
	log = EV_TAKE(fd);
	EXPECT_EV(log, EV_MIGRATE, h, p, PG(p, 16), BIT(ACT_SKIP));
	EXPECT_ONLY(log, BIT(EV_MIGRATE));
	ASSERT_EQ(SNAP_COUNT(fd, p, 16, SNAP_DEV_W), 16);
	st = STATS(fd);
	ASSERT_EQ(st.devmem_to_device, 16);
	ASSERT_EQ(st.devmem_pages, base + 16);

	/* the device's own copy: no fault, the CPU's data */
	DEV_READ(fd, p, 16, 0, 0, 1);
	ASSERT_OK(tm_dev_write(fd, p, 16, 0, 2, &res));
	ASSERT_EQ(res.faults, 0);
	ASSERT_EQ(res.pages, 16);
	DEV_READ(fd, p, 16, 0, 0, 2);
	ASSERT_EQ(SNAP_COUNT(fd, p, 16, SNAP_DEV_W), 16);

	TO_SYS(fd, p, 16);
	log = EV_TAKE(fd);
	EXPECT_EV(log, EV_MIGRATE, h, p, PG(p, 16), BIT(ACT_INVAL));
	EXPECT_ONLY(log, BIT(EV_MIGRATE));
	ASSERT_EQ(SNAP_COUNT(fd, p, 16, TEST_MIRROR_SNAP_NONE), 16);
	st = STATS(fd);
	ASSERT_EQ(st.devmem_to_system, 16);
	ASSERT_EQ(st.devmem_pages, base);
	/* nothing was left to fault home */
	ASSERT_PATTERN(p, SZ(16), 2);
	ASSERT_EQ(STATS(fd).devmem_cpu_faults, st.devmem_cpu_faults);
	/* a second TO_SYSTEM finds nothing on the device */
	ASSERT_OK(devmem(fd, p, 16, TEST_MIRROR_DEVMEM_TO_SYSTEM, &base));
	ASSERT_EQ(base, 0);
}

/* Pages never touched become zeroed device pages, and come home zeroed. */
TEST(holes)
{
	uint64_t base;
	uint8_t *p;

	need_devmem(fd);
	base = dev_pages(fd);
	p = tm_must_map(8, PROT_READ | PROT_WRITE);
	tm_must_bind(fd, p, SZ(8), RW);
	TO_DEV(fd, p, 8);
	ASSERT_EQ(SNAP_COUNT(fd, p, 8, SNAP_DEV_W), 8);
	DEV_READ(fd, p, 8, 0, 0, 0);
	DEV_WRITE(fd, PG(p, 4), 4, 0, 3);
	TO_SYS(fd, p, 8);
	ASSERT_ZERO_MEM(p, SZ(4));
	EXPECT_PAT(PG(p, 4), 0, SZ(4), 3);
	ASSERT_EQ(dev_pages(fd), base);
}

/*
 * A CPU access to a device page brings that page home, with its data:
 * migrate_to_ram(), counted in devmem_cpu_faults; the other pages stay.
 */
TEST(cpu_touch_brings_page_home)
{
	struct drm_test_mirror_stats st0, st;
	struct tm_evlog *log;
	volatile uint64_t *w;
	uint64_t v;
	uint8_t *p;
	uint32_t h;

	need_devmem(fd);
	p = tm_must_map_pattern(4, 1);
	h = tm_must_bind(fd, p, SZ(4), RW);
	TO_DEV(fd, p, 4);
	DEV_WRITE(fd, p, 4, 0, 5);
	ASSERT_OK(tm_evlog_drain(fd));
	st0 = STATS(fd);

	/* a CPU read of page 1 */
	w = (volatile uint64_t *)PG(p, 1);
	v = w[0];
	ASSERT_EQ(v, tm_pattern_word(5, SZ(1) / 8));
	st = STATS(fd);
	ASSERT_EQ(st.devmem_cpu_faults, st0.devmem_cpu_faults + 1);
	ASSERT_EQ(st.devmem_pages, st0.devmem_pages - 1);
	log = EV_TAKE(fd);
	EXPECT_EV(log, EV_MIGRATE, h, PG(p, 1), PG(p, 2), BIT(ACT_INVAL));
	EXPECT_WITHIN(log, EV_MIGRATE, PG(p, 1), PG(p, 2));
	EXPECT_ONLY(log, BIT(EV_MIGRATE));
	ASSERT_EQ(SNAP_COUNT(fd, p, 4, SNAP_DEV_W), 3);
	ASSERT_EQ(SNAP_COUNT(fd, PG(p, 1), 1, TEST_MIRROR_SNAP_NONE), 1);

	/* a CPU write of page 2: home first, then the store */
	w = (volatile uint64_t *)PG(p, 2);
	w[1] = 0x1234;
	st = STATS(fd);
	ASSERT_EQ(st.devmem_cpu_faults, st0.devmem_cpu_faults + 2);
	ASSERT_EQ(st.devmem_pages, st0.devmem_pages - 2);
	ASSERT_EQ(w[1], 0x1234);
	w[1] = tm_pattern_word(5, SZ(2) / 8 + 1);

	/* the rest by the ioctl: two pages, no more CPU faults */
	ASSERT_OK(devmem(fd, p, 4, TEST_MIRROR_DEVMEM_TO_SYSTEM, &v));
	ASSERT_EQ(v, 2);
	ASSERT_EQ(STATS(fd).devmem_to_system, 2);
	ASSERT_PATTERN(p, SZ(4), 5);
	st = STATS(fd);
	ASSERT_EQ(st.devmem_cpu_faults, st0.devmem_cpu_faults + 2);
	ASSERT_EQ(st.devmem_pages, st0.devmem_pages - 4);
}

/*
 * A device write to a device page of a MADV_FREE'd range is a write like
 * the CPU's: the VRAM copy is the only one, nothing in the CPU's page
 * tables is dirtied by it, and when the page comes home (the CPU's touch,
 * or the move back) reclaim must keep it, not drop it as a clean lazily
 * freed page. Pages 0-3 are MADV_FREE'd before the move, 4-7 while on the
 * device; 0, 1, 4, 5 come home by the CPU's touch, the others by the move
 * back. Page 8, MADV_FREE'd and never written, stays in system memory:
 * reclaim must drop it, or the test proves nothing.
 */
TEST(madv_free_device_write_kept)
{
	static const size_t touch[] = { 0, 1, 4, 5 };
	volatile uint8_t *v;
	uint64_t base, n;
	unsigned int lost = 0;
	uint8_t *p;
	size_t i;

	need_devmem(fd);
	base = dev_pages(fd);
	p = tm_must_map_pattern(9, 1);
	tm_must_bind(fd, p, SZ(9), RW);
	ASSERT_SYS(madvise(p, SZ(4), MADV_FREE));
	ASSERT_SYS(madvise(PG(p, 8), SZ(1), MADV_FREE));
	TO_DEV(fd, p, 8);
	ASSERT_EQ(SNAP_COUNT(fd, p, 8, SNAP_DEV_W), 8);
	ASSERT_SYS(madvise(PG(p, 4), SZ(4), MADV_FREE));
	DEV_WRITE(fd, p, 8, 0, 7);
	/* the write went to the device's copies */
	ASSERT_EQ(SNAP_COUNT(fd, p, 8, SNAP_DEV_W), 8);
	ASSERT_EQ(dev_pages(fd), base + 8);
	for (i = 0; i < ARRAY_SIZE(touch); i++) {
		v = PG(p, touch[i]);
		(void)v[0];
	}
	ASSERT_OK(devmem(fd, p, 8, TEST_MIRROR_DEVMEM_TO_SYSTEM, &n));
	ASSERT_EQ(n, 4);
	ASSERT_EQ(dev_pages(fd), base);
	ASSERT_SYS(madvise(p, SZ(9), MADV_PAGEOUT));
	for (i = 0; i < 8; i++)
		if (tm_check_at(PG(p, i), SZ(i), SZ(1), 7) >= 0) {
			tm_diag("page %zu (%s, came home by %s): the device's write was dropped by reclaim",
				i, i < 4 ? "MADV_FREE before the move" : "MADV_FREE on the device",
				i % 4 < 2 ? "the CPU's touch" : "the move back");
			lost++;
		}
	ASSERT_EQ(lost, 0);
	/* the control: a clean lazily freed page is dropped */
	ASSERT_ZERO_MEM(PG(p, 8), SZ(1));
}

/*
 * Another file of the same device mirroring the pages invalidates on the
 * way there (MIGRATE is not its own), then maps the device pages: same
 * device, so it reads the device's copy.
 */
TEST(other_file_invalidates)
{
	struct tm_evlog *log;
	uint8_t *p;
	uint32_t h2;
	int fd2;

	need_devmem(fd);
	fd2 = tm_must_open();
	p = tm_must_map_pattern(8, 1);
	tm_must_bind(fd, p, SZ(8), RW);
	h2 = tm_must_bind(fd2, p, SZ(8), RWP);
	ASSERT_OK(tm_evlog_drain(fd2));
	TO_DEV(fd, p, 8);
	log = EV_TAKE(fd2);
	EXPECT_EV(log, EV_MIGRATE, h2, p, PG(p, 8), BIT(ACT_INVAL));
	EXPECT_ONLY(log, BIT(EV_MIGRATE));
	ASSERT_EQ(SNAP_COUNT(fd2, p, 8, TEST_MIRROR_SNAP_NONE), 8);
	DEV_READ(fd2, p, 8, 1, 0, 1);
	ASSERT_EQ(SNAP_COUNT(fd2, p, 8, SNAP_DEV_W), 8);
	ASSERT_EQ(STATS(fd2).devmem_to_device, 0);
	TO_SYS(fd2, p, 8);
	ASSERT_EQ(SNAP_COUNT(fd, p, 8, TEST_MIRROR_SNAP_NONE), 8);
	ASSERT_PATTERN(p, SZ(8), 1);
}

/* The STATS of fd, whose device must have no page in use (a test's start). */
static struct drm_test_mirror_stats stats_pool_empty(int fd)
{
	struct drm_test_mirror_stats st = STATS(fd);

	if (st.devmem_pages)
		FAIL("%llu device pages in use before the test",
		     (unsigned long long)st.devmem_pages);
	return st;
}

/*
 * A full device evicts its least recently used pages: with room for 8,
 * moving 4 more evicts the 4 oldest (CLEAR, no owner: every mirror
 * invalidates), and the data survives on both sides.
 */
static void evict_body(int fd)
{
	struct drm_test_mirror_stats st0, st;
	struct tm_evlog *log;
	uint8_t *p;
	uint32_t h;

	st0 = stats_pool_empty(fd);
	p = tm_must_map_pattern(12, 1);
	h = tm_must_bind(fd, p, SZ(12), RW);
	TO_DEV(fd, p, 8);
	ASSERT_EQ(STATS(fd).devmem_pages, 8);
	ASSERT_OK(tm_evlog_drain(fd));

	TO_DEV(fd, PG(p, 8), 4);
	st = STATS(fd);
	ASSERT_EQ(st.devmem_evictions, st0.devmem_evictions + 4);
	ASSERT_EQ(st.devmem_pages, 8);
	log = EV_TAKE(fd);
	EXPECT_EV(log, EV_CLEAR, h, p, PG(p, 4), BIT(ACT_INVAL));
	EXPECT_WITHIN(log, EV_CLEAR, p, PG(p, 4));
	EXPECT_EV(log, EV_MIGRATE, h, PG(p, 8), PG(p, 12), BIT(ACT_SKIP));
	EXPECT_ONLY(log, BIT(EV_CLEAR) | BIT(EV_MIGRATE));
	ASSERT_EQ(SNAP_COUNT(fd, p, 4, TEST_MIRROR_SNAP_NONE), 4);
	ASSERT_EQ(SNAP_COUNT(fd, PG(p, 4), 8, SNAP_DEV_W), 8);

	/* the device reads all 12, the evicted ones from system memory */
	DEV_READ(fd, p, 12, 1, 0, 1);
	ASSERT_EQ(SNAP_COUNT(fd, p, 4, TEST_MIRROR_SNAP_WRITE), 4);
	/* the CPU too: the evicted pages without a CPU fault on the device */
	ASSERT_PATTERN(p, SZ(4), 1);
	ASSERT_EQ(STATS(fd).devmem_cpu_faults, st.devmem_cpu_faults);
	EXPECT_PAT(PG(p, 4), SZ(4), SZ(8), 1);
	ASSERT_EQ(STATS(fd).devmem_cpu_faults, st.devmem_cpu_faults + 8);
	ASSERT_EQ(STATS(fd).devmem_pages, 0);
}

TEST_OPTS(eviction_when_full, 0, 60)
{
	need_devmem(fd);
	tm_with_param("devmem_pages", "8", evict_body);
}

/*
 * fork shares the device pages copy-on-write: a device write of the
 * parent brings its page home and breaks COW (the child keeps the old
 * data); the child's CPU reads bring pages home; when both are gone,
 * every device page is free again.
 */
TEST(fork_cow)
{
	struct tm_result res;
	uint64_t base;
	int go[2], done[2];
	uint8_t *p;
	pid_t pid;

	need_devmem(fd);
	base = dev_pages(fd);
	p = tm_must_map_pattern(4, 1);
	tm_must_bind(fd, p, SZ(4), RW);
	TO_DEV(fd, p, 4);
	ASSERT_SYS(pipe(go));
	ASSERT_SYS(pipe(done));
	pid = tm_fork();
	if (!pid) {
		tm_wait_byte(go[0]);
		/* the parent's device write did not reach this copy */
		ASSERT_PATTERN(p, SZ(4), 1);
		tm_send_byte(done[1]);
		_exit(0);
	}
	/* write-protected by fork: the write brings page 0 home, breaks COW */
	ASSERT_EQ(SNAP_COUNT(fd, p, 4, TEST_MIRROR_SNAP_READ |
			     TEST_MIRROR_SNAP_DEVICE), 4);
	ASSERT_OK(tm_dev_write(fd, p, 1, 0, 7, &res));
	ASSERT_EQ(res.pages, 1);
	ASSERT_EQ(SNAP_COUNT(fd, p, 1, TEST_MIRROR_SNAP_WRITE), 1);
	tm_send_byte(go[1]);
	tm_wait_byte(done[0]);
	tm_must_wait_ok(pid);
	EXPECT_PAT(p, 0, SZ(1), 7);
	EXPECT_PAT(PG(p, 1), SZ(1), SZ(3), 1);
	ASSERT_SYS(munmap(p, SZ(4)));
	ASSERT_EQ(dev_pages(fd), base);
}

/* munmap frees the device pages at once. */
TEST(munmap_frees)
{
	uint64_t base;
	uint8_t *p;

	need_devmem(fd);
	base = dev_pages(fd);
	p = tm_must_map_pattern(32, 1);
	tm_must_bind(fd, p, SZ(32), RW);
	TO_DEV(fd, p, 32);
	ASSERT_EQ(dev_pages(fd), base + 32);
	ASSERT_SYS(munmap(p, SZ(16)));
	ASSERT_EQ(dev_pages(fd), base + 16);
	ASSERT_SYS(munmap(PG(p, 16), SZ(16)));
	ASSERT_EQ(dev_pages(fd), base);
}

/* A process that exits (or is killed) with device pages frees them all. */
TEST(exit_and_kill_free)
{
	uint64_t base;
	int sig, ready[2], go[2];
	pid_t pid;

	need_devmem(fd);
	base = dev_pages(fd);
	for (sig = 0; sig <= SIGKILL; sig += SIGKILL) {
		ASSERT_SYS(pipe(ready));
		ASSERT_SYS(pipe(go));
		pid = tm_fork();
		if (!pid) {
			int cfd = tm_must_open();
			uint8_t *p = tm_must_map_pattern(64, 1);

			tm_must_bind(cfd, p, SZ(64), RW);
			TO_DEV(cfd, p, 64);
			tm_send_byte(ready[1]);
			tm_wait_byte(go[0]);
			_exit(0);
		}
		tm_wait_byte(ready[0]);
		ASSERT_EQ(dev_pages(fd), base + 64);
		if (sig)
			ASSERT_SYS(kill(pid, sig));
		else
			tm_send_byte(go[1]);
		waitpid(pid, NULL, 0);
		ASSERT_EQ(dev_pages(fd), base);
		close(ready[0]);
		close(ready[1]);
		close(go[0]);
		close(go[1]);
	}
}

/*
 * Device pages belong to the device, not to the file: closing the file
 * leaves them on the device; the process's CPU accesses bring them home.
 */
TEST(pages_outlive_the_file)
{
	struct drm_test_mirror_stats st0;
	uint8_t *p;
	int fd2;

	need_devmem(fd);
	st0 = STATS(fd);
	fd2 = tm_must_open();
	p = tm_must_map_pattern(4, 1);
	tm_must_bind(fd2, p, SZ(4), RW);
	TO_DEV(fd2, p, 4);
	ASSERT_SYS(close(fd2));
	ASSERT_EQ(dev_pages(fd), st0.devmem_pages + 4);
	ASSERT_PATTERN(p, SZ(4), 1);
	ASSERT_EQ(STATS(fd).devmem_cpu_faults, st0.devmem_cpu_faults + 4);
	ASSERT_EQ(dev_pages(fd), st0.devmem_pages);
}

/*
 * The OOM killer kills a process with pages in device memory (its VRAM
 * is charged to its cgroup): the kill frees every one of them.
 */
TEST_OPTS(oom_kill_frees, 0, 120)
{
	long long ooms0;
	uint64_t base;
	char cg[128];
	int st, ready[2];
	pid_t pid;

	need_devmem(fd);
	if (!tm_cg_usable())
		SKIP("no cgroup v2 memory controller at " TM_CG_ROOT);
	base = dev_pages(fd);
	tm_cg_path(cg, sizeof(cg), "devmem_oom");
	tm_cg_make(cg, "32M");
	ooms0 = tm_cg_read(cg, "memory.events", "oom_kill");
	ASSERT_SYS(pipe(ready));
	pid = tm_fork();
	if (!pid) {
		int cfd;
		uint8_t *p;

		tm_cg_enter(cg);
		cfd = tm_must_open();
		p = tm_must_map_pattern(512, 1);
		tm_must_bind(cfd, p, SZ(512), RW);
		TO_DEV(cfd, p, 512);
		tm_send_byte(ready[1]);
		/* eat memory until the OOM killer comes */
		for (;;) {
			uint8_t *m = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE,
					  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

			if (m != MAP_FAILED)
				memset(m, 0x5a, 1 << 20);
		}
	}
	tm_wait_byte(ready[0]);
	st = tm_wait_bounded(pid, 60000, "the OOM kill");
	ASSERT_GT(tm_cg_read(cg, "memory.events", "oom_kill"), ooms0);
	tm_cg_remove(cg);
	if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGKILL)
		FAIL("the child was not killed by SIGKILL (status 0x%x)", st);
	ASSERT_EQ(dev_pages(fd), base);
}

/*
 * Throughput, for the record (nothing asserted but the data): 16 MiB to
 * the device and back, pages per second each way.
 */
TEST_OPTS(throughput, 0, 120)
{
	uint64_t t0, t1, t2;
	uint8_t *p;

	need_devmem(fd);
	p = tm_must_map_pattern(4096, 1);
	tm_must_bind(fd, p, SZ(4096), RW);
	t0 = tm_now_ns();
	TO_DEV(fd, p, 4096);
	t1 = tm_now_ns();
	TO_SYS(fd, p, 4096);
	t2 = tm_now_ns();
	ASSERT_PATTERN(p, SZ(4096), 1);
	tm_diag("4 KiB pages: to device %.0f pages/s, to system %.0f pages/s",
		4096e9 / (double)(t1 - t0), 4096e9 / (double)(t2 - t1));
}

/* The debugfs counters agree with STATS. */
TEST(debugfs_counters)
{
	char buf[512], *s;
	unsigned long long v;
	uint8_t *p;

	need_devmem(fd);
	p = tm_must_map_pattern(4, 1);
	tm_must_bind(fd, p, SZ(4), RW);
	TO_DEV(fd, p, 4);
	if (tm_read_text("/sys/kernel/debug/test_mirror/devmem", buf,
			 sizeof(buf)) < 0)
		SKIP("no debugfs");
	s = strstr(buf, "\npages ");
	ASSERT_TRUE(s && sscanf(s, "\npages %llu", &v) == 1);
	ASSERT_EQ(v, dev_pages(fd));
	ASSERT_SYS(munmap(p, SZ(4)));
}

/* ---- 2 MiB device folios (TEST_MIRROR_CAP_DEVICE_HUGE) ---------------- */

#define HUGE_N		512u		/* pages of a 2 MiB block */
#define HUGE_BYTES	(2u << 20)
#define SNAP_DEV_HUGE	(SNAP_DEV_W | TEST_MIRROR_SNAP_HUGE)
#define SNAP_SYS_HUGE	(TEST_MIRROR_SNAP_WRITE | TEST_MIRROR_SNAP_HUGE)

/*
 * A device with memory of its own moves 2 MiB folios: every kernel built for
 * that has device-private memory (Debian's 7.3) also migrates it in 2 MiB
 * folios (MIGRATE_VMA_SELECT_COMPOUND, upstream 6.19), so DEVICE_PRIVATE
 * without DEVICE_HUGE is a regression to report, not a kernel to skip. Only
 * a guest without transparent huge pages skips.
 */
static void need_huge(int fd)
{
	ASSERT_TRUE(tm_has_cap(fd, TEST_MIRROR_CAP_DEVICE_HUGE));
	if (!tm_thp_usable())
		SKIP("no transparent huge pages for MADV_HUGEPAGE regions");
}

/*
 * nblk 2 MiB-aligned blocks of MADV_HUGEPAGE memory, bound read-write at
 * *h. With seed, the CPU fills them and the device reads them, which must
 * find each block one transparent huge page (one huge entry), else SKIP;
 * without, they stay untouched holes.
 */
static uint8_t *huge_blocks(int fd, size_t nblk, uint32_t seed, uint32_t *h)
{
	size_t n = nblk * HUGE_N;
	uint8_t *p;

	need_huge(fd);
	p = tm_map_aligned(n, HUGE_BYTES, PROT_READ | PROT_WRITE);
	ASSERT_TRUE(p);
	ASSERT_SYS(madvise(p, SZ(n), MADV_HUGEPAGE));
	*h = tm_must_bind(fd, p, SZ(n), RW);
	if (!seed)
		return p;
	tm_fill(p, SZ(n), seed);
	DEV_READ(fd, p, n, -1, 0, seed);
	if (SNAP_COUNT(fd, p, n, SNAP_SYS_HUGE) != n)
		SKIP("the kernel gave no THP for a MADV_HUGEPAGE region");
	return p;
}

/*
 * A transparent huge page moves to the device as one 2 MiB device folio:
 * the device's huge entry follows it (MIGRATE skipped), the device reads
 * and writes it without a fault, and it comes home as a 2 MiB system folio
 * (the device's next read finds one huge page again).
 */
TEST(huge_round_trip)
{
	struct drm_test_mirror_stats st0, st;
	struct tm_evlog *log;
	struct tm_result res;
	uint8_t *p;
	uint32_t h;

	need_devmem(fd);
	p = huge_blocks(fd, 1, 1, &h);
	st0 = STATS(fd);
	ASSERT_OK(tm_evlog_drain(fd));

	TO_DEV(fd, p, HUGE_N);
	log = EV_TAKE(fd);
	EXPECT_EV(log, EV_MIGRATE, h, p, PG(p, HUGE_N), BIT(ACT_SKIP));
	EXPECT_ONLY(log, BIT(EV_MIGRATE));
	EXPECT_SNAP(fd, p, 4, "H H H H");
	ASSERT_EQ(SNAP_COUNT(fd, p, HUGE_N, SNAP_DEV_HUGE), HUGE_N);
	st = STATS(fd);
	ASSERT_EQ(st.devmem_to_device, st0.devmem_to_device + HUGE_N);
	ASSERT_EQ(st.devmem_pages, st0.devmem_pages + HUGE_N);

	DEV_READ(fd, p, HUGE_N, 0, 0, 1);
	ASSERT_OK(tm_dev_write(fd, p, HUGE_N, 0, 2, &res));
	ASSERT_EQ(res.faults, 0);
	ASSERT_EQ(res.pages, HUGE_N);
	ASSERT_EQ(SNAP_COUNT(fd, p, HUGE_N, SNAP_DEV_HUGE), HUGE_N);

	TO_SYS(fd, p, HUGE_N);
	log = EV_TAKE(fd);
	EXPECT_EV(log, EV_MIGRATE, h, p, PG(p, HUGE_N), BIT(ACT_INVAL));
	EXPECT_ONLY(log, BIT(EV_MIGRATE));
	st = STATS(fd);
	ASSERT_EQ(st.devmem_to_system, st0.devmem_to_system + HUGE_N);
	ASSERT_EQ(st.devmem_pages, st0.devmem_pages);
	DEV_READ(fd, p, HUGE_N, 1, 0, 2);
	ASSERT_EQ(SNAP_COUNT(fd, p, HUGE_N, SNAP_SYS_HUGE), HUGE_N);
	ASSERT_PATTERN(p, HUGE_BYTES, 2);
	ASSERT_EQ(STATS(fd).devmem_cpu_faults, st.devmem_cpu_faults);
}

/* A 2 MiB hole becomes one zeroed 2 MiB device folio. */
TEST(huge_hole)
{
	uint64_t base;
	uint8_t *p;
	uint32_t h;

	need_devmem(fd);
	base = dev_pages(fd);
	p = huge_blocks(fd, 1, 0, &h);
	TO_DEV(fd, p, HUGE_N);
	ASSERT_EQ(SNAP_COUNT(fd, p, HUGE_N, SNAP_DEV_HUGE), HUGE_N);
	ASSERT_EQ(dev_pages(fd), base + HUGE_N);
	DEV_READ(fd, p, HUGE_N, 0, 0, 0);
	DEV_WRITE(fd, PG(p, 100), 1, SZ(100), 3);
	TO_SYS(fd, p, HUGE_N);
	ASSERT_ZERO_MEM(p, SZ(100));
	EXPECT_PAT(PG(p, 100), SZ(100), SZ(1), 3);
	ASSERT_ZERO_MEM(PG(p, 101), SZ(HUGE_N - 101));
	ASSERT_EQ(dev_pages(fd), base);
}

/*
 * A CPU touch of a 2 MiB device folio the CPU maps with one PMD entry
 * brings the whole folio home: one CPU fault, 512 pages, one MIGRATE over
 * the block.
 */
TEST(huge_cpu_touch_brings_folio_home)
{
	struct drm_test_mirror_stats st0, st;
	struct tm_evlog *log;
	volatile uint64_t *w;
	uint8_t *p;
	uint32_t h;

	need_devmem(fd);
	p = huge_blocks(fd, 1, 1, &h);
	TO_DEV(fd, p, HUGE_N);
	DEV_WRITE(fd, p, HUGE_N, 0, 5);
	ASSERT_OK(tm_evlog_drain(fd));
	st0 = STATS(fd);

	w = (volatile uint64_t *)PG(p, 300);
	ASSERT_EQ(w[0], tm_pattern_word(5, SZ(300) / 8));
	st = STATS(fd);
	ASSERT_EQ(st.devmem_cpu_faults, st0.devmem_cpu_faults + 1);
	ASSERT_EQ(st.devmem_pages, st0.devmem_pages - HUGE_N);
	log = EV_TAKE(fd);
	EXPECT_EV(log, EV_MIGRATE, h, p, PG(p, HUGE_N), BIT(ACT_INVAL));
	EXPECT_ONLY(log, BIT(EV_MIGRATE));
	ASSERT_EQ(SNAP_COUNT(fd, p, HUGE_N, TEST_MIRROR_SNAP_NONE), HUGE_N);
	ASSERT_PATTERN(p, HUGE_BYTES, 5);
	/* home as a 2 MiB folio */
	DEV_READ(fd, p, HUGE_N, 1, 0, 5);
	ASSERT_EQ(SNAP_COUNT(fd, p, HUGE_N, SNAP_SYS_HUGE), HUGE_N);
}

/*
 * fork shares a 2 MiB device folio copy-on-write, mapped read-only by one
 * PMD entry in both processes: the parent's device write brings the whole
 * folio home (for both: the child's entry follows it) and breaks COW of
 * the page written; the child keeps the old data.
 */
TEST(huge_fork_cow)
{
	struct tm_result res;
	int go[2], done[2];
	uint64_t base;
	uint8_t *p;
	uint32_t h;
	pid_t pid;

	need_devmem(fd);
	p = huge_blocks(fd, 1, 1, &h);
	base = dev_pages(fd);
	TO_DEV(fd, p, HUGE_N);
	ASSERT_SYS(pipe(go));
	ASSERT_SYS(pipe(done));
	pid = tm_fork();
	if (!pid) {
		tm_wait_byte(go[0]);
		ASSERT_PATTERN(p, HUGE_BYTES, 1);
		tm_send_byte(done[1]);
		_exit(0);
	}
	ASSERT_EQ(SNAP_COUNT(fd, p, HUGE_N, TEST_MIRROR_SNAP_READ |
			     TEST_MIRROR_SNAP_DEVICE | TEST_MIRROR_SNAP_HUGE),
		  HUGE_N);
	ASSERT_OK(tm_dev_write(fd, PG(p, 7), 1, SZ(7), 7, &res));
	ASSERT_EQ(res.pages, 1);
	ASSERT_EQ(dev_pages(fd), base);
	EXPECT_SNAP(fd, PG(p, 7), 1, "W");
	tm_send_byte(go[1]);
	tm_wait_byte(done[0]);
	tm_must_wait_ok(pid);
	EXPECT_PAT(p, 0, SZ(7), 1);
	EXPECT_PAT(PG(p, 7), SZ(7), SZ(1), 7);
	EXPECT_PAT(PG(p, 8), SZ(8), SZ(HUGE_N - 8), 1);
	ASSERT_SYS(munmap(p, HUGE_BYTES));
	ASSERT_EQ(dev_pages(fd), base);
}

/*
 * munmap of half a 2 MiB device folio splits the CPU's PMD entry (the
 * device's huge entry goes whole) but not the folio: its 512 pages stay in
 * use, the other half mapped by PTEs, which the device maps with 4 KiB
 * entries. A CPU touch of one of them brings that page alone home: the
 * migration splits the folio first, and the unmapped half is freed then.
 */
TEST(huge_partial_munmap_splits)
{
	struct drm_test_mirror_stats st0;
	volatile uint64_t *w;
	uint64_t moved;
	uint8_t *p;
	uint32_t h;

	need_devmem(fd);
	p = huge_blocks(fd, 1, 1, &h);
	st0 = STATS(fd);
	TO_DEV(fd, p, HUGE_N);
	ASSERT_SYS(munmap(PG(p, HUGE_N / 2), SZ(HUGE_N / 2)));
	ASSERT_EQ(dev_pages(fd), st0.devmem_pages + HUGE_N);
	ASSERT_EQ(SNAP_COUNT(fd, p, HUGE_N / 2, TEST_MIRROR_SNAP_NONE),
		  HUGE_N / 2);
	/* the device faults its half back in, as 4 KiB device entries */
	DEV_READ(fd, p, HUGE_N / 2, 1, 0, 1);
	ASSERT_EQ(SNAP_COUNT(fd, p, HUGE_N / 2, SNAP_DEV_W), HUGE_N / 2);
	/* a CPU touch brings one page home, and the folio is split */
	w = (volatile uint64_t *)PG(p, 10);
	ASSERT_EQ(w[0], tm_pattern_word(1, SZ(10) / 8));
	ASSERT_EQ(STATS(fd).devmem_cpu_faults, st0.devmem_cpu_faults + 1);
	ASSERT_EQ(dev_pages(fd), st0.devmem_pages + HUGE_N / 2 - 1);
	/* the split unmapped the whole folio, and the device's entries */
	ASSERT_EQ(SNAP_COUNT(fd, p, HUGE_N / 2, TEST_MIRROR_SNAP_NONE),
		  HUGE_N / 2);
	ASSERT_OK(devmem(fd, p, HUGE_N / 2, TEST_MIRROR_DEVMEM_TO_SYSTEM,
			 &moved));
	ASSERT_EQ(moved, HUGE_N / 2 - 1);
	ASSERT_PATTERN(p, SZ(HUGE_N / 2), 1);
	ASSERT_EQ(dev_pages(fd), st0.devmem_pages);
}

/*
 * A full device evicts a 2 MiB folio whole (CLEAR over the block, no
 * owner), into a 2 MiB system folio. With the pool capped below a block, a
 * THP moves as 4 KiB device pages, as many as fit: the kernel splits it,
 * and its last page stays in system memory.
 */
static void huge_evict_body(int fd)
{
	struct drm_test_mirror_stats st0, st;
	struct tm_evlog *log;
	uint64_t moved;
	uint8_t *p;
	uint32_t h;

	st0 = stats_pool_empty(fd);
	p = huge_blocks(fd, 2, 1, &h);
	ASSERT_OK(tm_param_set("devmem_pages", "512"));
	TO_DEV(fd, p, HUGE_N);
	ASSERT_EQ(SNAP_COUNT(fd, p, HUGE_N, SNAP_DEV_HUGE), HUGE_N);
	ASSERT_OK(tm_evlog_drain(fd));

	TO_DEV(fd, PG(p, HUGE_N), HUGE_N);
	st = STATS(fd);
	ASSERT_EQ(st.devmem_evictions, st0.devmem_evictions + HUGE_N);
	ASSERT_EQ(st.devmem_pages, HUGE_N);
	log = EV_TAKE(fd);
	EXPECT_EV(log, EV_CLEAR, h, p, PG(p, HUGE_N), BIT(ACT_INVAL));
	EXPECT_EV(log, EV_MIGRATE, h, PG(p, HUGE_N), PG(p, 2 * HUGE_N),
		  BIT(ACT_SKIP));
	EXPECT_ONLY(log, BIT(EV_CLEAR) | BIT(EV_MIGRATE));
	ASSERT_EQ(SNAP_COUNT(fd, PG(p, HUGE_N), HUGE_N, SNAP_DEV_HUGE), HUGE_N);
	/* the evicted block is a 2 MiB system folio again, with its data */
	DEV_READ(fd, p, HUGE_N, 1, 0, 1);
	ASSERT_EQ(SNAP_COUNT(fd, p, HUGE_N, SNAP_SYS_HUGE), HUGE_N);
	ASSERT_PATTERN(p, HUGE_BYTES, 1);

	/* room for 511 pages: no 2 MiB folio, 511 device pages */
	TO_SYS(fd, PG(p, HUGE_N), HUGE_N);
	ASSERT_EQ(STATS(fd).devmem_pages, 0);
	ASSERT_OK(tm_param_set("devmem_pages", "511"));
	ASSERT_OK(devmem(fd, p, HUGE_N, TEST_MIRROR_DEVMEM_TO_DEVICE, &moved));
	ASSERT_EQ(moved, HUGE_N - 1);
	ASSERT_EQ(SNAP_COUNT(fd, p, HUGE_N - 1, SNAP_DEV_W), HUGE_N - 1);
	EXPECT_SNAP(fd, PG(p, HUGE_N - 1), 1, "W");
	DEV_READ(fd, p, HUGE_N, 0, 0, 1);
	ASSERT_OK(devmem(fd, p, HUGE_N, TEST_MIRROR_DEVMEM_TO_SYSTEM, &moved));
	ASSERT_EQ(moved, HUGE_N - 1);
	ASSERT_PATTERN(p, SZ(2 * HUGE_N), 1);
	ASSERT_EQ(STATS(fd).devmem_pages, 0);
}

TEST_OPTS(huge_eviction_and_fallback, 0, 60)
{
	need_devmem(fd);
	need_huge(fd);
	tm_with_param("devmem_pages", "65536", huge_evict_body);
}

/*
 * With no process holding pages in device memory, all of it is free: the
 * suite runs this alone (-t pool_at_baseline) after the programs that move
 * pages and exit (tm_fuzz, tm_stress), so that none of their pages stayed
 * behind. Each test above checks the same of its own pages.
 */
TEST(pool_at_baseline)
{
	struct drm_test_mirror_stats st;
	char buf[512], *nl;

	need_devmem(fd);
	st = STATS(fd);
	tm_diag("device memory: %llu pages in use; since load %llu evicted, %llu brought home by CPU faults",
		(unsigned long long)st.devmem_pages,
		(unsigned long long)st.devmem_evictions,
		(unsigned long long)st.devmem_cpu_faults);
	if (tm_read_text("/sys/kernel/debug/test_mirror/devmem", buf,
			 sizeof(buf)) >= 0)
		for (nl = strtok(buf, "\n"); nl; nl = strtok(NULL, "\n"))
			tm_diag("debugfs devmem: %s", nl);
	ASSERT_EQ(st.devmem_pages, 0);
}

TM_MAIN()
