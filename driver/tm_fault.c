// SPDX-License-Identifier: GPL-2.0
/*
 * test_mirror: the HMM walk, device faults and device access.
 */

/**
 * DOC: The fault path
 *
 * A device access (READ or WRITE) walks the requested pages. For each page,
 * under the table lock, it looks the entry up; a valid entry (a writable one,
 * for a write) is used at once. Otherwise the device *faults*, and the fault
 * brings in the rest of the request, one chunk (``fault_chunk_pages``,
 * default 512) at a time, with the one HMM loop of the driver, tm_walk()::
 *
 *     again:
 *         seq = mmu_interval_read_begin(&seg->notifier);    (1)
 *         mmap_read_lock(mm);
 *         ret = hmm_range_fault(&range);                   (2)
 *         mmap_read_unlock(mm);
 *         if (ret == -EBUSY)
 *             goto again;
 *         tm_table_prepare(...);                           (3)
 *         mutex_lock(&table->lock);
 *         if (mmu_interval_read_retry(&seg->notifier, seq)) {   (4)
 *             mutex_unlock(&table->lock);
 *             goto again;
 *         }
 *         tm_table_install(...);                           (5)
 *         mutex_unlock(&table->lock);
 *
 * 1. mmu_interval_read_begin() returns the notifier's sequence number,
 *    waiting first if an invalidation of the range is in progress.
 * 2. hmm_range_fault() faults the pages in (with write intent for a device
 *    write) and reports their PFNs. Nothing pins the pages: they are only
 *    guaranteed to be the CPU's pages until the next invalidation. Where
 *    the kernel has hmm_range_fault_unlocked_timeout() (7.3), steps (1) and
 *    (2) are that one call, which may drop the mmap lock inside a fault, as
 *    a CPU fault does: a userfaultfd handler is then asked for a missing or
 *    write-protected page, and the device access waits for it
 *    (TEST_MIRROR_CAP_UFFD_FAULTS). Elsewhere such a page fails the access
 *    with -EFAULT.
 * 3. Table memory is allocated *now*, without the table lock: the
 *    allocation may enter reclaim, and reclaim may invalidate this very
 *    range, which takes the table lock.
 * 4. Under the lock the invalidation callback takes, read_retry() tells
 *    whether an invalidation ran since (1). The callback bumps the sequence
 *    with mmu_interval_set_seq() under the same lock, so either it ran
 *    before and we retry, or it runs after we unlock and removes what we
 *    install.
 * 5. The result is installed. From now until the lock is dropped, the
 *    entries are exactly the CPU's. An UNMAP may also have cut the range
 *    between (2) and (4); the install is then refused with -EFAULT.
 *
 * The test_hmm front-end's SNAPSHOT uses the same loop without faulting
 * (no request flags) and turns each PFN into a byte at step (5), under the
 * lock, while the page is known to be the one the CPU maps.
 *
 * A fault covers the rest of the request and fails as a whole if any page
 * of it cannot be provided; the access then faults one page at a time, so
 * that it fails exactly at the first page the device cannot reach. A fault
 * that fails frees the table memory it prepared.
 *
 * Huge pages. hmm_range_fault() brings in what the CPU has not mapped one
 * 4 KiB page at a time, handle_mm_fault() for every page of the hole it
 * found, also after the first of them has mapped a huge page over the
 * rest: a 2 MiB chunk of untouched THP memory costs 512 faults, 511 of
 * which find the PMD mapped and only mark it accessed (lib/test_hmm, which
 * faults 32 pages per call, pays 32). So each round of a fault
 * (tm_range_fault()) first reads the chunk without faulting; memory already
 * mapped with the access asked for, the usual case, costs that one walk.
 * Otherwise, in address order, it faults the first page of each 2 MiB
 * block that has nothing mapped with that access, alone, for as long as
 * each such fault maps its whole block, and stops at the first block it
 * cannot treat so (a partly mapped one, a fault that fails or maps 4 KiB):
 * each of these is the page the faulting walk would have faulted next, so
 * a failure still happens at the same page. Then the faulting walk of step
 * (2) runs over the chunk and finds those blocks mapped; its notifier
 * sequence is the one step (4) checks.
 */

/**
 * DOC: Device access
 *
 * The device touches a page only while its entry is valid under the table
 * lock, so no device access can outlive an invalidation. The data moves
 * once, between the mirrored pages and the user buffer, with
 * __copy_{to,from}_user_inatomic() under pagefault_disable(): the copy
 * cannot fault while holding the lock the notifier takes (a fault could need
 * an invalidation of this very mirror). One lookup serves a run of pages
 * (tm_table_lookup_run(): the rest of a huge entry, or leaf entries that
 * map consecutive frames), and the run is copied in one go as far as it
 * lies in one folio (through the direct map; page by page with
 * kmap_local_page() where there is highmem), so a huge entry costs one
 * lookup and one copy per 2 MiB, not 512. If the user buffer is not
 * present, the lock is dropped, the buffer is faulted in with
 * fault_in_safe_writeable() (a READ) or fault_in_readable() (a WRITE), and
 * the page is copied again. There is no bounce buffer. Neither fault-in
 * stores anything into the buffer: fault_in_writeable() would, writing a
 * zero byte at the start of each page to fault it in, which corrupts a
 * buffer that is the bound range itself (a READ into itself after fork,
 * soft-dirty clearing or pageout) and changes a destination whose READ then
 * fails.
 *
 * Like a DMA cut short, a copy can stop part way through a page. A device
 * write whose source stops being readable there has changed the start of
 * the page; if, by the time the source is readable, the CPU has taken the
 * page or its write access away, the write fails at that page: ``pages``
 * counts the pages before it, and that page keeps the part written. A
 * device read whose destination stops being writable part way through a
 * page fails there with -EFAULT, the bytes of that page that could be
 * written holding the data. Neither ever reaches a page beyond.
 *
 * A page that lives in this device's memory (see "Device memory") is read
 * and written through its VRAM page instead, one page per lookup. A write
 * marks the device folio dirty all the same: migration home moves the flag
 * to the system page, and without it a page that was MADV_FREE'd (clean,
 * lazily freeable) before it moved to the device would come home clean,
 * and reclaim would drop what the device wrote.
 *
 * A device write marks the folio dirty with folio_mark_dirty() while the
 * entry is still valid, as soon as any byte of it reached the folio, as a
 * CPU store sets the dirty bit: writeback (which first write-protects the page
 * through a PROTECTION_PAGE event that waits for the lock) cannot miss it,
 * and reclaim cannot discard a MADV_FREE page the device has written. The
 * page cannot be truncated meanwhile: truncation unmaps it first, and that
 * invalidation waits for the lock. The lock is released every 512 pages so
 * that a long copy does not hold invalidations off.
 */

#include <linux/highmem.h>
#include <linux/hmm.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/sched/signal.h>
#include <linux/uaccess.h>

#include "compat.h"
#include "tm_core.h"
#include "tm_devmem.h"
#include "tm_trace.h"

/* Pages copied per hold of the table lock. */
#define TM_COPY_BATCH		512
/* A page refaulted this many times in a row by one access gives -EBUSY. */
#define TM_MAX_REFAULTS		64

/* Has each of the @n pages of @pfns the bits of @want, and no error? */
static bool tm_pfns_all(const unsigned long *pfns, unsigned long n,
			unsigned long want)
{
	unsigned long i;

	for (i = 0; i < n; i++)
		if ((pfns[i] & (want | HMM_PFN_ERROR)) != want)
			return false;
	return true;
}

/* Has none of the @n pages of @pfns the bits of @want? */
static bool tm_pfns_none(const unsigned long *pfns, unsigned long n,
			 unsigned long want)
{
	unsigned long i;

	for (i = 0; i < n; i++)
		if ((pfns[i] & (want | HMM_PFN_ERROR)) == want)
			return false;
	return true;
}

/*
 * One faulting round of tm_walk() over @range (see "The fault path", huge
 * pages): read the range without faulting; if every page has the access
 * @req asks for, that is the answer. Else fault the first page of each
 * 2 MiB block that the faults would reach with nothing mapped yet, alone,
 * in address order, for as long as each such fault maps its whole block;
 * then the faulting call over the range, whose notifier sequence covers
 * every page reported.
 */
static int tm_range_fault(struct hmm_range *range, unsigned long req,
			  unsigned long timeout)
{
	unsigned long want = req & (HMM_PFN_REQ_FAULT | HMM_PFN_REQ_WRITE);
	unsigned long addr, next, i, n, pfn = 0;	/* no HMM_PFN_INOUT_FLAGS */
	struct hmm_range probe;
	bool mapped = true;
	int ret;

	range->default_flags = 0;
	ret = tm_hmm_range_fault(range, timeout);
	range->default_flags = req;
	if (ret)
		return ret;
	for (addr = range->start; addr < range->end; addr = next) {
		next = min(range->end, ALIGN_DOWN(addr, TM_LEAF_SIZE) + TM_LEAF_SIZE);
		i = (addr - range->start) >> PAGE_SHIFT;
		n = (next - addr) >> PAGE_SHIFT;
		if (tm_pfns_all(range->hmm_pfns + i, n, want))
			continue;
		mapped = false;
		/* the faults start inside a block: nothing a huge page saves */
		if (n != TM_LEAF_ENTRIES ||
		    !tm_pfns_none(range->hmm_pfns + i, n, want))
			break;
		probe = *range;
		probe.start = addr;
		probe.end = addr + PAGE_SIZE;
		probe.hmm_pfns = &pfn;
		if (tm_hmm_range_fault(&probe, timeout) ||
		    hmm_pfn_to_map_order(pfn) < TM_HUGE_ORDER)
			break;
	}
	if (mapped)
		return 0;
	return tm_hmm_range_fault(range, timeout);
}

/**
 * tm_walk - read the CPU page table of part of a segment, chunk by chunk
 * @m: the mirror; structural lock held, table lock not held
 * @seg: the segment whose notifier guards the walk
 * @start: first address, page aligned
 * @end: end (exclusive)
 * @req: HMM_PFN_REQ_* flags for every page; 0 reads without faulting
 * @ops: what to do with each chunk
 * @arg: passed to @ops
 *
 * Chunks are at most the mirror's fault chunk, and end on chunk-size
 * boundaries so that huge pages line up. Each is read again, from
 * mmu_interval_read_begin() on, for as long as an invalidation races it
 * (counted in retries), for at most HMM_RANGE_DEFAULT_TIMEOUT.
 *
 * Return: 0, -EBUSY (timeout), -EINTR (fatal signal), hmm_range_fault()'s
 * error (-EFAULT, -EPERM) or @ops' error.
 */
int tm_walk(struct tm_mirror *m, struct tm_seg *seg, unsigned long start,
	    unsigned long end, unsigned long req,
	    const struct tm_walk_ops *ops, void *arg)
{
	struct hmm_range range = {
		.notifier = &seg->notifier,
		.hmm_pfns = m->pfns,
		.default_flags = req,
		.dev_private_owner = ops->foreign ? NULL : m->owner,
	};
	unsigned long chunk_size = (unsigned long)m->chunk << PAGE_SHIFT;
	unsigned long timeout;
	int ret;

	lockdep_assert_held(&m->lock);
	lockdep_assert_not_held(&m->table.lock);
	for (range.start = start; range.start < end; range.start = range.end) {
		range.end = min(end, ALIGN_DOWN(range.start, chunk_size) + chunk_size);
		timeout = jiffies + msecs_to_jiffies(HMM_RANGE_DEFAULT_TIMEOUT);
		do {
			if (time_after(jiffies, timeout))
				return -EBUSY;
			if (fatal_signal_pending(current))
				return -EINTR;
			if (req & HMM_PFN_REQ_FAULT)
				ret = tm_range_fault(&range, req,
						     max_t(long, timeout - jiffies, 1));
			else
				ret = tm_hmm_range_fault(&range,
							 max_t(long, timeout - jiffies, 1));
			if (ret == -EBUSY)
				continue;
			if (!ret && ops->prepare)
				ret = ops->prepare(m, &range, arg);
			if (ret)
				return ret;
			mutex_lock(&m->table.lock);
			if (mmu_interval_read_retry(range.notifier,
						    range.notifier_seq)) {
				tm_log_add(&m->log, &m->log.st.retries, 1);
				ret = -EBUSY;
			} else {
				ret = ops->commit(m, &range, arg);
			}
			mutex_unlock(&m->table.lock);
		} while (ret == -EBUSY);
		if (ret)
			return ret;
	}
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Device faults                                                          */

struct tm_fault_arg {
	struct tm_seg *seg;
	u64 installed;
	unsigned long huge;	/* tm_table_prepare() to tm_table_install() */
};

static int tm_fault_prepare(struct tm_mirror *m, struct hmm_range *range,
			    void *arg)
{
	struct tm_fault_arg *f = arg;
	unsigned long i, n = (range->end - range->start) >> PAGE_SHIFT;
	unsigned long p;

	/*
	 * A page of this device's memory that the CPU maps read-only (fork
	 * shares it copy-on-write) cannot take a device write in place: ask
	 * tm_fault() to bring it home, where the write breaks COW.
	 */
	if ((range->default_flags & HMM_PFN_REQ_WRITE) &&
	    (f->seg->b->flags & TM_BIND_WRITE))
		for (i = 0; i < n; i++) {
			p = range->hmm_pfns[i];
			if ((p & (HMM_PFN_VALID | HMM_PFN_WRITE)) == HMM_PFN_VALID &&
			    tm_devmem_page(m, page_to_pfn(hmm_pfn_to_page(p))))
				return -EAGAIN;
		}
	/* A read-only binding never gets a writable entry. */
	if (!(f->seg->b->flags & TM_BIND_WRITE))
		for (i = 0; i < n; i++)
			range->hmm_pfns[i] &= ~HMM_PFN_WRITE;
	return tm_table_prepare(&m->table, range->start, range->end,
				range->hmm_pfns, &f->huge);
}

static int tm_fault_commit(struct tm_mirror *m, struct hmm_range *range,
			   void *arg)
{
	struct tm_fault_arg *f = arg;
	struct tm_seg *seg = f->seg;

	/* UNMAP raced with us: the pages are no longer ours. */
	if (tm_seg_dropped(seg, range->start) ||
	    tm_seg_live_end(seg, range->start, range->end) != range->end)
		return -EFAULT;
	f->installed += tm_table_install(&m->table, range->start, range->end,
					 range->hmm_pfns, f->huge);
	return 0;
}

static const struct tm_walk_ops tm_fault_ops = {
	.prepare = tm_fault_prepare,
	.commit = tm_fault_commit,
};

static const struct tm_walk_ops tm_fault_home_ops = {
	.prepare = tm_fault_prepare,
	.commit = tm_fault_commit,
	.foreign = true,
};

/**
 * tm_fault - fault part of a segment into the device table
 * @m: the mirror; structural lock held
 * @seg: the segment
 * @start: first address
 * @end: end (exclusive)
 * @write: with write intent
 * @installed: out: pages installed (a huge entry counts 512)
 *
 * On error, the table memory prepared for the range is freed again. A
 * write that meets a read-only page of this device's memory (shared
 * copy-on-write after fork) walks again treating the device's pages as
 * foreign: the CPU fault brings them home, and breaks COW.
 *
 * Return: 0 or tm_walk()'s error, -ENOSPC (table limit), -ENOMEM.
 */
int tm_fault(struct tm_mirror *m, struct tm_seg *seg, unsigned long start,
	     unsigned long end, bool write, u64 *installed)
{
	struct tm_fault_arg f = { .seg = seg };
	int ret;

	ret = tm_walk(m, seg, start, end,
		      HMM_PFN_REQ_FAULT | (write ? HMM_PFN_REQ_WRITE : 0),
		      &tm_fault_ops, &f);
	if (ret == -EAGAIN) {
		tm_table_put_spares(&m->table);
		ret = tm_walk(m, seg, start, end,
			      HMM_PFN_REQ_FAULT | HMM_PFN_REQ_WRITE,
			      &tm_fault_home_ops, &f);
	}
	tm_table_put_spares(&m->table);
	if (ret) {
		mutex_lock(&m->table.lock);
		tm_table_trim(&m->table, start, end);
		mutex_unlock(&m->table.lock);
	}
	*installed = f.installed;
	tm_log_add(&m->log, &m->log.st.faulted_pages, f.installed);
	trace_tm_fault(seg->b->handle, start, end, write, ret, f.installed);
	return ret;
}

/* ---------------------------------------------------------------------- */
/* The CPU snapshot (test_hmm front-end)                                  */

struct tm_snap_arg {
	unsigned long start;
	u8 (*conv)(unsigned long hmm_pfn);
	u8 *out;
};

static int tm_snap_commit(struct tm_mirror *m, struct hmm_range *range,
			  void *arg)
{
	struct tm_snap_arg *a = arg;
	unsigned long i, n = (range->end - range->start) >> PAGE_SHIFT;
	u8 *out = a->out + ((range->start - a->start) >> PAGE_SHIFT);

	for (i = 0; i < n; i++)
		out[i] = a->conv(range->hmm_pfns[i]);
	return 0;
}

static const struct tm_walk_ops tm_snap_ops = {
	.commit = tm_snap_commit,
};

/**
 * tm_mirror_cpu_snapshot - read the CPU page table state, without faulting
 * @m: the mirror; the range must lie in one of its segments
 * @addr: first address, page aligned
 * @npages: pages wanted; at most the mirror's fault chunk are done
 * @conv: turns one hmm_range_fault() output entry into the byte the caller
 *	reports. It runs under the table lock, while the entry is known to be
 *	the CPU's (no invalidation since the walk), so it may look at the page
 *	behind it; nothing it is given may reach userspace as is.
 * @out: out: one @conv byte per page done
 *
 * Return: pages done (> 0), or -ENOENT (not bound), -EINVAL, -EFAULT,
 * -EBUSY, -EINTR, -EACCES, -ESRCH.
 */
int tm_mirror_cpu_snapshot(struct tm_mirror *m, unsigned long addr,
			   unsigned long npages, u8 (*conv)(unsigned long),
			   u8 *out)
{
	struct tm_snap_arg a = { .start = addr, .conv = conv, .out = out };
	struct tm_seg *seg;
	int ret;

	ret = tm_check_caller(m);
	if (ret)
		return ret;
	if (!npages)
		return -EINVAL;
	npages = min_t(unsigned long, npages, m->chunk);
	ret = tm_check_range(addr, npages << PAGE_SHIFT);
	if (ret)
		return ret;
	if (mutex_lock_killable(&m->lock))
		return -EINTR;
	seg = tm_find_seg(m, addr);
	ret = -ENOENT;
	if (seg && addr + (npages << PAGE_SHIFT) <= seg->end)
		ret = tm_walk(m, seg, addr, addr + (npages << PAGE_SHIFT), 0,
			      &tm_snap_ops, &a);
	mutex_unlock(&m->lock);
	return ret ? ret : npages;
}

/* ---------------------------------------------------------------------- */
/* Device access                                                          */

enum tm_need {
	TM_NEED_NOTHING,
	TM_NEED_FAULT,
	TM_NEED_USER,
	TM_NEED_DROPPED,
};

/*
 * Copy @n pages of one folio, from page frame @pfn on, to the user buffer
 * (a device read) or from it (@write), with page faults disabled: the
 * caller holds the table lock. Return: the bytes not copied.
 */
static unsigned long tm_copy_run(unsigned long pfn, unsigned long n,
				 bool write, char __user *ubuf)
{
	unsigned long left = 0, i;
	void *kaddr;

	pagefault_disable();
	if (!IS_ENABLED(CONFIG_HIGHMEM)) {
		/* consecutive frames lie at consecutive addresses of the direct map */
		kaddr = page_address(pfn_to_page(pfn));
		if (write)
			left = __copy_from_user_inatomic(kaddr, ubuf, n << PAGE_SHIFT);
		else
			left = __copy_to_user_inatomic(ubuf, kaddr, n << PAGE_SHIFT);
	} else {
		for (i = 0; i < n && !left; i++, ubuf += PAGE_SIZE) {
			kaddr = kmap_local_page(pfn_to_page(pfn + i));
			if (write)
				left = __copy_from_user_inatomic(kaddr, ubuf, PAGE_SIZE);
			else
				left = __copy_to_user_inatomic(ubuf, kaddr, PAGE_SIZE);
			kunmap_local(kaddr);
			if (left)
				left += (n - i - 1) << PAGE_SHIFT;
		}
	}
	pagefault_enable();
	return left;
}

/*
 * Copy pages of @seg from *@addr up to @stop while their entries allow it,
 * under the table lock, at most TM_COPY_BATCH pages. Each lookup serves a
 * run of pages (the rest of a huge entry, or consecutive leaf entries),
 * copied in one go as far as it lies in one folio. Tells the caller what
 * stopped it; for TM_NEED_FAULT, *@fault_end is where the fault may go.
 */
static enum tm_need tm_copy(struct tm_mirror *m, struct tm_seg *seg,
			    bool write, unsigned long *addr, unsigned long stop,
			    char __user **ubuf, unsigned long *fault_end,
			    struct tm_access_result *res)
{
	u64 need_ent = TM_ENT_VALID | (write ? TM_ENT_WRITE : 0);
	unsigned long live = 0, batch_end, n, k, pfn, src, left, done;
	enum tm_need need = TM_NEED_NOTHING;
	struct folio *folio;

	mutex_lock(&m->table.lock);
	batch_end = min(stop, *addr + TM_COPY_BATCH * PAGE_SIZE);
	while (*addr < batch_end) {
		/*
		 * Cuts change only under the table lock: a live run found
		 * holds until we unlock.
		 */
		if (*addr >= live) {
			if (tm_seg_dropped(seg, *addr)) {
				need = TM_NEED_DROPPED;
				break;
			}
			live = tm_seg_live_end(seg, *addr, stop);
		}
		n = tm_table_lookup_run(&m->table, *addr, min(live, batch_end),
					need_ent, &pfn);
		if (!n) {
			need = TM_NEED_FAULT;
			*fault_end = live;
			break;
		}
		/*
		 * The entries are valid under the table lock, so the pages are
		 * still mapped by the CPU at these addresses and can be neither
		 * freed, nor truncated, nor split before we unlock. Each copy
		 * stays inside one folio, as hardened usercopy wants: a run of
		 * small folios is copied a page at a time, without a second
		 * lookup.
		 */
		while (n) {
			if (tm_devmem_page(m, pfn)) {
				/* in device memory: the data is in its VRAM page */
				folio = page_folio(pfn_to_page(pfn));
				k = 1;
				src = tm_devmem_vram_pfn(pfn);
			} else {
				folio = page_folio(pfn_to_page(pfn));
				k = min(n, folio_nr_pages(folio) - (pfn - folio_pfn(folio)));
				src = pfn;
			}
			left = tm_copy_run(src, k, write, *ubuf);
			done = (k << PAGE_SHIFT) - left;
			/*
			 * Like a CPU store setting the dirty bit: whatever
			 * reached the folio, a part of a page included, is
			 * never lost to reclaim. A device page's dirty flag
			 * goes home with its data (migration moves it), so a
			 * page MADV_FREE'd before it moved is kept there.
			 */
			if (write && done && folio)
				folio_mark_dirty(folio);
			k = done >> PAGE_SHIFT;
			*addr += k << PAGE_SHIFT;
			*ubuf += k << PAGE_SHIFT;
			res->pages += k;
			if (left) {
				need = TM_NEED_USER;
				goto out;
			}
			n -= k;
			pfn += k;
		}
	}
out:
	mutex_unlock(&m->table.lock);
	return need;
}

/*
 * Resolve a device fault at @addr for tm_mirror_access(): the rest of the
 * request up to @fault_end, or only the page at @addr once @precise.
 */
static int tm_access_fault(struct tm_mirror *m, struct tm_seg *seg, bool write,
			   unsigned long addr, unsigned long fault_end,
			   bool *precise, struct tm_access_result *res)
{
	u64 installed;
	int ret;

	if (*precise)
		fault_end = addr + PAGE_SIZE;
	ret = tm_fault(m, seg, addr, fault_end, write, &installed);
	/*
	 * A fault covers the rest of the request, and fails as a whole if any
	 * page of it cannot be provided. Fall back to one page at a time, so
	 * that the access fails exactly at the first page the device cannot
	 * reach.
	 */
	if ((ret == -EFAULT || ret == -EPERM) && !*precise &&
	    fault_end > addr + PAGE_SIZE) {
		*precise = true;
		ret = tm_fault(m, seg, addr, addr + PAGE_SIZE, write, &installed);
	}
	if (!ret) {
		res->faults++;
		res->faulted_pages += installed;
		tm_log_add(&m->log, write ? &m->log.st.write_faults :
					    &m->log.st.read_faults, 1);
	}
	return ret;
}

/**
 * tm_mirror_access - device read or write of a mirrored range
 * @m: the mirror
 * @write: device write (user buffer to memory) or read (memory to buffer)
 * @addr: first device address (= CPU address), page aligned
 * @size: bytes, page aligned
 * @buf: user buffer of @size bytes
 * @res: out: pages copied and faults taken, also on error
 *
 * Return: 0 or a negative errno, see struct drm_test_mirror_access.
 */
int tm_mirror_access(struct tm_mirror *m, bool write, unsigned long addr,
		     unsigned long size, void __user *buf,
		     struct tm_access_result *res)
{
	unsigned long end, stop, fault_end = 0, last_fault = ~0UL;
	char __user *ubuf = buf;
	unsigned int refaults = 0;
	bool precise = false;
	struct tm_binding *b;
	struct tm_seg *seg;
	enum tm_need need;
	int ret;

	memset(res, 0, sizeof(*res));
	ret = tm_check_call(m, addr, size);
	if (ret)
		return ret;
	if (!access_ok(buf, size))
		return -EFAULT;
	if (mutex_lock_killable(&m->lock))
		return -EINTR;
	end = addr + size;
	while (addr < end) {
		b = tm_find_binding(m, addr);
		ret = -ENOENT;
		if (!b)
			break;
		ret = -EPERM;
		if (write && !(b->flags & TM_BIND_WRITE))
			break;
		seg = tm_find_seg(m, addr);
		ret = -EFAULT;
		if (!seg)
			break;
		stop = min(end, seg->end);
		need = tm_copy(m, seg, write, &addr, stop, &ubuf, &fault_end, res);
		ret = 0;
		if (need == TM_NEED_DROPPED) {
			ret = -EFAULT;
		} else if (need == TM_NEED_USER) {
			/*
			 * Neither fault-in stores anything: the buffer holds
			 * what it held until the copy succeeds.
			 */
			if (write ? fault_in_readable(ubuf, PAGE_SIZE) :
				    fault_in_safe_writeable(ubuf, PAGE_SIZE))
				ret = -EFAULT;
		} else if (need == TM_NEED_FAULT) {
			refaults = addr == last_fault ? refaults + 1 : 0;
			last_fault = addr;
			if (refaults > TM_MAX_REFAULTS)
				ret = -EBUSY;
			else
				ret = tm_access_fault(m, seg, write, addr,
						      fault_end, &precise, res);
		}
		if (!ret)
			ret = tm_next_round();
		if (ret)
			break;
	}
	mutex_unlock(&m->lock);
	return ret;
}
