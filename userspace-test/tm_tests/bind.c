// SPDX-License-Identifier: GPL-2.0
/*
 * tm_tests: binding. BIND returns a handle, distinct per binding and never
 * 0 (not even after an UNBIND of handle 0); UNBIND of a handle unknown or
 * already unbound gives -ENOENT; overlapping ranges give -EEXIST, adjacent
 * ones bind; bad arguments give -EINVAL; the bindings count in STATS;
 * UNBIND removes the entries and frees the table memory, and the range can
 * be bound again; max_bindings gives -ENOSPC; and a BIND whose new handle
 * cannot be copied back still binds (DRM-wide).
 */
#include <inttypes.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tm_tests.h"

TEST(bind_returns_nonzero_handle)
{
	uint8_t *buf = tm_must_map_pattern(N, SEED_A);
	uint32_t h = 0;

	ASSERT_OK(tm_bind(fd, buf, SZ(N), RW, &h));
	ASSERT_NE(h, 0);
}

TEST(unbind_twice_enoent)
{
	uint8_t *buf = tm_must_map_pattern(N, SEED_A);
	uint32_t h = tm_must_bind(fd, buf, SZ(N), RW);

	ASSERT_OK(tm_unbind(fd, h));
	ASSERT_ERRNO(tm_unbind(fd, h), -ENOENT);
}

TEST(unbind_unknown_handle_enoent)
{
	uint8_t *buf = tm_must_map_pattern(N, SEED_A);
	uint32_t h = tm_must_bind(fd, buf, SZ(N), RW);

	ASSERT_ERRNO(tm_unbind(fd, 0), -ENOENT);
	ASSERT_ERRNO(tm_unbind(fd, h + 1000), -ENOENT);
	ASSERT_ERRNO(tm_unbind(fd, ~0u), -ENOENT);
	/* the live binding is untouched */
	ASSERT_OK(tm_unbind(fd, h));
}

/*
 * UNBIND of handle 0, which is never issued, leaves 0 unissued: the handle
 * xarray marks a slot free when it is erased, slot 0 included.
 */
TEST(unbind_handle_zero_never_issues_zero)
{
	uint8_t *buf = tm_must_map_pattern(N, SEED_A);
	uint32_t h;
	int i;

	for (i = 0; i < 4; i++) {
		ASSERT_ERRNO(tm_unbind(fd, 0), -ENOENT);
		h = tm_must_bind(fd, buf, SZ(N), RW);
		ASSERT_NE(h, 0);
		ASSERT_OK(tm_unbind(fd, h));
	}
}

TEST(bind_handles_distinct)
{
	uint8_t *buf = tm_must_map_pattern(2, SEED_A);
	uint32_t h1 = tm_must_bind(fd, PG(buf, 0), SZ(1), RW);
	uint32_t h2 = tm_must_bind(fd, PG(buf, 1), SZ(1), RW);

	ASSERT_NE(h1, h2);
}

TEST(bind_counted_in_stats)
{
	uint8_t *buf = tm_must_map_pattern(2, SEED_A);
	struct drm_test_mirror_stats st;
	uint32_t h1, h2;

	tm_must_stats(fd, &st);
	ASSERT_EQ(st.bindings, 0);
	h1 = tm_must_bind(fd, PG(buf, 0), SZ(1), RW);
	h2 = tm_must_bind(fd, PG(buf, 1), SZ(1), RO);
	tm_must_stats(fd, &st);
	ASSERT_EQ(st.bindings, 2);
	ASSERT_OK(tm_unbind(fd, h1));
	tm_must_stats(fd, &st);
	ASSERT_EQ(st.bindings, 1);
	ASSERT_OK(tm_unbind(fd, h2));
	tm_must_stats(fd, &st);
	ASSERT_EQ(st.bindings, 0);
}

TEST(bind_unmapped_memory_ok)
{
	uint8_t *buf = tm_must_map(N, PROT_READ | PROT_WRITE);
	uint32_t h = 0;

	ASSERT_OK(tm_unmap(buf, N));
	ASSERT_OK(tm_bind(fd, buf, SZ(N), RW, &h));
	ASSERT_NE(h, 0);
	EXPECT_SNAP(fd, buf, N, tm_rep('.', N));
}

TEST(bind_overlap_eexist)
{
	uint8_t *buf = tm_must_map_pattern(8, SEED_A);

	tm_must_bind(fd, PG(buf, 2), SZ(4), RW);		/* pages 2..5 */
	ASSERT_ERRNO(tm_bind(fd, PG(buf, 2), SZ(4), RW, NULL), -EEXIST);
	ASSERT_ERRNO(tm_bind(fd, PG(buf, 0), SZ(3), RW, NULL), -EEXIST);
	ASSERT_ERRNO(tm_bind(fd, PG(buf, 5), SZ(2), RO, NULL), -EEXIST);
	ASSERT_ERRNO(tm_bind(fd, PG(buf, 3), SZ(1), RO, NULL), -EEXIST);
	ASSERT_ERRNO(tm_bind(fd, PG(buf, 0), SZ(8), RO, NULL), -EEXIST);
}

TEST(bind_adjacent_ok)
{
	uint8_t *buf = tm_must_map_pattern(3, SEED_A);

	tm_must_bind(fd, PG(buf, 1), SZ(1), RW);
	tm_must_bind(fd, PG(buf, 0), SZ(1), RW);
	tm_must_bind(fd, PG(buf, 2), SZ(1), RW);
}

TEST(bind_args_einval)
{
	uint8_t *buf = tm_must_map_pattern(N, SEED_A);
	struct drm_test_mirror_stats st;
	static const struct {
		const char *what;
		long addr_off;		/* added to buf */
		bool abs_addr;		/* addr_off is the address itself */
		uint64_t size;		/* 0 = SZ(N) unless size_zero */
		bool size_zero;
		uint32_t flags;
		uint64_t res0, res1;
	} c[] = {
		{ "unaligned addr", 1, false, 0, false, RW, 0, 0 },
		{ "unaligned addr (2048)", 2048, false, 0, false, RW, 0, 0 },
		{ "unaligned size", 0, false, 4097, false, RW, 0, 0 },
		{ "size 0", 0, false, 0, true, RW, 0, 0 },
		{ "wrapping size", 0, false, (uint64_t)-4096, false, RW, 0, 0 },
		{ "wrapping addr", (long)0xfffffffffffff000ul, true, 8192,
		  false, RW, 0, 0 },
		{ "kernel addr", (long)0xffff800000000000ul, true, 4096,
		  false, RW, 0, 0 },
		{ "flags 0", 0, false, 0, false, 0, 0, 0 },
		{ "WRITE without READ", 0, false, 0, false,
		  TEST_MIRROR_BIND_WRITE, 0, 0 },
		{ "PREFAULT alone", 0, false, 0, false, PREFAULT, 0, 0 },
		{ "WRITE|PREFAULT", 0, false, 0, false,
		  TEST_MIRROR_BIND_WRITE | PREFAULT, 0, 0 },
		{ "unknown flag 1<<3", 0, false, 0, false, RW | (1u << 3), 0, 0 },
		{ "unknown flag 1<<31", 0, false, 0, false, RW | (1u << 31),
		  0, 0 },
		{ "reserved[0]", 0, false, 0, false, RW, 1, 0 },
		{ "reserved[1]", 0, false, 0, false, RW, 0, 1 },
	};
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct drm_test_mirror_bind arg = {
			.addr = c[i].abs_addr ? (uint64_t)c[i].addr_off :
				ADDR(buf) + c[i].addr_off,
			.size = c[i].size_zero ? 0 :
				c[i].size ? c[i].size : SZ(N),
			.flags = c[i].flags,
			.reserved = { c[i].res0, c[i].res1 },
		};
		int ret = tm_ioctl(fd, DRM_IOCTL_TEST_MIRROR_BIND, &arg);

		if (ret != -EINVAL)
			FAIL("bind with %s: expected EINVAL, got %s",
			     c[i].what, tm_errname(ret));
	}
	tm_must_stats(fd, &st);
	ASSERT_EQ(st.bindings, 0);
}

/*
 * BIND with its argument struct in a read-only page: drm_ioctl() copies the
 * struct back (the new handle) only after the driver has bound the range,
 * and that copy fails. The ioctl gives -EFAULT, yet the binding exists, out
 * of reach of any handle, until the file is closed (DRM-wide behaviour:
 * the driver cannot see the copy fail). It overlaps a new BIND of the
 * range, it counts in STATS, the device reaches the range through it, and
 * closing the file frees it.
 */
TEST(bind_with_readonly_args)
{
	uint8_t *buf = tm_must_map_pattern(N, SEED_A);
	struct drm_test_mirror_bind *args;
	struct drm_test_mirror_stats st;

	args = tm_must_map(1, PROT_READ | PROT_WRITE);
	args->addr = ADDR(buf);
	args->size = SZ(N);
	args->flags = RW;
	ASSERT_SYS(mprotect(args, SZ(1), PROT_READ));
	ASSERT_ERRNO(tm_ioctl(fd, DRM_IOCTL_TEST_MIRROR_BIND, args), -EFAULT);
	ASSERT_EQ(args->handle, 0);
	ASSERT_ERRNO(tm_bind(fd, buf, SZ(N), RW, NULL), -EEXIST);
	tm_must_stats(fd, &st);
	ASSERT_EQ(st.bindings, 1);
	DEV_READ(fd, buf, N, -1, 0, SEED_A);
	ASSERT_SYS(close(fd));
	fd = tm_must_open();
	tm_must_bind(fd, buf, SZ(N), RW);
}

TEST(unbind_flags_einval)
{
	uint8_t *buf = tm_must_map_pattern(N, SEED_A);
	uint32_t h = tm_must_bind(fd, buf, SZ(N), RW);
	struct drm_test_mirror_unbind arg = { .handle = h, .flags = 1 };

	ASSERT_ERRNO(tm_ioctl(fd, DRM_IOCTL_TEST_MIRROR_UNBIND, &arg), -EINVAL);
	arg.flags = 1u << 31;
	ASSERT_ERRNO(tm_ioctl(fd, DRM_IOCTL_TEST_MIRROR_UNBIND, &arg), -EINVAL);
	/* still bound */
	DEV_READ(fd, buf, N, -1, 0, SEED_A);
	ASSERT_OK(tm_unbind(fd, h));
}

TEST(unbind_removes_entries)
{
	uint8_t *buf = tm_must_map_pattern(N, SEED_A);
	uint32_t h = tm_must_bind(fd, buf, SZ(N), RW);
	struct drm_test_mirror_stats st;

	DEV_READ(fd, buf, N, -1, 0, SEED_A);
	tm_must_stats(fd, &st);
	ASSERT_EQ(st.entries_present, N);
	ASSERT_OK(tm_unbind(fd, h));
	tm_must_stats(fd, &st);
	ASSERT_EQ(st.entries_present, 0);
	EXPECT_SNAP(fd, buf, N, tm_rep('-', N));
}

TEST(unbind_frees_table_memory)
{
	struct drm_test_mirror_stats st;
	unsigned int i;

	/* distinct ranges, so that leaves kept for one are no use to the next */
	for (i = 0; i < 3; i++) {
		uint8_t *buf = tm_must_map_pattern(N, SEED_A);
		uint32_t h = tm_must_bind(fd, buf, SZ(N), RW);

		DEV_READ(fd, buf, N, -1, 0, SEED_A);
		tm_must_stats(fd, &st);
		ASSERT_GT(st.table_bytes, 0);
		ASSERT_OK(tm_unbind(fd, h));
		tm_must_stats(fd, &st);
		if (st.table_bytes)
			FAIL("round %u: table_bytes %llu after unbinding everything",
			     i, (unsigned long long)st.table_bytes);
	}
}

TEST(unbind_then_read_enoent)
{
	uint8_t *buf = tm_must_map_pattern(N, SEED_A);
	uint32_t h = tm_must_bind(fd, buf, SZ(N), RW);
	uint8_t *dst = tm_scratch(N);

	DEV_READ(fd, buf, N, -1, 0, SEED_A);
	ASSERT_OK(tm_unbind(fd, h));
	ASSERT_ERRNO(tm_read(fd, buf, SZ(N), dst, NULL), -ENOENT);
}

TEST(rebind_after_unbind_works)
{
	uint8_t *buf = tm_must_map_pattern(N, SEED_A);
	uint32_t h = tm_must_bind(fd, buf, SZ(N), RW);

	DEV_READ(fd, buf, N, -1, 0, SEED_A);
	ASSERT_OK(tm_unbind(fd, h));
	tm_must_bind(fd, buf, SZ(N), RW);
	DEV_READ(fd, buf, N, -1, 0, SEED_A);
}

TEST(bind_enospc_max_bindings)
{
	uint64_t max;
	uint8_t *buf;
	uint32_t h = 0, first = 0;
	uint64_t i;

	if (tm_param_get("max_bindings", &max))
		SKIP("max_bindings parameter not readable");
	if (max > 4096)
		SKIP("max_bindings is %" PRIu64 " (> 4096): too slow", max);
	/* an address range to bind; binding needs no memory behind it */
	buf = mmap(NULL, SZ(max + 1), PROT_NONE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ASSERT_TRUE(buf != MAP_FAILED);
	for (i = 0; i < max; i++) {
		int ret = tm_bind(fd, PG(buf, i), SZ(1), RO, &h);

		if (ret)
			FAIL("bind %" PRIu64 " of %" PRIu64 ": %s", i + 1,
			     max, tm_errname(ret));
		if (!i)
			first = h;
	}
	ASSERT_ERRNO(tm_bind(fd, PG(buf, max), SZ(1), RO, NULL), -ENOSPC);
	ASSERT_OK(tm_unbind(fd, first));
	ASSERT_OK(tm_bind(fd, PG(buf, max), SZ(1), RO, NULL));
}
