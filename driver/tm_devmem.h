/* SPDX-License-Identifier: GPL-2.0 */
/*
 * test_mirror: the device's own memory (tm_devmem.c).
 */
#ifndef _TM_DEVMEM_H_
#define _TM_DEVMEM_H_

#include <linux/bits.h>
#include <linux/types.h>

struct page;
struct tm_devmem;
struct tm_limits;
struct tm_mirror;

/* Operations of tm_mirror_devmem(), the uAPI's TEST_MIRROR_DEVMEM_* values. */
#define TM_DEVMEM_TO_DEVICE	0
#define TM_DEVMEM_TO_SYSTEM	1
/* tm_mirror_devmem() flags: the range may span VMAs (test_hmm's rules). */
#define TM_DEVMEM_SPAN		BIT(0)

/**
 * struct tm_devmem_stats - the counters of one device's memory
 * @capacity: pages the device may hold now (the pool size, or less when
 *	the ``devmem_pages`` parameter was lowered since load).
 * @pages: device pages in use now.
 * @to_device: pages migrated to the device since load.
 * @to_system: pages migrated back by a migration request (not counting
 *	CPU faults and evictions) since load.
 * @evictions: pages the device evicted to system memory since load (pool
 *	full, or module unload).
 * @cpu_faults: CPU faults on device pages (migrate_to_ram() calls) since
 *	load.
 */
struct tm_devmem_stats {
	u64 capacity;
	u64 pages;
	u64 to_device;
	u64 to_system;
	u64 evictions;
	u64 cpu_faults;
};

/*
 * Device memory needs CONFIG_DEVICE_PRIVATE and the pgmap API of 7.x
 * (folio_free, zone_device_page_init() with a pgmap and an order), probed
 * by Kbuild; elsewhere the DEVMEM calls fail with -EOPNOTSUPP.
 */
#if IS_ENABLED(CONFIG_DEVICE_PRIVATE) && TM_HAVE_PGMAP_FOLIO_FREE && \
	TM_HAVE_ZDPI_PGMAP
#define TM_HAVE_DEVMEM		1
struct tm_devmem *tm_devmem_create(void *owner, const struct tm_limits *limits);
void tm_devmem_destroy(struct tm_devmem *dm);
void tm_devmem_stats(struct tm_devmem *dm, struct tm_devmem_stats *st);
bool tm_devmem_page(struct tm_mirror *m, unsigned long pfn);
unsigned long tm_devmem_vram_pfn(unsigned long pfn);
#else
#define TM_HAVE_DEVMEM		0
static inline struct tm_devmem *tm_devmem_create(void *owner,
						 const struct tm_limits *limits)
{
	return NULL;
}

static inline void tm_devmem_destroy(struct tm_devmem *dm)
{
}

static inline void tm_devmem_stats(struct tm_devmem *dm,
				   struct tm_devmem_stats *st)
{
	*st = (struct tm_devmem_stats){ 0 };
}

static inline bool tm_devmem_page(struct tm_mirror *m, unsigned long pfn)
{
	return false;
}

static inline unsigned long tm_devmem_vram_pfn(unsigned long pfn)
{
	return pfn;
}
#endif

void tm_mirror_set_devmem(struct tm_mirror *m, struct tm_devmem *dm);
void tm_mirror_devmem_fail_huge(struct tm_mirror *m, bool fail);
int tm_mirror_devmem(struct tm_mirror *m, unsigned int op, unsigned int flags,
		     unsigned long addr, unsigned long size, u64 *pages);
long tm_mirror_devmem_resident(struct tm_mirror *m, unsigned long addr,
			       unsigned long npages);
int tm_mirror_devmem_release(struct tm_mirror *m);

#endif /* _TM_DEVMEM_H_ */
