// SPDX-License-Identifier: GPL-2.0
/*
 * test_mirror: the device migrates pages it mirrors (MIGRATE ioctl).
 *
 * The device moves mirrored pages to new system pages with
 * migrate_vma_setup(), naming the mirror as the range's owner. The kernel
 * raises MIGRATE with that owner: this mirror's callback skips it and moves
 * its entries itself, under the table lock, before migrate_vma_finalize()
 * lets the old pages go; every other mirror of the pages invalidates.
 */

#include <linux/highmem.h>
#include <linux/migrate.h>
#include <linux/mm.h>
#include <linux/slab.h>

#include "tm_core.h"

/* Pages per migrate_vma_setup() call. */
#define TM_MIGRATE_BATCH	64

/*
 * Migrate [start, end) of one VMA: the kernel raises MIGRATE with this
 * mirror as owner, which the callback skips; the entries are moved to the
 * new pages here, under the table lock, before migrate_vma_finalize() lets
 * the old pages go.
 */
static int tm_migrate_range(struct tm_mirror *m, struct vm_area_struct *vma,
			    unsigned long start, unsigned long end,
			    unsigned long *src, unsigned long *dst, u64 *migrated)
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
	struct page *spage, *dpage;
	unsigned long i;
	int ret;

	lockdep_assert_held(&m->lock);
	lockdep_assert_held(&m->mm->mmap_lock);
	ret = migrate_vma_setup(&args);
	if (ret)
		return ret;
	for (i = 0; i < args.npages; i++) {
		dst[i] = 0;
		spage = migrate_pfn_to_page(src[i]);
		if (!spage || !(src[i] & MIGRATE_PFN_MIGRATE))
			continue;
		dpage = alloc_page(GFP_HIGHUSER_MOVABLE);
		if (!dpage)
			continue;
		lock_page(dpage);
		copy_highpage(dpage, spage);
		dst[i] = migrate_pfn(page_to_pfn(dpage)) |
			 (src[i] & MIGRATE_PFN_WRITE);
	}
	migrate_vma_pages(&args);

	mutex_lock(&m->table.lock);
	for (i = 0; i < args.npages; i++) {
		if (!dst[i] || !(src[i] & MIGRATE_PFN_MIGRATE))
			continue;
		tm_table_repoint(&m->table, start + (i << PAGE_SHIFT),
				 page_to_pfn(migrate_pfn_to_page(src[i])),
				 page_to_pfn(migrate_pfn_to_page(dst[i])));
		(*migrated)++;
	}
	mutex_unlock(&m->table.lock);
	migrate_vma_finalize(&args);
	return 0;
}

/**
 * tm_mirror_migrate - the device moves mirrored pages to new system pages
 * @m: the mirror
 * @addr: first address, page aligned; the range must lie in one binding
 * @size: bytes, page aligned
 * @migrated: out: pages moved
 *
 * Exercises the MIGRATE event the way a device driver that migrates raises
 * it: this mirror is the range's owner and keeps (updates) its entries,
 * other mirrors of the same pages invalidate theirs.
 *
 * Return: 0, -ENOENT (not bound), -EFAULT (tracking dropped, no VMA),
 * -EINVAL (beyond the binding or the VMA, or not anonymous memory),
 * -ENOMEM, -EINTR, -EACCES.
 */
int tm_mirror_migrate(struct tm_mirror *m, unsigned long addr,
		      unsigned long size, u64 *migrated)
{
	unsigned long end, next, *src;
	struct vm_area_struct *vma;
	struct tm_binding *b;
	struct tm_seg *seg;
	bool dropped;
	int ret;

	*migrated = 0;
	ret = tm_check_call(m, addr, size);
	if (ret)
		return ret;
	src = kvcalloc(2 * TM_MIGRATE_BATCH, sizeof(*src), GFP_KERNEL_ACCOUNT);
	if (!src)
		return -ENOMEM;
	if (mutex_lock_killable(&m->lock)) {
		kvfree(src);
		return -EINTR;
	}
	end = addr + size;
	b = tm_find_binding(m, addr);
	ret = -ENOENT;
	if (!b)
		goto out;
	ret = -EINVAL;
	if (end - 1 > b->it.last)
		goto out;
	for (; addr < end; addr = next) {
		seg = tm_find_seg(m, addr);
		mutex_lock(&m->table.lock);
		dropped = !seg || tm_seg_dropped(seg, addr);
		next = dropped ? 0 : tm_seg_live_end(seg, addr, min(end, seg->end));
		mutex_unlock(&m->table.lock);
		ret = -EFAULT;
		if (dropped)
			break;
		next = min(next, addr + TM_MIGRATE_BATCH * PAGE_SIZE);
		mmap_read_lock(m->mm);
		vma = vma_lookup(m->mm, addr);
		if (!vma)
			ret = -EFAULT;
		else if (next > vma->vm_end || !vma_is_anonymous(vma))
			ret = -EINVAL;
		else
			ret = tm_migrate_range(m, vma, addr, next, src,
					       src + TM_MIGRATE_BATCH, migrated);
		mmap_read_unlock(m->mm);
		if (!ret)
			ret = tm_next_round();
		if (ret)
			break;
	}
out:
	mutex_unlock(&m->lock);
	kvfree(src);
	return ret;
}
