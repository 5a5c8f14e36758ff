// SPDX-License-Identifier: GPL-2.0
/*
 * test_mirror: the DRM front-end.
 *
 * A render node whose ioctls are thin wrappers around the mirror core: this
 * file checks what belongs to the uAPI (flags, reserved fields, sizes of
 * user arrays) and converts between uAPI and core structures. Every open
 * file is one mirror of the opener's address space, with its debugfs
 * directory.
 */

#include <linux/build_bug.h>
#include <linux/mmu_notifier.h>
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_ioctl.h>
#include <drm/drm_syncobj.h>

#include <drm/test_mirror_drm.h>

#include "compat.h"
#include "tm_debugfs.h"
#include "tm_devmem.h"
#include "tm_drm.h"
#include "tm_job.h"
#include "tm_mirror.h"
#include "tm_params.h"
#include "tm_sched.h"

/* Event records copied per EVENTS call at most. */
#define TM_EVENTS_MAX		4096

/*
 * The core's values that reach userspace as they are: snapshot bytes,
 * capabilities, actions, and the kernel's own event numbers.
 */
static_assert(TM_SNAP_NONE == TEST_MIRROR_SNAP_NONE);
static_assert(TM_SNAP_READ == TEST_MIRROR_SNAP_READ);
static_assert(TM_SNAP_WRITE == TEST_MIRROR_SNAP_WRITE);
static_assert(TM_SNAP_HUGE == TEST_MIRROR_SNAP_HUGE);
static_assert(TM_SNAP_DROPPED == TEST_MIRROR_SNAP_DROPPED);
static_assert(TM_SNAP_UNBOUND == TEST_MIRROR_SNAP_UNBOUND);
static_assert(TM_SNAP_DEVICE == TEST_MIRROR_SNAP_DEVICE);
static_assert(TM_CAP_VMA_DOWNGRADE == TEST_MIRROR_CAP_VMA_DOWNGRADE);
static_assert(TM_CAP_EVENT_AWARE == TEST_MIRROR_CAP_EVENT_AWARE);
static_assert(TM_CAP_UFFD_FAULTS == TEST_MIRROR_CAP_UFFD_FAULTS);
static_assert(TM_CAP_DEVICE_PRIVATE == TEST_MIRROR_CAP_DEVICE_PRIVATE);
static_assert(TM_DEVMEM_TO_DEVICE == TEST_MIRROR_DEVMEM_TO_DEVICE);
static_assert(TM_DEVMEM_TO_SYSTEM == TEST_MIRROR_DEVMEM_TO_SYSTEM);
static_assert(offsetof(struct drm_test_mirror_stats, devmem_to_device) ==
	      offsetof(struct drm_test_mirror_stats, bindings) + 8);
static_assert(sizeof(struct drm_test_mirror_devmem) == 40);
static_assert(TM_SNAP_EXCLUSIVE == TEST_MIRROR_SNAP_EXCLUSIVE);
static_assert(TM_CAP_DEVICE_EXCLUSIVE == TEST_MIRROR_CAP_DEVICE_EXCLUSIVE);
static_assert(TM_CAP_DEVICE_HUGE == TEST_MIRROR_CAP_DEVICE_HUGE);
static_assert(TM_CAP_TWO_PASS == TEST_MIRROR_CAP_TWO_PASS);
static_assert(TM_ATOMIC_FETCH_ADD == TEST_MIRROR_ATOMIC_FETCH_ADD);
static_assert(TM_ATOMIC_CMPXCHG == TEST_MIRROR_ATOMIC_CMPXCHG);
static_assert(TM_ACTION_NONE == TEST_MIRROR_ACTION_NONE);
static_assert(TM_ACTION_INVALIDATE == TEST_MIRROR_ACTION_INVALIDATE);
static_assert(TM_ACTION_DOWNGRADE == TEST_MIRROR_ACTION_DOWNGRADE);
static_assert(TM_ACTION_DROP == TEST_MIRROR_ACTION_DROP);
static_assert(TM_ACTION_RELEASE == TEST_MIRROR_ACTION_RELEASE);
static_assert(TM_ACTION_SKIP == TEST_MIRROR_ACTION_SKIP);
static_assert(TM_ACTION_BUSY == TEST_MIRROR_ACTION_BUSY);
static_assert(MMU_NOTIFY_UNMAP == TEST_MIRROR_EVENT_UNMAP);
static_assert(MMU_NOTIFY_CLEAR == TEST_MIRROR_EVENT_CLEAR);
static_assert(MMU_NOTIFY_PROTECTION_VMA == TEST_MIRROR_EVENT_PROTECTION_VMA);
static_assert(MMU_NOTIFY_PROTECTION_PAGE == TEST_MIRROR_EVENT_PROTECTION_PAGE);
static_assert(MMU_NOTIFY_SOFT_DIRTY == TEST_MIRROR_EVENT_SOFT_DIRTY);
static_assert(MMU_NOTIFY_RELEASE == TEST_MIRROR_EVENT_RELEASE);
static_assert(MMU_NOTIFY_MIGRATE == TEST_MIRROR_EVENT_MIGRATE);
static_assert(MMU_NOTIFY_EXCLUSIVE == TEST_MIRROR_EVENT_EXCLUSIVE);
static_assert(TM_NR_EVENTS == TEST_MIRROR_EVENT_MAX);
/* The device-memory fields came out of reserved, which then grew anew twice. */
static_assert(sizeof(struct drm_test_mirror_stats) ==
	      8 + 8 * (16 + 13 + 8 + 8 + 8));
static_assert(sizeof(struct drm_test_mirror_atomic) == 64);
static_assert(sizeof(struct drm_test_mirror_submit) == 80);
static_assert(sizeof(struct drm_test_mirror_wait_ufence) == 32);
static_assert(sizeof(struct drm_test_mirror_ufence) == 16);
static_assert(TM_JOB_COPY == TEST_MIRROR_JOB_COPY);
static_assert(TM_JOB_FILL == TEST_MIRROR_JOB_FILL);
static_assert(TM_JOB_ATOMIC == TEST_MIRROR_JOB_ATOMIC);
static_assert(TM_JOB_STREAM == TEST_MIRROR_JOB_STREAM);
static_assert(TM_JOB_MAX_SIZE == TEST_MIRROR_JOB_MAX_SIZE);
static_assert(TM_JOB_MAX_MS == TEST_MIRROR_JOB_MAX_MS);
static_assert(TM_JOBS_PER_FILE == TEST_MIRROR_JOBS_PER_FILE);

/**
 * struct tm_drm_file - one open file of the render node
 * @m: the mirror of the opener's address space.
 * @debugfs: its debugfs directory.
 * @entity: its queue on the device's job engine.
 */
struct tm_drm_file {
	struct tm_mirror *m;
	struct dentry *debugfs;
	struct tm_sched_entity entity;
};

static struct platform_device *tm_pdev;
static struct drm_device *tm_drm;
/* The render node's own memory; NULL where the kernel has none. */
static struct tm_devmem *tm_drm_devmem;
/* The render node's job engine. */
static struct tm_sched tm_drm_sched;

static int tm_drm_open(struct drm_device *dev, struct drm_file *file)
{
	struct tm_drm_file *df;
	int ret;

	df = kzalloc_obj(*df, GFP_KERNEL_ACCOUNT);
	if (!df)
		return -ENOMEM;
	df->m = tm_mirror_create(dev, tm_params_limits());
	if (IS_ERR(df->m)) {
		ret = PTR_ERR(df->m);
		kfree(df);
		return ret;
	}
	ret = tm_sched_entity_init(&tm_drm_sched, &df->entity, file);
	if (ret) {
		tm_mirror_destroy(df->m);
		kfree(df);
		return ret;
	}
	tm_mirror_set_devmem(df->m, tm_drm_devmem);
	df->debugfs = tm_debugfs_add(df->m);
	file->driver_priv = df;
	return 0;
}

static void tm_drm_postclose(struct drm_device *dev, struct drm_file *file)
{
	struct tm_drm_file *df = file->driver_priv;

	/* Jobs stop, the queue goes, then the mirror ("Jobs: ...") */
	tm_jobs_cancel(df->m);
	tm_sched_entity_fini(&df->entity);
	tm_jobs_wait_idle(df->m);
	tm_debugfs_remove(df->debugfs);
	tm_mirror_destroy(df->m);
	kfree(df);
}

static struct tm_mirror *tm_file_mirror(struct drm_file *file)
{
	return ((struct tm_drm_file *)file->driver_priv)->m;
}

static bool tm_any(const u64 *v, unsigned int n)
{
	while (n--)
		if (*v++)
			return true;
	return false;
}

static int tm_ioctl_bind(struct drm_device *dev, void *data,
			 struct drm_file *file)
{
	struct drm_test_mirror_bind *args = data;
	unsigned int flags = 0;

	if ((args->flags & ~TEST_MIRROR_BIND_FLAGS) ||
	    !(args->flags & TEST_MIRROR_BIND_READ) ||
	    tm_any(args->reserved, ARRAY_SIZE(args->reserved)))
		return -EINVAL;
	if (args->flags & TEST_MIRROR_BIND_READ)
		flags |= TM_BIND_READ;
	if (args->flags & TEST_MIRROR_BIND_WRITE)
		flags |= TM_BIND_WRITE;
	if (args->flags & TEST_MIRROR_BIND_PREFAULT)
		flags |= TM_BIND_PREFAULT;
	return tm_mirror_bind(tm_file_mirror(file), args->addr, args->size,
			      flags, &args->handle);
}

static int tm_ioctl_unbind(struct drm_device *dev, void *data,
			   struct drm_file *file)
{
	struct drm_test_mirror_unbind *args = data;

	if (args->flags)
		return -EINVAL;
	return tm_mirror_unbind(tm_file_mirror(file), args->handle);
}

static int tm_ioctl_access(struct drm_file *file,
			   struct drm_test_mirror_access *args, bool write)
{
	struct tm_access_result res;
	int ret;

	args->pages = 0;
	args->faults = 0;
	args->faulted_pages = 0;
	if (args->flags || args->pad || args->reserved)
		return -EINVAL;
	ret = tm_mirror_access(tm_file_mirror(file), write, args->addr,
			       args->size, u64_to_user_ptr(args->ptr), &res);
	args->pages = res.pages;
	args->faults = res.faults;
	args->faulted_pages = res.faulted_pages;
	return ret;
}

static int tm_ioctl_read(struct drm_device *dev, void *data,
			 struct drm_file *file)
{
	return tm_ioctl_access(file, data, false);
}

static int tm_ioctl_write(struct drm_device *dev, void *data,
			  struct drm_file *file)
{
	return tm_ioctl_access(file, data, true);
}

static int tm_ioctl_snapshot(struct drm_device *dev, void *data,
			     struct drm_file *file)
{
	struct drm_test_mirror_snapshot *args = data;

	if (args->flags || args->pad)
		return -EINVAL;
	return tm_mirror_snapshot(tm_file_mirror(file), args->addr, args->size,
				  u64_to_user_ptr(args->ptr));
}

static int tm_ioctl_stats(struct drm_device *dev, void *data,
			  struct drm_file *file)
{
	struct drm_test_mirror_stats *args = data;
	struct tm_stats st;
	unsigned int i;
	int ret;

	if ((args->flags & ~TEST_MIRROR_STATS_RESET) ||
	    tm_any(args->reserved, ARRAY_SIZE(args->reserved)))
		return -EINVAL;
	ret = tm_mirror_stats(tm_file_mirror(file), &st,
			      args->flags & TEST_MIRROR_STATS_RESET);
	if (ret)
		return ret;
	args->caps = st.caps;
	BUILD_BUG_ON(ARRAY_SIZE(args->events) != ARRAY_SIZE(st.events));
	for (i = 0; i < ARRAY_SIZE(st.events); i++)
		args->events[i] = st.events[i];
	args->nonblock_calls = st.nonblock_calls;
	args->nonblock_busy = st.nonblock_busy;
	args->read_faults = st.read_faults;
	args->write_faults = st.write_faults;
	args->faulted_pages = st.faulted_pages;
	args->retries = st.retries;
	args->entries_invalidated = st.entries_invalidated;
	args->entries_downgraded = st.entries_downgraded;
	args->pages_dropped = st.pages_dropped;
	args->entries_present = st.entries_present;
	args->huge_entries = st.huge_entries;
	args->table_bytes = st.table_bytes;
	args->bindings = st.bindings;
	args->devmem_to_device = st.devmem_to_device;
	args->devmem_to_system = st.devmem_to_system;
	args->devmem_evictions = st.devmem_evictions;
	args->devmem_cpu_faults = st.devmem_cpu_faults;
	args->devmem_pages = st.devmem_pages;
	args->atomics = st.atomics;
	args->exclusive_grants = st.exclusive_grants;
	args->exclusive_lost = st.exclusive_lost;
	args->jobs_submitted = st.jobs_submitted;
	args->jobs_completed = st.jobs_completed;
	args->jobs_failed = st.jobs_failed;
	args->job_pages = st.job_pages;
	args->job_inval_waits = st.job_inval_waits;
	args->access_after_invalidate = st.access_after_invalidate;
	args->device_faults = st.device_faults;
	args->fault_batches = st.fault_batches;
	args->fault_pages = st.fault_pages;
	args->tlb_flushes = st.tlb_flushes;
	args->tlb_flushes_avoided = st.tlb_flushes_avoided;
	args->nonblock_ack_pending = st.nonblock_ack_pending;
	return 0;
}

static int tm_ioctl_events(struct drm_device *dev, void *data,
			   struct drm_file *file)
{
	struct drm_test_mirror_events *args = data;
	struct drm_test_mirror_event __user *out = u64_to_user_ptr(args->ptr);
	struct drm_test_mirror_event ev = {};
	struct tm_event_rec *recs;
	unsigned int max;
	int i, n, ret = 0;

	if ((args->flags & ~TEST_MIRROR_EVENTS_CONSUME) || args->reserved)
		return -EINVAL;
	max = min_t(u32, args->count, TM_EVENTS_MAX);
	args->count = 0;
	if (!access_ok(out, (size_t)max * sizeof(*out)))
		return -EFAULT;
	recs = kvmalloc_array(max ?: 1, sizeof(*recs), GFP_KERNEL_ACCOUNT);
	if (!recs)
		return -ENOMEM;
	n = tm_mirror_events(tm_file_mirror(file), recs, max, &args->lost);
	if (n < 0) {
		ret = n;
		goto out;
	}
	for (i = 0; i < n; i++) {
		ev.seq = recs[i].seq;
		ev.start = recs[i].start;
		ev.end = recs[i].end;
		ev.event = recs[i].event;
		ev.action = recs[i].action;
		ev.flags = recs[i].blockable ? TEST_MIRROR_EVENT_F_BLOCKABLE : 0;
		ev.handle = recs[i].handle;
		ev.entries = recs[i].entries;
		if (copy_to_user(&out[i], &ev, sizeof(ev))) {
			ret = -EFAULT;
			goto out;
		}
	}
	args->count = n;
	/* Only what reached the caller leaves the log. */
	if (args->flags & TEST_MIRROR_EVENTS_CONSUME)
		tm_mirror_events_consume(tm_file_mirror(file),
					 n ? recs[n - 1].seq : 0, args->lost);
out:
	kvfree(recs);
	return ret;
}

static int tm_ioctl_migrate(struct drm_device *dev, void *data,
			    struct drm_file *file)
{
	struct drm_test_mirror_migrate *args = data;

	args->migrated = 0;
	if (args->flags || args->pad || args->reserved)
		return -EINVAL;
	return tm_mirror_migrate(tm_file_mirror(file), args->addr, args->size,
				 &args->migrated);
}

static int tm_ioctl_devmem(struct drm_device *dev, void *data,
			   struct drm_file *file)
{
	struct drm_test_mirror_devmem *args = data;

	args->pages = 0;
	if (args->flags || args->reserved ||
	    (args->op != TEST_MIRROR_DEVMEM_TO_DEVICE &&
	     args->op != TEST_MIRROR_DEVMEM_TO_SYSTEM))
		return -EINVAL;
	return tm_mirror_devmem(tm_file_mirror(file), args->op, 0, args->addr,
				args->size, &args->pages);
}

static int tm_ioctl_atomic(struct drm_device *dev, void *data,
			   struct drm_file *file)
{
	struct drm_test_mirror_atomic *args = data;
	struct tm_atomic_op op = {
		.op = args->op,
		.operand = args->operand,
		.compare = args->compare,
	};
	int ret;

	args->old = 0;
	args->granted = 0;
	if ((args->op != TEST_MIRROR_ATOMIC_FETCH_ADD &&
	     args->op != TEST_MIRROR_ATOMIC_CMPXCHG) ||
	    (args->op == TEST_MIRROR_ATOMIC_FETCH_ADD && args->compare) ||
	    args->flags || args->pad ||
	    tm_any(args->reserved, ARRAY_SIZE(args->reserved)))
		return -EINVAL;
	ret = tm_mirror_atomic(tm_file_mirror(file), args->addr, &op);
	if (ret)
		return ret;
	args->old = op.old;
	args->granted = op.granted;
	return 0;
}

static int tm_ioctl_submit(struct drm_device *dev, void *data,
			   struct drm_file *file)
{
	struct tm_drm_file *df = file->driver_priv;
	struct drm_test_mirror_submit *args = data;
	struct tm_job_desc d = {
		.op = args->op,
		.src = args->src,
		.dst = args->dst,
		.size = args->size,
		.value = args->value,
		.duration_ms = args->duration_ms,
	};
	struct drm_syncobj *out = NULL;
	struct dma_fence *fence;
	struct tm_job *job;
	int ret;

	if ((args->flags & ~TEST_MIRROR_SUBMIT_FAULTABLE) || args->pad ||
	    (!args->in_syncobj && args->in_point) ||
	    args->src != d.src || args->dst != d.dst || args->size != d.size)
		return -EINVAL;
	if (args->flags & TEST_MIRROR_SUBMIT_FAULTABLE) {
		/* no dma_fence in or out: see "Jobs: the fault model" */
		if (args->in_syncobj || args->out_syncobj)
			return -EINVAL;
		return tm_fjob_submit(df->m, &d, args->ufence_addr,
				      args->ufence_value);
	}
	if (args->ufence_addr || args->ufence_value)
		return -EINVAL;
	/* Everything that can fail is done before the job is armed. */
	if (args->out_syncobj) {
		out = drm_syncobj_find(file, args->out_syncobj);
		if (!out)
			return -ENOENT;
	}
	job = tm_job_create(df->m, &df->entity, &d);
	if (IS_ERR(job)) {
		ret = PTR_ERR(job);
		goto out_put;
	}
	if (args->in_syncobj) {
		ret = tm_job_add_syncobj(job, file, args->in_syncobj,
					 args->in_point);
		if (ret) {
			tm_job_abandon(job);
			goto out_put;
		}
	}
	fence = tm_job_push(job);
	if (out)
		drm_syncobj_replace_fence(out, fence);
	dma_fence_put(fence);
	ret = 0;
out_put:
	if (out)
		drm_syncobj_put(out);
	return ret;
}

static int tm_ioctl_wait_ufence(struct drm_device *dev, void *data,
				struct drm_file *file)
{
	struct drm_test_mirror_wait_ufence *args = data;

	if (args->flags || args->pad)
		return -EINVAL;
	return tm_fjob_wait_ufence(tm_file_mirror(file), args->addr,
				   args->value, args->timeout_ns);
}

static const struct drm_ioctl_desc tm_ioctls[] = {
	DRM_IOCTL_DEF_DRV(TEST_MIRROR_BIND, tm_ioctl_bind, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(TEST_MIRROR_UNBIND, tm_ioctl_unbind, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(TEST_MIRROR_READ, tm_ioctl_read, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(TEST_MIRROR_WRITE, tm_ioctl_write, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(TEST_MIRROR_SNAPSHOT, tm_ioctl_snapshot, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(TEST_MIRROR_STATS, tm_ioctl_stats, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(TEST_MIRROR_EVENTS, tm_ioctl_events, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(TEST_MIRROR_MIGRATE, tm_ioctl_migrate, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(TEST_MIRROR_DEVMEM, tm_ioctl_devmem, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(TEST_MIRROR_ATOMIC, tm_ioctl_atomic, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(TEST_MIRROR_SUBMIT, tm_ioctl_submit, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(TEST_MIRROR_WAIT_UFENCE, tm_ioctl_wait_ufence,
			  DRM_RENDER_ALLOW),
};

static const struct file_operations tm_drm_fops = {
	.owner = THIS_MODULE,
	.open = drm_open,
	.release = drm_release,
	.unlocked_ioctl = drm_ioctl,
	.compat_ioctl = drm_compat_ioctl,
	.poll = drm_poll,
	.read = drm_read,
	.llseek = noop_llseek,
	TM_DRM_FOP_FLAGS
};

static const struct drm_driver tm_drm_driver = {
	.driver_features = DRIVER_RENDER | DRIVER_SYNCOBJ,
	.open = tm_drm_open,
	.postclose = tm_drm_postclose,
	.ioctls = tm_ioctls,
	.num_ioctls = ARRAY_SIZE(tm_ioctls),
	.fops = &tm_drm_fops,
	.name = TEST_MIRROR_DRIVER_NAME,
	.desc = "HMM mirror test device",
	TM_DRM_DRIVER_DATE("20261125")
	.major = 1,
	.minor = 0,
};

/**
 * tm_drm_init - register the render node
 *
 * Return: 0 or a negative errno.
 */
int tm_drm_init(void)
{
	struct drm_device *drm;
	int ret;

	tm_pdev = platform_device_register_simple(TEST_MIRROR_DRIVER_NAME, -1,
						  NULL, 0);
	if (IS_ERR(tm_pdev))
		return PTR_ERR(tm_pdev);
	if (!devres_open_group(&tm_pdev->dev, NULL, GFP_KERNEL)) {
		ret = -ENOMEM;
		goto err_pdev;
	}
	drm = __devm_drm_dev_alloc(&tm_pdev->dev, &tm_drm_driver,
				   sizeof(*drm), 0);
	if (IS_ERR(drm)) {
		ret = PTR_ERR(drm);
		goto err_group;
	}
	ret = tm_sched_init(&tm_drm_sched, drm->dev, TEST_MIRROR_DRIVER_NAME,
			    READ_ONCE(tm_params_limits()->job_timeout_ms));
	if (ret)
		goto err_group;
	ret = tm_sched_selftest(&tm_drm_sched,
				READ_ONCE(tm_params_limits()->job_fence_violation));
	if (ret)
		goto err_sched;
	if (TM_HAVE_DEVMEM) {
		tm_drm_devmem = tm_devmem_create(drm, tm_params_limits());
		if (IS_ERR(tm_drm_devmem)) {
			ret = PTR_ERR(tm_drm_devmem);
			tm_drm_devmem = NULL;
			goto err_sched;
		}
	}
	ret = drm_dev_register(drm, 0);
	if (ret)
		goto err_devmem;
	tm_drm = drm;
	tm_debugfs_set_devmem(tm_drm_devmem);
	return 0;

err_devmem:
	tm_devmem_destroy(tm_drm_devmem);
	tm_drm_devmem = NULL;
err_sched:
	tm_sched_fini(&tm_drm_sched);
err_group:
	devres_release_group(&tm_pdev->dev, NULL);
err_pdev:
	platform_device_unregister(tm_pdev);
	return ret;
}

/**
 * tm_drm_exit - unregister the render node
 *
 * Only runs when no file is open: the fops hold a module reference. The
 * device's memory goes first: every page is evicted to system memory
 * (processes may still map some), then the map is removed. Then the job
 * engine, once the jobs still on it are done.
 */
void tm_drm_exit(void)
{
	drm_dev_unregister(tm_drm);
	tm_debugfs_set_devmem(NULL);
	tm_devmem_destroy(tm_drm_devmem);
	tm_drm_devmem = NULL;
	tm_sched_fini(&tm_drm_sched);
	devres_release_group(&tm_pdev->dev, NULL);
	platform_device_unregister(tm_pdev);
}
