/* SPDX-License-Identifier: GPL-2.0 */
/*
 * test_mirror: kernel API differences, in one place.
 */

/**
 * DOC: Kernel differences
 *
 * The kernel API differences between the kernels this module is built for
 * (Debian 12's 6.1 and 6.12 LTS, Debian 13's 7.3 from trixie-backports),
 * each with a deliberate fallback:
 *
 * - struct mmu_notifier_range lost ->vma, and
 *   mmu_notifier_range_update_to_read_only() went with it, in 6.3. Without
 *   them a PROTECTION_VMA callback cannot tell whether the VMA keeps read
 *   access (mprotect(PROT_READ)) or loses it (mprotect(PROT_NONE)), so from
 *   6.3 on the policy invalidates instead of downgrading. On 6.1 the answer
 *   is the VMA's VM_READ: NUMA hinting (change_prot_numa()) makes the PTEs
 *   PROT_NONE but keeps VM_READ, so it downgrades there. That is safe: the
 *   page stays mapped at that address until the hinting fault migrates it,
 *   and the migration raises CLEAR first.
 * - On 6.1, __unmap_hugepage_range() raises UNMAP itself, also when the
 *   mapping stays: MADV_DONTNEED of hugetlb memory (after zap's own CLEAR)
 *   and hugetlbfs truncation and hole punching. From 6.3 it raises CLEAR
 *   (6.12 does). tm_range_unmaps() tells a real unmap from such a zap: a
 *   munmap (or mremap, or MAP_FIXED over the range) has taken the VMA out
 *   of the mm's tree before it raises UNMAP; a zap leaves it there. Only
 *   hugetlb VMAs are looked at (the only zaps that raise UNMAP), and only
 *   for a range inside the VMA (exit's UNMAP of the whole space names its
 *   first VMA). The lookup is mt_find(), which takes the RCU read lock
 *   itself: the callback runs with the mmap lock held (munmap, madvise) or
 *   without it (hugetlbfs truncation, under the file's i_mmap lock), and
 *   may not sleep. The VMA is only compared, never used, and it cannot be
 *   freed under the caller.
 * - class_create() lost its owner argument in 6.4.
 * - From 6.12, drm_open() warns unless the file_operations declare
 *   FOP_UNSIGNED_OFFSET (DRM offsets are unsigned); older kernels have no
 *   fop_flags at all.
 * - struct drm_driver lost its .date in 6.14 (nothing read it any more):
 *   the date is given only where the field exists (TM_HAVE_DRM_DRIVER_DATE),
 *   and the driver identifies itself by name, description and version
 *   everywhere.
 * - The unbound system workqueue was renamed system_dfl_wq in 6.17, and by
 *   7.2 queueing on the old name, system_unbound_wq, logs a deprecation
 *   warning. The deferred work (freeing the tracking of unmapped ranges) is
 *   queued on system_dfl_wq wherever it exists (TM_HAVE_SYSTEM_DFL_WQ;
 *   Debian's 6.12.117 has it too), else on system_unbound_wq: the same
 *   queue under its old name.
 * - 7.x added typed allocation helpers: ``kzalloc_obj(*ptr, gfp)`` is
 *   ``kzalloc(sizeof(*ptr), gfp)`` returning a pointer to the object's
 *   type, and 7.x's checkpatch asks for it. Where the kernel lacks it (no
 *   such macro: 6.1, 6.12), compat.h defines kzalloc_obj() for the one form
 *   used here, object and gfp flags, as that plain kzalloc().
 *
 * - hmm_range_fault() runs under the mmap read lock the caller holds, so
 *   the faults it takes may not drop it: a userfaultfd-registered page that
 *   is missing or write-protected cannot be handed to its handler (the
 *   fault fails, and the device access with -EFAULT). 7.3 added
 *   hmm_range_fault_unlocked_timeout(), which takes the lock itself and
 *   lets a fault drop it and wait, like a CPU fault: where the kernel has it
 *   (TM_HAVE_HMM_UNLOCKED), tm_hmm_range_fault() uses it, so the handler
 *   is asked and the access completes with the page it supplies
 *   (TM_CAP_UFFD_FAULTS tells userspace). Elsewhere, the old call and the
 *   documented -EFAULT, without even faulting: in a userfaultfd-registered
 *   VMA the range is only read (tm_hmm_range_fault_locked()), because a
 *   fault there without FAULT_FLAG_ALLOW_RETRY is a caller's bug to the
 *   kernel, which says so on a debug kernel.
 * - Device atomics need make_device_exclusive() in 7.3's shape: one page,
 *   returned locked and referenced, with the owner that the EXCLUSIVE event
 *   carries (``page = make_device_exclusive(mm, addr, owner, &folio)``).
 *   6.1 and 6.12 have make_device_exclusive_range(), a range of pages
 *   handed back in an array, and every version builds it only with
 *   CONFIG_DEVICE_PRIVATE, which Debian enables on its 7.3 alone.
 *   Where the call exists and is built (TM_HAVE_MAKE_DEVICE_EXCLUSIVE and
 *   CONFIG_DEVICE_PRIVATE: TM_DEVICE_EXCLUSIVE), ATOMIC and test_hmm's
 *   EXCLUSIVE work and TEST_MIRROR_CAP_DEVICE_EXCLUSIVE says so; elsewhere
 *   they fail with -EOPNOTSUPP. The older range form is not used: this
 *   module supports the one shape.
 * - 7.1 added an optional two-pass interval notifier
 *   (invalidate_start / invalidate_finish): a driver starts its device's TLB
 *   flush in the first pass and waits for it in the second, so that the
 *   waits of all notifiers of a range overlap. test_mirror uses it for the
 *   one wait it has, the fault engine's TLB acknowledgment ("Jobs: the
 *   fault model"), where Kbuild finds struct mmu_interval_notifier_finish
 *   (TM_HAVE_MN_TWO_PASS): the second pass comes from a small pool in the
 *   mirror, not an allocation, and a full pool falls back to waiting in the
 *   first pass. The synchronous device and the pre-validated jobs have
 *   nothing to overlap: their callback's work ends before it returns.
 *
 * - Device-private memory (CONFIG_DEVICE_PRIVATE) is only configured in
 *   Debian's 7.3 of the kernels built for. Its pgmap API changed shape
 *   over time (the free callback took a page before it took a folio,
 *   zone_device_page_init() gained the pgmap and an order): the device
 *   memory is built where the kernel has the option and the shapes used
 *   (TM_HAVE_PGMAP_FOLIO_FREE, TM_HAVE_ZDPI_PGMAP), else its calls fail
 *   with -EOPNOTSUPP and TEST_MIRROR_CAP_DEVICE_PRIVATE is clear.
 * - 6.19 taught migration to move device-private memory in 2 MiB folios
 *   (``MIGRATE_VMA_SELECT_COMPOUND``, ``MIGRATE_PFN_COMPOUND``, the pgmap's
 *   folio_split callback, device-private PMD entries; x86-64 selects
 *   ``CONFIG_ARCH_HAS_PMD_SOFTLEAVES`` with THP). Where the kernel has it
 *   (TM_HAVE_MIGRATE_COMPOUND: TM_DEVMEM_THP), the device moves a 2 MiB
 *   block as one folio; elsewhere its memory holds 4 KiB pages only.
 *
 * - The DRM GPU scheduler (drm_sched, gpu-sched.ko; "Job engine") changed
 *   shape several times, and Debian backported parts of the newer API into
 *   its older kernels, so each piece is probed. drm_sched_init() takes a
 *   struct drm_sched_init_args on all three kernels (upstream from 6.15;
 *   Debian's 6.1 and 6.12 have it backported); a kernel without it is not
 *   supported (TM_HAVE_SCHED_INIT_ARGS, #error). Its ``num_rqs`` (and
 *   ``submit_wq``) are missing in 6.1's copy and must be set where they
 *   exist (TM_HAVE_SCHED_NUM_RQS). drm_sched_job_init() gained the job's
 *   credits (upstream 6.8; TM_HAVE_SCHED_CREDITS) and the DRM client id
 *   (upstream 6.15, Debian's 6.12 too; TM_HAVE_SCHED_CLIENT_ID, with
 *   drm_file.client_id): each job costs one credit. The timeout handler
 *   can say "no hang" (DRM_GPU_SCHED_STAT_NO_HANG, upstream 6.17:
 *   TM_HAVE_SCHED_NO_HANG) and drm_sched then puts the job back on its
 *   pending list; elsewhere the handler does it itself (tm_sched.c). Not
 *   needed, so not probed: ``.dependency`` / ``.prepare_job`` (the engine
 *   only uses drm_sched_job_add_dependency()),
 *   drm_sched_job_add_syncobj_dependency() (not in 6.1; its two calls are
 *   written out), drm_sched_start()'s arguments (no device reset), and
 *   dma_fence_signal()'s return value (int before 7.x, void in 7.3).
 * - Before 7.x a dma_fence calls its ops as long as it exists, so a fence
 *   that outlives the module (held by a syncobj or sync_file) calls code
 *   that is gone. 7.x sets a signalled fence's ops to NULL when they have
 *   neither .release nor .wait, and the core frees it. Kbuild probes the
 *   sentence of dma-fence.h that documents it ("prevents the fence from
 *   detaching", TM_HAVE_FENCE_DETACH): no symbol names the behaviour.
 *   Where it is missing, module exit waits for the engine's fences
 *   ("Job engine").
 *
 * The TM_HAVE_* values come from Kbuild, which probes the headers being
 * built against: where Debian backports a change, the version does not say.
 *
 * The module needs CONFIG_MMU_NOTIFIER, CONFIG_HMM_MIRROR and DRM. Without
 * HMM mirroring there is nothing for it to do, so the build (Kbuild) stops
 * with one message naming the missing option instead of producing a module
 * of stubs.
 */
#ifndef _TM_COMPAT_H_
#define _TM_COMPAT_H_

#include <linux/fs.h>
#include <linux/hmm.h>
#include <linux/hugetlb.h>
#include <linux/maple_tree.h>
#include <linux/mmap_lock.h>
#include <linux/version.h>
#include <linux/mmu_notifier.h>
#include <linux/slab.h>
#include <linux/userfaultfd_k.h>
#include <linux/workqueue.h>

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 3, 0)
#define TM_HAVE_RANGE_VMA	1
static inline bool tm_range_keeps_read(const struct mmu_notifier_range *range)
{
	return mmu_notifier_range_update_to_read_only(range);
}

static inline bool tm_range_unmaps(const struct mmu_notifier_range *range)
{
	struct vm_area_struct *vma = range->vma;
	unsigned long index;

	if (range->event != MMU_NOTIFY_UNMAP || !vma || !is_vm_hugetlb_page(vma) ||
	    range->start < vma->vm_start || range->end > vma->vm_end)
		return range->event == MMU_NOTIFY_UNMAP;
	index = vma->vm_start;
	return mt_find(&range->mm->mm_mt, &index, vma->vm_start) != vma;
}
#else
#define TM_HAVE_RANGE_VMA	0
static inline bool tm_range_keeps_read(const struct mmu_notifier_range *range)
{
	return false;
}

static inline bool tm_range_unmaps(const struct mmu_notifier_range *range)
{
	return range->event == MMU_NOTIFY_UNMAP;
}
#endif

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 4, 0)
#define tm_class_create(name)	class_create(THIS_MODULE, name)
#else
#define tm_class_create(name)	class_create(name)
#endif

#if !defined(TM_HAVE_SYSTEM_DFL_WQ) || !defined(TM_HAVE_DRM_DRIVER_DATE) || \
	!defined(TM_HAVE_HMM_UNLOCKED) || !defined(TM_HAVE_PGMAP_FOLIO_FREE) || \
	!defined(TM_HAVE_ZDPI_PGMAP) || !defined(TM_HAVE_MAKE_DEVICE_EXCLUSIVE) || \
	!defined(TM_HAVE_MIGRATE_COMPOUND) || !defined(TM_HAVE_SCHED_INIT_ARGS) || \
	!defined(TM_HAVE_SCHED_NUM_RQS) || !defined(TM_HAVE_SCHED_CREDITS) || \
	!defined(TM_HAVE_SCHED_CLIENT_ID) || !defined(TM_HAVE_SCHED_NO_HANG) || \
	!defined(TM_HAVE_FENCE_DETACH) || !defined(TM_HAVE_MN_TWO_PASS)
#error "TM_HAVE_* are probed by Kbuild: build with it"
#endif

/* drm_sched (see "Kernel differences") */
#if !TM_HAVE_SCHED_INIT_ARGS
#error "test_mirror needs drm_sched_init() with struct drm_sched_init_args"
#endif

/* make_device_exclusive(), one page, and built (see "Kernel differences") */
#if TM_HAVE_MAKE_DEVICE_EXCLUSIVE && defined(CONFIG_DEVICE_PRIVATE)
#define TM_DEVICE_EXCLUSIVE	1
#else
#define TM_DEVICE_EXCLUSIVE	0
#endif

/*
 * 2 MiB device folios (see "Kernel differences"): the migration flags are
 * 0 where the kernel has none, so that the code asking for them needs no
 * #ifdef and never sees a compound entry.
 */
#if TM_HAVE_MIGRATE_COMPOUND && IS_ENABLED(CONFIG_ARCH_HAS_PMD_SOFTLEAVES)
#define TM_DEVMEM_THP		1
#define TM_PFN_COMPOUND		MIGRATE_PFN_COMPOUND
#define TM_SELECT_COMPOUND	MIGRATE_VMA_SELECT_COMPOUND
#else
#define TM_DEVMEM_THP		0
#define TM_PFN_COMPOUND		0UL
#define TM_SELECT_COMPOUND	0
#endif

#if TM_HAVE_SYSTEM_DFL_WQ
#define tm_dfl_wq	system_dfl_wq
#else
#define tm_dfl_wq	system_unbound_wq
#endif

#if TM_HAVE_DRM_DRIVER_DATE
#define TM_DRM_DRIVER_DATE(d)	.date = (d),
#else
#define TM_DRM_DRIVER_DATE(d)
#endif

#if !TM_HAVE_HMM_UNLOCKED
/* Is a VMA of [start, end) registered with a userfaultfd? mmap lock held. */
static inline bool tm_range_uffd_armed(struct mm_struct *mm,
				       unsigned long start, unsigned long end)
{
	VMA_ITERATOR(vmi, mm, start);
	struct vm_area_struct *vma;

	for_each_vma_range(vmi, vma, end)
		if (userfaultfd_armed(vma))
			return true;
	return false;
}

/*
 * hmm_range_fault() where its faults cannot drop the mmap lock: a fault on
 * a userfaultfd-registered VMA could not wait for the handler, and the
 * kernel treats such a caller as a bug (with DEBUG_VM it says
 * "FAULT_FLAG_ALLOW_RETRY missing" and dumps the stack). So there the
 * range is only read, never faulted: pages already present with the access
 * asked for are used, any other fails with -EFAULT, which is what the
 * fault gives where it would ask the handler. The module cannot see which
 * read-only PTE is write-protected by the userfaultfd and which is only
 * waiting for a write fault, so in a VMA registered for write protection a
 * device write needs a page the CPU already maps writable.
 */
static inline int tm_hmm_range_fault_locked(struct hmm_range *range)
{
	unsigned long want = range->default_flags & HMM_PFN_REQ_FAULT ?
			     range->default_flags & (HMM_PFN_VALID | HMM_PFN_WRITE) : 0;
	unsigned long i, n = (range->end - range->start) >> PAGE_SHIFT;
	int ret;

	if (!want || !tm_range_uffd_armed(range->notifier->mm, range->start,
					  range->end))
		return hmm_range_fault(range);
	range->default_flags &= ~(HMM_PFN_REQ_FAULT | HMM_PFN_REQ_WRITE);
	ret = hmm_range_fault(range);
	range->default_flags |= want;
	for (i = 0; !ret && i < n; i++)
		if ((range->hmm_pfns[i] & want) != want ||
		    (range->hmm_pfns[i] & HMM_PFN_ERROR))
			ret = -EFAULT;
	return ret;
}
#endif

/*
 * One hmm_range_fault() round over @range, which names its notifier: the
 * notifier sequence is read anew, the mmap read lock taken and dropped
 * here. -EBUSY: an invalidation raced (or, unlocked, the retries ran out
 * after @timeout jiffies); the caller decides whether to go again.
 */
static inline int tm_hmm_range_fault(struct hmm_range *range,
				     unsigned long timeout)
{
#if TM_HAVE_HMM_UNLOCKED
	return hmm_range_fault_unlocked_timeout(range, timeout);
#else
	struct mm_struct *mm = range->notifier->mm;
	int ret;

	range->notifier_seq = mmu_interval_read_begin(range->notifier);
	mmap_read_lock(mm);
	ret = tm_hmm_range_fault_locked(range);
	mmap_read_unlock(mm);
	return ret;
#endif
}

#ifndef kzalloc_obj
#define kzalloc_obj(obj, gfp)	kzalloc(sizeof(obj), gfp)
#endif

#ifdef FOP_UNSIGNED_OFFSET
#define TM_DRM_FOP_FLAGS	.fop_flags = FOP_UNSIGNED_OFFSET,
#else
#define TM_DRM_FOP_FLAGS
#endif

#endif /* _TM_COMPAT_H_ */
