// SPDX-License-Identifier: GPL-2.0
/*
 * tm_fuzz: the world of one test and the CPU's side of the oracle.
 *
 * The memory of one test (the layout is in main.c): the window of guard
 * pages around the arena, whose regions are anonymous RW, read-only and
 * PROT_NONE memory, a hole and a memfd; the zone for wild bindings; the
 * user buffers and argument pages, each followed by a guard page; and the
 * shadow, what the arena must contain. From that model come the answers
 * the predictions rest on: can the CPU give the device a page
 * (cpu_reason()), can a user copy touch a byte (mem_access(), mem_range(),
 * access_ok_model()), and does the arena hold what the shadow says
 * (check_arena(), after every CPU-side change and every 64 calls).
 *
 * The CPU-side changes interleaved with the calls (munmap + mmap, the memfd
 * mapped again, mprotect, MADV_DONTNEED, CPU writes) are made here too,
 * each followed in the model.
 */
#include <unistd.h>

#include "tm_fuzz.h"

uint8_t *win;
uint8_t *arena;
uint8_t kind[NA];
uint8_t *shadow;
uint8_t *zone;
uint64_t task_max;
static int memfd = -1;

uint8_t *bufrw, *bufro, *bufmix;
uint8_t *argpage;
uint8_t *argro;
uint8_t *snapbuf;
uint8_t *scratch;

bool in_range(uint64_t a, const void *base, size_t len)
{
	return a >= (uintptr_t)base && a - (uintptr_t)base < len;
}

/* Region letter of an arena page index. */
char region_of(size_t i)
{
	return i < 64 ? 'A' : i < 80 ? 'B' : i < 88 ? 'C' : i < 96 ? 'D' :
	       i < 128 ? 'E' : 'F';
}

static void *must_mmap_off(void *addr, size_t len, int prot, int flags,
			   int fd, off_t off)
{
	void *p = mmap(addr, len, prot, flags, fd, off);

	if (p == MAP_FAILED)
		FAIL("mmap(%p, %zu): %s", addr, len, tm_errname(errno));
	return p;
}

void *must_mmap(void *addr, size_t len, int prot, int flags, int fd)
{
	return must_mmap_off(addr, len, prot, flags, fd, 0);
}

static void arena_map_anon(size_t i, size_t n, int prot)
{
	must_mmap(arena + i * PAGE_SZ, n * PAGE_SZ, prot,
		  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1);
	madvise(arena + i * PAGE_SZ, n * PAGE_SZ, MADV_NOHUGEPAGE);
}

static void arena_map_memfd(size_t i, size_t n, int prot)
{
	must_mmap_off(arena + i * PAGE_SZ, n * PAGE_SZ, prot, MAP_SHARED | MAP_FIXED,
		      memfd, (off_t)((i - 128) * PAGE_SZ));
}

static uint64_t detect_task_max(void)
{
	void *hint = (void *)(1ull << 47);
	void *p = mmap(hint, 4096, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

	if (p == hint) {
		munmap(p, 4096);
		return (1ull << 56) - 4096;	/* 5-level paging */
	}
	if (p != MAP_FAILED)
		munmap(p, 4096);
	return (1ull << 47) - 4096;
}

void world_setup(void)
{
	uint8_t *b;
	size_t i;

	task_max = detect_task_max();
	win = must_mmap(NULL, NW * PAGE_SZ, PROT_NONE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1);
	arena = win + GUARD * PAGE_SZ;
	shadow = must_mmap(NULL, NA * PAGE_SZ, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1);

	arena_map_anon(0, 64, PROT_READ | PROT_WRITE);
	tm_fill(arena, 64 * PAGE_SZ, 0xA000);
	arena_map_anon(64, 16, PROT_READ);
	arena_map_anon(80, 8, PROT_NONE);
	arena_map_anon(96, 32, PROT_READ | PROT_WRITE);
	memfd = memfd_create("tm_fuzz", MFD_CLOEXEC);
	if (memfd < 0 || ftruncate(memfd, 32 * PAGE_SZ))
		FAIL("memfd: %s", tm_errname(errno));
	arena_map_memfd(128, 32, PROT_READ | PROT_WRITE);
	tm_fill(arena + 128 * PAGE_SZ, 32 * PAGE_SZ, 0xF000);
	for (i = 0; i < NA; i++) {
		char r = region_of(i);

		kind[i] = r == 'B' ? K_RO : r == 'C' ? K_NONE :
			  r == 'D' ? K_HOLE : K_RW;
	}
	memcpy(shadow, arena, 64 * PAGE_SZ);
	memcpy(shadow + 128 * PAGE_SZ, arena + 128 * PAGE_SZ, 32 * PAGE_SZ);

	zone = must_mmap(NULL, NZONE * PAGE_SZ, PROT_NONE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1);

	b = must_mmap(NULL, (BUF_RW_PAGES + 2) * PAGE_SZ, PROT_NONE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1);
	bufrw = b + PAGE_SZ;
	mprotect(bufrw, BUF_RW_PAGES * PAGE_SZ, PROT_READ | PROT_WRITE);
	b = must_mmap(NULL, (BUF_RO_PAGES + 2) * PAGE_SZ, PROT_NONE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1);
	bufro = b + PAGE_SZ;
	mprotect(bufro, BUF_RO_PAGES * PAGE_SZ, PROT_READ | PROT_WRITE);
	tm_fill(bufro, BUF_RO_PAGES * PAGE_SZ, 0xB0B0);
	mprotect(bufro, BUF_RO_PAGES * PAGE_SZ, PROT_READ);
	b = must_mmap(NULL, 10 * PAGE_SZ, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1);
	bufmix = b + PAGE_SZ;
	mprotect(bufmix, 8 * PAGE_SZ, PROT_READ | PROT_WRITE);
	tm_fill(bufmix, 8 * PAGE_SZ, 0xC0C0);
	mprotect(bufmix + 4 * PAGE_SZ, 4 * PAGE_SZ, PROT_READ);
	b = must_mmap(NULL, 6 * PAGE_SZ, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1);
	argpage = b + PAGE_SZ;
	mprotect(argpage, 2 * PAGE_SZ, PROT_READ | PROT_WRITE);
	argro = b + 4 * PAGE_SZ;
	mprotect(argro, PAGE_SZ, PROT_READ);
	b = must_mmap(NULL, (SNAPBUF_PAGES + 2) * PAGE_SZ, PROT_NONE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1);
	snapbuf = b + PAGE_SZ;
	mprotect(snapbuf, SNAPBUF_PAGES * PAGE_SZ, PROT_READ | PROT_WRITE);
	scratch = must_mmap(NULL, (BUF_RW_PAGES + 2) * PAGE_SZ,
			    PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1);
	/*
	 * The hole last: a later mmap() small enough would land in it (so
	 * nothing below maps memory without an address).
	 */
	munmap(arena + 88 * PAGE_SZ, 8 * PAGE_SZ);
}

/* The hole must stay a hole, or the model is wrong. */
static void check_hole(void)
{
	unsigned char vec[8];

	if (mincore(arena + 88 * PAGE_SZ, 8 * PAGE_SZ, vec) != -1 || errno != ENOMEM)
		FAIL("something was mapped in the arena's hole");
}

#define R_UNKNOWN 1000

/* Can the CPU give the device this page? 0, -EFAULT, -EPERM, R_UNKNOWN. */
int cpu_reason(uint64_t a, bool write)
{
	if (a < LOW_END)
		return -EFAULT;
	if (in_range(a, zone, NZONE * PAGE_SZ))
		return -EFAULT;
	if (in_range(a, win, NW * PAGE_SZ)) {
		uint64_t i = (a - (uintptr_t)win) / PAGE_SZ;

		if (i < GUARD || i >= GUARD + NA)
			return -EFAULT;
		switch (kind[i - GUARD]) {
		case K_RW:
			return 0;
		case K_RO:
			return write ? -EPERM : 0;
		default:
			return -EFAULT;
		}
	}
	return R_UNKNOWN;
}

/* Can a user copy touch this byte (need_write: the kernel writes it)? */
int mem_access(uint64_t a, bool need_write)
{
	if (a >= task_max || a < LOW_END)
		return -EFAULT;
	if (in_range(a, win, NW * PAGE_SZ) || in_range(a, zone, NZONE * PAGE_SZ)) {
		int r = cpu_reason(a, need_write);

		return r == -EPERM ? -EFAULT : r;
	}
	if (in_range(a, bufrw - PAGE_SZ, (BUF_RW_PAGES + 2) * PAGE_SZ))
		return in_range(a, bufrw, BUF_RW_PAGES * PAGE_SZ) ? 0 : -EFAULT;
	if (in_range(a, bufro - PAGE_SZ, (BUF_RO_PAGES + 2) * PAGE_SZ))
		return in_range(a, bufro, BUF_RO_PAGES * PAGE_SZ) && !need_write ?
		       0 : -EFAULT;
	if (in_range(a, bufmix - PAGE_SZ, 10 * PAGE_SZ)) {
		if (in_range(a, bufmix, 4 * PAGE_SZ))
			return 0;
		return in_range(a, bufmix + 4 * PAGE_SZ, 4 * PAGE_SZ) && !need_write ?
		       0 : -EFAULT;
	}
	if (in_range(a, snapbuf - PAGE_SZ, (SNAPBUF_PAGES + 2) * PAGE_SZ))
		return in_range(a, snapbuf, SNAPBUF_PAGES * PAGE_SZ) ? 0 : -EFAULT;
	if (in_range(a, argpage - PAGE_SZ, 5 * PAGE_SZ)) {
		if (in_range(a, argpage, 2 * PAGE_SZ))
			return 0;
		return in_range(a, argro, PAGE_SZ) && !need_write ? 0 : -EFAULT;
	}
	return R_UNKNOWN;
}

/* All bytes of [a, a + len) accessible? Stops at the first bad page. */
int mem_range(uint64_t a, uint64_t len, bool need_write)
{
	uint64_t p, end;
	int r;

	if (!len)
		return 0;
	if (a + len < a)
		return -EFAULT;
	end = a + len;
	for (p = a & ~(uint64_t)(PAGE_SZ - 1); p < end; p += PAGE_SZ) {
		r = mem_access(p < a ? a : p, need_write);
		if (r)
			return r;
	}
	return 0;
}

/* The kernel's access_ok(): 1 ok, 0 not, 2 either (kernels differ). */
int access_ok_model(uint64_t ptr, uint64_t size)
{
	uint64_t sum = ptr + size;

	if (sum < ptr || sum > task_max)
		return 0;
	if (sum == task_max)
		return 2;
	return 1;
}

uint8_t *arena_page(uint64_t a)
{
	return arena + (a - (uintptr_t)arena) / PAGE_SZ * PAGE_SZ;
}

uint8_t *shadow_of(uint64_t a)
{
	return shadow + (a - (uintptr_t)arena);
}

/* What the device must read at an address the walk allowed. */
const uint8_t *device_content(uint64_t a)
{
	return shadow_of(a & ~(uint64_t)(PAGE_SZ - 1));
}

bool in_arena(uint64_t a)
{
	return in_range(a, arena, NA * PAGE_SZ);
}

/* Compare the CPU's view of the arena with the shadow. */
void check_arena(const char *when)
{
	size_t i, j;

	cnt_checks++;
	check_hole();
	for (i = 0; i < NA; i++) {
		if (kind[i] != K_RW && kind[i] != K_RO)
			continue;
		/* The CPU's read brought a device page home. */
		on_sys[i] = 1;
		if (!memcmp(arena + i * PAGE_SZ, shadow + i * PAGE_SZ, PAGE_SZ))
			continue;
		for (j = 0; j < PAGE_SZ && arena[i * PAGE_SZ + j] == shadow[i * PAGE_SZ + j]; j++)
			;
		FAIL("%s: arena page %zu (region %c) differs from the model at byte %zu: 0x%02x, expected 0x%02x",
		     when, i, region_of(i), j, arena[i * PAGE_SZ + j],
		     shadow[i * PAGE_SZ + j]);
	}
}

/* ------------------------------------------------------------------------ */
/* CPU-side changes                                                          */
/* ------------------------------------------------------------------------ */

/* Shorten [i, i + n) to stay in the arena and in the region of page i. */
static size_t clamp_run(size_t i, size_t n)
{
	while (n > 1 && (i + n > NA || region_of(i + n - 1) != region_of(i)))
		n--;
	return n;
}

void cpu_op(void)
{
	size_t i, n, j;
	char r;

	cnt_cpu_ops++;
	switch (rn(6)) {
	case 0:	/* munmap + mmap: new zero pages, tracking dropped */
		i = chance(50) ? rn(64) : 96 + rn(32);
		r = region_of(i);
		n = clamp_run(i, 1 + rn(4));
		(void)r;
		munmap(arena + i * PAGE_SZ, n * PAGE_SZ);
		model_drop(GUARD + i, n);
		arena_map_anon(i, n, PROT_READ | PROT_WRITE);
		memset(shadow + i * PAGE_SZ, 0, n * PAGE_SZ);
		for (j = i; j < i + n; j++)
			kind[j] = K_RW;
		break;
	case 1:	/* the memfd mapped again: same data, tracking dropped */
		i = 128 + rn(32);
		n = clamp_run(i, 1 + rn(4));
		arena_map_memfd(i, n, PROT_READ | PROT_WRITE);
		model_drop(GUARD + i, n);
		for (j = i; j < i + n; j++)
			kind[j] = K_RW;
		break;
	case 2: {	/* mprotect */
		static const int prots[] = { PROT_READ | PROT_WRITE, PROT_READ,
					     PROT_NONE };
		int k = (int)rn(3);

		i = chance(70) ? rn(64) : 128 + rn(32);
		n = clamp_run(i, 1 + rn(6));
		if (mprotect(arena + i * PAGE_SZ, n * PAGE_SZ, prots[k]))
			FAIL("mprotect: %s", tm_errname(errno));
		for (j = i; j < i + n; j++)
			kind[j] = k == 0 ? K_RW : k == 1 ? K_RO : K_NONE;
		break;
	}
	case 3:	/* MADV_DONTNEED: anonymous pages become zero */
		i = chance(50) ? rn(64) : chance(50) ? 96 + rn(32) : 128 + rn(32);
		n = clamp_run(i, 1 + rn(4));
		if (madvise(arena + i * PAGE_SZ, n * PAGE_SZ, MADV_DONTNEED))
			FAIL("madvise: %s", tm_errname(errno));
		if (region_of(i) != 'F')
			memset(shadow + i * PAGE_SZ, 0, n * PAGE_SZ);
		break;
	default:	/* CPU writes */
		i = rn(NA);
		if (kind[i] != K_RW)
			break;
		for (j = 0; j < 4; j++) {
			size_t off = rn(PAGE_SZ / 8) * 8;
			uint64_t v = rnd();

			memcpy(arena + i * PAGE_SZ + off, &v, 8);
			memcpy(shadow + i * PAGE_SZ + off, &v, 8);
		}
		break;
	}
	check_arena("after a CPU-side change");
}
