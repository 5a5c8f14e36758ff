// SPDX-License-Identifier: GPL-2.0
/*
 * tm_events: userfaultfd. Write-protecting bound pages raises PROTECTION_VMA,
 * as mprotect does. Device faults ask the userfaultfd handler where the kernel
 * lets a fault drop the mmap lock inside hmm_range_fault (7.3:
 * TEST_MIRROR_CAP_UFFD_FAULTS), and only there: a device write to a
 * write-protected page, or a device read of a missing page, waits for the
 * handler and completes. Elsewhere it fails with -EFAULT, never silently, and
 * the handler is never asked.
 */
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tm_events.h"

/*
 * A device access of one bound page, made in a thread of its own, so that
 * the test can answer the userfaultfd fault it causes.
 */
struct dev_async {
	int fd;
	uint8_t *addr;		/* the bound page */
	bool write;		/* else a read into @buf */
	uint32_t seed;		/* a write writes this pattern... */
	size_t off;		/* ...as at this offset of it */
	uint8_t *buf;		/* a read's destination (allocated) */
	int ret;
	struct tm_result res;
	pthread_t thread;
};

static void *dev_async_fn(void *arg)
{
	struct dev_async *d = arg;

	if (d->write)
		d->ret = tm_dev_write(d->fd, d->addr, 1, d->off, d->seed, &d->res);
	else
		d->ret = tm_read(d->fd, d->addr, PAGE_SZ, d->buf, &d->res);
	return NULL;
}

static void dev_async_start(struct dev_async *d)
{
	if (!d->write) {
		d->buf = malloc(PAGE_SZ);
		ASSERT_TRUE(d->buf != NULL);
		memset(d->buf, 0xee, PAGE_SZ);
	}
	ASSERT_EQ(pthread_create(&d->thread, NULL, dev_async_fn, d), 0);
}

static void dev_async_join(struct dev_async *d)
{
	ASSERT_EQ(pthread_join(d->thread, NULL), 0);
}

TEST(uffd_write_protect)
{
	const size_t n = 4;
	uint8_t *p = tm_must_map_pattern(n, 1);
	uint32_t h = tm_must_bind(fd, p, SZ(n), RWP);
	struct uffdio_register reg = {
		.range = { .start = ADDR(p), .len = SZ(n) },
		.mode = UFFDIO_REGISTER_MODE_WP,
	};
	struct uffd_msg msg;
	struct tm_evlog *log;
	struct tm_result res;
	int u;

	SETUP(fd);
	u = tm_must_uffd_open(O_NONBLOCK);
	if (ioctl(u, UFFDIO_REGISTER, &reg))
		SKIP("UFFDIO_REGISTER_MODE_WP on anonymous memory: %s",
		     tm_errname(errno));
	log = EV_TAKE(fd);
	ASSERT_EQ(log->n, 0);

	tm_uffd_wp(u, p, SZ(n), true);
	log = EV_TAKE(fd);
	ASSERT_EQ(EXPECT_EV(log, EV_PVMA, h, p, PG(p, n),
			    BIT(vma_dg ? ACT_DOWN : ACT_INVAL)), n);
	EXPECT_ONLY(log, BIT(EV_PVMA));
	EXPECT_SNAP(fd, p, n, vma_dg ? "R R R R" : ". . . .");
	DEV_READ(fd, p, n, vma_dg ? 0 : 1, 0, 1);
	EXPECT_SNAP(fd, p, n, "R R R R");

	if (uffd_faults) {
		/*
		 * 7.3: the device's write fault asks the handler, as a CPU
		 * write would: it sees a write-protect fault on the page and
		 * unprotects it, and the write completes.
		 */
		struct dev_async w = {
			.fd = fd, .addr = PG(p, 1), .write = true, .seed = 2,
			.off = SZ(1),
		};
		uint64_t a;

		dev_async_start(&w);
		ASSERT_OK(tm_uffd_wait_msg(u, 10000, &msg));
		a = msg.arg.pagefault.address & ~(uint64_t)(PAGE_SZ - 1);
		ASSERT_EQ(a, ADDR(PG(p, 1)));
		ASSERT_TRUE(msg.arg.pagefault.flags & UFFD_PAGEFAULT_FLAG_WP);
		ASSERT_TRUE(msg.arg.pagefault.flags & UFFD_PAGEFAULT_FLAG_WRITE);
		tm_uffd_wp(u, PG(p, 1), SZ(1), false);
		dev_async_join(&w);
		ASSERT_OK(w.ret);
		ASSERT_EQ(w.res.pages, 1);
		EXPECT_PAT(p, 0, SZ(1), 1);
		EXPECT_PAT(PG(p, 1), SZ(1), SZ(1), 2);
		EXPECT_PAT(PG(p, 2), SZ(2), SZ(2), 1);
		tm_uffd_wp(u, PG(p, 1), SZ(1), true);
	} else {
		/*
		 * Elsewhere a device write must not succeed silently:
		 * hmm_range_fault() cannot wait for the userfaultfd handler
		 * (no FAULT_FLAG_ALLOW_RETRY), so the fault fails
		 * (VM_FAULT_SIGBUS) and the device gets -EFAULT.
		 */
		ASSERT_ERRNO(tm_dev_write(fd, PG(p, 1), 1, SZ(1), 2, &res), -EFAULT);
		ASSERT_EQ(res.pages, 0);
		EXPECT_PAT(p, 0, SZ(n), 1);
		EXPECT_SNAP(fd, p, n, "R R R R");
		ASSERT_TRUE(read(u, &msg, sizeof(msg)) < 0 && errno == EAGAIN);
	}

	/* Write-unprotect: the device may write again. */
	ASSERT_OK(tm_evlog_drain(fd));
	tm_uffd_wp(u, p, SZ(n), false);
	log = EV_TAKE(fd);
	EXPECT_EV(log, EV_PVMA, h, p, PG(p, n),
		  BIT(vma_dg ? ACT_DOWN : ACT_INVAL));
	EXPECT_ONLY(log, BIT(EV_PVMA));
	if (!uffd_faults && tm_must_kernel_version() < 612) {
		/*
		 * 6.1's unprotect leaves the PTE read-only (6.12's makes an
		 * exclusive page writable again), and without the capability
		 * the device never faults inside a VMA registered with a
		 * userfaultfd (the kernel's fault could not ask the handler):
		 * on 6.1 the write still fails, until the CPU has made the
		 * page writable again.
		 */
		ASSERT_ERRNO(tm_dev_write(fd, PG(p, 1), 1, SZ(1), 2, &res),
			     -EFAULT);
		ASSERT_EQ(res.pages, 0);
		EXPECT_PAT(PG(p, 1), SZ(1), SZ(1), 1);
		tm_fill_at(PG(p, 1), SZ(1), SZ(1), 1);
	}
	ASSERT_OK(tm_dev_write(fd, PG(p, 1), 1, SZ(1), 2, &res));
	EXPECT_PAT(PG(p, 1), SZ(1), SZ(1), 2);
	close(u);
}

/*
 * Device faults ask userfaultfd handlers where the kernel lets a fault
 * drop the mmap lock inside hmm_range_fault (7.3's
 * hmm_range_fault_unlocked_timeout()), and only there.
 */
TEST(uffd_faults_cap_matches_kernel)
{
	SETUP(fd);
	ASSERT_EQ(uffd_faults, tm_must_kernel_version() >= 703);
}

/*
 * A device read of a bound page that userfaultfd supplies (missing mode,
 * never touched). With the capability, the device's fault asks the
 * handler, which sees a read fault on the page and supplies it, and the
 * read returns that data. Without it the fault cannot wait for the handler:
 * -EFAULT, and the handler is never asked.
 */
TEST(uffd_missing_device_read)
{
	uint8_t *p = tm_must_map(1, PROT_READ | PROT_WRITE);
	uint8_t *page = malloc(PAGE_SZ);
	struct dev_async r = { .fd = fd, .addr = p };
	struct uffd_msg msg;
	int u;

	SETUP(fd);
	ASSERT_TRUE(page != NULL);
	tm_must_bind(fd, p, SZ(1), RW);
	u = tm_must_uffd_missing(p, SZ(1));
	dev_async_start(&r);
	if (uffd_faults) {
		ASSERT_OK(tm_uffd_wait_msg(u, 10000, &msg));
		ASSERT_EQ(msg.arg.pagefault.address & ~(uint64_t)(PAGE_SZ - 1),
			  ADDR(p));
		ASSERT_FALSE(msg.arg.pagefault.flags &
			     (UFFD_PAGEFAULT_FLAG_WP | UFFD_PAGEFAULT_FLAG_WRITE));
		tm_fill(page, PAGE_SZ, 7);
		ASSERT_OK(tm_uffd_copy(u, p, page));
		dev_async_join(&r);
		ASSERT_OK(r.ret);
		ASSERT_EQ(r.res.pages, 1);
		ASSERT_EQ(r.res.faults, 1);
		ASSERT_PATTERN(r.buf, PAGE_SZ, 7);
		ASSERT_PATTERN(p, PAGE_SZ, 7);
		ASSERT_EQ(STATS(fd).entries_present, 1);
	} else {
		dev_async_join(&r);
		ASSERT_ERRNO(r.ret, -EFAULT);
		ASSERT_EQ(r.res.pages, 0);
		ASSERT_ERRNO(tm_uffd_wait_msg(u, 200, &msg), -ETIMEDOUT);
		ASSERT_EQ(STATS(fd).entries_present, 0);
	}
	free(r.buf);
	free(page);
	close(u);
}
