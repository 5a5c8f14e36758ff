/* SPDX-License-Identifier: GPL-2.0 */
/*
 * test_mirror: the event policy (tm_policy.c).
 */
#ifndef _TM_POLICY_H_
#define _TM_POLICY_H_

#include <linux/types.h>

struct mmu_notifier_range;

/**
 * enum tm_action - what the device does about one invalidation
 * @TM_ACTION_NONE: nothing (no row of the policy chooses it today).
 * @TM_ACTION_INVALIDATE: remove the entries, keep the tracking.
 * @TM_ACTION_DOWNGRADE: keep the entries, read-only.
 * @TM_ACTION_DROP: remove the entries and the tracking (UNMAP).
 * @TM_ACTION_RELEASE: the address space is gone: remove everything.
 * @TM_ACTION_SKIP: our own device's migration or exclusive access.
 * @TM_ACTION_BUSY: not allowed to sleep, and the table lock was taken: the
 *	callback returned false and the kernel calls again.
 *
 * The values are those of the uAPI's TEST_MIRROR_ACTION_*; the DRM
 * front-end checks it at build time.
 */
enum tm_action {
	TM_ACTION_NONE = 0,
	TM_ACTION_INVALIDATE,
	TM_ACTION_DOWNGRADE,
	TM_ACTION_DROP,
	TM_ACTION_RELEASE,
	TM_ACTION_SKIP,
	TM_ACTION_BUSY,
};

enum tm_action tm_policy_decide(const struct mmu_notifier_range *range,
				bool event_aware, const void *owner);
bool tm_policy_can_downgrade_vma(void);

#endif /* _TM_POLICY_H_ */
