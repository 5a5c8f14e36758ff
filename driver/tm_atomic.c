// SPDX-License-Identifier: GPL-2.0
/*
 * test_mirror: device atomics on pages the device holds exclusive (ATOMIC
 * ioctl, and the test_hmm front-end's EXCLUSIVE).
 */

/**
 * DOC: Device atomics
 *
 * A GPU's atomic operations on system memory cannot go through the CPU's
 * caches over PCIe, so the device must own the page while it does them.
 * The kernel gives it that ownership with make_device_exclusive(): the CPU
 * page table entry of the page is replaced by a *device-exclusive* entry,
 * which no CPU access can use. A CPU access faults, and the fault
 * (``remove_device_exclusive_entry()`` in mm/memory.c) locks the folio,
 * raises CLEAR with no owner over the page, and puts the original PTE back.
 * The device keeps the page until then; it needs nothing more to go on
 * doing atomics on it.
 *
 * An ATOMIC (64-bit fetch-add or compare-exchange, tm_mirror_atomic())
 * looks the page up under the table lock first. If the entry says
 * EXCLUSIVE (TM_ENT_EXCL), the device holds the page: the operation is done
 * there and then, under the lock. Otherwise the device takes the page::
 *
 *     tm_fault(page, write)                           (1)
 *     seq = mmu_interval_read_begin(&seg->notifier);  (2)
 *     mmap_read_lock(mm);
 *     page = make_device_exclusive(mm, addr, m, &folio);    (3)
 *     mmap_read_unlock(mm);
 *     mutex_lock(&table->lock);
 *     if (mmu_interval_read_retry(&seg->notifier, seq))    (4)
 *         unlock, folio_unlock(), folio_put(), go to (1);
 *     entry = page | VALID | WRITE | EXCL;            (5)
 *     the operation on the page; folio_mark_dirty(folio);
 *     mutex_unlock(&table->lock);
 *     folio_unlock(folio); folio_put(folio);
 *
 * 1. An ordinary device fault with write intent puts the page, writable,
 *    in the CPU page table and in the device table (and so the leaf that
 *    step 5 writes into). It also undoes a device-exclusive entry left
 *    from an earlier round or held by another device: without this, the
 *    fault inside step 3 would undo it, after step 2, and every round
 *    would fail its read_retry() because of the round before it.
 * 2. The sequence is read before make_device_exclusive(), never after it:
 *    mmu_interval_read_begin() waits for invalidations in progress, and one
 *    of them may be waiting for the folio lock that step 3 returns held
 *    (fork's copy of a device-exclusive entry tries it, and the CPU's fault
 *    takes it).
 * 3. make_device_exclusive() raises EXCLUSIVE with this mirror as owner.
 *    The invalidate callback records it and returns at once, *without*
 *    mmu_interval_set_seq(): the page stays the one the entry points at,
 *    only the CPU loses access, and moving the sequence would make step 4
 *    fail every time. Every other mirror of the page, another file of the
 *    same device included, invalidates its entry.
 * 4. Under the table lock, which every other invalidation takes before it
 *    changes anything, read_retry() says whether the CPU page table changed
 *    since step 2 (an munmap, a zap, a COW break...). If it did, the page
 *    may no longer be the one mapped there: start again.
 * 5. The page is the one mapped, through our device-exclusive entry, and
 *    stays so until the next invalidation, which waits for the table lock:
 *    the operation cannot race the CPU. The word is changed with an atomic
 *    instruction on the kernel mapping of the page anyway (another file's
 *    device copy may be in flight on it until its invalidation).
 *
 * Device-exclusive entries are clean and old to the kernel: whatever the
 * device writes there, it must tell the folio itself, so every operation
 * that changes memory calls folio_mark_dirty(), as a CPU store sets the
 * dirty bit (test_hmm's EXCLUSIVE, which only takes the page, does not).
 * The folio stays locked and referenced from step 3 until after the
 * operation: the CPU's fault, which needs that lock, cannot even start.
 *
 * Lifetime of the exclusivity. The device table keeps the EXCLUSIVE mark
 * on the entry (SNAPSHOT: TEST_MIRROR_SNAP_EXCLUSIVE) for exactly as long
 * as the CPU page table holds our device-exclusive entry: every kernel path
 * that removes it raises an invalidation first, which removes the entry or
 * (fork's PROTECTION_PAGE, which restores the PTE write-protected)
 * downgrades it and drops the mark. The events a test sees:
 *
 * - ATOMIC taking the page: EXCLUSIVE with this file as owner, action SKIP
 *   (STATS exclusive_grants).
 * - The CPU touching the page: CLEAR, owner NULL, action INVALIDATE, the
 *   entry removed (STATS exclusive_lost); the next ATOMIC takes the page
 *   again.
 * - fork: PROTECTION_PAGE, the entry downgraded and no longer exclusive;
 *   mprotect: PROTECTION_VMA; munmap: UNMAP. Each counts in
 *   exclusive_lost.
 * - Unbinding or closing gives the page up without a CPU access: the
 *   device-exclusive entry stays in the CPU page table until the CPU
 *   touches the page, which then raises CLEAR for no one.
 *
 * A device READ or WRITE of an exclusive page uses its entry like any
 * other; one that has to fault over it (a missing page before it in the
 * same request) faults the CPU mapping back like a CPU access would, and
 * the exclusivity is lost.
 *
 * Only anonymous private memory can be taken (make_device_exclusive()
 * wants an anonymous folio mapped writable); a file mapping, shared memory
 * or hugetlbfs gives -EINVAL, memory the CPU maps read-only -EPERM.
 *
 * Locking, outermost first: the structural lock (held for the whole call,
 * so one device operation of a file runs at a time), the mmap read lock
 * (around make_device_exclusive() only), the folio lock (from
 * make_device_exclusive() to the end of the operation), the table lock.
 * The CPU's fault takes the folio lock and then, in our callback, the
 * table lock: the same order. Lockdep does not see folio locks; the rest it
 * checks.
 */

#include <linux/atomic.h>
#include <linux/highmem.h>
#include <linux/jiffies.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/rmap.h>

#include "compat.h"
#include "tm_core.h"

/**
 * tm_mirror_can_exclusive - can this kernel do device atomics?
 *
 * Return: true where make_device_exclusive() exists in the one-page shape
 * and is built (compat.h, "Kernel differences").
 */
bool tm_mirror_can_exclusive(void)
{
	return TM_DEVICE_EXCLUSIVE;
}

#if TM_DEVICE_EXCLUSIVE

/*
 * Do @op on the 64-bit word at @off of @page, which the device holds
 * exclusive. Table lock held. Return: does the operation change memory?
 */
static bool tm_atomic_do(struct page *page, unsigned long off,
			 struct tm_atomic_op *op)
{
	atomic64_t *v;
	void *kaddr;

	kaddr = kmap_local_page(page);
	v = kaddr + off;
	switch (op->op) {
	case TM_ATOMIC_FETCH_ADD:
		op->old = atomic64_fetch_add(op->operand, v);
		break;
	case TM_ATOMIC_CMPXCHG:
		op->old = atomic64_cmpxchg(v, op->compare, op->operand);
		break;
	default:
		op->old = atomic64_read(v);
		break;
	}
	kunmap_local(kaddr);
	return op->op != TM_ATOMIC_NONE;
}

/*
 * The device holds the page of @addr already: do @op there. Table lock
 * held. Return: false if the entry is not exclusive (nothing done).
 */
static bool tm_atomic_held(struct tm_mirror *m, unsigned long addr,
			   struct tm_atomic_op *op)
{
	struct tm_entry e;
	struct page *page;

	lockdep_assert_held(&m->table.lock);
	tm_table_lookup(&m->table, addr & PAGE_MASK, &e);
	if (!(e.flags & TM_ENT_EXCL))
		return false;
	/*
	 * The CPU page table still holds our device-exclusive entry: the
	 * invalidation that removes it would have cleared the mark first.
	 */
	page = pfn_to_page(e.pfn);
	if (tm_atomic_do(page, offset_in_page(addr), op))
		folio_mark_dirty(page_folio(page));
	return true;
}

/* Can the page at @addr be taken? mmap lock held. */
static int tm_atomic_check_vma(struct mm_struct *mm, unsigned long addr)
{
	struct vm_area_struct *vma;

	mmap_assert_locked(mm);
	vma = vma_lookup(mm, addr);
	if (!vma)
		return -EFAULT;
	/* make_device_exclusive() takes anonymous folios only */
	if (!vma_is_anonymous(vma))
		return -EINVAL;
	if (!(vma->vm_flags & VM_WRITE))
		return -EPERM;
	return 0;
}

/*
 * One round of taking the page (see "Device atomics"): 0 done, -EAGAIN an
 * invalidation raced (go again), or an error.
 */
static int tm_atomic_take(struct tm_mirror *m, struct tm_seg *seg,
			  unsigned long addr, struct tm_atomic_op *op)
{
	unsigned long page_addr = addr & PAGE_MASK, seq;
	struct folio *folio;
	struct page *page;
	u64 installed;
	int ret;

	mmap_read_lock(m->mm);
	ret = tm_atomic_check_vma(m->mm, page_addr);
	mmap_read_unlock(m->mm);
	if (ret)
		return ret;
	/* (1) the page, writable, in both page tables */
	ret = tm_fault(m, seg, page_addr, page_addr + PAGE_SIZE, true,
		       &installed);
	if (ret)
		return ret;
	/* (2) before the folio lock that (3) returns held */
	seq = mmu_interval_read_begin(&seg->notifier);
	mmap_read_lock(m->mm);
	page = make_device_exclusive(m->mm, page_addr, m, &folio);
	mmap_read_unlock(m->mm);
	if (IS_ERR(page)) {
		ret = PTR_ERR(page);
		/* not an anonymous folio: the VMA changed under us */
		return ret == -EOPNOTSUPP ? -EINVAL : ret;
	}

	mutex_lock(&m->table.lock);
	if (mmu_interval_read_retry(&seg->notifier, seq)) {
		/* (4) the CPU page table changed since (2) */
		tm_log_add(&m->log, &m->log.st.retries, 1);
		ret = -EAGAIN;
	} else if (!tm_table_set_exclusive(&m->table, page_addr,
					   page_to_pfn(page))) {
		/* no leaf (a huge entry came back): fault again */
		ret = -EAGAIN;
	} else {
		/* (5) */
		if (tm_atomic_do(page, offset_in_page(addr), op))
			folio_mark_dirty(folio);
		op->granted = true;
		ret = 0;
	}
	mutex_unlock(&m->table.lock);
	folio_unlock(folio);
	folio_put(folio);
	return ret;
}

/* Do @op on the word at @addr of @seg, taking its page if need be. */
static int tm_atomic_run(struct tm_mirror *m, struct tm_seg *seg,
			 unsigned long addr, struct tm_atomic_op *op)
{
	unsigned long timeout = jiffies +
				msecs_to_jiffies(HMM_RANGE_DEFAULT_TIMEOUT);
	bool done;
	int ret;

	lockdep_assert_held(&m->lock);
	might_lock_read(&m->mm->mmap_lock);
	might_lock(&m->table.lock);
	for (;;) {
		mutex_lock(&m->table.lock);
		ret = tm_seg_dropped(seg, addr) ? -EFAULT : 0;
		done = !ret && tm_atomic_held(m, addr, op);
		mutex_unlock(&m->table.lock);
		if (ret || done)
			return ret;
		ret = tm_atomic_take(m, seg, addr, op);
		if (ret != -EAGAIN)
			return ret;
		if (time_after(jiffies, timeout))
			return -EBUSY;
		ret = tm_next_round();
		if (ret)
			return ret;
	}
}

/**
 * tm_mirror_atomic - a device atomic on a 64-bit word of a bound page
 * @m: the mirror
 * @addr: the word's address, 8-byte aligned
 * @op: the operation (TM_ATOMIC_*, operand, compare); out: the old value,
 *	and whether the page was taken by this call
 *
 * See "Device atomics". TM_ATOMIC_NONE only takes the page (test_hmm's
 * EXCLUSIVE): it changes nothing and is not counted as an atomic.
 *
 * Return: 0 or a negative errno, see struct drm_test_mirror_atomic.
 */
int tm_mirror_atomic(struct tm_mirror *m, unsigned long addr,
		     struct tm_atomic_op *op)
{
	struct tm_binding *b;
	struct tm_seg *seg;
	int ret;

	op->old = 0;
	op->granted = false;
	ret = tm_check_caller(m);
	if (ret)
		return ret;
	if (!IS_ALIGNED(addr, sizeof(u64)) || addr >= TASK_SIZE ||
	    op->op > TM_ATOMIC_NONE)
		return -EINVAL;
	if (mutex_lock_killable(&m->lock))
		return -EINTR;
	b = tm_find_binding(m, addr);
	seg = tm_find_seg(m, addr);
	if (!b)
		ret = -ENOENT;
	else if (!(b->flags & TM_BIND_WRITE))
		ret = -EPERM;
	else if (!seg)
		ret = -EFAULT;
	else
		ret = tm_atomic_run(m, seg, addr, op);
	tm_table_put_spares(&m->table);
	if (ret && b) {
		mutex_lock(&m->table.lock);
		tm_table_trim(&m->table, addr & PAGE_MASK,
			      (addr & PAGE_MASK) + PAGE_SIZE);
		mutex_unlock(&m->table.lock);
	}
	mutex_unlock(&m->lock);
	if (!ret && op->op != TM_ATOMIC_NONE)
		tm_log_add(&m->log, &m->log.st.atomics, 1);
	if (!ret && op->granted)
		tm_log_add(&m->log, &m->log.st.exclusive_grants, 1);
	return ret;
}

#else /* !TM_DEVICE_EXCLUSIVE */

int tm_mirror_atomic(struct tm_mirror *m, unsigned long addr,
		     struct tm_atomic_op *op)
{
	op->old = 0;
	op->granted = false;
	return -EOPNOTSUPP;
}

#endif /* TM_DEVICE_EXCLUSIVE */

/**
 * tm_mirror_exclusive_count - pages of a range the device holds exclusive
 * @m: the mirror
 * @addr: first address, page aligned
 * @size: bytes, page aligned
 * @count: out: the pages whose entry is exclusive
 *
 * Return: 0, -EINVAL, -EACCES, -ESRCH.
 */
int tm_mirror_exclusive_count(struct tm_mirror *m, unsigned long addr,
			      unsigned long size, unsigned long *count)
{
	int ret;

	*count = 0;
	ret = tm_check_call(m, addr, size);
	if (ret)
		return ret;
	mutex_lock(&m->table.lock);
	*count = tm_table_count_exclusive(&m->table, addr, addr + size);
	mutex_unlock(&m->table.lock);
	return 0;
}
