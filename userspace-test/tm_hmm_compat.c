// SPDX-License-Identifier: GPL-2.0
/*
 * tm_hmm_compat: tests of the test_hmm-compatible front-end
 * (driver/tm_hmm_compat.c, /dev/hmm_dmirror0 and 1) for what the kernel's
 * own hmm-tests does not check: the errors of the commands test_mirror does
 * not support, argument checks, the out fields, the whole-space tracking
 * surviving munmap(), every SNAPSHOT value a stock kernel can produce, the
 * file's mmap(), use from another address space and the hmm_compat
 * parameter at run time. Run with -l to list the tests.
 *
 * The devices are turned on through the module parameter hmm_compat as
 * needed; its value at start is restored at exit.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "tm_lib.h"
#include <misc/test_mirror_hmm.h>

#define NODEV		TM_OPT_NODEV
#define SEED_A		0x4141u
#define SEED_B		0x4242u

#define SZ(n)		((size_t)(n) * PAGE_SZ)
#define PG(p, i)	((uint8_t *)(p) + SZ(i))

/* Out fields before a call, to see whether the driver wrote them back. */
#define UNTOUCHED	0x5a5a5a5a5a5a5a5aull

static int hc_cmd(int fd, unsigned long req, const void *addr, void *ptr,
		  uint64_t npages, struct tm_hmm_cmd *out)
{
	struct tm_hmm_cmd c = {
		.addr = (uintptr_t)addr,
		.ptr = (uintptr_t)ptr,
		.npages = npages,
		.cpages = UNTOUCHED,
		.faults = UNTOUCHED,
	};
	int ret = tm_ioctl(fd, req, &c);

	if (out)
		*out = c;
	return ret;
}

static int hc_must_open_at(unsigned int unit, const char *file, int line)
{
	int fd = tm_hmm_enable();

	if (fd >= 0)
		fd = tm_hmm_open(unit);
	if (fd == -ENOENT)
		tm_skip("no hmm_compat parameter (test_mirror not loaded?)");
	if (fd < 0)
		tm_fail(file, line, "open /dev/hmm_dmirror%u: %s", unit,
			tm_errname(fd));
	return fd;
}
#define hc_must_open(unit) hc_must_open_at(unit, __FILE__, __LINE__)

/* SNAPSHOT of npages at p must give want[]. */
static void check_prot_at(int fd, const void *p, size_t npages,
			  const uint8_t *want, const char *file, int line)
{
	struct tm_hmm_cmd c;
	uint8_t *got = malloc(npages);
	size_t i;
	int ret;

	if (!got)
		tm_fail(file, line, "malloc");
	memset(got, 0xee, npages);
	ret = hc_cmd(fd, TM_HMM_IOC_SNAPSHOT, p, got, npages, &c);
	if (ret)
		tm_fail(file, line, "SNAPSHOT: %s", tm_errname(ret));
	if (c.cpages != npages)
		tm_fail(file, line, "SNAPSHOT cpages %" PRIu64 ", expected %zu",
			(uint64_t)c.cpages, npages);
	for (i = 0; i < npages; i++)
		if (got[i] != want[i])
			tm_fail(file, line, "SNAPSHOT page %zu: 0x%02x, expected 0x%02x",
				i, got[i], want[i]);
	free(got);
}
#define check_prot(fd, p, n, want) check_prot_at(fd, p, n, want, __FILE__, __LINE__)

/* ------------------------------------------------------------------------ */

/*
 * Does the device have memory of its own? The render node says so
 * (TEST_MIRROR_CAP_DEVICE_PRIVATE); the compat devices have it exactly
 * where it has it (the kernel's CONFIG_DEVICE_PRIVATE).
 */
static bool has_devmem(void)
{
	int dfd = tm_must_open();
	bool has = tm_has_cap(dfd, TEST_MIRROR_CAP_DEVICE_PRIVATE);

	close(dfd);
	return has;
}

/*
 * The commands that need device memory or make_device_exclusive() fail
 * with EOPNOTSUPP where the kernel has not got it, before the argument is
 * read (even a NULL one): MIGRATE_TO_DEV, MIGRATE_TO_SYS, RELEASE and FLAGS
 * without device memory (TEST_MIRROR_CAP_DEVICE_PRIVATE clear), EXCLUSIVE
 * and CHECK_EXCLUSIVE where the kernel cannot take pages exclusive
 * (TEST_MIRROR_CAP_DEVICE_EXCLUSIVE clear).
 */
TEST(unsupported_commands_eopnotsupp)
{
	static const unsigned long reqs[] = {
		TM_HMM_IOC_MIGRATE_TO_DEV, TM_HMM_IOC_MIGRATE_TO_SYS,
		TM_HMM_IOC_RELEASE, TM_HMM_IOC_FLAGS,
		TM_HMM_IOC_EXCLUSIVE, TM_HMM_IOC_CHECK_EXCLUSIVE,
	};
	/* reqs[0..4) need device memory, reqs[4..6) exclusive access */
	unsigned int i, first = has_devmem() ? 4 : 0, last = ARRAY_SIZE(reqs);
	uint8_t *buf, *mirror;
	struct tm_hmm_cmd c;

	if (tm_has_cap(fd, TEST_MIRROR_CAP_DEVICE_EXCLUSIVE))
		last = 4;
	if (first == last)
		SKIP("this kernel has device memory and exclusive access: every command is supported");
	buf = tm_must_map_pattern(4, SEED_A);
	mirror = malloc(SZ(4));

	close(fd);
	fd = hc_must_open(0);
	ASSERT_TRUE(mirror);
	for (i = first; i < last; i++) {
		ASSERT_ERRNO(tm_ioctl(fd, reqs[i], NULL), -EOPNOTSUPP);
		ASSERT_ERRNO(hc_cmd(fd, reqs[i], buf, mirror, 4, &c),
			     -EOPNOTSUPP);
		ASSERT_EQ(c.cpages, UNTOUCHED);
	}
	/* The memory is untouched and still readable by the device. */
	ASSERT_PATTERN(buf, SZ(4), SEED_A);
	ASSERT_OK(hc_cmd(fd, TM_HMM_IOC_READ, buf, mirror, 4, &c));
	ASSERT_PATTERN(mirror, SZ(4), SEED_A);
}

/* EXCLUSIVE needs the capability: without it, the test above covers it. */
static void hc_need_exclusive(int drm_fd)
{
	if (!tm_has_cap(drm_fd, TEST_MIRROR_CAP_DEVICE_EXCLUSIVE))
		SKIP("no make_device_exclusive() on this kernel (EOPNOTSUPP, tested above)");
}

/*
 * EXCLUSIVE takes every page, reads the data back, and the device holds
 * them (CHECK_EXCLUSIVE -EPERM) until the CPU has touched each one: one
 * touched page leaves the rest held.
 */
TEST(exclusive_until_cpu_touch)
{
	uint8_t *buf = tm_must_map_pattern(4, SEED_A);
	uint8_t *mirror = malloc(SZ(4));
	struct tm_hmm_cmd c;
	int hfd;

	hc_need_exclusive(fd);
	hfd = hc_must_open(0);
	ASSERT_TRUE(mirror);
	ASSERT_OK(hc_cmd(hfd, TM_HMM_IOC_EXCLUSIVE, buf, mirror, 4, &c));
	ASSERT_EQ(c.cpages, 4);
	ASSERT_EQ(c.faults, 0);		/* as test_hmm: zeroed, never counted */
	ASSERT_PATTERN(mirror, SZ(4), SEED_A);
	ASSERT_ERRNO(hc_cmd(hfd, TM_HMM_IOC_CHECK_EXCLUSIVE, buf, NULL, 4, &c),
		     -EPERM);
	/* the CPU reads page 1 back: only that page is given up */
	ASSERT_EQ(*(volatile uint8_t *)PG(buf, 1), PG(mirror, 1)[0]);
	ASSERT_OK(hc_cmd(hfd, TM_HMM_IOC_CHECK_EXCLUSIVE, PG(buf, 1), NULL, 1, &c));
	ASSERT_ERRNO(hc_cmd(hfd, TM_HMM_IOC_CHECK_EXCLUSIVE, buf, NULL, 1, &c),
		     -EPERM);
	ASSERT_ERRNO(hc_cmd(hfd, TM_HMM_IOC_CHECK_EXCLUSIVE, PG(buf, 2), NULL, 2, &c),
		     -EPERM);
	ASSERT_PATTERN(buf, SZ(4), SEED_A);
	ASSERT_OK(hc_cmd(hfd, TM_HMM_IOC_CHECK_EXCLUSIVE, buf, NULL, 4, &c));
	ASSERT_EQ(c.cpages, 0);
	ASSERT_EQ(c.faults, 0);
	/* the other device never held them */
	close(hfd);
	hfd = hc_must_open(1);
	ASSERT_OK(hc_cmd(hfd, TM_HMM_IOC_CHECK_EXCLUSIVE, buf, NULL, 4, &c));
}

/* Only anonymous private memory can be taken: a file mapping is -EINVAL. */
TEST(exclusive_file_einval)
{
	uint8_t *mirror = malloc(SZ(2));
	struct tm_hmm_cmd c;
	uint8_t *p;
	int hfd, tfd;

	hc_need_exclusive(fd);
	hfd = hc_must_open(0);
	ASSERT_TRUE(mirror);
	tfd = memfd_create("tm_hmm_compat", MFD_CLOEXEC);
	ASSERT_GE(tfd, 0);
	ASSERT_SYS(ftruncate(tfd, SZ(2)));
	p = mmap(NULL, SZ(2), PROT_READ | PROT_WRITE, MAP_SHARED, tfd, 0);
	ASSERT_TRUE(p != MAP_FAILED);
	memset(p, 7, SZ(2));
	ASSERT_ERRNO(hc_cmd(hfd, TM_HMM_IOC_EXCLUSIVE, p, mirror, 2, &c), -EINVAL);
	ASSERT_EQ(c.cpages, UNTOUCHED);
	ASSERT_OK(hc_cmd(hfd, TM_HMM_IOC_CHECK_EXCLUSIVE, p, NULL, 2, &c));
	ASSERT_BYTES(p, SZ(2), 7);
}

TEST_OPTS(unknown_commands_enotty, NODEV, 0)
{
	struct tm_hmm_cmd c = { 0 };

	fd = hc_must_open(0);
	ASSERT_ERRNO(tm_ioctl(fd, _IOWR('H', 0x0a, struct tm_hmm_cmd), &c),
		     -ENOTTY);
	/* READ's number with another size is another command. */
	ASSERT_ERRNO(tm_ioctl(fd, _IOWR('H', 0x00, uint64_t), &c), -ENOTTY);
	ASSERT_ERRNO(tm_ioctl(fd, _IO('H', 0x00), NULL), -ENOTTY);
	ASSERT_ERRNO(tm_ioctl(fd, _IOWR('d', 0x40, struct tm_hmm_cmd), &c),
		     -ENOTTY);
}

/* Bad arguments fail as test_hmm's do, and leave the out fields alone. */
TEST_OPTS(bad_arguments, NODEV, 0)
{
	uint8_t *buf = tm_must_map_pattern(4, SEED_A);
	uint8_t *mirror = malloc(SZ(4));
	struct tm_hmm_cmd c;

	fd = hc_must_open(0);
	ASSERT_TRUE(mirror);
	ASSERT_ERRNO(hc_cmd(fd, TM_HMM_IOC_READ, buf, mirror, 0, &c), -EINVAL);
	ASSERT_EQ(c.cpages, UNTOUCHED);
	ASSERT_ERRNO(hc_cmd(fd, TM_HMM_IOC_READ, buf + 1, mirror, 1, &c),
		     -EINVAL);
	ASSERT_ERRNO(hc_cmd(fd, TM_HMM_IOC_WRITE, buf, mirror, 1ull << 60, &c),
		     -EINVAL);
	ASSERT_ERRNO(hc_cmd(fd, TM_HMM_IOC_SNAPSHOT, (void *)-PAGE_SZ, mirror,
			    2, &c), -EINVAL);
	ASSERT_ERRNO(hc_cmd(fd, TM_HMM_IOC_SNAPSHOT, buf, mirror, 0, &c),
		     -EINVAL);
	/* The argument itself, or the data buffer, not readable. */
	ASSERT_ERRNO(tm_ioctl(fd, TM_HMM_IOC_READ, NULL), -EFAULT);
	ASSERT_ERRNO(hc_cmd(fd, TM_HMM_IOC_READ, buf, NULL, 4, &c), -EFAULT);
	ASSERT_EQ(c.cpages, UNTOUCHED);
	ASSERT_ERRNO(hc_cmd(fd, TM_HMM_IOC_SNAPSHOT, buf, NULL, 4, &c),
		     -EFAULT);
	/* A read of memory nobody mapped. */
	ASSERT_OK(tm_unmap(buf, 4));
	ASSERT_ERRNO(hc_cmd(fd, TM_HMM_IOC_READ, buf, mirror, 4, &c), -EFAULT);
	ASSERT_EQ(c.faults, UNTOUCHED);
}

/* cpages and faults: one fault for a new range, none once mirrored. */
TEST_OPTS(read_write_counts, NODEV, 0)
{
	uint8_t *buf = tm_must_map_pattern(16, SEED_A);
	uint8_t *mirror = malloc(SZ(16));
	struct tm_hmm_cmd c;

	fd = hc_must_open(0);
	ASSERT_TRUE(mirror);
	ASSERT_OK(hc_cmd(fd, TM_HMM_IOC_READ, buf, mirror, 16, &c));
	ASSERT_EQ(c.cpages, 16);
	ASSERT_EQ(c.faults, 1);
	ASSERT_PATTERN(mirror, SZ(16), SEED_A);
	ASSERT_OK(hc_cmd(fd, TM_HMM_IOC_READ, buf, mirror, 16, &c));
	ASSERT_EQ(c.cpages, 16);
	ASSERT_EQ(c.faults, 0);
	/* Half of it, from the middle: still mirrored. */
	ASSERT_OK(hc_cmd(fd, TM_HMM_IOC_READ, PG(buf, 8), mirror, 8, &c));
	ASSERT_EQ(c.cpages, 8);
	ASSERT_EQ(c.faults, 0);

	tm_fill(mirror, SZ(16), SEED_B);
	ASSERT_OK(hc_cmd(fd, TM_HMM_IOC_WRITE, buf, mirror, 16, &c));
	ASSERT_EQ(c.cpages, 16);
	ASSERT_PATTERN(buf, SZ(16), SEED_B);
	ASSERT_OK(hc_cmd(fd, TM_HMM_IOC_WRITE, buf, mirror, 16, &c));
	ASSERT_EQ(c.faults, 0);
}

/* A READ_UNLOCKED made in a thread of its own (read_unlocked). */
struct hc_async {
	int fd;
	void *addr;
	void *mirror;
	uint64_t npages;
	struct tm_hmm_cmd c;
	int ret;
};

static void *hc_async_fn(void *arg)
{
	struct hc_async *a = arg;

	a->ret = hc_cmd(a->fd, TM_HMM_IOC_READ_UNLOCKED, a->addr, a->mirror,
			a->npages, &a->c);
	return NULL;
}

/*
 * READ_UNLOCKED (7.3's test_hmm): where device faults may drop the mmap
 * lock (TEST_MIRROR_CAP_UFFD_FAULTS), READ's counts, and a read of pages
 * a userfaultfd handler supplies: every page reaches the handler once and
 * the device reads what it supplied. Elsewhere EOPNOTSUPP, before the
 * argument is read.
 */
TEST_OPTS(read_unlocked, NODEV, 0)
{
	const uint64_t n = 4;
	uint8_t *buf = tm_must_map_pattern(n, SEED_A);
	uint8_t *miss = tm_must_map(n, PROT_READ | PROT_WRITE);
	uint8_t *src = tm_must_map_pattern(n, SEED_B);
	uint8_t *mirror = malloc(SZ(n));
	struct hc_async a = { .addr = miss, .npages = n };
	bool unlocked, seen[4] = { false };
	struct tm_hmm_cmd c;
	pthread_t thread;
	uint64_t addr, i;
	int dfd, u;

	dfd = tm_must_open();
	unlocked = tm_has_cap(dfd, TEST_MIRROR_CAP_UFFD_FAULTS);
	close(dfd);
	fd = hc_must_open(0);
	ASSERT_TRUE(mirror);
	if (!unlocked) {
		ASSERT_ERRNO(tm_ioctl(fd, TM_HMM_IOC_READ_UNLOCKED, NULL),
			     -EOPNOTSUPP);
		ASSERT_ERRNO(hc_cmd(fd, TM_HMM_IOC_READ_UNLOCKED, buf, mirror,
				    n, &c), -EOPNOTSUPP);
		ASSERT_EQ(c.cpages, UNTOUCHED);
		ASSERT_EQ(c.faults, UNTOUCHED);
		return;
	}

	ASSERT_OK(hc_cmd(fd, TM_HMM_IOC_READ_UNLOCKED, buf, mirror, n, &c));
	ASSERT_EQ(c.cpages, n);
	ASSERT_EQ(c.faults, 1);
	ASSERT_PATTERN(mirror, SZ(n), SEED_A);
	ASSERT_OK(hc_cmd(fd, TM_HMM_IOC_READ_UNLOCKED, buf, mirror, n, &c));
	ASSERT_EQ(c.cpages, n);
	ASSERT_EQ(c.faults, 0);

	/* Missing pages: the handler supplies page i from src's page i. */
	u = tm_must_uffd_missing(miss, SZ(n));
	memset(mirror, 0xee, SZ(n));
	a.fd = fd;
	a.mirror = mirror;
	ASSERT_EQ(pthread_create(&thread, NULL, hc_async_fn, &a), 0);
	for (i = 0; i < n; i++) {
		ASSERT_OK(tm_uffd_wait(u, 10000, &addr));
		addr = (addr - (uintptr_t)miss) / PAGE_SZ;
		ASSERT_TRUE(addr < n);
		ASSERT_FALSE(seen[addr]);
		seen[addr] = true;
		ASSERT_OK(tm_uffd_copy(u, PG(miss, addr), PG(src, addr)));
	}
	ASSERT_EQ(pthread_join(thread, NULL), 0);
	ASSERT_OK(a.ret);
	ASSERT_EQ(a.c.cpages, n);
	ASSERT_PATTERN(mirror, SZ(n), SEED_B);
	ASSERT_PATTERN(miss, SZ(n), SEED_B);
	close(u);
}

/*
 * The binding is the whole address space: munmap() removes the entries,
 * never the tracking, so new memory at the same address is mirrored again.
 */
TEST_OPTS(unmap_keeps_tracking, NODEV, 0)
{
	uint8_t *buf = tm_must_map_pattern(8, SEED_A);
	uint8_t *mirror = malloc(SZ(8));
	struct tm_hmm_cmd c;
	void *again;

	fd = hc_must_open(0);
	ASSERT_TRUE(mirror);
	ASSERT_OK(hc_cmd(fd, TM_HMM_IOC_READ, buf, mirror, 8, &c));
	ASSERT_EQ(c.faults, 1);
	ASSERT_OK(tm_unmap(buf, 8));
	ASSERT_ERRNO(hc_cmd(fd, TM_HMM_IOC_READ, buf, mirror, 8, &c), -EFAULT);

	again = mmap(buf, SZ(8), PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	ASSERT_TRUE(again == buf);
	tm_fill(buf, SZ(8), SEED_B);
	ASSERT_OK(hc_cmd(fd, TM_HMM_IOC_READ, buf, mirror, 8, &c));
	ASSERT_EQ(c.cpages, 8);
	ASSERT_EQ(c.faults, 1);
	ASSERT_PATTERN(mirror, SZ(8), SEED_B);
}

/*
 * SNAPSHOT reports the CPU page table without faulting: no VMA or no
 * access is ERROR, an untouched page NONE, the zero page ZERO | READ.
 */
TEST_OPTS(snapshot_states, NODEV, 0)
{
	uint8_t want[7] = {
		TM_HMM_PROT_ERROR,			/* PROT_NONE */
		TM_HMM_PROT_ERROR,			/* hole */
		TM_HMM_PROT_ZERO | TM_HMM_PROT_READ,	/* read of nothing */
		TM_HMM_PROT_READ,			/* written, then RO */
		TM_HMM_PROT_WRITE,			/* written */
		TM_HMM_PROT_NONE,			/* untouched, RW */
		TM_HMM_PROT_NONE,			/* untouched, RO */
	};
	uint8_t *p = tm_must_map(7, PROT_NONE);
	volatile uint8_t *v = p;

	fd = hc_must_open(1);
	ASSERT_SYS(munmap(PG(p, 1), SZ(1)));
	ASSERT_SYS(mprotect(PG(p, 2), SZ(1), PROT_READ));
	ASSERT_EQ(v[SZ(2)], 0);
	ASSERT_SYS(mprotect(PG(p, 3), SZ(3), PROT_READ | PROT_WRITE));
	v[SZ(3)] = 1;
	v[SZ(4)] = 1;
	ASSERT_SYS(mprotect(PG(p, 3), SZ(1), PROT_READ));
	ASSERT_SYS(mprotect(PG(p, 6), SZ(1), PROT_READ));
	check_prot(fd, p, 7, want);
	/* Nothing was faulted in by the first one. */
	check_prot(fd, p, 7, want);
}

/* A snapshot longer than one core call, with pages across the seams. */
TEST_OPTS(snapshot_long, NODEV, 0)
{
	const size_t n = 1100;
	static const size_t touched[] = { 0, 63, 64, 255, 256, 511, 512, 1099 };
	uint8_t *p = tm_must_map(n, PROT_READ | PROT_WRITE);
	uint8_t *want = calloc(n, 1);
	size_t i;

	fd = hc_must_open(0);
	ASSERT_TRUE(want);
	for (i = 0; i < sizeof(touched) / sizeof(touched[0]); i++) {
		p[SZ(touched[i])] = 1;
		want[touched[i]] = TM_HMM_PROT_WRITE;
	}
	check_prot(fd, p, n, want);
}

/* A transparent huge page is reported PMD-sized, writable or not. */
TEST_OPTS(snapshot_thp_pmd, NODEV, 0)
{
	const size_t n = (2u << 20) / PAGE_SZ;
	uint8_t *p = tm_map_aligned(n, 2u << 20, PROT_READ | PROT_WRITE);
	uint8_t *want = malloc(n), got;
	struct tm_hmm_cmd c;

	fd = hc_must_open(0);
	ASSERT_TRUE(p && want);
	if (madvise(p, SZ(n), MADV_HUGEPAGE))
		SKIP("MADV_HUGEPAGE: %s", tm_errname(errno));
	tm_fill(p, SZ(n), SEED_A);
	ASSERT_OK(hc_cmd(fd, TM_HMM_IOC_SNAPSHOT, p, &got, 1, &c));
	if (!(got & TM_HMM_PROT_PMD))
		SKIP("no transparent huge page here (0x%02x)", got);
	memset(want, TM_HMM_PROT_WRITE | TM_HMM_PROT_PMD, n);
	check_prot(fd, p, n, want);
	ASSERT_SYS(mprotect(p, SZ(n), PROT_READ));
	memset(want, TM_HMM_PROT_READ | TM_HMM_PROT_PMD, n);
	check_prot(fd, p, n, want);
}

/*
 * mmap() of the file gives zeroed pages, already mapped (VM_MIXEDMAP),
 * which the device reads and writes like any other memory.
 */
TEST_OPTS(mmap_file, NODEV, 0)
{
	uint8_t *shared, *priv, *mirror = malloc(SZ(4));
	uint8_t want[4];
	struct tm_hmm_cmd c;

	fd = hc_must_open(0);
	ASSERT_TRUE(mirror);
	shared = mmap(NULL, SZ(4), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_TRUE(shared != MAP_FAILED);
	priv = mmap(NULL, SZ(4), PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	ASSERT_TRUE(priv != MAP_FAILED);

	/* Populated at mmap() time: writable when shared, COW when private. */
	memset(want, TM_HMM_PROT_WRITE, sizeof(want));
	check_prot(fd, shared, 4, want);
	memset(want, TM_HMM_PROT_READ, sizeof(want));
	check_prot(fd, priv, 4, want);
	ASSERT_ZERO_MEM(shared, SZ(4));
	ASSERT_ZERO_MEM(priv, SZ(4));

	tm_fill(mirror, SZ(4), SEED_A);
	ASSERT_OK(hc_cmd(fd, TM_HMM_IOC_WRITE, shared, mirror, 4, &c));
	ASSERT_EQ(c.cpages, 4);
	ASSERT_PATTERN(shared, SZ(4), SEED_A);

	tm_fill(priv, SZ(4), SEED_B);
	memset(want, TM_HMM_PROT_WRITE, sizeof(want));
	check_prot(fd, priv, 4, want);
	ASSERT_OK(hc_cmd(fd, TM_HMM_IOC_READ, priv, mirror, 4, &c));
	ASSERT_PATTERN(mirror, SZ(4), SEED_B);
	ASSERT_SYS(munmap(shared, SZ(4)));
	ASSERT_SYS(munmap(priv, SZ(4)));
}

/* A file works only in the address space that opened it. */
TEST_OPTS(other_address_space_eacces, NODEV, 0)
{
	uint8_t *buf = tm_must_map_pattern(2, SEED_A);
	uint8_t *mirror = malloc(SZ(2));
	int migrate_err = has_devmem() ? -EACCES : -EOPNOTSUPP;
	pid_t pid;

	fd = hc_must_open(0);
	ASSERT_TRUE(mirror);
	pid = tm_fork();
	if (pid == 0) {
		struct tm_hmm_cmd c;

		ASSERT_ERRNO(hc_cmd(fd, TM_HMM_IOC_READ, buf, mirror, 2, &c),
			     -EACCES);
		ASSERT_ERRNO(hc_cmd(fd, TM_HMM_IOC_SNAPSHOT, buf, mirror, 2,
				    &c), -EACCES);
		ASSERT_ERRNO(hc_cmd(fd, TM_HMM_IOC_MIGRATE_TO_DEV, buf, mirror,
				    2, &c), migrate_err);
		_exit(0);
	}
	tm_must_wait_ok(pid);
}

/*
 * With device memory: MIGRATE_TO_DEV moves the pages and reads them back
 * (@cpages), SNAPSHOT says DEV_PRIVATE_LOCAL on that device and nothing on
 * the other (which is not reported another owner's page), MIGRATE_TO_SYS
 * counts the pages it brings home, RELEASE evicts all of them, FLAGS
 * takes FAIL_ALLOC only. The data survives every move.
 */
TEST_OPTS(device_memory_moves, NODEV, 0)
{
	uint8_t *buf = tm_must_map_pattern(4, SEED_A);
	uint8_t *mirror = malloc(SZ(4));
	uint8_t want[4];
	struct tm_hmm_cmd c;
	int fd1;

	if (!has_devmem())
		SKIP("no device memory (kernel without CONFIG_DEVICE_PRIVATE)");
	fd = hc_must_open(0);
	fd1 = hc_must_open(1);
	ASSERT_TRUE(mirror);
	ASSERT_OK(hc_cmd(fd, TM_HMM_IOC_MIGRATE_TO_DEV, buf, mirror, 4, &c));
	ASSERT_EQ(c.cpages, 4);
	ASSERT_PATTERN(mirror, SZ(4), SEED_A);
	memset(want, TM_HMM_PROT_DEV_PRIVATE_LOCAL | TM_HMM_PROT_WRITE, 4);
	check_prot(fd, buf, 4, want);
	memset(want, TM_HMM_PROT_NONE, 4);
	check_prot(fd1, buf, 4, want);
	/* device 1 has none of them: nothing to bring home */
	ASSERT_OK(hc_cmd(fd1, TM_HMM_IOC_MIGRATE_TO_SYS, buf, mirror, 4, &c));
	ASSERT_EQ(c.cpages, 0);
	ASSERT_OK(hc_cmd(fd, TM_HMM_IOC_MIGRATE_TO_SYS, buf, mirror, 2, &c));
	ASSERT_EQ(c.cpages, 2);
	ASSERT_OK(hc_cmd(fd, TM_HMM_IOC_RELEASE, buf, mirror, 4, &c));
	memset(want, TM_HMM_PROT_WRITE, 4);
	check_prot(fd, buf, 4, want);
	ASSERT_PATTERN(buf, SZ(4), SEED_A);
	/* FLAGS: FAIL_ALLOC in @npages, nothing else */
	ASSERT_OK(hc_cmd(fd, TM_HMM_IOC_FLAGS, buf, mirror,
			 TM_HMM_FLAG_FAIL_ALLOC, &c));
	ASSERT_ERRNO(hc_cmd(fd, TM_HMM_IOC_FLAGS, buf, mirror, 2, &c), -EINVAL);
	/* device 1 takes them, then a CPU write brings one home */
	ASSERT_OK(hc_cmd(fd1, TM_HMM_IOC_MIGRATE_TO_DEV, buf, mirror, 4, &c));
	ASSERT_EQ(c.cpages, 4);
	*(volatile uint8_t *)buf = *(volatile uint8_t *)buf;
	ASSERT_OK(hc_cmd(fd1, TM_HMM_IOC_MIGRATE_TO_SYS, buf, mirror, 4, &c));
	ASSERT_EQ(c.cpages, 3);
	ASSERT_PATTERN(buf, SZ(4), SEED_A);
	close(fd1);
}

/* Each file of each device is a mirror of its own. */
TEST_OPTS(two_devices, NODEV, 0)
{
	int fd0 = hc_must_open(0), fd1 = hc_must_open(1);
	int fd0b = hc_must_open(0);
	uint8_t *buf = tm_must_map_pattern(6, SEED_A);
	uint8_t *mirror = malloc(SZ(6));
	struct tm_hmm_cmd c;
	struct stat st0, st1;

	ASSERT_TRUE(mirror);
	ASSERT_SYS(fstat(fd0, &st0));
	ASSERT_SYS(fstat(fd1, &st1));
	ASSERT_TRUE(S_ISCHR(st0.st_mode) && S_ISCHR(st1.st_mode));
	ASSERT_EQ(major(st0.st_rdev), major(st1.st_rdev));
	ASSERT_EQ(minor(st0.st_rdev), 0);
	ASSERT_EQ(minor(st1.st_rdev), 1);

	ASSERT_OK(hc_cmd(fd0, TM_HMM_IOC_READ, buf, mirror, 6, &c));
	ASSERT_EQ(c.faults, 1);
	ASSERT_OK(hc_cmd(fd1, TM_HMM_IOC_READ, buf, mirror, 6, &c));
	ASSERT_EQ(c.faults, 1);
	ASSERT_OK(hc_cmd(fd0b, TM_HMM_IOC_READ, buf, mirror, 6, &c));
	ASSERT_EQ(c.faults, 1);
	ASSERT_OK(hc_cmd(fd0, TM_HMM_IOC_READ, buf, mirror, 6, &c));
	ASSERT_EQ(c.faults, 0);
	ASSERT_PATTERN(mirror, SZ(6), SEED_A);
}

/*
 * hmm_compat=0 removes the devices at run time; open files keep working;
 * hmm_compat=1 brings them back.
 */
TEST_OPTS(param_at_run_time, NODEV, 0)
{
	int fd2;
	uint8_t *buf = tm_must_map_pattern(2, SEED_A);
	uint8_t *mirror = malloc(SZ(2));
	struct tm_hmm_cmd c;
	uint64_t on;

	fd = hc_must_open(0);
	ASSERT_TRUE(mirror);
	ASSERT_OK(tm_param_get("hmm_compat", &on));
	ASSERT_EQ(on, 1);
	ASSERT_OK(tm_param_set("hmm_compat", "0"));
	ASSERT_OK(tm_param_get("hmm_compat", &on));
	ASSERT_EQ(on, 0);
	ASSERT_TRUE(access("/dev/hmm_dmirror0", F_OK) && errno == ENOENT);
	ASSERT_TRUE(access("/dev/hmm_dmirror1", F_OK) && errno == ENOENT);
	/* Setting the same value again changes nothing. */
	ASSERT_OK(tm_param_set("hmm_compat", "0"));

	ASSERT_OK(hc_cmd(fd, TM_HMM_IOC_READ, buf, mirror, 2, &c));
	ASSERT_PATTERN(mirror, SZ(2), SEED_A);

	ASSERT_ERRNO(tm_param_set("hmm_compat", "maybe"), -EINVAL);
	ASSERT_OK(tm_param_set("hmm_compat", "1"));
	ASSERT_OK(tm_param_set("hmm_compat", "y"));
	fd2 = hc_must_open(1);
	ASSERT_OK(hc_cmd(fd2, TM_HMM_IOC_READ, buf, mirror, 2, &c));
	ASSERT_EQ(c.faults, 1);
	close(fd2);
	close(fd);
}

static uint64_t hmm_compat_was;
static bool hmm_compat_have;

/* The tests turn the devices on and off: put hmm_compat back at the end. */
static int hc_setup(struct tm_run *run)
{
	(void)run;
	hmm_compat_have = !tm_param_get("hmm_compat", &hmm_compat_was);
	return -1;
}

static int hc_teardown(int status)
{
	if (hmm_compat_have)
		tm_param_set("hmm_compat", hmm_compat_was ? "1" : "0");
	return status;
}

TM_PROGRAM(.setup = hc_setup, .teardown = hc_teardown);
TM_MAIN()
