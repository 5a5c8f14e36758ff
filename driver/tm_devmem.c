// SPDX-License-Identifier: GPL-2.0
/*
 * test_mirror: the device's own memory, device-private pages.
 */

/**
 * DOC: Device memory
 *
 * Where the kernel has ``CONFIG_DEVICE_PRIVATE`` (of the kernels built for,
 * Debian's 7.3 only), each device (the DRM render node, and each of the
 * test_hmm-compatible devices) has memory of its own: a pool of
 * ``devmem_pages`` device-private pages (ZONE_DEVICE,
 * ``MEMORY_DEVICE_PRIVATE``, the pgmap's owner being the device, the same
 * pointer its mirrors give hmm_range_fault() as ``dev_private_owner``). The
 * physical range is a free range of the physical address space
 * (request_free_mem_region(), rounded up to 2 MiB) that memremap_pages()
 * gives struct pages; the CPU cannot address it. The data of each device
 * page lives in a "VRAM" page: an ordinary kernel page allocated when the
 * device page is handed out and freed when it is freed. Elsewhere the
 * DEVMEM ioctl fails with -EOPNOTSUPP and TEST_MIRROR_CAP_DEVICE_PRIVATE is
 * clear.
 *
 * Moves. The DEVMEM ioctl moves a bound range of anonymous memory to the device
 * (migrate_vma_setup() with ``MIGRATE_VMA_SELECT_SYSTEM``, one 2 MiB-aligned
 * block per call, holes included: an untouched page becomes a zeroed device
 * page) and back (``MIGRATE_VMA_SELECT_DEVICE_PRIVATE``). The CPU maps a device
 * page with a device-private swap entry; a CPU access to it faults into
 * dev_pagemap_ops.migrate_to_ram(), which brings that page home with its data.
 * The device reads and writes a device-resident page through its VRAM page,
 * without a fault: hmm_range_fault() reports this device's pages as they are
 * (it faults pages of another owner home), the table maps them like any page,
 * and the copy goes to the VRAM page instead of the frame (see "Device
 * access"). A device write to a device page the CPU maps read-only (after fork,
 * both processes share it copy-on-write) cannot be done in place: the fault
 * brings the page home and breaks COW as the CPU's write would, then maps the
 * private copy.
 *
 * Huge folios. Where the kernel migrates device-private THP (7.3 here:
 * ``MIGRATE_VMA_SELECT_COMPOUND``, see "Kernel differences"), a block the
 * CPU maps with one 2 MiB folio, or a 2 MiB hole, moves as one 2 MiB device
 * folio: a 2 MiB-aligned block of the pool none of whose pages is in use,
 * with 512 VRAM pages. The CPU then maps it with one device-private PMD
 * entry, hmm_range_fault() reports it with order 9 and the device maps it
 * with one huge entry. It comes home whole (as a 2 MiB system folio) by the
 * ioctl, by a CPU fault on the PMD entry, or by eviction. Where no 2 MiB
 * folio can be had on either side (no free block, no memory, or test_hmm's
 * FAIL_ALLOC), a move gives the block 4 KiB pages instead and the kernel
 * splits the folio it moves. The kernel also splits a device folio when a
 * part of it stops being mapped alike (munmap, mprotect, or a CPU fault on
 * one page after the PMD entry was split): dev_pagemap_ops.folio_split
 * gives each new folio its own pages' VRAM and makes it evictable alone.
 *
 * Eviction. The pool may fill up. Before each batch of a migration to the
 * device, the device evicts its least recently used pages (LRU order of
 * allocation and of device access) with migrate_device_pfns(): system pages are
 * allocated, the VRAM copied, migrate_device_pages() and
 * migrate_device_finalize() remap the CPU's entries to them, wherever they are
 * (the device does not need to know the address spaces), as a real driver
 * evicts VRAM; a huge folio goes whole, into a 2 MiB system folio. A page that
 * is locked at that moment (being faulted home, or being migrated) is skipped
 * and the next one taken. The pages an eviction lists may be freed or split
 * before it locks them, but are not handed out again until it ends, so it never
 * takes a page of someone else's new folio for the one it listed. A page that
 * still does not fit stays in system memory: the ioctl's count says how many
 * moved. ``devmem_pages`` may be lowered at run time (down to 1) to make the
 * device evict early; it cannot grow the pool beyond its size at load.
 *
 * A race in the kernel's half of eviction, which a driver cannot close:
 * migrate_device_range() and migrate_device_pfns() take a reference on each
 * folio, but none on its anon_vma. If the process that maps the page unmaps
 * it or exits during the eviction, the anon_vma can be freed. Then
 * remove_migration_ptes(), in migrate_device_finalize(), walks the freed
 * anon_vma ("slab-use-after-free in rmap_walk_anon"). migrate_pages() pins
 * the anon_vma (folio_get_anon_vma()) for exactly this. KASAN reported it
 * twice on the 7.3 debug kernel, with lib/test_hmm, not with this device:
 * test_hmm's release() evicts all of its memory, while the process of a
 * timed-out hmm-tests test was still exiting (see run_each() in
 * scripts/hmm-tests-check.sh). This device evicts only when its pool is
 * full, so it meets the race less often, but it is not immune.
 *
 * Events. The moves raise invalidations that the policy ("Event policy")
 * must tell apart. A migration to the device names this *file* as the
 * owner of the MIGRATE event, so the file's own mirror skips it and
 * re-points its entries under the table lock before
 * migrate_vma_finalize() releases the system pages; every other mirror
 * invalidates. A migration home (the ioctl or migrate_to_ram()) must name
 * the pgmap's owner, the *device*, to select device pages, so it raises
 * MIGRATE with the device as owner: every mirror, the file's own included,
 * invalidates, which is right, the page leaving the memory its entries
 * point to. Eviction unmaps through try_to_migrate(), which raises CLEAR
 * with no owner: every mirror invalidates, and refaults the page in system
 * memory. All three are this device's own moves, and none of them can be
 * skipped by a mirror other than the mover's.
 *
 * Lifetime. A device page belongs to the device, not to the file that
 * moved it: it lives for as long as the CPU maps it (the device-private
 * entry holds the reference), also after the file is closed. Unlike
 * lib/test_hmm, closing a file does not evict anything: the process keeps
 * its data in device memory until it touches it (migrate_to_ram()), frees
 * it (munmap, exit, the OOM killer's unmap, the COW copy's last unmap),
 * the device evicts it, or the module is unloaded. The page is freed by the
 * kernel when the last reference goes (dev_pagemap_ops.folio_free), and
 * its VRAM page with it. Module unload evicts every page still in use, in
 * rounds until none is left, and only then calls memunmap_pages() (which
 * itself waits for every page of the map to be freed), so no device page is
 * ever left behind.
 *
 * Accounting. The VRAM page is allocated with ``__GFP_ACCOUNT``: it is
 * charged to the memory cgroup of the task that moved the data to the
 * device, and uncharged when it is freed, whoever frees it. The pool size
 * bounds it for the whole device. The system pages that bring data home
 * are ordinary anonymous pages, charged as the kernel's migration charges
 * them. The counters (STATS, and /sys/kernel/debug/test_mirror/devmem) are
 * per device: pages in use now, and since load the pages moved each way,
 * evicted and faulted home by the CPU.
 *
 * What a real driver does differently: the copies are DMA transfers
 * started by a copy engine (the driver waits for their fence before
 * migrate_vma_pages()), the pool is carved out by a VRAM allocator (buddy
 * or range allocator, drm_buddy in DRM drivers) that also hands out 2 MiB
 * blocks for huge folios, and the eviction order is the allocator's, with
 * the pages of a GPU job in flight pinned. This device does the copies with
 * the CPU, one page at a time, and finds a free 2 MiB block by scanning a
 * count per block.
 *
 * Locking. migrate_to_ram() runs with the faulting task's mmap lock held
 * and the device folio locked, and the migration it starts invalidates the
 * mirrors (table locks). So the order is: mmap lock, then the device folio
 * lock, then a mirror's table lock, then the pool lock (``tm_devmem.lock``,
 * a spinlock, innermost: it protects the free and LRU lists and the
 * counters, and is taken by folio_free() in any context, and by
 * folio_split() while the kernel holds the folio frozen). A migration or
 * an eviction started by an ioctl holds the file's structural lock, above
 * all of these. Nothing holding the pool lock takes another lock, sleeps
 * or allocates. migrate_to_ram() asserts the mmap lock and the folio lock,
 * and that it does not hold the pool lock.
 */

#include <linux/highmem.h>
#include <linux/ioport.h>
#include <linux/memremap.h>
#include <linux/migrate.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/slab.h>

#include "compat.h"
#include "tm_core.h"
#include "tm_devmem.h"

/* Pages per migration call: one 2 MiB block, the size of a huge folio. */
#define TM_DEVMEM_BATCH		(PMD_SIZE >> PAGE_SHIFT)
/* Pages per eviction call: room for two huge folios. */
#define TM_EVICT_SLOTS		(2 * TM_DEVMEM_BATCH)

#if TM_HAVE_DEVMEM

/* tm_dpage.flags */
#define TM_DP_LIVE		BIT(0)	/* handed out and initialised */
#define TM_DP_EVICTING		BIT(1)	/* listed by an eviction in progress */

/**
 * struct tm_dpage - the driver's state of one device page
 * @lru: on tm_devmem.free; or, for the first page of a folio in use, on
 *	tm_devmem.used in LRU order (oldest first); the other pages of a
 *	huge folio are on no list.
 * @vram: the page's data while in use, NULL while free.
 * @flags: TM_DP_LIVE, TM_DP_EVICTING.
 */
struct tm_dpage {
	struct list_head lru;
	struct page *vram;
	unsigned int flags;
};

/**
 * struct tm_devmem - one device's memory
 * @pgmap: the device-private page map; @pgmap.owner is the device.
 * @res: the physical range reserved for it.
 * @limits: the module's live limits (devmem_pages).
 * @pfn_first: first page frame of the range.
 * @npages: device pages in the range (the pool size, a multiple of 512).
 * @dpages: the state of each device page.
 * @held: for each 2 MiB block of the range, its pages in use or listed by
 *	an eviction: a huge folio takes a block where this is 0.
 * @lock: the pool lock (see "Device memory", locking): the lists, the
 *	@dpages entries, @held and the counters.
 * @free: free device pages.
 * @used: folios in use, least recently used first.
 * @st: the counters; @st.pages counts the pages of the folios on @used.
 */
struct tm_devmem {
	struct dev_pagemap pgmap;
	struct resource *res;
	const struct tm_limits *limits;
	unsigned long pfn_first;
	unsigned long npages;
	struct tm_dpage *dpages;
	unsigned int *held;
	spinlock_t lock;	/* the pool lock, innermost */
	struct list_head free;
	struct list_head used;
	struct tm_devmem_stats st;
};

static struct tm_devmem *tm_pgmap_devmem(struct dev_pagemap *pgmap)
{
	return container_of(pgmap, struct tm_devmem, pgmap);
}

static unsigned long tm_dpage_idx(struct tm_devmem *dm, struct page *page)
{
	return page_to_pfn(page) - dm->pfn_first;
}

static struct tm_dpage *tm_dpage_of(struct tm_devmem *dm, struct page *page)
{
	return &dm->dpages[tm_dpage_idx(dm, page)];
}

static struct page *tm_dpage_page(struct tm_devmem *dm, struct tm_dpage *dp)
{
	return pfn_to_page(dm->pfn_first + (dp - dm->dpages));
}

static unsigned long tm_devmem_capacity(struct tm_devmem *dm)
{
	return clamp_t(unsigned long, READ_ONCE(dm->limits->devmem_pages), 1,
		       dm->npages);
}

/*
 * The folio of @page is the device's now, initialised: forget the dirty
 * flag of its last life (a device write set it), and let evictions see it.
 */
static void tm_devmem_publish(struct tm_devmem *dm, struct page *page)
{
	unsigned long flags;

	folio_clear_dirty(page_folio(page));
	spin_lock_irqsave(&dm->lock, flags);
	tm_dpage_of(dm, page)->flags |= TM_DP_LIVE;
	spin_unlock_irqrestore(&dm->lock, flags);
}

/*
 * Hand out a free device page, with its VRAM page, or NULL when the device
 * holds its capacity. The page comes back referenced once and locked (by
 * zone_device_page_init()), most recently used.
 */
static struct page *tm_devmem_alloc(struct tm_devmem *dm)
{
	struct tm_dpage *dp = NULL, *it;
	struct page *vram, *page;
	unsigned long flags;

	vram = alloc_page(GFP_HIGHUSER | __GFP_ACCOUNT);
	if (!vram)
		return NULL;
	spin_lock_irqsave(&dm->lock, flags);
	if (dm->st.pages < tm_devmem_capacity(dm)) {
		/* a page an eviction still lists must not change hands */
		list_for_each_entry(it, &dm->free, lru) {
			if (!(it->flags & TM_DP_EVICTING)) {
				dp = it;
				break;
			}
		}
	}
	if (dp) {
		list_move_tail(&dp->lru, &dm->used);
		dp->vram = vram;
		dm->held[(dp - dm->dpages) / TM_DEVMEM_BATCH]++;
		dm->st.pages++;
	}
	spin_unlock_irqrestore(&dm->lock, flags);
	if (!dp) {
		__free_page(vram);
		return NULL;
	}
	page = tm_dpage_page(dm, dp);
	zone_device_page_init(page, &dm->pgmap, 0);
	tm_devmem_publish(dm, page);
	return page;
}

#if TM_DEVMEM_THP
/*
 * Hand out a 2 MiB device folio: a block of 512 free device pages, with
 * 512 VRAM pages (one allocation split in pages, so that each device page
 * keeps its own when the kernel splits the folio). NULL when no block is
 * free, the capacity would be passed, or memory is short. The folio comes
 * back referenced once and locked.
 */
static struct page *tm_devmem_alloc_huge(struct tm_devmem *dm)
{
	unsigned long flags, b, i, vpfn;
	struct tm_dpage *dp = NULL;
	struct page *vram, *page;

	vram = alloc_pages(GFP_HIGHUSER | __GFP_ACCOUNT | __GFP_NOWARN |
			   __GFP_NORETRY, TM_HUGE_ORDER);
	if (!vram)
		return NULL;
	split_page(vram, TM_HUGE_ORDER);
	vpfn = page_to_pfn(vram);
	spin_lock_irqsave(&dm->lock, flags);
	if (dm->st.pages + TM_DEVMEM_BATCH <= tm_devmem_capacity(dm)) {
		for (b = 0; b < dm->npages / TM_DEVMEM_BATCH; b++) {
			if (!dm->held[b]) {
				dp = &dm->dpages[b * TM_DEVMEM_BATCH];
				break;
			}
		}
	}
	if (dp) {
		for (i = 0; i < TM_DEVMEM_BATCH; i++) {
			list_del_init(&dp[i].lru);
			dp[i].vram = pfn_to_page(vpfn + i);
		}
		list_add_tail(&dp->lru, &dm->used);
		dm->held[b] = TM_DEVMEM_BATCH;
		dm->st.pages += TM_DEVMEM_BATCH;
	}
	spin_unlock_irqrestore(&dm->lock, flags);
	if (!dp) {
		for (i = 0; i < TM_DEVMEM_BATCH; i++)
			__free_page(pfn_to_page(vpfn + i));
		return NULL;
	}
	page = tm_dpage_page(dm, dp);
	zone_device_page_init(page, &dm->pgmap, TM_HUGE_ORDER);
	folio_set_large_rmappable(page_folio(page));
	tm_devmem_publish(dm, page);
	return page;
}
#else
static struct page *tm_devmem_alloc_huge(struct tm_devmem *dm)
{
	return NULL;
}
#endif

/* Give back a device page this driver allocated and did not use. */
static void tm_devmem_unalloc(struct page *page)
{
	unlock_page(page);
	put_page(page);
}

/*
 * dev_pagemap_ops.folio_free: the last reference to a device folio went.
 * Its pages go back to the free list, their VRAM pages to the system.
 */
static void tm_devmem_folio_free(struct folio *folio)
{
	struct tm_devmem *dm = tm_pgmap_devmem(folio->pgmap);
	unsigned long i, nr = folio_nr_pages(folio), flags;
	unsigned long idx = tm_dpage_idx(dm, &folio->page);
	struct page *vram, *next;
	struct tm_dpage *dp;
	LIST_HEAD(gone);

	spin_lock_irqsave(&dm->lock, flags);
	for (i = 0; i < nr; i++) {
		dp = &dm->dpages[idx + i];
		if (dp->vram)
			list_add(&dp->vram->lru, &gone);
		dp->vram = NULL;
		/* an eviction still listing it gives the block back */
		if (!(dp->flags & TM_DP_EVICTING))
			dm->held[(idx + i) / TM_DEVMEM_BATCH]--;
		dp->flags &= ~TM_DP_LIVE;
		list_move(&dp->lru, &dm->free);
	}
	dm->st.pages -= nr;
	spin_unlock_irqrestore(&dm->lock, flags);
	list_for_each_entry_safe(vram, next, &gone, lru)
		__free_page(vram);
}

#if TM_DEVMEM_THP
/*
 * dev_pagemap_ops.folio_split: the kernel split a huge device folio (a part
 * of it unmapped, mprotect()ed, or moved home alone); called for each new
 * folio @tail after the first, then once with NULL. Each new folio keeps its
 * pages' VRAM pages, takes the pgmap and the mapping as the kernel gives
 * them when a driver has no callback, and is evictable on its own, as old
 * as the folio it came from. Called with the folio frozen.
 */
static void tm_devmem_folio_split(struct folio *head, struct folio *tail)
{
	struct tm_devmem *dm = tm_pgmap_devmem(head->pgmap);
	struct tm_dpage *dp;
	unsigned long flags;

	if (!tail)
		return;
	tail->pgmap = head->pgmap;
	tail->mapping = head->mapping;
	dp = tm_dpage_of(dm, &tail->page);
	spin_lock_irqsave(&dm->lock, flags);
	list_move(&dp->lru, &tm_dpage_of(dm, &head->page)->lru);
	dp->flags |= TM_DP_LIVE;
	spin_unlock_irqrestore(&dm->lock, flags);
}
#endif

static void tm_devmem_count(struct tm_devmem *dm, u64 *counter, u64 n)
{
	unsigned long flags;

	if (!n)
		return;
	spin_lock_irqsave(&dm->lock, flags);
	*counter += n;
	spin_unlock_irqrestore(&dm->lock, flags);
}

/* Copy the data of device page @spage and the @nr - 1 after it to @dpage on. */
static void tm_devmem_copy_home(struct tm_devmem *dm, struct page *dpage,
				struct page *spage, unsigned long nr)
{
	unsigned long i, d = page_to_pfn(dpage);
	struct tm_dpage *dp = tm_dpage_of(dm, spage);

	for (i = 0; i < nr; i++)
		copy_highpage(pfn_to_page(d + i), dp[i].vram);
}

/* A locked system folio of @order for a page coming home, or NULL. */
static struct folio *tm_devmem_home_folio(struct vm_area_struct *vma,
					  unsigned long addr,
					  unsigned int order)
{
	gfp_t gfp = GFP_HIGHUSER_MOVABLE | (order ? __GFP_NOWARN : 0);
	struct folio *folio;

	folio = vma ? vma_alloc_folio(gfp, order, vma, addr) :
		      folio_alloc(gfp, order);
	if (folio)
		folio_lock(folio);
	return folio;
}

/*
 * For each device folio of @src selected for migration, new system memory
 * holding its data, locked, in @dst (0 where none could be allocated: that
 * page stays on the device). @vma and @addr place the pages (NULL for an
 * eviction, which does not know where the pages are mapped). A huge folio
 * comes home as a huge folio; where none can be had (or @fail_huge, test
 * hmm's FAIL_ALLOC, says so) a migration gives it 4 KiB pages and the
 * kernel splits it, an eviction leaves it for a later round. Return: the
 * pages that could not be given system memory.
 */
static unsigned long tm_devmem_fill_home(struct tm_devmem *dm,
					 const unsigned long *src,
					 unsigned long *dst, unsigned long n,
					 struct vm_area_struct *vma,
					 unsigned long addr,
					 unsigned long *fail_huge)
{
	unsigned long i, j, nr, failed = 0;
	struct page *spage;
	struct folio *folio;
	unsigned int order;

	memset(dst, 0, n * sizeof(*dst));
	for (i = 0; i < n; i += nr) {
		nr = 1;
		spage = migrate_pfn_to_page(src[i]);
		if (!spage || !(src[i] & MIGRATE_PFN_MIGRATE))
			continue;
		/* locked and referenced by the migration: its size holds */
		order = folio_order(page_folio(spage));
		nr = 1UL << order;
		folio = NULL;
		if (!order || !fail_huge || !test_and_clear_bit(0, fail_huge))
			folio = tm_devmem_home_folio(vma, addr + i * PAGE_SIZE,
						     order);
		if (folio) {
			tm_devmem_copy_home(dm, &folio->page, spage, nr);
			dst[i] = migrate_pfn(folio_pfn(folio)) |
				 (order ? TM_PFN_COMPOUND : 0);
			continue;
		}
		if (!vma) {
			failed += nr;
			continue;
		}
		for (j = 0; j < nr && i + j < n; j++) {
			folio = tm_devmem_home_folio(vma,
						     addr + (i + j) * PAGE_SIZE, 0);
			if (!folio) {
				failed++;
				continue;
			}
			tm_devmem_copy_home(dm, &folio->page,
					    folio_page(page_folio(spage), j), 1);
			dst[i + j] = migrate_pfn(folio_pfn(folio));
		}
	}
	return failed;
}

/* Pages of @src that moved to @dst (after migrate_*_pages()). */
static unsigned long tm_devmem_moved(const unsigned long *src,
				     const unsigned long *dst, unsigned long n)
{
	unsigned long i, moved = 0;

	for (i = 0; i < n; i++)
		moved += tm_migrate_pages(src[i], dst[i]);
	return moved;
}

/*
 * Evict up to @want of the least recently used device pages to system
 * memory (a huge folio counts its 512 pages, and is evicted whole). Called
 * without any mirror's table lock and without the mmap lock; the CLEAR
 * events it raises take the table locks. Return: pages evicted.
 */
static unsigned long tm_devmem_evict(struct tm_devmem *dm, unsigned long want)
{
	unsigned long *src, *dst, *pfns, n = 0, nr, i, pfn, moved, flags;
	struct tm_dpage *dp;

	lockdep_assert_not_held(&dm->lock);
	src = kvmalloc_array(3 * TM_EVICT_SLOTS, sizeof(*src), GFP_KERNEL);
	if (!src)
		return 0;
	dst = src + TM_EVICT_SLOTS;
	pfns = dst + TM_EVICT_SLOTS;
	spin_lock_irqsave(&dm->lock, flags);
	list_for_each_entry(dp, &dm->used, lru) {
		if (n >= want)
			break;
		if ((dp->flags & (TM_DP_LIVE | TM_DP_EVICTING)) != TM_DP_LIVE)
			continue;
		/*
		 * Its size now: it may be split or freed before the migration
		 * locks it, its pages never handed out again until the
		 * eviction ends (TM_DP_EVICTING). So every pfn listed is one
		 * of its pages: of the folio still whole, or of the folios it
		 * was split into, which the migration takes one by one.
		 */
		pfn = dm->pfn_first + (dp - dm->dpages);
		nr = folio_nr_pages(page_folio(pfn_to_page(pfn)));
		if (n + nr > TM_EVICT_SLOTS)
			break;
		for (i = 0; i < nr; i++) {
			if (dp[i].flags & TM_DP_EVICTING)
				break;
		}
		if (i < nr)
			continue;
		for (i = 0; i < nr; i++) {
			dp[i].flags |= TM_DP_EVICTING;
			pfns[n + i] = pfn + i;
		}
		n += nr;
	}
	spin_unlock_irqrestore(&dm->lock, flags);

	memcpy(src, pfns, n * sizeof(*src));
	migrate_device_pfns(src, n);
	tm_devmem_fill_home(dm, src, dst, n, NULL, 0, NULL);
	migrate_device_pages(src, dst, n);
	moved = tm_devmem_moved(src, dst, n);
	migrate_device_finalize(src, dst, n);

	spin_lock_irqsave(&dm->lock, flags);
	for (i = 0; i < n; i++) {
		dp = &dm->dpages[pfns[i] - dm->pfn_first];
		dp->flags &= ~TM_DP_EVICTING;
		/* freed meanwhile: folio_free() left the block held */
		if (!dp->vram)
			dm->held[(pfns[i] - dm->pfn_first) / TM_DEVMEM_BATCH]--;
	}
	dm->st.evictions += moved;
	spin_unlock_irqrestore(&dm->lock, flags);
	kvfree(src);
	return moved;
}

/* Make room for @n more device pages, evicting as needed (best effort). */
static void tm_devmem_reserve(struct tm_devmem *dm, unsigned long n)
{
	unsigned long flags, used, cap;
	int tries;

	for (tries = 0; tries < 4; tries++) {
		spin_lock_irqsave(&dm->lock, flags);
		used = dm->st.pages;
		spin_unlock_irqrestore(&dm->lock, flags);
		cap = tm_devmem_capacity(dm);
		if (used + n <= cap)
			return;
		if (!tm_devmem_evict(dm, used + n - cap))
			return;
	}
}

/*
 * dev_pagemap_ops.migrate_to_ram: the CPU touched a device page. Bring it
 * home with its data: a huge folio the CPU maps with one PMD entry comes
 * home whole; a page of it mapped by a PTE (the PMD was split) comes alone,
 * the kernel splitting the folio. Called with the mmap lock held and the
 * device folio locked (see "Device memory", locking).
 */
static vm_fault_t tm_devmem_migrate_to_ram(struct vm_fault *vmf)
{
	struct tm_devmem *dm = tm_pgmap_devmem(page_pgmap(vmf->page));
	struct folio *folio = page_folio(vmf->page);
	unsigned int order = 0;
	unsigned long one[2], *src = one, nr;
	struct migrate_vma args = {
		.vma = vmf->vma,
		.pgmap_owner = dm->pgmap.owner,
		.flags = MIGRATE_VMA_SELECT_DEVICE_PRIVATE,
		.fault_page = vmf->page,
	};
	vm_fault_t ret = 0;

	mmap_assert_locked(vmf->vma->vm_mm);
	VM_WARN_ON_ONCE(!folio_test_locked(folio));
	lockdep_assert_not_held(&dm->lock);
	if (!vmf->pte && folio_test_large(folio))
		order = folio_order(folio);
	nr = 1UL << order;
	if (order) {
		src = kvmalloc_array(2 * nr, sizeof(*src), GFP_KERNEL);
		if (!src)
			return VM_FAULT_OOM;
		args.flags |= TM_SELECT_COMPOUND;
	}
	args.start = ALIGN_DOWN(vmf->address, PAGE_SIZE << order);
	args.end = args.start + (PAGE_SIZE << order);
	args.src = src;
	args.dst = src + nr;
	if (migrate_vma_setup(&args)) {
		ret = VM_FAULT_SIGBUS;
		goto out;
	}
	if (tm_devmem_fill_home(dm, args.src, args.dst, args.npages, vmf->vma,
				args.start, NULL))
		ret = VM_FAULT_OOM;
	migrate_vma_pages(&args);
	/* one fault, whether it brought a page or a 2 MiB folio */
	tm_devmem_count(dm, &dm->st.cpu_faults,
			!!tm_devmem_moved(args.src, args.dst, args.npages));
	migrate_vma_finalize(&args);
out:
	if (src != one)
		kvfree(src);
	return ret;
}

static const struct dev_pagemap_ops tm_devmem_ops = {
	.folio_free = tm_devmem_folio_free,
	.migrate_to_ram = tm_devmem_migrate_to_ram,
#if TM_DEVMEM_THP
	.folio_split = tm_devmem_folio_split,
#endif
};

/**
 * tm_devmem_create - give a device its memory
 * @owner: the device (its mirrors' dev_private_owner)
 * @limits: the module's limits; devmem_pages is the pool size, read now
 *
 * Return: the pool, or an ERR_PTR() (-ENOMEM, -EBUSY: no free physical
 * range, or memremap_pages()' error).
 */
struct tm_devmem *tm_devmem_create(void *owner, const struct tm_limits *limits)
{
	unsigned long npages, i;
	struct tm_devmem *dm;
	void *ptr;
	int ret;

	npages = ALIGN(max_t(unsigned long, READ_ONCE(limits->devmem_pages), 1),
		       PMD_SIZE >> PAGE_SHIFT);
	dm = kzalloc_obj(*dm, GFP_KERNEL);
	if (!dm)
		return ERR_PTR(-ENOMEM);
	dm->dpages = kvcalloc(npages, sizeof(*dm->dpages), GFP_KERNEL);
	dm->held = kvcalloc(npages / TM_DEVMEM_BATCH, sizeof(*dm->held),
			    GFP_KERNEL);
	ret = -ENOMEM;
	if (!dm->dpages || !dm->held)
		goto err_free;
	spin_lock_init(&dm->lock);
	INIT_LIST_HEAD(&dm->free);
	INIT_LIST_HEAD(&dm->used);
	for (i = 0; i < npages; i++)
		list_add_tail(&dm->dpages[i].lru, &dm->free);
	dm->limits = limits;
	dm->npages = npages;
	dm->res = request_free_mem_region(&iomem_resource,
					  npages << PAGE_SHIFT, "test_mirror");
	if (IS_ERR(dm->res)) {
		ret = PTR_ERR(dm->res);
		goto err_free;
	}
	dm->pgmap.type = MEMORY_DEVICE_PRIVATE;
	dm->pgmap.range.start = dm->res->start;
	dm->pgmap.range.end = dm->res->end;
	dm->pgmap.nr_range = 1;
	dm->pgmap.ops = &tm_devmem_ops;
	dm->pgmap.owner = owner;
	ptr = memremap_pages(&dm->pgmap, numa_node_id());
	if (IS_ERR(ptr)) {
		ret = PTR_ERR(ptr);
		goto err_region;
	}
	dm->pfn_first = PHYS_PFN(dm->res->start);
	return dm;

err_region:
	release_mem_region(dm->res->start, resource_size(dm->res));
err_free:
	kvfree(dm->held);
	kvfree(dm->dpages);
	kfree(dm);
	return ERR_PTR(ret);
}

/**
 * tm_devmem_destroy - evict every device page, then remove the memory
 * @dm: the pool, or NULL
 *
 * Runs at module unload, when no file of the device is open; processes may
 * still map device pages. They are all evicted, in rounds, until none is in
 * use (a page locked by a CPU fault in progress is taken in a later round);
 * memunmap_pages() then finds none left.
 */
void tm_devmem_destroy(struct tm_devmem *dm)
{
	unsigned long flags, used;

	if (!dm)
		return;
	for (;;) {
		spin_lock_irqsave(&dm->lock, flags);
		used = dm->st.pages;
		spin_unlock_irqrestore(&dm->lock, flags);
		if (!used)
			break;
		if (!tm_devmem_evict(dm, used))
			schedule_timeout_uninterruptible(1);
	}
	memunmap_pages(&dm->pgmap);
	release_mem_region(dm->res->start, resource_size(dm->res));
	kvfree(dm->held);
	kvfree(dm->dpages);
	kfree(dm);
}

/**
 * tm_devmem_stats - read a device's memory counters
 * @dm: the pool
 * @st: out: the counters
 */
void tm_devmem_stats(struct tm_devmem *dm, struct tm_devmem_stats *st)
{
	unsigned long flags;

	spin_lock_irqsave(&dm->lock, flags);
	*st = dm->st;
	spin_unlock_irqrestore(&dm->lock, flags);
	st->capacity = tm_devmem_capacity(dm);
}

/**
 * tm_devmem_page - is a mirrored frame a page of this mirror's device?
 * @m: the mirror
 * @pfn: a frame a valid table entry maps (table lock held)
 *
 * Return: true for a device-private page of @m's device.
 */
bool tm_devmem_page(struct tm_mirror *m, unsigned long pfn)
{
	struct page *page = pfn_to_page(pfn);

	return is_device_private_page(page) && m->devmem &&
	       page_pgmap(page) == &m->devmem->pgmap;
}

/**
 * tm_devmem_vram_pfn - where the device reads and writes a device page
 * @pfn: a device page of a mirror's device that a valid table entry maps
 *	(table lock held: the page can be neither freed nor split meanwhile)
 *
 * Also marks its folio most recently used.
 *
 * Return: the frame of its VRAM page.
 */
unsigned long tm_devmem_vram_pfn(unsigned long pfn)
{
	struct page *page = pfn_to_page(pfn);
	struct tm_devmem *dm = tm_pgmap_devmem(page_pgmap(page));
	struct tm_dpage *head = tm_dpage_of(dm, &page_folio(page)->page);
	unsigned long flags, vram;

	spin_lock_irqsave(&dm->lock, flags);
	list_move_tail(&head->lru, &dm->used);
	vram = page_to_pfn(tm_dpage_of(dm, page)->vram);
	spin_unlock_irqrestore(&dm->lock, flags);
	return vram;
}

/*
 * Device folio @dpage (of @nr pages) for the migration entry @src, its data
 * copied from the system folio there, or zeroed for a hole.
 */
static void tm_devmem_give(struct tm_devmem *dm, struct page *dpage,
			   const unsigned long *src, unsigned long *dst,
			   unsigned long nr)
{
	struct tm_dpage *dp = tm_dpage_of(dm, dpage);
	struct page *spage = migrate_pfn_to_page(*src);
	unsigned long j;

	for (j = 0; j < nr; j++) {
		if (spage)
			copy_highpage(dp[j].vram,
				      pfn_to_page(page_to_pfn(spage) + j));
		else
			clear_highpage(dp[j].vram);
	}
	*dst = migrate_pfn(page_to_pfn(dpage)) | (*src & MIGRATE_PFN_WRITE) |
	       (nr > 1 ? TM_PFN_COMPOUND : 0);
}

/*
 * No huge device folio for the compound entry @src: 4 KiB device pages for
 * its @nr pages; the kernel splits the system folio, or maps a hole page by
 * page. A hole is given its pages all or none, since the kernel maps every
 * page of it; of a folio, the pages that got none stay in system memory.
 */
static void tm_devmem_give_pages(struct tm_devmem *dm,
				 const unsigned long *src, unsigned long *dst,
				 unsigned long nr)
{
	struct page *spage = migrate_pfn_to_page(*src);
	unsigned long one, j, k;
	struct page *dpage;

	for (j = 0; j < nr; j++) {
		dpage = tm_devmem_alloc(dm);
		if (!dpage)
			break;
		one = spage ? migrate_pfn(page_to_pfn(spage) + j) : 0;
		one |= *src & MIGRATE_PFN_WRITE;
		tm_devmem_give(dm, dpage, &one, &dst[j], 1);
	}
	if (j == nr || spage)
		return;
	for (k = 0; k < j; k++) {
		tm_devmem_unalloc(migrate_pfn_to_page(dst[k]));
		dst[k] = 0;
	}
}

/*
 * Move [start, end) of one VMA to the device: see "Device memory". The
 * MIGRATE event names this mirror, which skips it; its entries are
 * re-pointed to the device pages here before the system pages go.
 */
static int tm_devmem_to_device(struct tm_mirror *m, struct vm_area_struct *vma,
			       unsigned long start, unsigned long end,
			       unsigned long *src, unsigned long *dst,
			       u64 *moved)
{
	struct migrate_vma args = {
		.vma = vma,
		.start = start,
		.end = end,
		.src = src,
		.dst = dst,
		.pgmap_owner = m,
		.flags = MIGRATE_VMA_SELECT_SYSTEM | TM_SELECT_COMPOUND,
	};
	struct tm_devmem *dm = m->devmem;
	unsigned long i, nr, n = 0;
	struct page *dpage;
	int ret;

	lockdep_assert_held(&m->lock);
	mmap_assert_locked(m->mm);
	ret = migrate_vma_setup(&args);
	if (ret)
		return ret;
	memset(dst, 0, args.npages * sizeof(*dst));
	for (i = 0; i < args.npages; i += nr) {
		nr = 1;
		if (!(src[i] & MIGRATE_PFN_MIGRATE))
			continue;
		if (src[i] & TM_PFN_COMPOUND) {
			nr = min_t(unsigned long, args.npages - i,
				   TM_DEVMEM_BATCH);
			dpage = NULL;
			if (!test_and_clear_bit(0, &m->fail_huge))
				dpage = tm_devmem_alloc_huge(dm);
			if (dpage)
				tm_devmem_give(dm, dpage, &src[i], &dst[i], nr);
			else
				tm_devmem_give_pages(dm, &src[i], &dst[i], nr);
			continue;
		}
		dpage = tm_devmem_alloc(dm);
		if (dpage)
			tm_devmem_give(dm, dpage, &src[i], &dst[i], 1);
	}
	migrate_vma_pages(&args);

	n = tm_migrate_repoint(m, start, src, dst, args.npages);
	migrate_vma_finalize(&args);
	tm_devmem_count(dm, &dm->st.to_device, n);
	*moved += n;
	return 0;
}

/*
 * Move the device pages of [start, end) of one VMA home. The MIGRATE event
 * names the device (the pgmap's owner): every mirror invalidates.
 */
static int tm_devmem_to_system(struct tm_mirror *m, struct vm_area_struct *vma,
			       unsigned long start, unsigned long end,
			       unsigned long *src, unsigned long *dst,
			       u64 *moved)
{
	struct tm_devmem *dm = m->devmem;
	struct migrate_vma args = {
		.vma = vma,
		.start = start,
		.end = end,
		.src = src,
		.dst = dst,
		.pgmap_owner = dm->pgmap.owner,
		.flags = MIGRATE_VMA_SELECT_DEVICE_PRIVATE | TM_SELECT_COMPOUND,
	};
	unsigned long n;
	int ret;

	lockdep_assert_held(&m->lock);
	mmap_assert_locked(m->mm);
	ret = migrate_vma_setup(&args);
	if (ret)
		return ret;
	tm_devmem_fill_home(dm, src, dst, args.npages, vma, start,
			    &m->fail_huge);
	migrate_vma_pages(&args);
	n = tm_devmem_moved(src, dst, args.npages);
	migrate_vma_finalize(&args);
	tm_devmem_count(dm, &dm->st.to_system, n);
	*moved += n;
	return 0;
}

/*
 * One batch, [addr, *next). With TM_DEVMEM_SPAN, a batch ends at the end
 * of its VMA (*next is lowered), and any readable VMA is tried (of a
 * private file mapping, its anonymous copies move; migrate_vma_setup()
 * refuses what it cannot do); without it, a batch beyond its VMA or a VMA
 * that is not anonymous is -EINVAL.
 */
struct tm_devmem_move {
	unsigned int op;
	unsigned int flags;
	u64 *pages;
};

static int tm_devmem_batch(struct tm_mirror *m, struct tm_seg *seg,
			   unsigned long addr, unsigned long *next,
			   unsigned long *src, void *arg)
{
	const struct tm_devmem_move *mv = arg;
	bool span = mv->flags & TM_DEVMEM_SPAN;
	unsigned int op = mv->op;
	struct vm_area_struct *vma;
	u64 installed;
	int ret = 0;

	/* a batch never crosses a 2 MiB boundary: a huge folio moves whole */
	*next = min(*next, ALIGN_DOWN(addr, PMD_SIZE) + PMD_SIZE);
	if (op == TM_DEVMEM_TO_DEVICE)
		tm_devmem_reserve(m->devmem, (*next - addr) >> PAGE_SHIFT);
	mmap_read_lock(m->mm);
	vma = vma_lookup(m->mm, addr);
	if (!vma) {
		ret = span ? -EINVAL : -EFAULT;
	} else if (span) {
		*next = min(*next, vma->vm_end);
		if (!(vma->vm_flags & VM_READ))
			ret = -EINVAL;
	} else if (*next > vma->vm_end || !vma_is_anonymous(vma)) {
		ret = -EINVAL;
	}
	if (ret)
		;
	else if (op == TM_DEVMEM_TO_DEVICE)
		ret = tm_devmem_to_device(m, vma, addr, *next, src,
					  src + TM_DEVMEM_BATCH, mv->pages);
	else
		ret = tm_devmem_to_system(m, vma, addr, *next, src,
					  src + TM_DEVMEM_BATCH, mv->pages);
	mmap_read_unlock(m->mm);
	/*
	 * The device maps what it now holds: a device access to these pages
	 * then needs no fault. hmm_range_fault() reports this device's pages
	 * as they are, without a CPU fault.
	 */
	if (!ret && op == TM_DEVMEM_TO_DEVICE)
		ret = tm_fault(m, seg, addr, *next, false, &installed);
	return ret;
}

/**
 * tm_mirror_devmem - move a bound range to the device's memory or back
 * @m: the mirror
 * @op: TM_DEVMEM_TO_DEVICE or TM_DEVMEM_TO_SYSTEM
 * @flags: 0, or TM_DEVMEM_SPAN (the test_hmm front-end)
 * @addr: first address, page aligned; the range must lie in one binding
 *	and, without TM_DEVMEM_SPAN, one VMA of anonymous memory (with it,
 *	any readable VMAs)
 * @size: bytes, page aligned
 * @pages: out: pages moved (also on error: those moved before it)
 *
 * See "Device memory".
 *
 * Return: 0, -EOPNOTSUPP (no device memory), -ENOENT (not bound), -EFAULT
 * (tracking dropped, no VMA), -EINVAL (beyond the binding or the VMA, or
 * not anonymous memory), -ENOMEM, -EINTR, -EACCES, -ESRCH, or the fault's
 * error installing the device pages.
 */
int tm_mirror_devmem(struct tm_mirror *m, unsigned int op, unsigned int flags,
		     unsigned long addr, unsigned long size, u64 *pages)
{
	struct tm_devmem_move mv = { .op = op, .flags = flags, .pages = pages };
	int ret;

	*pages = 0;
	if (!m->devmem)
		return -EOPNOTSUPP;
	ret = tm_move_batches(m, addr, size, TM_DEVMEM_BATCH, tm_devmem_batch,
			      &mv);
	if (op == TM_DEVMEM_TO_DEVICE)
		tm_log_add(&m->log, &m->log.st.devmem_to_device, *pages);
	else
		tm_log_add(&m->log, &m->log.st.devmem_to_system, *pages);
	return ret;
}

/**
 * tm_mirror_devmem_resident - count the pages the device maps in its memory
 * @m: the mirror
 * @addr: first address, page aligned
 * @npages: pages
 *
 * Return: the pages of [@addr, @addr + @npages pages) whose device entry
 * maps a page of the device's memory, or -EINTR, -EACCES, -ESRCH.
 */
long tm_mirror_devmem_resident(struct tm_mirror *m, unsigned long addr,
			       unsigned long npages)
{
	struct tm_entry e;
	unsigned long i;
	long n = 0;
	int ret;

	ret = tm_check_caller(m);
	if (ret)
		return ret;
	if (mutex_lock_killable(&m->lock))
		return -EINTR;
	mutex_lock(&m->table.lock);
	for (i = 0; i < npages; i++) {
		tm_table_lookup(&m->table, addr + (i << PAGE_SHIFT), &e);
		if ((e.flags & TM_ENT_VALID) && tm_devmem_page(m, e.pfn))
			n++;
	}
	mutex_unlock(&m->table.lock);
	mutex_unlock(&m->lock);
	return n;
}

/**
 * tm_mirror_devmem_release - evict every page of the mirror's device
 * @m: the mirror
 *
 * test_hmm's RELEASE: all the device's memory goes back to system memory,
 * whichever process and file it belongs to.
 *
 * Return: 0, -EOPNOTSUPP (no device memory), -EINTR, -EACCES, -ESRCH.
 */
int tm_mirror_devmem_release(struct tm_mirror *m)
{
	unsigned long flags, used;
	int ret;

	if (!m->devmem)
		return -EOPNOTSUPP;
	ret = tm_check_caller(m);
	if (ret)
		return ret;
	for (;;) {
		spin_lock_irqsave(&m->devmem->lock, flags);
		used = m->devmem->st.pages;
		spin_unlock_irqrestore(&m->devmem->lock, flags);
		if (!used)
			return 0;
		if (!tm_devmem_evict(m->devmem, used))
			schedule_timeout_killable(1);
		ret = tm_next_round();
		if (ret)
			return ret;
	}
}

#else /* !TM_HAVE_DEVMEM */

int tm_mirror_devmem(struct tm_mirror *m, unsigned int op, unsigned int flags,
		     unsigned long addr, unsigned long size, u64 *pages)
{
	*pages = 0;
	return -EOPNOTSUPP;
}

long tm_mirror_devmem_resident(struct tm_mirror *m, unsigned long addr,
			       unsigned long npages)
{
	return 0;
}

int tm_mirror_devmem_release(struct tm_mirror *m)
{
	return -EOPNOTSUPP;
}

#endif /* TM_HAVE_DEVMEM */

/**
 * tm_mirror_devmem_fail_huge - make the next 2 MiB device-memory move fail
 * @m: the mirror
 * @fail: true to fail the next 2 MiB allocation of a move to the device or
 *	home, false to cancel that
 *
 * test_hmm's FAIL_ALLOC: the move then gives the folio 4 KiB pages, and the
 * kernel splits it. A migrate_to_ram() fault is not affected.
 */
void tm_mirror_devmem_fail_huge(struct tm_mirror *m, bool fail)
{
	if (fail)
		set_bit(0, &m->fail_huge);
	else
		clear_bit(0, &m->fail_huge);
}

/**
 * tm_mirror_set_devmem - give a mirror its device's memory
 * @m: the mirror, just created
 * @dm: the device's pool, or NULL where there is none
 */
void tm_mirror_set_devmem(struct tm_mirror *m, struct tm_devmem *dm)
{
	unsigned long flags;

	m->devmem = dm;
	if (!dm)
		return;
	spin_lock_irqsave(&m->log.lock, flags);
	m->log.st.caps |= TM_CAP_DEVICE_PRIVATE |
			  (TM_DEVMEM_THP ? TM_CAP_DEVICE_HUGE : 0);
	spin_unlock_irqrestore(&m->log.lock, flags);
}
