// SPDX-License-Identifier: GPL-2.0
/*
 * tm_tests: device READ and WRITE. READ returns the CPU's data and what
 * WRITE writes the CPU sees, for part of a range, across two bindings,
 * through an unaligned user buffer. Faults: a cold access of a range below
 * the fault chunk faults once, a warm one not at all; the shared zero page
 * gives read-only entries, so a later WRITE faults again (COW); BIND with
 * PREFAULT fills the table at once (-EFAULT for unmapped memory, -EPERM for
 * a writable PREFAULT of read-only memory); a range of several chunks; a
 * transparent huge page is one huge entry. Errors: memory no binding
 * covers gives -ENOENT, a WRITE a read-only binding or mapping refuses
 * -EPERM, memory not mapped or PROT_NONE -EFAULT, bad arguments -EINVAL, a
 * user buffer the kernel cannot access -EFAULT: nothing is copied. The
 * user buffer may be unfaulted, read-only (as a source), partly bad (the
 * pages before the bad one are done), or itself mirrored (copying into it
 * raises CLEAR in the middle of the READ: a driver that holds its table
 * lock across copy_to_user() deadlocks).
 */
#include <inttypes.h>
#include <string.h>
#include <sys/mman.h>

#include "tm_tests.h"

/*
 * What READ and WRITE do alike is asserted once, a variant per ioctl: the
 * request and the call (tm_read() or tm_write()).
 */
FIXTURE(access) {};

FIXTURE_VARIANT(access) {
	unsigned long request;
	/* tm_read() or tm_write() */
	int (*call)(int fd, const void *addr, size_t size, void *buf,
		    struct tm_result *res);
};

/* tm_write()'s buffer is const: the same call through the read type */
static int access_write(int fd, const void *addr, size_t size, void *buf,
			struct tm_result *res)
{
	return tm_write(fd, addr, size, buf, res);
}

FIXTURE_VARIANT_ADD(access, read) {
	.request = DRM_IOCTL_TEST_MIRROR_READ, .call = tm_read,
};

FIXTURE_VARIANT_ADD(access, write) {
	.request = DRM_IOCTL_TEST_MIRROR_WRITE, .call = access_write,
};

TEST(read_returns_cpu_data)
{
	uint8_t *buf = tm_must_map_pattern(N, SEED_A);
	uint8_t *dst = tm_scratch(N);
	struct tm_result res;

	tm_must_bind(fd, buf, SZ(N), RO);
	ASSERT_OK(tm_read(fd, buf, SZ(N), dst, &res));
	ASSERT_EQ(res.pages, N);
	ASSERT_PATTERN(dst, SZ(N), SEED_A);
}

TEST(write_visible_to_cpu)
{
	uint8_t *buf = tm_must_map_pattern(N, SEED_A);
	uint8_t *src = tm_scratch(N);
	struct tm_result res;

	tm_fill(src, SZ(N), SEED_B);
	tm_must_bind(fd, buf, SZ(N), RW);
	ASSERT_OK(tm_write(fd, buf, SZ(N), src, &res));
	ASSERT_EQ(res.pages, N);
	ASSERT_PATTERN(buf, SZ(N), SEED_B);
}

TEST(write_then_device_read_back)
{
	uint8_t *buf = tm_must_map_pattern(N, SEED_A);

	tm_must_bind(fd, buf, SZ(N), RW);
	DEV_WRITE(fd, buf, N, 0, SEED_B);
	DEV_READ(fd, buf, N, -1, 0, SEED_B);
}

TEST(write_one_page_of_range)
{
	uint8_t *buf = tm_must_map_pattern(3, SEED_A);
	uint8_t *src = tm_scratch(1);

	tm_fill(src, SZ(1), SEED_B);
	tm_must_bind(fd, buf, SZ(3), RW);
	ASSERT_OK(tm_write(fd, PG(buf, 1), SZ(1), src, NULL));
	ASSERT_PATTERN(PG(buf, 1), SZ(1), SEED_B);
	/* the neighbours are untouched */
	ASSERT_EQ(tm_check(buf, SZ(3), SEED_A), SZ(1));
	ASSERT_EQ(memcmp(PG(buf, 2), PG(tm_must_map_pattern(3, SEED_A), 2),
			 SZ(1)), 0);
}

TEST(access_unaligned_user_ptr)
{
	uint8_t *buf = tm_must_map_pattern(N, SEED_A);
	uint8_t *tmp = tm_scratch(N + 1);

	tm_must_bind(fd, buf, SZ(N), RW);
	ASSERT_OK(tm_read(fd, buf, SZ(N), tmp + 3, NULL));
	ASSERT_PATTERN(tmp + 3, SZ(N), SEED_A);
	tm_fill(tmp + 5, SZ(N), SEED_B);
	ASSERT_OK(tm_write(fd, buf, SZ(N), tmp + 5, NULL));
	ASSERT_PATTERN(buf, SZ(N), SEED_B);
}

TEST(access_spans_two_bindings)
{
	uint8_t *buf = tm_must_map_pattern(4, SEED_A);
	uint8_t *dst = tm_scratch(4);
	struct tm_result res;

	tm_must_bind(fd, PG(buf, 0), SZ(2), RW);
	tm_must_bind(fd, PG(buf, 2), SZ(2), RW);
	ASSERT_OK(tm_read(fd, buf, SZ(4), dst, &res));
	ASSERT_EQ(res.pages, 4);
	ASSERT_PATTERN(dst, SZ(4), SEED_A);
}

TEST(cold_read_faults)
{
	uint8_t *buf = tm_must_map_pattern(N, SEED_A);
	uint8_t *dst = tm_scratch(N);
	struct drm_test_mirror_stats st;
	struct tm_result res;

	tm_must_bind(fd, buf, SZ(N), RO);
	ASSERT_OK(tm_read(fd, buf, SZ(N), dst, &res));
	ASSERT_EQ(res.pages, N);
	/* one device fault resolves the rest of the range (N < chunk) */
	ASSERT_EQ(res.faults, 1);
	ASSERT_EQ(res.faulted_pages, N);
	tm_must_stats(fd, &st);
	ASSERT_EQ(st.read_faults, 1);
	ASSERT_EQ(st.write_faults, 0);
	ASSERT_EQ(st.faulted_pages, N);
	ASSERT_EQ(st.entries_present, N);
}

TEST(warm_read_no_faults)
{
	uint8_t *buf = tm_must_map_pattern(N, SEED_A);
	uint8_t *dst = tm_scratch(N);
	struct tm_result res;

	tm_must_bind(fd, buf, SZ(N), RO);
	DEV_READ(fd, buf, N, -1, 0, SEED_A);
	ASSERT_OK(tm_read(fd, buf, SZ(N), dst, &res));
	ASSERT_EQ(res.pages, N);
	ASSERT_EQ(res.faults, 0);
	ASSERT_EQ(res.faulted_pages, 0);
	ASSERT_PATTERN(dst, SZ(N), SEED_A);
}

TEST(cold_write_faults)
{
	uint8_t *buf = tm_must_map_pattern(N, SEED_A);
	uint8_t *src = tm_scratch(N);
	struct drm_test_mirror_stats st;
	struct tm_result res;

	tm_fill(src, SZ(N), SEED_B);
	tm_must_bind(fd, buf, SZ(N), RW);
	ASSERT_OK(tm_write(fd, buf, SZ(N), src, &res));
	ASSERT_EQ(res.pages, N);
	ASSERT_EQ(res.faults, 1);
	ASSERT_EQ(res.faulted_pages, N);
	tm_must_stats(fd, &st);
	ASSERT_EQ(st.write_faults, 1);
	ASSERT_EQ(st.read_faults, 0);
	ASSERT_EQ(st.entries_present, N);
}

TEST(warm_write_no_faults)
{
	uint8_t *buf = tm_must_map_pattern(N, SEED_A);
	uint8_t *src = tm_scratch(N);
	struct tm_result res;

	tm_fill(src, SZ(N), SEED_C);
	tm_must_bind(fd, buf, SZ(N), RW);
	DEV_WRITE(fd, buf, N, 0, SEED_B);
	ASSERT_OK(tm_write(fd, buf, SZ(N), src, &res));
	ASSERT_EQ(res.faults, 0);
	ASSERT_EQ(res.faulted_pages, 0);
	ASSERT_PATTERN(buf, SZ(N), SEED_C);
}

TEST(zero_page_read_then_write)
{
	/* never touched by the CPU: a device read sees the shared zero page */
	uint8_t *buf = tm_must_map(N, PROT_READ | PROT_WRITE);
	uint8_t *dst = tm_scratch(N);
	uint8_t *src = tm_scratch(N);
	struct tm_result res;

	tm_must_bind(fd, buf, SZ(N), RW);
	ASSERT_OK(tm_read(fd, buf, SZ(N), dst, &res));
	ASSERT_EQ(res.faults, 1);
	ASSERT_ZERO_MEM(dst, SZ(N));
	/* the zero page is mapped read-only: a read-only entry */
	EXPECT_SNAP(fd, buf, N, tm_rep('R', N));
	/* so a write faults again, with write intent (COW of the zero page) */
	tm_fill(src, SZ(N), SEED_B);
	ASSERT_OK(tm_write(fd, buf, SZ(N), src, &res));
	ASSERT_EQ(res.pages, N);
	ASSERT_EQ(res.faults, 1);
	ASSERT_EQ(res.faulted_pages, N);
	ASSERT_PATTERN(buf, SZ(N), SEED_B);
	EXPECT_SNAP(fd, buf, N, tm_rep('W', N));
}

TEST(prefault_bind_read_no_faults)
{
	uint8_t *buf = tm_must_map_pattern(N, SEED_A);
	uint8_t *dst = tm_scratch(N);
	struct drm_test_mirror_stats st;
	struct tm_result res;

	tm_must_bind(fd, buf, SZ(N), RO | PREFAULT);
	tm_must_stats(fd, &st);
	ASSERT_EQ(st.entries_present, N);
	ASSERT_EQ(st.faulted_pages, N);
	EXPECT_SNAP(fd, buf, N, tm_rep('R', N));
	ASSERT_OK(tm_read(fd, buf, SZ(N), dst, &res));
	ASSERT_EQ(res.faults, 0);
	ASSERT_EQ(res.faulted_pages, 0);
	ASSERT_PATTERN(dst, SZ(N), SEED_A);
}

TEST(prefault_rw_bind_write_no_faults)
{
	uint8_t *buf = tm_must_map_pattern(N, SEED_A);
	uint8_t *src = tm_scratch(N);
	struct tm_result res;

	tm_fill(src, SZ(N), SEED_B);
	tm_must_bind(fd, buf, SZ(N), RW | PREFAULT);
	EXPECT_SNAP(fd, buf, N, tm_rep('W', N));
	ASSERT_OK(tm_write(fd, buf, SZ(N), src, &res));
	ASSERT_EQ(res.faults, 0);
	ASSERT_PATTERN(buf, SZ(N), SEED_B);
}

TEST(prefault_unmapped_efault)
{
	uint8_t *buf = tm_must_map(N, PROT_READ | PROT_WRITE);
	struct drm_test_mirror_stats st;

	ASSERT_OK(tm_unmap(buf, N));
	ASSERT_ERRNO(tm_bind(fd, buf, SZ(N), RO | PREFAULT, NULL), -EFAULT);
	tm_must_stats(fd, &st);
	ASSERT_EQ(st.bindings, 0);
	ASSERT_EQ(st.entries_present, 0);
}

TEST(prefault_rw_readonly_memory_eperm)
{
	uint8_t *buf = tm_must_map_pattern(N, SEED_A);
	struct drm_test_mirror_stats st;

	ASSERT_SYS(mprotect(buf, SZ(N), PROT_READ));
	ASSERT_ERRNO(tm_bind(fd, buf, SZ(N), RW | PREFAULT, NULL), -EPERM);
	tm_must_stats(fd, &st);
	ASSERT_EQ(st.bindings, 0);
	ASSERT_EQ(st.entries_present, 0);
}

TEST(read_readonly_memory_ok)
{
	uint8_t *buf = tm_must_map_pattern(N, SEED_A);

	ASSERT_SYS(mprotect(buf, SZ(N), PROT_READ));
	tm_must_bind(fd, buf, SZ(N), RW);
	DEV_READ(fd, buf, N, -1, 0, SEED_A);
	EXPECT_SNAP(fd, buf, N, tm_rep('R', N));
}

/* Memory no binding covers: -ENOENT, nothing copied. */
TEST_F(access, access_unbound_enoent)
{
	uint8_t *buf = tm_must_map_pattern(N, SEED_A);
	uint8_t *user = tm_scratch(N);

	tm_fill(user, SZ(N), SEED_B);
	ASSERT_ERRNO(variant->call(fd, buf, SZ(N), user, NULL), -ENOENT);
	ASSERT_PATTERN(buf, SZ(N), SEED_A);
	ASSERT_PATTERN(user, SZ(N), SEED_B);
}

TEST(read_past_binding_end_enoent)
{
	uint8_t *buf = tm_must_map_pattern(N, SEED_A);
	uint8_t *dst = tm_scratch(N);

	tm_must_bind(fd, buf, SZ(N - 1), RW);
	ASSERT_ERRNO(tm_read(fd, buf, SZ(N), dst, NULL), -ENOENT);
}

TEST(read_gap_between_bindings_enoent)
{
	uint8_t *buf = tm_must_map_pattern(3, SEED_A);
	uint8_t *dst = tm_scratch(3);

	tm_must_bind(fd, PG(buf, 0), SZ(1), RW);
	tm_must_bind(fd, PG(buf, 2), SZ(1), RW);
	ASSERT_ERRNO(tm_read(fd, buf, SZ(3), dst, NULL), -ENOENT);
}

TEST(write_readonly_binding_eperm)
{
	uint8_t *buf = tm_must_map_pattern(N, SEED_A);
	uint8_t *src = tm_scratch(N);
	struct tm_result res;

	tm_fill(src, SZ(N), SEED_B);
	tm_must_bind(fd, buf, SZ(N), RO);
	ASSERT_ERRNO(tm_write(fd, buf, SZ(N), src, &res), -EPERM);
	ASSERT_EQ(res.pages, 0);
	ASSERT_PATTERN(buf, SZ(N), SEED_A);
}

TEST(write_cpu_readonly_memory_eperm)
{
	uint8_t *buf = tm_must_map_pattern(N, SEED_A);
	uint8_t *src = tm_scratch(N);
	struct tm_result res;

	ASSERT_SYS(mprotect(buf, SZ(N), PROT_READ));
	tm_fill(src, SZ(N), SEED_B);
	tm_must_bind(fd, buf, SZ(N), RW);
	ASSERT_ERRNO(tm_write(fd, buf, SZ(N), src, &res), -EPERM);
	ASSERT_EQ(res.pages, 0);
	ASSERT_PATTERN(buf, SZ(N), SEED_A);
}

TEST(read_bound_unmapped_efault)
{
	uint8_t *buf = tm_must_map(N, PROT_READ | PROT_WRITE);
	uint8_t *dst = tm_scratch(N);
	struct tm_result res;

	ASSERT_OK(tm_unmap(buf, N));
	tm_must_bind(fd, buf, SZ(N), RW);
	ASSERT_ERRNO(tm_read(fd, buf, SZ(N), dst, &res), -EFAULT);
	ASSERT_EQ(res.pages, 0);
	/* nothing was unmapped while bound: not DROPPED */
	EXPECT_SNAP(fd, buf, N, tm_rep('.', N));
}

TEST(read_prot_none_efault)
{
	uint8_t *buf = tm_must_map_pattern(N, SEED_A);
	uint8_t *dst = tm_scratch(N);

	ASSERT_SYS(mprotect(buf, SZ(N), PROT_NONE));
	tm_must_bind(fd, buf, SZ(N), RW);
	ASSERT_ERRNO(tm_read(fd, buf, SZ(N), dst, NULL), -EFAULT);
}

/* READ and WRITE take the same argument, and refuse the same bad fields. */
TEST_F(access, access_args_einval)
{
	uint8_t *buf = tm_must_map_pattern(N, SEED_A);
	uint8_t *user = tm_scratch(N);
	unsigned long req = variant->request;
	struct drm_test_mirror_access a;
	const struct drm_test_mirror_access ok = {
		.addr = ADDR(buf), .size = SZ(N), .ptr = ADDR(user),
	};

	tm_fill(user, SZ(N), SEED_B);
	tm_must_bind(fd, buf, SZ(N), RW);
	EXPECT_ARG_ERRNO(fd, req, a, ok, addr, ADDR(buf) + 1, -EINVAL);
	EXPECT_ARG_ERRNO(fd, req, a, ok, addr, ADDR(buf) + 2048, -EINVAL);
	EXPECT_ARG_ERRNO(fd, req, a, ok, size, SZ(1) + 1, -EINVAL);
	EXPECT_ARG_ERRNO(fd, req, a, ok, size, 0, -EINVAL);
	EXPECT_ARG_ERRNO(fd, req, a, ok, size, (uint64_t)-SZ(1), -EINVAL);
	EXPECT_ARG_ERRNO(fd, req, a, ok, addr, ADDR(KERNEL_ADDR), -EINVAL);
	EXPECT_ARG_ERRNO(fd, req, a, ok, flags, 1, -EINVAL);
	EXPECT_ARG_ERRNO(fd, req, a, ok, flags, 1u << 31, -EINVAL);
	EXPECT_ARG_ERRNO(fd, req, a, ok, pad, 1, -EINVAL);
	EXPECT_ARG_ERRNO(fd, req, a, ok, reserved, 1, -EINVAL);
	/* nothing was copied, either way */
	ASSERT_PATTERN(buf, SZ(N), SEED_A);
	ASSERT_PATTERN(user, SZ(N), SEED_B);
	/* and the valid argument works */
	a = ok;
	ASSERT_OK(tm_ioctl(fd, req, &a));
}

/* A user buffer the kernel cannot access: -EFAULT, nothing copied. */
TEST_F(access, access_bad_ptr_efault)
{
	uint8_t *buf = tm_must_map_pattern(N, SEED_A);
	uint8_t *hole = tm_must_map(N, PROT_READ | PROT_WRITE);
	struct tm_result res;

	ASSERT_OK(tm_unmap(hole, N));
	tm_must_bind(fd, buf, SZ(N), RW);
	ASSERT_ERRNO(variant->call(fd, buf, SZ(N), NULL, &res), -EFAULT);
	ASSERT_EQ(res.pages, 0);
	ASSERT_ERRNO(variant->call(fd, buf, SZ(N), hole, &res), -EFAULT);
	ASSERT_EQ(res.pages, 0);
	ASSERT_ERRNO(variant->call(fd, buf, SZ(N), KERNEL_ADDR, &res), -EFAULT);
	ASSERT_EQ(res.pages, 0);
	ASSERT_PATTERN(buf, SZ(N), SEED_A);
}

TEST(read_partial_bad_dest_pages)
{
	uint8_t *buf = tm_must_map_pattern(N, SEED_A);
	uint8_t *dst = tm_must_map(N, PROT_READ | PROT_WRITE);
	struct tm_result res;

	/* the destination's second page is a hole */
	ASSERT_OK(tm_unmap(PG(dst, 1), N - 1));
	tm_must_bind(fd, buf, SZ(N), RW);
	ASSERT_ERRNO(tm_read(fd, buf, SZ(N), dst, &res), -EFAULT);
	ASSERT_EQ(res.pages, 1);
	ASSERT_PATTERN(dst, SZ(1), SEED_A);
}

TEST(read_into_unfaulted_dest)
{
	uint8_t *buf = tm_must_map_pattern(N, SEED_A);
	/* fresh anonymous memory: no page behind it yet */
	uint8_t *dst = tm_must_map(N, PROT_READ | PROT_WRITE);

	tm_must_bind(fd, buf, SZ(N), RO);
	ASSERT_OK(tm_read(fd, buf, SZ(N), dst, NULL));
	ASSERT_PATTERN(dst, SZ(N), SEED_A);
}

TEST(read_into_readonly_dest_efault)
{
	uint8_t *buf = tm_must_map_pattern(N, SEED_A);
	uint8_t *dst = tm_must_map_pattern(N, SEED_C);
	struct tm_result res;

	ASSERT_SYS(mprotect(dst, SZ(N), PROT_READ));
	tm_must_bind(fd, buf, SZ(N), RO);
	ASSERT_ERRNO(tm_read(fd, buf, SZ(N), dst, &res), -EFAULT);
	ASSERT_EQ(res.pages, 0);
	ASSERT_PATTERN(dst, SZ(N), SEED_C);
	ASSERT_PATTERN(buf, SZ(N), SEED_A);
}

TEST(write_from_readonly_source)
{
	uint8_t *buf = tm_must_map_pattern(N, SEED_A);
	uint8_t *src = tm_must_map_pattern(N, SEED_B);

	ASSERT_SYS(mprotect(src, SZ(N), PROT_READ));
	tm_must_bind(fd, buf, SZ(N), RW);
	ASSERT_OK(tm_write(fd, buf, SZ(N), src, NULL));
	ASSERT_PATTERN(buf, SZ(N), SEED_B);
}

TEST(write_from_unfaulted_source)
{
	uint8_t *buf = tm_must_map_pattern(N, SEED_A);
	uint8_t *src = tm_must_map(N, PROT_READ);

	tm_must_bind(fd, buf, SZ(N), RW);
	ASSERT_OK(tm_write(fd, buf, SZ(N), src, NULL));
	ASSERT_ZERO_MEM(buf, SZ(N));
}

/*
 * The destination of a device read is itself bound and mirrored (zero-page
 * entries): copying into it breaks COW, which raises CLEAR on the
 * destination's binding while the driver is in the middle of the read. A
 * driver that holds its table lock across copy_to_user() deadlocks here.
 */
TEST(read_dest_in_mirrored_range)
{
	uint8_t *buf = tm_must_map_pattern(N, SEED_A);
	uint8_t *dst = tm_must_map(N, PROT_READ | PROT_WRITE);
	uint8_t *tmp = tm_scratch(N);

	tm_must_bind(fd, buf, SZ(N), RO);
	tm_must_bind(fd, dst, SZ(N), RW);
	ASSERT_OK(tm_read(fd, dst, SZ(N), tmp, NULL));	/* zero page */
	EXPECT_SNAP(fd, dst, N, tm_rep('R', N));
	ASSERT_OK(tm_read(fd, buf, SZ(N), dst, NULL));
	ASSERT_PATTERN(dst, SZ(N), SEED_A);
	/* the device sees the new content too */
	DEV_READ(fd, dst, N, -1, 0, SEED_A);
}

/* The source of a device write is the bound range itself. */
TEST(write_src_is_own_range)
{
	uint8_t *buf = tm_must_map_pattern(N, SEED_A);

	tm_must_bind(fd, buf, SZ(N), RW);
	DEV_READ(fd, buf, N, -1, 0, SEED_A);
	ASSERT_OK(tm_write(fd, buf, SZ(N), buf, NULL));
	ASSERT_PATTERN(buf, SZ(N), SEED_A);
}

TEST(large_read_multi_chunk)
{
	uint64_t chunk = 512;
	size_t n;
	uint8_t *buf, *dst;
	struct drm_test_mirror_stats st;
	struct tm_result res;

	tm_param_get("fault_chunk_pages", &chunk);
	if (chunk > 2048)
		SKIP("fault_chunk_pages is %" PRIu64 ": too large", chunk);
	n = (size_t)chunk + chunk / 2 + 3;
	buf = tm_must_map_pattern(n, SEED_A);
	dst = tm_must_map(n, PROT_READ | PROT_WRITE);
	tm_must_bind(fd, buf, SZ(n), RO);
	ASSERT_OK(tm_read(fd, buf, SZ(n), dst, &res));
	ASSERT_EQ(res.pages, n);
	ASSERT_GE(res.faults, 1);
	ASSERT_EQ(res.faulted_pages, n);
	ASSERT_PATTERN(dst, SZ(n), SEED_A);
	tm_must_stats(fd, &st);
	ASSERT_EQ(st.entries_present, n);
	ASSERT_OK(tm_read(fd, buf, SZ(n), dst, &res));
	ASSERT_EQ(res.faults, 0);
}

TEST(thp_read_huge_entry)
{
	const size_t n = 512;	/* 2 MiB on x86-64 */
	uint8_t *buf = tm_map_aligned(n, SZ(n), PROT_READ | PROT_WRITE);
	uint8_t *dst = tm_must_map(n, PROT_READ | PROT_WRITE);
	struct drm_test_mirror_stats st;

	if (PAGE_SZ != 4096)
		SKIP("page size is not 4 KiB");
	ASSERT_TRUE(buf);
	if (madvise(buf, SZ(n), MADV_HUGEPAGE))
		SKIP("MADV_HUGEPAGE: %s", tm_errname(errno));
	tm_fill(buf, SZ(n), SEED_A);
	if (tm_smaps_kb(buf, "AnonHugePages:") < 2048)
		SKIP("the CPU did not map a transparent huge page");
	tm_must_bind(fd, buf, SZ(n), RO);
	ASSERT_OK(tm_read(fd, buf, SZ(n), dst, NULL));
	ASSERT_PATTERN(dst, SZ(n), SEED_A);
	EXPECT_SNAP(fd, buf, n, tm_rep('r', n));
	tm_must_stats(fd, &st);
	ASSERT_EQ(st.huge_entries, 1);
	ASSERT_EQ(st.entries_present, 1);
}
