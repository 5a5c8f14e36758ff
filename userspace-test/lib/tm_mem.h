/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tm_mem.h: memory for the tests (tm_mem.c): page-size arithmetic,
 * anonymous mappings, and the data pattern that tells any two pages apart.
 */
#ifndef _TM_MEM_H_
#define _TM_MEM_H_

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The CPU page size (cached sysconf(_SC_PAGESIZE)). */
size_t tm_page_size(void);
#define PAGE_SZ		(tm_page_size())

#define SZ(n)		((size_t)(n) * PAGE_SZ)		/* n pages, in bytes */
#define PG(p, i)	((uint8_t *)(p) + SZ(i))	/* page i of p */
#define ADDR(p)		((uint64_t)(uintptr_t)(p))	/* as in the uAPI */
#define BIT(x)		(1u << (x))
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#define HUGE_SZ		((size_t)2 << 20)		/* a PMD on x86-64 */
#define HUGE_PAGES	(HUGE_SZ / PAGE_SZ)

/*
 * tm_map() - anonymous private mapping of npages pages
 * @prot: PROT_* of the mapping
 * @flags: extra MAP_* flags (e.g. MAP_POPULATE), 0 for none
 *
 * The memory is neither touched nor filled. MADV_NOHUGEPAGE is applied so
 * that a small test mapping never becomes a transparent huge page.
 * Return: the address, or NULL with errno set.
 */
void *tm_map(size_t npages, int prot, int flags);
/*
 * Anonymous private mapping of size bytes at an address aligned to align
 * bytes (a power of two), with extra MAP_* flags; no MADV_NOHUGEPAGE (a
 * huge page may back it). NULL with errno set on failure.
 */
void *tm_mmap_aligned(size_t size, size_t align, int prot, int flags);
/* tm_mmap_aligned() of npages pages, no extra flags. */
void *tm_map_aligned(size_t npages, size_t align, int prot);
/* munmap() of npages pages; returns 0 or -errno. */
int tm_unmap(void *addr, size_t npages);

/*
 * The pattern: 64-bit words that depend on a seed and the word's offset,
 * never zero, so that two seeds, two pages, or a zero page are all told
 * apart.
 */
uint64_t tm_pattern_word(uint32_t seed, size_t word);
/* Fill size bytes (a multiple of 8) at p with the pattern of seed. */
void tm_fill(void *p, size_t size, uint32_t seed);
/* Byte offset of the first word that differs from the pattern, or -1. */
ssize_t tm_check(const void *p, size_t size, uint32_t seed);
/*
 * The same at byte offset off of a filled region: p holds (or receives)
 * what bytes [off, off + size) of a region filled with seed hold.
 */
void tm_fill_at(void *p, size_t off, size_t size, uint32_t seed);
ssize_t tm_check_at(const void *p, size_t off, size_t size, uint32_t seed);
/* Byte offset of the first non-zero byte, or -1. */
ssize_t tm_check_zero(const void *p, size_t size);

/* tm_map() or fail the test. */
void *tm_must_map_at(size_t npages, int prot, const char *file, int line);
#define tm_must_map(npages, prot) \
	tm_must_map_at(npages, prot, __FILE__, __LINE__)
/* tm_must_map() RW, filled with the pattern of seed (pages present, dirty). */
void *tm_must_map_pattern_at(size_t npages, uint32_t seed, const char *file,
			     int line);
#define tm_must_map_pattern(npages, seed) \
	tm_must_map_pattern_at(npages, seed, __FILE__, __LINE__)
/*
 * A heap buffer of npages pages filled with 0xee (so that a copy into it
 * shows), or fail the test.
 */
void *tm_scratch_at(size_t npages, const char *file, int line);
#define tm_scratch(npages) tm_scratch_at(npages, __FILE__, __LINE__)

#endif /* _TM_MEM_H_ */
