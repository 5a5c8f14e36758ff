// SPDX-License-Identifier: GPL-2.0
/*
 * test_mirror: the event policy, in one place.
 */

/**
 * DOC: Event policy
 *
 * The kernel tells an interval notifier why the CPU page table changes
 * (enum mmu_notifier_event). This table says what the device does about it.
 * Every row errs towards removing access: downgrading is only chosen where
 * the CPU keeps the same page mapped with at least read access, so a device
 * read through a kept entry returns exactly what a CPU read would.
 */

#include <linux/mmu_notifier.h>

#include "compat.h"
#include "tm_policy.h"

/**
 * tm_policy_can_downgrade_vma - can PROTECTION_VMA keep read-only entries?
 *
 * Return: true on kernels whose notifier range tells the VMA's new access.
 */
bool tm_policy_can_downgrade_vma(void)
{
	return TM_HAVE_RANGE_VMA;
}

/**
 * tm_policy_decide - what to do for one invalidation
 * @range: the kernel's notifier range
 * @event_aware: false selects the event-blind policy (invalidate always),
 *	for A/B comparisons
 * @owner: this mirror; MIGRATE and EXCLUSIVE ranges started by it are ours
 *
 * Return: the action; the caller applies it to the part of the range that
 * it tracks.
 */
enum tm_action tm_policy_decide(const struct mmu_notifier_range *range,
				bool event_aware, const void *owner)
{
	if (!event_aware)
		return TM_ACTION_INVALIDATE;

	switch (range->event) {
	case MMU_NOTIFY_UNMAP:
		/*
		 * munmap, MAP_FIXED over the range, mremap (old range), and
		 * the OOM reaper: the memory is gone from this address.
		 * Whatever is mapped here later is not what was bound. But
		 * 6.1 also raises UNMAP for hugetlb zaps that keep the
		 * mapping (compat.h): those are invalidations.
		 */
		return tm_range_unmaps(range) ? TM_ACTION_DROP :
						TM_ACTION_INVALIDATE;
	case MMU_NOTIFY_CLEAR:
		/*
		 * The page leaves this address but the mapping stays:
		 * MADV_DONTNEED/FREE, truncation, COW break, reclaim,
		 * migration, KSM, THP split/collapse. Refault later.
		 */
		return TM_ACTION_INVALIDATE;
	case MMU_NOTIFY_PROTECTION_PAGE:
		/*
		 * Write-protection of the same pages (fork COW of the parent,
		 * writeback's mkclean). Reads stay valid; a device write must
		 * refault so the CPU can break COW or dirty the page.
		 */
		return TM_ACTION_DOWNGRADE;
	case MMU_NOTIFY_PROTECTION_VMA:
		/*
		 * mprotect, NUMA hinting, userfaultfd write-protect. Keep
		 * read-only entries only when the kernel tells us the VMA
		 * keeps read access (6.1 only, see compat.h; NUMA hinting
		 * keeps it there); PROT_NONE must leave no access at all.
		 */
		return tm_range_keeps_read(range) ? TM_ACTION_DOWNGRADE :
						    TM_ACTION_INVALIDATE;
	case MMU_NOTIFY_SOFT_DIRTY:
		/*
		 * clear_refs: the CPU write-protects to catch the next write.
		 * The device must refault on write too, so the page gets
		 * marked soft-dirty.
		 */
		return TM_ACTION_DOWNGRADE;
	case MMU_NOTIFY_RELEASE:
		/* The address space is being torn down. */
		return TM_ACTION_RELEASE;
	case MMU_NOTIFY_MIGRATE:
	case MMU_NOTIFY_EXCLUSIVE:
		/*
		 * owner is only meaningful for these two events. A migration
		 * this mirror started (tm_mirror_migrate(), owner = the
		 * mirror) moves the entries itself before the old pages go;
		 * anyone else's, including another file of this device,
		 * invalidates.
		 */
		if (owner && range->owner == owner)
			return TM_ACTION_SKIP;
		return TM_ACTION_INVALIDATE;
	default:
		/* An event this module does not know: be safe. */
		return TM_ACTION_INVALIDATE;
	}
}
