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
 * Moves. The DEVMEM ioctl moves a bound range of anonymous memory to the
 * device (migrate_vma_setup() with ``MIGRATE_VMA_SELECT_SYSTEM``, 64 pages
 * per call, holes included: an untouched page becomes a zeroed device page)
 * and back (``MIGRATE_VMA_SELECT_DEVICE_PRIVATE``). The CPU maps a device
 * page with a device-private swap entry; a CPU access to it faults into
 * dev_pagemap_ops.migrate_to_ram(), which brings that page home with its
 * data. The device reads and writes a device-resident page through its
 * VRAM page, without a fault: hmm_range_fault() reports this device's
 * pages as they are (it faults pages of another owner home), the table maps
 * them like any page, and the copy goes to the VRAM page instead of the
 * frame (see "Device access"). A device write to a device page the CPU maps
 * read-only (after fork, both processes share it copy-on-write) cannot be
 * done in place: the fault brings the page home and breaks COW as the CPU's
 * write would, then maps the private copy.
 *
 * Eviction. The pool may fill up. Before each batch of a migration to the
 * device, the device evicts its least recently used pages (LRU order of
 * allocation and of device access) with migrate_device_pfns(): system pages
 * are allocated, the VRAM copied, migrate_device_pages() and
 * migrate_device_finalize() remap the CPU's entries to them, wherever they
 * are (the device does not need to know the address spaces), as a real
 * driver evicts VRAM. A page that is locked at that moment (being faulted
 * home, or being migrated) is skipped and the next one taken. A page that
 * still does not fit stays in system memory: the ioctl's count says how many
 * moved. ``devmem_pages`` may be lowered at run time (down to 1) to make the
 * device evict early; it cannot grow the pool beyond its size at load.
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
 * the CPU, one page at a time, and allocates 4 KiB pages only.
 *
 * Locking. migrate_to_ram() runs with the faulting task's mmap lock held
 * and the device folio locked, and the migration it starts invalidates the
 * mirrors (table locks). So the order is: mmap lock, then the device folio
 * lock, then a mirror's table lock, then the pool lock (``tm_devmem.lock``,
 * a spinlock, innermost: it protects the free and LRU lists and the
 * counters, and is taken by folio_free() in any context). A migration or
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

/* Pages per migration or eviction call. */
#define TM_DEVMEM_BATCH		64

#if TM_HAVE_DEVMEM

/**
 * struct tm_dpage - the driver's state of one device page
 * @lru: on tm_devmem.free, or on tm_devmem.used in LRU order (oldest first).
 * @vram: the page's data while in use, NULL while free.
 */
struct tm_dpage {
	struct list_head lru;
	struct page *vram;
};

/**
 * struct tm_devmem - one device's memory
 * @pgmap: the device-private page map; @pgmap.owner is the device.
 * @res: the physical range reserved for it.
 * @limits: the module's live limits (devmem_pages).
 * @pfn_first: first page frame of the range.
 * @npages: device pages in the range (the pool size).
 * @dpages: the state of each device page.
 * @lock: the pool lock (see "Device memory", locking): the lists, the
 *	@dpages entries and the counters.
 * @free: free device pages.
 * @used: pages in use, least recently used first.
 * @st: the counters; @st.pages is the number of pages on @used.
 */
struct tm_devmem {
	struct dev_pagemap pgmap;
	struct resource *res;
	const struct tm_limits *limits;
	unsigned long pfn_first;
	unsigned long npages;
	struct tm_dpage *dpages;
	spinlock_t lock;	/* the pool lock, innermost */
	struct list_head free;
	struct list_head used;
	struct tm_devmem_stats st;
};

static struct tm_devmem *tm_pgmap_devmem(struct dev_pagemap *pgmap)
{
	return container_of(pgmap, struct tm_devmem, pgmap);
}

static struct tm_dpage *tm_dpage_of(struct tm_devmem *dm, struct page *page)
{
	return &dm->dpages[page_to_pfn(page) - dm->pfn_first];
}

static unsigned long tm_devmem_capacity(struct tm_devmem *dm)
{
	return clamp_t(unsigned long, READ_ONCE(dm->limits->devmem_pages), 1,
		       dm->npages);
}

/*
 * Hand out a free device page, with its VRAM page, or NULL when the device
 * holds its capacity. The page comes back referenced once and locked (by
 * zone_device_page_init()), most recently used.
 */
static struct page *tm_devmem_alloc(struct tm_devmem *dm)
{
	struct tm_dpage *dp = NULL;
	struct page *vram, *page;
	unsigned long flags;

	vram = alloc_page(GFP_HIGHUSER | __GFP_ACCOUNT);
	if (!vram)
		return NULL;
	spin_lock_irqsave(&dm->lock, flags);
	if (dm->st.pages < tm_devmem_capacity(dm) && !list_empty(&dm->free)) {
		dp = list_first_entry(&dm->free, struct tm_dpage, lru);
		list_move_tail(&dp->lru, &dm->used);
		dp->vram = vram;
		dm->st.pages++;
	}
	spin_unlock_irqrestore(&dm->lock, flags);
	if (!dp) {
		__free_page(vram);
		return NULL;
	}
	page = pfn_to_page(dm->pfn_first + (dp - dm->dpages));
	zone_device_page_init(page, &dm->pgmap, 0);
	/* A device write of its last life marked it dirty: not this one. */
	folio_clear_dirty(page_folio(page));
	return page;
}

/* dev_pagemap_ops.folio_free: the last reference to a device page went. */
static void tm_devmem_folio_free(struct folio *folio)
{
	struct tm_devmem *dm = tm_pgmap_devmem(page_pgmap(&folio->page));
	struct tm_dpage *dp = tm_dpage_of(dm, &folio->page);
	unsigned long flags;
	struct page *vram;

	spin_lock_irqsave(&dm->lock, flags);
	vram = dp->vram;
	dp->vram = NULL;
	list_move(&dp->lru, &dm->free);
	dm->st.pages--;
	spin_unlock_irqrestore(&dm->lock, flags);
	if (vram)
		__free_page(vram);
}

static void tm_devmem_count(struct tm_devmem *dm, u64 *counter, u64 n)
{
	unsigned long flags;

	if (!n)
		return;
	spin_lock_irqsave(&dm->lock, flags);
	*counter += n;
	spin_unlock_irqrestore(&dm->lock, flags);
}

/*
 * For each device page of @src selected for migration, a new system page
 * holding its data, locked, in @dst (0 where none could be allocated: that
 * page stays on the device). @vma and @addr place the pages (NULL for an
 * eviction, which does not know where the pages are mapped). Return: the
 * pages that could not be given a system page.
 */
static unsigned long tm_devmem_fill_home(struct tm_devmem *dm,
					 const unsigned long *src,
					 unsigned long *dst, unsigned long n,
					 struct vm_area_struct *vma,
					 unsigned long addr)
{
	struct page *spage, *dpage;
	struct folio *folio;
	unsigned long i, failed = 0;

	for (i = 0; i < n; i++) {
		dst[i] = 0;
		spage = migrate_pfn_to_page(src[i]);
		if (!spage || !(src[i] & MIGRATE_PFN_MIGRATE))
			continue;
		if (vma) {
			folio = vma_alloc_folio(GFP_HIGHUSER_MOVABLE, 0, vma,
						addr + (i << PAGE_SHIFT));
			dpage = folio ? &folio->page : NULL;
		} else {
			dpage = alloc_page(GFP_HIGHUSER_MOVABLE);
		}
		if (!dpage) {
			failed++;
			continue;
		}
		lock_page(dpage);
		/* the device page is locked and unmapped: its data is stable */
		copy_highpage(dpage, tm_dpage_of(dm, spage)->vram);
		dst[i] = migrate_pfn(page_to_pfn(dpage));
	}
	return failed;
}

/* Pages of @src still selected after migrate_*_pages(): those that moved. */
static unsigned long tm_devmem_moved(const unsigned long *src,
				     const unsigned long *dst, unsigned long n)
{
	unsigned long i, moved = 0;

	for (i = 0; i < n; i++)
		if (dst[i] && (src[i] & MIGRATE_PFN_MIGRATE))
			moved++;
	return moved;
}

/*
 * Evict up to @want of the least recently used device pages to system
 * memory. Called without any mirror's table lock and without the mmap
 * lock; the CLEAR events it raises take the table locks. Return: pages
 * evicted.
 */
static unsigned long tm_devmem_evict(struct tm_devmem *dm, unsigned long want)
{
	unsigned long *src, *dst, n = 0, moved, flags;
	struct tm_dpage *dp;

	lockdep_assert_not_held(&dm->lock);
	want = min_t(unsigned long, want, TM_DEVMEM_BATCH);
	src = kmalloc_array(2 * TM_DEVMEM_BATCH, sizeof(*src), GFP_KERNEL);
	if (!src)
		return 0;
	dst = src + TM_DEVMEM_BATCH;
	spin_lock_irqsave(&dm->lock, flags);
	list_for_each_entry(dp, &dm->used, lru) {
		if (n == want)
			break;
		src[n++] = dm->pfn_first + (dp - dm->dpages);
	}
	spin_unlock_irqrestore(&dm->lock, flags);
	/*
	 * A page may be freed (or even handed out again) since: it is then
	 * not selected (free), or locked by its new user and skipped, or
	 * evicted although just used, which is harmless.
	 */
	migrate_device_pfns(src, n);
	tm_devmem_fill_home(dm, src, dst, n, NULL, 0);
	migrate_device_pages(src, dst, n);
	moved = tm_devmem_moved(src, dst, n);
	migrate_device_finalize(src, dst, n);
	tm_devmem_count(dm, &dm->st.evictions, moved);
	kfree(src);
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
 * home with its data. Called with the mmap lock held and the device folio
 * locked (see "Device memory", locking).
 */
static vm_fault_t tm_devmem_migrate_to_ram(struct vm_fault *vmf)
{
	struct tm_devmem *dm = tm_pgmap_devmem(page_pgmap(vmf->page));
	unsigned long start = ALIGN_DOWN(vmf->address, PAGE_SIZE);
	unsigned long src = 0, dst = 0;
	struct migrate_vma args = {
		.vma = vmf->vma,
		.start = start,
		.end = start + PAGE_SIZE,
		.src = &src,
		.dst = &dst,
		.pgmap_owner = dm->pgmap.owner,
		.flags = MIGRATE_VMA_SELECT_DEVICE_PRIVATE,
		.fault_page = vmf->page,
	};
	vm_fault_t ret = 0;

	mmap_assert_locked(vmf->vma->vm_mm);
	VM_WARN_ON_ONCE(!folio_test_locked(page_folio(vmf->page)));
	lockdep_assert_not_held(&dm->lock);
	if (migrate_vma_setup(&args))
		return VM_FAULT_SIGBUS;
	if (tm_devmem_fill_home(dm, &src, &dst, 1, vmf->vma, start))
		ret = VM_FAULT_OOM;
	migrate_vma_pages(&args);
	tm_devmem_count(dm, &dm->st.cpu_faults, tm_devmem_moved(&src, &dst, 1));
	migrate_vma_finalize(&args);
	return ret;
}

static const struct dev_pagemap_ops tm_devmem_ops = {
	.folio_free = tm_devmem_folio_free,
	.migrate_to_ram = tm_devmem_migrate_to_ram,
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
	ret = -ENOMEM;
	if (!dm->dpages)
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
 *	(table lock held: the page cannot be freed meanwhile)
 *
 * Also marks the page most recently used.
 *
 * Return: the frame of its VRAM page.
 */
unsigned long tm_devmem_vram_pfn(unsigned long pfn)
{
	struct page *page = pfn_to_page(pfn);
	struct tm_devmem *dm = tm_pgmap_devmem(page_pgmap(page));
	struct tm_dpage *dp = tm_dpage_of(dm, page);
	unsigned long flags, vram;

	spin_lock_irqsave(&dm->lock, flags);
	list_move_tail(&dp->lru, &dm->used);
	vram = page_to_pfn(dp->vram);
	spin_unlock_irqrestore(&dm->lock, flags);
	return vram;
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
		.flags = MIGRATE_VMA_SELECT_SYSTEM,
	};
	struct tm_devmem *dm = m->devmem;
	struct page *spage, *dpage;
	unsigned long i, n = 0;
	int ret;

	lockdep_assert_held(&m->lock);
	mmap_assert_locked(m->mm);
	ret = migrate_vma_setup(&args);
	if (ret)
		return ret;
	for (i = 0; i < args.npages; i++) {
		dst[i] = 0;
		if (!(src[i] & MIGRATE_PFN_MIGRATE))
			continue;
		dpage = tm_devmem_alloc(dm);
		if (!dpage)
			continue;
		spage = migrate_pfn_to_page(src[i]);
		if (spage)
			copy_highpage(tm_dpage_of(dm, dpage)->vram, spage);
		else
			clear_highpage(tm_dpage_of(dm, dpage)->vram);
		dst[i] = migrate_pfn(page_to_pfn(dpage)) |
			 (src[i] & MIGRATE_PFN_WRITE);
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
		.flags = MIGRATE_VMA_SELECT_DEVICE_PRIVATE,
	};
	unsigned long n;
	int ret;

	lockdep_assert_held(&m->lock);
	mmap_assert_locked(m->mm);
	ret = migrate_vma_setup(&args);
	if (ret)
		return ret;
	tm_devmem_fill_home(dm, src, dst, args.npages, vma, start);
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
	m->log.st.caps |= TM_CAP_DEVICE_PRIVATE;
	spin_unlock_irqrestore(&m->log.lock, flags);
}
