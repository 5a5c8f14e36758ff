// SPDX-License-Identifier: GPL-2.0
/*
 * tm_mem: anonymous mappings and the data pattern of the tests. See
 * tm_mem.h.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tm_lib.h"

size_t tm_page_size(void)
{
	static size_t page_size;

	if (!page_size)
		page_size = (size_t)sysconf(_SC_PAGESIZE);
	return page_size;
}

void *tm_map(size_t npages, int prot, int flags)
{
	size_t size = npages * PAGE_SZ;
	void *p;

	p = mmap(NULL, size, prot, MAP_PRIVATE | MAP_ANONYMOUS | flags, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	/* Best effort: THP may be compiled out. */
	madvise(p, size, MADV_NOHUGEPAGE);
	return p;
}

void *tm_mmap_aligned(size_t size, size_t align, int prot, int flags)
{
	uintptr_t start, astart;
	void *p;

	/* map align bytes more, then trim both ends to the aligned part */
	p = mmap(NULL, size + align, prot, MAP_PRIVATE | MAP_ANONYMOUS | flags,
		 -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	start = (uintptr_t)p;
	astart = (start + align - 1) & ~(uintptr_t)(align - 1);
	if (astart > start)
		munmap(p, astart - start);
	if (astart + size < start + size + align)
		munmap((void *)(astart + size), start + align - astart);
	return (void *)astart;
}

void *tm_map_aligned(size_t npages, size_t align, int prot)
{
	return tm_mmap_aligned(npages * PAGE_SZ, align, prot, 0);
}

int tm_unmap(void *addr, size_t npages)
{
	return munmap(addr, npages * PAGE_SZ) ? -errno : 0;
}

uint64_t tm_pattern_word(uint32_t seed, size_t word)
{
	uint64_t x = ((uint64_t)seed << 32) ^ word;

	/* splitmix64 finaliser; bit 0 forced so no word is ever zero */
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return (x ^ (x >> 31)) | 1;
}

void tm_fill_at(void *p, size_t off, size_t size, uint32_t seed)
{
	uint64_t *w = p;
	size_t i;

	for (i = 0; i < size / 8; i++)
		w[i] = tm_pattern_word(seed, off / 8 + i);
}

ssize_t tm_check_at(const void *p, size_t off, size_t size, uint32_t seed)
{
	const uint64_t *w = p;
	size_t i;

	for (i = 0; i < size / 8; i++)
		if (w[i] != tm_pattern_word(seed, off / 8 + i))
			return (ssize_t)(i * 8);
	return -1;
}

void tm_fill(void *p, size_t size, uint32_t seed)
{
	tm_fill_at(p, 0, size, seed);
}

ssize_t tm_check(const void *p, size_t size, uint32_t seed)
{
	return tm_check_at(p, 0, size, seed);
}

ssize_t tm_check_zero(const void *p, size_t size)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < size; i++)
		if (b[i])
			return (ssize_t)i;
	return -1;
}

void *tm_must_map_at(size_t npages, int prot, const char *file, int line)
{
	void *p = tm_map(npages, prot, 0);

	if (!p)
		tm_fail(file, line, "mmap of %zu pages: %s", npages,
			tm_errname(errno));
	return p;
}

void *tm_must_map_pattern_at(size_t npages, uint32_t seed, const char *file,
			     int line)
{
	void *p = tm_must_map_at(npages, PROT_READ | PROT_WRITE, file, line);

	tm_fill(p, npages * PAGE_SZ, seed);
	return p;
}

void *tm_scratch_at(size_t npages, const char *file, int line)
{
	void *p = malloc(SZ(npages));

	if (!p)
		tm_fail(file, line, "malloc of %zu pages", npages);
	memset(p, 0xee, SZ(npages));
	return p;
}
