/* SPDX-License-Identifier: GPL-2.0 */
/*
 * test_mirror: kernel API differences between the kernels this module is
 * built for (Debian 12's 6.1 and 6.12 LTS), each with a deliberate fallback.
 *
 * - struct mmu_notifier_range lost ->vma, and
 *   mmu_notifier_range_update_to_read_only() went with it, in 6.3. Without
 *   them a PROTECTION_VMA callback cannot tell whether the VMA keeps read
 *   access (mprotect(PROT_READ)) or loses it (PROT_NONE, NUMA hinting), so
 *   from 6.3 on the policy invalidates instead of downgrading.
 * - class_create() lost its owner argument in 6.4.
 * - From 6.12, drm_open() warns unless the file_operations declare
 *   FOP_UNSIGNED_OFFSET (DRM offsets are unsigned); older kernels have no
 *   fop_flags at all.
 */
#ifndef _TM_COMPAT_H_
#define _TM_COMPAT_H_

#include <linux/fs.h>
#include <linux/version.h>
#include <linux/mmu_notifier.h>

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 3, 0)
#define TM_HAVE_RANGE_VMA	1
static inline bool tm_range_keeps_read(const struct mmu_notifier_range *range)
{
	return mmu_notifier_range_update_to_read_only(range);
}
#else
#define TM_HAVE_RANGE_VMA	0
static inline bool tm_range_keeps_read(const struct mmu_notifier_range *range)
{
	return false;
}
#endif

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 4, 0)
#define tm_class_create(name)	class_create(THIS_MODULE, name)
#else
#define tm_class_create(name)	class_create(name)
#endif

#ifdef FOP_UNSIGNED_OFFSET
#define TM_DRM_FOP_FLAGS	.fop_flags = FOP_UNSIGNED_OFFSET,
#else
#define TM_DRM_FOP_FLAGS
#endif

#endif /* _TM_COMPAT_H_ */
