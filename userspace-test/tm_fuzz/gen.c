// SPDX-License-Identifier: GPL-2.0
/*
 * tm_fuzz: the argument generators.
 *
 * Every call's arguments are drawn from edge classes: unaligned, zero,
 * huge, wrapping and kernel addresses and sizes, unknown flags, non-zero
 * reserved fields, NULL / kernel / unmapped / read-only user pointers
 * (and the guard pages around the buffers), handles never issued, freed,
 * or of the other file; and, mostly, ordinary values in the arena.
 */
#include "tm_fuzz.h"

uint64_t arena_addr(void)
{
	/* Mostly inside the arena, sometimes in the guards. */
	int64_t i = chance(90) ? (int64_t)rn(NA) : (int64_t)rn(NW) - GUARD;

	return (uintptr_t)arena + (uint64_t)i * PAGE_SZ;
}

uint64_t gen_addr(void)
{
	switch (rn(20)) {
	case 0:
		return 0;
	case 1:
		return (1 + rn(15)) * PAGE_SZ;			/* low, unmapped */
	case 2:
		return (uintptr_t)zone + rn(NZONE) * PAGE_SZ;
	case 3:
		return arena_addr() + 1 + rn(PAGE_SZ - 1);		/* unaligned */
	case 4:
		return task_max - (1 + rn(4)) * PAGE_SZ;		/* top of user space */
	case 5:
		return task_max + rn(3) * PAGE_SZ;			/* just beyond */
	case 6:
		return 0xffff888000000000ull + rn(16) * PAGE_SZ;	/* kernel */
	case 7:
		return ~0ull - PAGE_SZ + 1 - rn(4) * PAGE_SZ;		/* wraps */
	case 8:
		return rnd() & ~(uint64_t)(PAGE_SZ - 1) & ((1ull << 63) - 1);
	case 9:
		return rnd();
	default:
		return arena_addr();
	}
}

uint64_t gen_size(uint64_t addr)
{
	switch (rn(20)) {
	case 0:
		return 0;
	case 1:
		return (1 + rn(8)) * PAGE_SZ + 1 + rn(PAGE_SZ - 1);	/* unaligned */
	case 2:
		return 1ull << (30 + rn(20));			/* huge */
	case 3:
		return task_max > addr ? task_max - addr : PAGE_SZ;	/* to the end */
	case 4:
		return ~0ull & ~(uint64_t)(PAGE_SZ - 1);		/* wraps */
	case 5:
		return (0 - addr) & ~(uint64_t)(PAGE_SZ - 1);	/* ends at 2^64 */
	case 6:
		return rnd();
	case 7:
		return (1 + rn(NW)) * PAGE_SZ;
	default:
		return (1 + rn(chance(50) ? 4 : 40)) * PAGE_SZ;
	}
}

uint32_t gen_bind_flags(void)
{
	static const uint32_t valid[] = {
		TEST_MIRROR_BIND_READ,
		TEST_MIRROR_BIND_READ | TEST_MIRROR_BIND_WRITE,
		TEST_MIRROR_BIND_READ | TEST_MIRROR_BIND_PREFAULT,
		TEST_MIRROR_BIND_READ | TEST_MIRROR_BIND_WRITE |
			TEST_MIRROR_BIND_PREFAULT,
	};

	switch (rn(12)) {
	case 0:
		return 0;
	case 1:
		return TEST_MIRROR_BIND_WRITE | (chance(50) ? TEST_MIRROR_BIND_PREFAULT : 0);
	case 2:
		return valid[rn(4)] | (1u << (3 + rn(29)));
	case 3:
		return (uint32_t)rnd();
	default:
		return valid[rn(4)];
	}
}

/* A user buffer pointer: where the data goes (READ) or comes from (WRITE). */
uint64_t gen_ptr(uint64_t size)
{
	uint64_t np = size / PAGE_SZ;

	switch (rn(24)) {
	case 0:
		return 0;
	case 1:
		return 0xffff888000000000ull;
	case 2:
		return task_max - PAGE_SZ;
	case 3:
		return ~0ull - PAGE_SZ + 1;
	case 4:
		return (uintptr_t)bufro + rn(BUF_RO_PAGES) * PAGE_SZ;
	case 5:
		return (uintptr_t)bufmix + rn(8) * PAGE_SZ + (chance(50) ? rn(PAGE_SZ) : 0);
	case 6:
		return (uintptr_t)bufrw - PAGE_SZ;			/* guard */
	case 7:
		return (uintptr_t)(bufrw + BUF_RW_PAGES * PAGE_SZ) - (np ? np - 1 : 0) * PAGE_SZ - PAGE_SZ / 2;
	case 8:
		return (uintptr_t)arena + rn(NA) * PAGE_SZ;		/* the arena itself */
	case 9:
		return (uintptr_t)zone;
	case 10:
	case 11:
		return (uintptr_t)bufrw + rn(BUF_RW_PAGES) * PAGE_SZ + rn(PAGE_SZ);
	default:
		if (np <= BUF_RW_PAGES)
			return (uintptr_t)bufrw + rn(BUF_RW_PAGES - np + 1) * PAGE_SZ;
		return (uintptr_t)bufrw;
	}
}

uint64_t gen_u64_edge(unsigned int pct_zero)
{
	if (chance(pct_zero))
		return 0;
	switch (rn(4)) {
	case 0:
		return 1;
	case 1:
		return 1ull << rn(64);
	case 2:
		return ~0ull;
	default:
		return rnd();
	}
}

uint32_t gen_handle(struct mfile *m, struct mfile *other)
{
	switch (rn(10)) {
	case 0:
		return 0;
	case 1:
		return ~0u - (uint32_t)rn(3);
	case 2:
		return m->max_issued + 1 + (uint32_t)rn(100);	/* never issued */
	case 3:
	case 4:
		if (m->nfreed)
			return m->freed[rn(m->nfreed < 64 ? m->nfreed : 64)];
		return (uint32_t)rn(200);
	case 5:
		if (other->nb)
			return other->b[rn(other->nb)].h;
		return (uint32_t)rn(200);
	default:
		if (m->nb)
			return m->b[rn(m->nb)].h;
		return 1 + (uint32_t)rn(8);
	}
}
