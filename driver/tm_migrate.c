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

#include "compat.h"
#include "tm_core.h"

/* Pages per migrate_vma_setup() call. */
#define TM_MIGRATE_BATCH	64

/**
 * tm_migrate_pages - how many pages one entry of a migration moved
 * @src: the entry of migrate_vma.src (or of a device migration's src)
 * @dst: the entry of dst, 0 where none was given
 *
 * A folio given as ``MIGRATE_PFN_COMPOUND`` moved whole: all of its pages.
 *
 * Return: 0 (nothing moved), 1, or the pages of the destination folio.
 */
unsigned long tm_migrate_pages(unsigned long src, unsigned long dst)
{
	if (!dst || !(src & MIGRATE_PFN_MIGRATE))
		return 0;
	if (dst & TM_PFN_COMPOUND)
		return folio_nr_pages(page_folio(migrate_pfn_to_page(dst)));
	return 1;
}

/**
 * tm_migrate_repoint - this mirror's entries follow the pages it moved
 * @m: the mirror, which named itself the owner of the move
 * @start: the address of @src[0]
 * @src: migrate_vma.src, after migrate_vma_pages()
 * @dst: migrate_vma.dst: the new pages, 0 where none was given
 * @npages: entries of @src and @dst
 *
 * Under the table lock, before migrate_vma_finalize() lets the old pages
 * go: the callback skipped this mirror's own MIGRATE, so its entries still
 * name the old pages until here. A hole that moved (no old page) had no
 * entry. A 2 MiB folio that moved whole keeps a huge entry huge.
 *
 * Return: the pages that moved.
 */
unsigned long tm_migrate_repoint(struct tm_mirror *m, unsigned long start,
				 const unsigned long *src,
				 const unsigned long *dst, unsigned long npages)
{
	unsigned long i, nr, n = 0;
	struct page *spage;

	mutex_lock(&m->table.lock);
	for (i = 0; i < npages; i++) {
		nr = tm_migrate_pages(src[i], dst[i]);
		if (!nr)
			continue;
		spage = migrate_pfn_to_page(src[i]);
		if (spage)
			tm_table_repoint(&m->table, start + (i << PAGE_SHIFT),
					 page_to_pfn(spage),
					 page_to_pfn(migrate_pfn_to_page(dst[i])),
					 nr);
		n += nr;
	}
	mutex_unlock(&m->table.lock);
	return n;
}

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

	*migrated += tm_migrate_repoint(m, start, src, dst, args.npages);
	migrate_vma_finalize(&args);
	return 0;
}

/**
 * tm_move_batches - walk a bound range in batches for a page mover
 * @m: the mirror
 * @addr: first address, page aligned; the range must lie in one binding
 * @size: bytes, page aligned
 * @batch: pages per batch at most
 * @move: moves the batch [addr, *next) of one segment, none of it dropped,
 *	with the structural lock held; may lower *next to stop the batch
 *	there; @src is an array of 2 * @batch entries for its use. Returns 0
 *	or an error, which ends the walk.
 * @arg: for @move
 *
 * What the MIGRATE and DEVMEM ioctls share: the caller's checks, the
 * binding, the tracking UNMAP dropped (which ends the walk with -EFAULT),
 * and a fatal signal between batches.
 *
 * Return: 0, -ENOENT (not bound), -EFAULT (tracking dropped), -EINVAL
 * (beyond the binding), -ENOMEM, -EINTR, -EACCES, -ESRCH, or @move's error.
 */
int tm_move_batches(struct tm_mirror *m, unsigned long addr,
		    unsigned long size, unsigned long batch, tm_move_fn move,
		    void *arg)
{
	unsigned long end, next, *src;
	struct tm_binding *b;
	struct tm_seg *seg;
	int ret;

	ret = tm_check_call(m, addr, size);
	if (ret)
		return ret;
	src = kvcalloc(2 * batch, sizeof(*src), GFP_KERNEL_ACCOUNT);
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
	/* A job could write the old pages after the copy ("Jobs: ...") */
	ret = -EBUSY;
	if (tm_jobs_busy(m, addr, end))
		goto out;
	for (; addr < end; addr = next) {
		seg = tm_find_live(m, addr, end, &next);
		ret = -EFAULT;
		if (!seg)
			break;
		next = min(next, addr + batch * PAGE_SIZE);
		ret = move(m, seg, addr, &next, src, arg);
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

/* One batch of tm_mirror_migrate(): @arg counts the pages moved. */
static int tm_migrate_batch(struct tm_mirror *m, struct tm_seg *seg,
			    unsigned long addr, unsigned long *next,
			    unsigned long *src, void *arg)
{
	struct vm_area_struct *vma;
	int ret;

	mmap_read_lock(m->mm);
	vma = vma_lookup(m->mm, addr);
	if (!vma)
		ret = -EFAULT;
	else if (*next > vma->vm_end || !vma_is_anonymous(vma))
		ret = -EINVAL;
	else
		ret = tm_migrate_range(m, vma, addr, *next, src,
				       src + TM_MIGRATE_BATCH, arg);
	mmap_read_unlock(m->mm);
	return ret;
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
	*migrated = 0;
	return tm_move_batches(m, addr, size, TM_MIGRATE_BATCH,
			       tm_migrate_batch, migrated);
}
