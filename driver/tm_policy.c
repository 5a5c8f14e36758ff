// SPDX-License-Identifier: GPL-2.0
/*
 * test_mirror: the event policy, in one place.
 */

/**
 * DOC: Event policy
 *
 * The kernel tells an interval notifier why the CPU page table changes
 * (enum mmu_notifier_event). tm_policy_decide() says what the device does
 * about it. Every row errs towards removing access: downgrading is only
 * chosen where the CPU keeps the same page mapped with at least read
 * access, so that a device read through a kept entry returns exactly what a
 * CPU read would.
 *
 * .. list-table::
 *    :header-rows: 1
 *    :widths: 18 20 62
 *
 *    * - Event
 *      - Action
 *      - Why
 *    * - UNMAP
 *      - drop
 *      - The memory is gone from this address (munmap, ``MAP_FIXED`` over
 *        it, mremap's old range, the OOM reaper). Entries removed, the
 *        tracking of the unmapped part dropped: whatever is mapped there
 *        later is not what was bound. The rest of the binding keeps
 *        working. On 6.1 a hugetlb zap that keeps the mapping raises UNMAP
 *        too: that one invalidates (see "Kernel differences").
 *    * - CLEAR
 *      - invalidate
 *      - The page leaves the address but the mapping stays
 *        (``MADV_DONTNEED``/``FREE``, truncation, COW break, reclaim,
 *        migration, KSM, THP split and collapse). The next access refaults.
 *        The device's own eviction of its memory (migrate_device_pfns())
 *        raises CLEAR too, with no owner, so it cannot be told from the
 *        others, and needs no telling: the page moves, every mirror of it
 *        must refault.
 *    * - PROTECTION_PAGE
 *      - downgrade
 *      - Write-protection of the same pages (fork COW of the parent,
 *        writeback's mkclean). Reads stay correct; a device write refaults
 *        with write intent, so the CPU breaks COW or dirties the page.
 *    * - PROTECTION_VMA
 *      - downgrade where the kernel says the VMA stays readable (6.1),
 *        else invalidate
 *      - mprotect, NUMA hinting, userfaultfd write-protect. PROT_NONE must
 *        leave no access at all; from 6.3 the range carries no VMA to tell.
 *    * - SOFT_DIRTY
 *      - downgrade
 *      - ``clear_refs``: the next device write must refault, so the CPU
 *        marks the page soft-dirty.
 *    * - RELEASE
 *      - release
 *      - The address space is being torn down: everything is removed, and
 *        later calls fail with -ESRCH.
 *    * - MIGRATE, EXCLUSIVE
 *      - skip if the range's owner is this mirror, else invalidate
 *      - ``owner`` is meaningful for these two events only. A migration
 *        this mirror started (the MIGRATE ioctl, DEVMEM to the device)
 *        moves its entries itself before the old pages go; a page this
 *        mirror takes exclusive (the ATOMIC ioctl) stays the page its
 *        entry points at, and the callback returns without moving the
 *        notifier sequence ("Device atomics"). Anyone else's, another file
 *        of the same device included, invalidates. A move of device pages
 *        home (DEVMEM to the system, a CPU fault on a device page) must
 *        name the device, the pages' pgmap owner, to select them: it
 *        invalidates in every mirror, the mover's too, as it should, the
 *        pages its entries map leaving ("Device memory").
 *    * - anything else
 *      - invalidate
 *      - An event this module does not know.
 *
 * Why downgrading is safe: a read-only device entry stays valid exactly as
 * long as the CPU keeps *the same page* mapped *readable* at that address.
 * PROTECTION_PAGE and SOFT_DIRTY only clear the write bit of present PTEs;
 * the page stays. A later event that replaces the page (COW break and
 * migration raise CLEAR, munmap raises UNMAP) removes the entry. A device
 * write needs a writable entry, so it faults with write intent, and
 * hmm_range_fault() makes the CPU do what a CPU write would: break COW,
 * call ``page_mkwrite`` (dirtying the file page), set the soft-dirty bit.
 *
 * The module parameter ``event_aware=N`` selects the event-blind policy of
 * lib/test_hmm instead: invalidate on every event (UNMAP then keeps the
 * tracking, as in test_hmm), except the EXCLUSIVE this mirror raises itself
 * to take a page, which is how a device atomic works under either policy
 * (the callback skips it before asking the policy). Files opened while it is set use it, so tests
 * and benchmarks compare the two in one boot.
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
 * tm_policy_decide - what to do for one invalidation ("Event policy")
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
		/* 6.1 also raises UNMAP for hugetlb zaps (compat.h) */
		return tm_range_unmaps(range) ? TM_ACTION_DROP :
						TM_ACTION_INVALIDATE;
	case MMU_NOTIFY_CLEAR:
		return TM_ACTION_INVALIDATE;
	case MMU_NOTIFY_PROTECTION_PAGE:
	case MMU_NOTIFY_SOFT_DIRTY:
		return TM_ACTION_DOWNGRADE;
	case MMU_NOTIFY_PROTECTION_VMA:
		return tm_range_keeps_read(range) ? TM_ACTION_DOWNGRADE :
						    TM_ACTION_INVALIDATE;
	case MMU_NOTIFY_RELEASE:
		return TM_ACTION_RELEASE;
	case MMU_NOTIFY_MIGRATE:
	case MMU_NOTIFY_EXCLUSIVE:
		/* range->owner is only initialised for these two events */
		if (owner && range->owner == owner)
			return TM_ACTION_SKIP;
		return TM_ACTION_INVALIDATE;
	default:
		return TM_ACTION_INVALIDATE;
	}
}
