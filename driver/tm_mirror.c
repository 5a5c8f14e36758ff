// SPDX-License-Identifier: GPL-2.0
/*
 * test_mirror: the mirror core's entry points.
 */

/**
 * DOC: Overview
 *
 * A GPU or an RDMA NIC that shares the address space of a process ("SVM",
 * "ODP") keeps its own page table: device virtual address equals CPU
 * virtual address, and each device entry points at the physical page the CPU
 * maps there. The device must never use an entry the CPU has changed. HMM
 * gives the driver two tools for that: hmm_range_fault() reads (and, if
 * asked, faults in) the CPU page table for a range and returns the PFNs and
 * their access; an mmu_interval_notifier calls the driver *before* the CPU
 * page table of a range changes, telling it why (enum mmu_notifier_event).
 *
 * A struct tm_mirror is one such device context: a device page table
 * (tm_table.c) that mirrors part of one process's address space, the
 * bindings that say which part, and the notifiers that keep the table
 * coherent with the CPU page table (tm_seg.c). The device's "DMA" is a copy
 * between a mirrored page and a user buffer (tm_fault.c); everything else,
 * binding, faulting, invalidation and locking, is what a real driver does.
 *
 * The core knows nothing of DRM or of character devices. A front-end
 * (tm_drm.c, tm_hmm_compat.c) creates one mirror per open file, checks the
 * arguments that belong to its uAPI, and calls the functions of tm_mirror.h.
 * Each file mirrors the address space of the process that opened it; every
 * entry point refuses a caller from another address space with -EACCES
 * before touching anything, and answers -ESRCH once that address space has
 * exited.
 */

#include <linux/memcontrol.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "compat.h"
#include "tm_core.h"
#include "tm_devmem.h"
#include "tm_policy.h"

/* Pages per SNAPSHOT batch. */
#define TM_SNAP_BATCH		256

/**
 * tm_mirror_check_range - validate a user range
 * @addr: start
 * @size: length in bytes
 *
 * Return: 0 if the range is page aligned, non-empty, does not wrap and lies
 * in user space; -EINVAL otherwise.
 */
int tm_mirror_check_range(unsigned long addr, unsigned long size)
{
	return tm_check_range(addr, size);
}

/**
 * tm_mirror_create - create a device context for the current process
 * @owner: the device, compared with the owner of MIGRATE/EXCLUSIVE events
 * @limits: the module's limits; those read at open are read now, the
 *	pointer is kept for max_bindings, read at each bind
 *
 * Return: the mirror or an ERR_PTR().
 */
struct tm_mirror *tm_mirror_create(void *owner, const struct tm_limits *limits)
{
	unsigned int log_len;
	struct tm_mirror *m;
	bool aware;

	if (!current->mm)
		return ERR_PTR(-EINVAL);
	m = kzalloc_obj(*m, GFP_KERNEL_ACCOUNT);
	if (!m)
		return ERR_PTR(-ENOMEM);
	m->chunk = clamp_t(unsigned int, READ_ONCE(limits->fault_chunk_pages), 1, 8192);
	m->pfns = kvcalloc(m->chunk, sizeof(*m->pfns), GFP_KERNEL_ACCOUNT);
	aware = READ_ONCE(limits->event_aware);
	log_len = clamp_t(unsigned int, READ_ONCE(limits->event_log_len), 1, 65536);
	if (!m->pfns ||
	    tm_log_init(&m->log, log_len,
			(aware ? TM_CAP_EVENT_AWARE : 0) |
			(tm_policy_can_downgrade_vma() ? TM_CAP_VMA_DOWNGRADE : 0) |
			(TM_HAVE_HMM_UNLOCKED ? TM_CAP_UFFD_FAULTS : 0) |
			(TM_HAVE_MN_TWO_PASS ? TM_CAP_TWO_PASS : 0) |
			(tm_mirror_can_exclusive() ? TM_CAP_DEVICE_EXCLUSIVE : 0))) {
		kvfree(m->pfns);
		kfree(m);
		return ERR_PTR(-ENOMEM);
	}
	mutex_init(&m->lock);
	m->owner = owner;
	m->limits = limits;
	m->event_aware = aware;
	m->bindings = RB_ROOT_CACHED;
	m->segs = RB_ROOT_CACHED;
	xa_init_flags(&m->handles, XA_FLAGS_ALLOC1 | XA_FLAGS_ACCOUNT);
	INIT_LIST_HEAD(&m->pending);
	INIT_WORK(&m->work, tm_seg_work);
	tm_table_init(&m->table, &m->lock,
		      DIV_ROUND_UP(READ_ONCE(limits->max_mirror_pages),
				   TM_LEAF_ENTRIES));
	tm_jobs_init(m);
	mmgrab(current->mm);
	m->mm = current->mm;
	m->memcg = get_mem_cgroup_from_mm(current->mm);

	/*
	 * Teach lockdep the lock order now, rather than when a rare path
	 * first takes it: the structural lock is taken outside the mmap lock
	 * and the table lock, and the table lock is taken inside reclaim (the
	 * invalidate callback runs there), so nothing may allocate under it.
	 */
	mutex_lock(&m->lock);
	might_lock_read(&m->mm->mmap_lock);
	might_lock(&m->table.lock);
	mutex_unlock(&m->lock);
	fs_reclaim_acquire(GFP_KERNEL);
	might_lock(&m->table.lock);
	fs_reclaim_release(GFP_KERNEL);
	mutex_lock(&m->table.lock);
	might_lock(&m->jobs.lock);
	mutex_unlock(&m->table.lock);
	return m;
}

static void tm_binding_free(struct tm_mirror *m, struct tm_binding *b)
{
	struct interval_tree_node *it, *next;
	struct tm_seg *seg;

	lockdep_assert_held(&m->lock);
	it = interval_tree_iter_first(&m->segs, b->it.start, b->it.last);
	while (it) {
		next = interval_tree_iter_next(it, b->it.start, b->it.last);
		seg = container_of(it, struct tm_seg, it);
		if (seg->b == b)
			tm_seg_free(m, seg);
		it = next;
	}
	mutex_lock(&m->table.lock);
	tm_table_invalidate(&m->table, b->it.start, b->it.last + 1);
	tm_table_trim(&m->table, b->it.start, b->it.last + 1);
	mutex_unlock(&m->table.lock);
	tm_fjob_tlb_sync(m, b->it.start, b->it.last + 1);
	interval_tree_remove(&b->it, &m->bindings);
	m->nr_bindings--;
	kfree(b);
}

/**
 * tm_mirror_destroy - tear a device context down
 * @m: the mirror; no other user may remain
 *
 * May run in any process (the last close of a passed file) and after the
 * mirrored mm has exited.
 */
void tm_mirror_destroy(struct tm_mirror *m)
{
	struct tm_binding *b;
	unsigned long id;

	mutex_lock(&m->lock);
	m->closing = true;
	xa_for_each(&m->handles, id, b) {
		xa_erase(&m->handles, id);
		tm_binding_free(m, b);
	}
	mutex_unlock(&m->lock);
	/* No notifier is left to queue the work again. */
	cancel_work_sync(&m->work);
	tm_fjobs_fini(m);
	tm_table_fini(&m->table);
	xa_destroy(&m->handles);
	mem_cgroup_put(m->memcg);
	mmdrop(m->mm);
	kvfree(m->pfns);
	tm_log_fini(&m->log);
	mutex_destroy(&m->lock);
	kfree(m);
}

/**
 * tm_mirror_bind - start tracking a range
 * @m: the mirror
 * @addr: first address (ignored with TM_BIND_WHOLE_SPACE)
 * @size: length (ignored with TM_BIND_WHOLE_SPACE)
 * @flags: TM_BIND_* bits; the caller rejected invalid combinations
 * @handle: out: the new handle
 *
 * Return: 0, -EINVAL, -EEXIST (overlap), -ENOSPC (limit), -EINTR, -ENOMEM,
 * -EACCES, -ESRCH, or the prefault's error (-EFAULT, -EPERM, -EBUSY); on
 * error nothing is bound.
 */
int tm_mirror_bind(struct tm_mirror *m, unsigned long addr, unsigned long size,
		   unsigned int flags, u32 *handle)
{
	struct tm_binding *b;
	struct tm_seg *seg;
	u64 installed;
	int ret;

	ret = tm_check_caller(m);
	if (ret)
		return ret;
	if (flags & TM_BIND_WHOLE_SPACE) {
		addr = 0;
		size = ULONG_MAX & PAGE_MASK;
	} else {
		ret = tm_check_range(addr, size);
		if (ret)
			return ret;
	}
	if (mutex_lock_killable(&m->lock))
		return -EINTR;
	ret = -EEXIST;
	if (interval_tree_iter_first(&m->bindings, addr, addr + size - 1))
		goto out;
	ret = -ENOSPC;
	if (m->nr_bindings >= READ_ONCE(m->limits->max_bindings))
		goto out;
	ret = -ENOMEM;
	b = kzalloc_obj(*b, GFP_KERNEL_ACCOUNT);
	if (!b)
		goto out;
	b->flags = flags & (TM_BIND_READ | TM_BIND_WRITE | TM_BIND_WHOLE_SPACE);
	b->it.start = addr;
	b->it.last = addr + size - 1;
	ret = xa_alloc(&m->handles, &b->handle, b, xa_limit_32b,
		       GFP_KERNEL_ACCOUNT);
	if (ret) {
		kfree(b);
		goto out;
	}
	seg = tm_seg_new(m, b, addr, addr + size, true);
	if (IS_ERR(seg)) {
		ret = PTR_ERR(seg);
		xa_erase(&m->handles, b->handle);
		kfree(b);
		goto out;
	}
	interval_tree_insert(&b->it, &m->bindings);
	interval_tree_insert(&seg->it, &m->segs);
	m->nr_bindings++;
	m->nr_segs++;
	if (flags & TM_BIND_PREFAULT) {
		ret = tm_fault(m, seg, addr, addr + size,
			       flags & TM_BIND_WRITE, &installed);
		if (ret) {
			xa_erase(&m->handles, b->handle);
			tm_binding_free(m, b);
			goto out;
		}
	}
	*handle = b->handle;
	ret = 0;
out:
	mutex_unlock(&m->lock);
	return ret;
}

/**
 * tm_mirror_unbind - stop tracking a binding and drop its entries
 * @m: the mirror
 * @handle: from tm_mirror_bind()
 *
 * Cost follows the entries and segments present, not the binding's size.
 *
 * Return: 0, -ENOENT for a handle that is not live (0 never is), -EACCES,
 * -ESRCH, -EINTR.
 */
int tm_mirror_unbind(struct tm_mirror *m, u32 handle)
{
	struct tm_binding *b;
	int ret;

	ret = tm_check_caller(m);
	if (ret)
		return ret;
	/*
	 * Handles start at 1. Erasing index 0 of an ALLOC1 xarray would mark
	 * it free, and the next bind would get handle 0.
	 */
	if (!handle)
		return -ENOENT;
	if (mutex_lock_killable(&m->lock))
		return -EINTR;
	b = xa_erase(&m->handles, handle);
	if (b)
		tm_binding_free(m, b);
	mutex_unlock(&m->lock);
	return b ? 0 : -ENOENT;
}

/* The TM_SNAP_* byte of one page. */
static u8 tm_snap_byte(struct tm_mirror *m, unsigned long va)
{
	struct tm_seg *seg;
	struct tm_entry e;
	u8 snap;

	lockdep_assert_held(&m->lock);
	lockdep_assert_held(&m->table.lock);
	if (!tm_find_binding(m, va))
		return TM_SNAP_UNBOUND;
	seg = tm_find_seg(m, va);
	if (!seg || tm_seg_dropped(seg, va))
		return TM_SNAP_DROPPED;
	tm_table_lookup(&m->table, va, &e);
	snap = !(e.flags & TM_ENT_VALID) ? TM_SNAP_NONE :
	       (e.flags & TM_ENT_WRITE) ? TM_SNAP_WRITE : TM_SNAP_READ;
	if ((e.flags & TM_ENT_VALID) && tm_devmem_page(m, e.pfn))
		snap |= TM_SNAP_DEVICE;
	if (e.flags & TM_ENT_EXCL)
		snap |= TM_SNAP_EXCLUSIVE;
	return e.huge ? snap | TM_SNAP_HUGE : snap;
}

/**
 * tm_mirror_snapshot - report the device table's state without faulting
 * @m: the mirror
 * @addr: first address, page aligned
 * @size: bytes, page aligned
 * @out: user array, one TM_SNAP_* byte per page
 *
 * Return: 0, -EINVAL, -EFAULT (bad @out), -EACCES, -ESRCH, -EINTR (fatal
 * signal).
 */
int tm_mirror_snapshot(struct tm_mirror *m, unsigned long addr,
		       unsigned long size, u8 __user *out)
{
	unsigned long npages = size >> PAGE_SHIFT, i, n, a;
	u8 buf[TM_SNAP_BATCH];
	int ret;

	ret = tm_check_call(m, addr, size);
	if (ret)
		return ret;
	if (!access_ok(out, npages))
		return -EFAULT;
	if (mutex_lock_killable(&m->lock))
		return -EINTR;
	for (i = 0; i < npages; i += n) {
		n = min_t(unsigned long, npages - i, TM_SNAP_BATCH);
		mutex_lock(&m->table.lock);
		for (a = 0; a < n; a++)
			buf[a] = tm_snap_byte(m, addr + ((i + a) << PAGE_SHIFT));
		mutex_unlock(&m->table.lock);
		ret = copy_to_user(out + i, buf, n) ? -EFAULT : tm_next_round();
		if (ret)
			break;
	}
	mutex_unlock(&m->lock);
	return ret;
}

/**
 * tm_mirror_stats - read the counters
 * @m: the mirror
 * @st: out: the counters and current values
 * @reset: zero the counters afterwards
 *
 * Return: 0, -EACCES, -ESRCH.
 */
int tm_mirror_stats(struct tm_mirror *m, struct tm_stats *st, bool reset)
{
	int ret;

	ret = tm_check_caller(m);
	if (ret)
		return ret;
	tm_log_stats(&m->log, st, reset);
	mutex_lock(&m->table.lock);
	st->entries_present = m->table.nr_entries;
	st->huge_entries = m->table.nr_huge;
	st->table_bytes = (u64)m->table.nr_leaves * sizeof(struct tm_leaf);
	mutex_unlock(&m->table.lock);
	st->bindings = READ_ONCE(m->nr_bindings);
	if (m->devmem) {
		struct tm_devmem_stats ds;

		tm_devmem_stats(m->devmem, &ds);
		st->devmem_evictions = ds.evictions;
		st->devmem_cpu_faults = ds.cpu_faults;
		st->devmem_pages = ds.pages;
	}
	return 0;
}

/**
 * tm_mirror_events - copy the oldest records of the event log
 * @m: the mirror
 * @recs: out: up to @max records, oldest first
 * @max: capacity of @recs
 * @lost: out: records overwritten before being read
 *
 * The records stay in the log: once the caller has handed them on, it may
 * remove them with tm_mirror_events_consume().
 *
 * Return: records copied, -EACCES, -ESRCH.
 */
int tm_mirror_events(struct tm_mirror *m, struct tm_event_rec *recs,
		     unsigned int max, u64 *lost)
{
	int ret = tm_check_caller(m);

	return ret ? ret : tm_log_read(&m->log, recs, max, lost);
}

/**
 * tm_mirror_events_consume - remove records that were handed on
 * @m: the mirror
 * @last_seq: sequence number of the last record handed on (0: none)
 * @lost: the lost count handed on with them
 */
void tm_mirror_events_consume(struct tm_mirror *m, u64 last_seq, u64 lost)
{
	tm_log_consume(&m->log, last_seq, lost);
}

/**
 * tm_mirror_dump - print bindings, segments and the table (debugfs)
 * @m: the mirror
 * @s: where to print
 *
 * Return: 0 or -EINTR.
 */
int tm_mirror_dump(struct tm_mirror *m, struct seq_file *s)
{
	struct interval_tree_node *it, *sit;
	struct tm_binding *b;
	struct tm_seg *seg;
	unsigned int i;

	if (mutex_lock_killable(&m->lock))
		return -EINTR;
	mutex_lock(&m->table.lock);
	seq_printf(s, "policy: %s%s\n", m->event_aware ? "event-aware" : "event-blind",
		   m->released ? ", address space released" : "");
	seq_printf(s, "bindings: %u, segments: %u, entries: %lu (huge %lu), leaves: %lu\n",
		   m->nr_bindings, m->nr_segs, m->table.nr_entries,
		   m->table.nr_huge, m->table.nr_leaves);
	for (it = interval_tree_iter_first(&m->bindings, 0, ULONG_MAX); it;
	     it = interval_tree_iter_next(it, 0, ULONG_MAX)) {
		b = container_of(it, struct tm_binding, it);
		seq_printf(s, "binding %u: 0x%lx-0x%lx %s%s\n", b->handle,
			   it->start, it->last + 1,
			   (b->flags & TM_BIND_WRITE) ? "read-write" : "read",
			   (b->flags & TM_BIND_WHOLE_SPACE) ? " whole-space" : "");
		for (sit = interval_tree_iter_first(&m->segs, it->start, it->last);
		     sit; sit = interval_tree_iter_next(sit, it->start, it->last)) {
			seg = container_of(sit, struct tm_seg, it);
			seq_printf(s, "  segment 0x%lx-0x%lx%s\n", seg->start,
				   seg->end, seg->dead ? " dropped" : "");
			for (i = 0; i < seg->cuts.nr; i++)
				seq_printf(s, "    cut 0x%lx-0x%lx\n",
					   seg->cuts.cut[i].start,
					   seg->cuts.cut[i].end);
		}
		tm_table_dump(&m->table, s, it->start, it->last + 1);
	}
	mutex_unlock(&m->table.lock);
	mutex_unlock(&m->lock);
	return 0;
}
