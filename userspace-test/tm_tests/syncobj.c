// SPDX-License-Identifier: GPL-2.0
/*
 * tm_tests: DRM syncobjs on the render node (DRIVER_SYNCOBJ, without GEM),
 * through libdrm as every DRM client uses them: the in- and out-fences of
 * the job engine's submissions. A signalled syncobj waits at once, one
 * without a fence times out or is refused, a destroyed handle is gone.
 */
#include <errno.h>
#include <xf86drm.h>

#include "tm_tests.h"

/*
 * libdrm's drmSyncobjDestroy() returns -1 and sets errno (drmSyncobjWait()
 * returns -errno): the tm_*() convention, 0 or -errno. Creation is
 * tm_syncobj_new().
 */
static int sobj_destroy(int fd, uint32_t h)
{
	return drmSyncobjDestroy(fd, h) ? -errno : 0;
}

TEST(syncobj_signaled_waits_at_once)
{
	uint32_t h = 0;

	ASSERT_OK(tm_syncobj_new(fd, true, &h));
	ASSERT_NE(h, 0);
	ASSERT_OK(drmSyncobjWait(fd, &h, 1, 0, 0, NULL));
	ASSERT_OK(sobj_destroy(fd, h));
}

TEST(syncobj_without_fence)
{
	uint32_t h = 0;

	ASSERT_OK(tm_syncobj_new(fd, false, &h));
	/* no fence yet: a plain wait is refused, a wait for submit times out */
	ASSERT_ERRNO(drmSyncobjWait(fd, &h, 1, 0, 0, NULL), -EINVAL);
	ASSERT_ERRNO(drmSyncobjWait(fd, &h, 1, 0,
				    DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT, NULL),
		     -ETIME);
	ASSERT_OK(sobj_destroy(fd, h));
}

TEST(syncobj_destroyed_handle_is_gone)
{
	uint32_t h = 0;

	ASSERT_OK(tm_syncobj_new(fd, true, &h));
	ASSERT_OK(sobj_destroy(fd, h));
	ASSERT_ERRNO(sobj_destroy(fd, h), -EINVAL);
	ASSERT_ERRNO(drmSyncobjWait(fd, &h, 1, 0, 0, NULL), -ENOENT);
}
