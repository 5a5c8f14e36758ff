// SPDX-License-Identifier: GPL-2.0
/*
 * tm_stress: the deterministic tests after the race (they run after it:
 * tests run in link order, and this file links after race.c).
 *
 * Two pin down the path the buffer pageouts of the race take at random: a
 * device write whose source runs out part way through a page fails at that
 * page, leaves exactly the part copied before (as after a DMA cut short),
 * and that part is dirty (reclaim of a MADV_FREE'd page keeps it); made
 * deterministic with userfaultfd, the write loses its writable entry while
 * its source is faulted in, and fails with -EPERM keeping its part. The
 * last one checks that, after all this, a new file works as on day one.
 */
#include <linux/userfaultfd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "tm_stress.h"

/*
 * A device write whose source stops being readable part way through a page
 * fails at that page (-EFAULT, pages = 0): the start of the page holds what
 * was copied, as after a DMA cut short, the rest and the next page are
 * untouched, and the page is dirty: MADV_FREE made it clean and lazily
 * freeable, so only the driver's set_page_dirty() keeps reclaim from
 * dropping the written part.
 */
TEST(failed_write_keeps_its_part_dirty)
{
	uint8_t *p = tm_must_map_pattern(2, 0x6161);
	uint8_t *src = tm_map(3, PROT_READ | PROT_WRITE, 0);
	uint8_t *want = malloc(2 * PAGE_SZ);
	struct tm_result res = { 0 };
	size_t cut = PAGE_SZ - 16;

	ASSERT_TRUE(src != NULL && want != NULL);
	tm_must_bind(fd, p, 2 * PAGE_SZ, TEST_MIRROR_BIND_READ |
		     TEST_MIRROR_BIND_WRITE | TEST_MIRROR_BIND_PREFAULT);
	/* 16 bytes short of a page readable at src + 16, then a hole */
	memset(src, 0x77, 3 * PAGE_SZ);
	ASSERT_SYS(mprotect(src + PAGE_SZ, 2 * PAGE_SZ, PROT_NONE));
	memcpy(want, p, 2 * PAGE_SZ);
	memset(want, 0x77, cut);
	ASSERT_SYS(madvise(p, PAGE_SZ, MADV_FREE));
	ASSERT_ERRNO(tm_write(fd, p, 2 * PAGE_SZ, src + 16, &res), -EFAULT);
	ASSERT_EQ(res.pages, 0);
	ASSERT_EQ(memcmp(p, want, 2 * PAGE_SZ), 0);
	ASSERT_SYS(madvise(p, 2 * PAGE_SZ, MADV_PAGEOUT));
	if (memcmp(p, want, 2 * PAGE_SZ))
		tm_diag("after reclaim, byte 0 is %#x: the written part was dropped",
			p[0]);
	ASSERT_EQ(memcmp(p, want, 2 * PAGE_SZ), 0);
	free(want);
}

struct uffd_arg {
	int uffd;
	uint8_t *target;
	int err;
};

/*
 * Serve the one missing-page fault of the device write's source: first
 * take write access to the mirrored page away (the device loses its
 * writable entry), then supply the source page.
 */
static void *uffd_serve(void *arg)
{
	struct uffd_arg *u = arg;
	struct uffdio_zeropage zp = { 0 };
	struct uffd_msg msg;

	if (read(u->uffd, &msg, sizeof(msg)) != sizeof(msg) ||
	    msg.event != UFFD_EVENT_PAGEFAULT) {
		u->err = 1;
		return NULL;
	}
	if (mprotect(u->target, PAGE_SZ, PROT_READ))
		u->err = 2;
	zp.range.start = msg.arg.pagefault.address & ~(uint64_t)(PAGE_SZ - 1);
	zp.range.len = PAGE_SZ;
	if (ioctl(u->uffd, UFFDIO_ZEROPAGE, &zp))
		u->err = 3;
	return NULL;
}

/*
 * The interleaving of the 6.12 finding, made deterministic with
 * userfaultfd: the copy of a device write stops part way through the page
 * (the rest of its source is missing); while the driver faults the source
 * in, the CPU makes the page read-only (PROTECTION_VMA: the writable entry
 * goes); the retry cannot get write access again and the write fails with
 * -EPERM, pages = 0. The start of the page holds the part copied before
 * the source ran out, exactly, and the rest the CPU's data. Before the
 * driver dirtied such a part, reclaim could drop it after a device read had
 * returned it: the 6.12 finding.
 */
TEST(write_loses_its_entry_while_faulting_its_source)
{
	uint8_t *p = tm_must_map_pattern(1, 0x6262);
	uint8_t *src = tm_map(2, PROT_READ | PROT_WRITE, 0);
	struct tm_result res = { 0 };
	struct uffd_arg u = { 0 };
	pthread_t t;
	uint8_t *want = malloc(PAGE_SZ);
	int ret;

	ASSERT_TRUE(src != NULL && want != NULL);
	tm_must_bind(fd, p, PAGE_SZ, TEST_MIRROR_BIND_READ |
		     TEST_MIRROR_BIND_WRITE | TEST_MIRROR_BIND_PREFAULT);
	memset(src, 0x77, PAGE_SZ);	/* the second page stays missing */
	memcpy(want, p, PAGE_SZ);
	memset(want, 0x77, PAGE_SZ - 16);
	u.uffd = tm_must_uffd_missing(src + PAGE_SZ, PAGE_SZ);
	u.target = p;
	ASSERT_EQ(pthread_create(&t, NULL, uffd_serve, &u), 0);
	ret = tm_write(fd, p, PAGE_SZ, src + 16, &res);
	pthread_join(t, NULL);
	ASSERT_EQ(u.err, 0);
	ASSERT_ERRNO(ret, -EPERM);
	ASSERT_EQ(res.pages, 0);
	ASSERT_EQ(memcmp(p, want, PAGE_SZ), 0);
	free(want);
}

/* Afterwards, a new file works as on day one. */
TEST(device_still_works)
{
	uint8_t *p = tm_must_map_pattern(8, 0x5151), *buf = malloc(8 * PAGE_SZ);
	struct tm_result res;

	tm_must_bind(fd, p, 8 * PAGE_SZ, TEST_MIRROR_BIND_READ | TEST_MIRROR_BIND_WRITE);
	ASSERT_OK(tm_read(fd, p, 8 * PAGE_SZ, buf, &res));
	ASSERT_EQ(res.pages, 8);
	ASSERT_PATTERN(buf, 8 * PAGE_SZ, 0x5151);
	tm_fill(buf, 8 * PAGE_SZ, 0x5252);
	ASSERT_OK(tm_write(fd, p, 8 * PAGE_SZ, buf, &res));
	ASSERT_PATTERN(p, 8 * PAGE_SZ, 0x5252);
}
