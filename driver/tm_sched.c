// SPDX-License-Identifier: GPL-2.0
/*
 * test_mirror: the job engine's plumbing on drm_sched.
 */

/**
 * DOC: Job engine
 *
 * The device runs jobs on its own, the way a GPU runs command buffers:
 * the DRM GPU scheduler (drm_sched, gpu-sched.ko) orders them, waits for
 * their dependencies (dma_fences, syncobjs) and hands each to the
 * "hardware", an ordered workqueue of the device (struct tm_sched), which
 * runs the job's work and then signals the job's hardware fence. One
 * scheduler serves the DRM device; every open file submits through its own
 * entity (struct tm_sched_entity), whose jobs run in submission order.
 *
 * A job (struct tm_sched_job, embedded in the job of a kind) goes through
 * tm_sched_job_init() (which allocates everything the job will need until
 * it is freed: nothing is allocated once it runs), any number of
 * tm_sched_job_add_dependency(), then tm_sched_job_arm(), which returns
 * the job's out-fence (drm_sched's "finished" fence, for a syncobj), and
 * tm_sched_job_push(). A job that fails before it is armed is dropped
 * with tm_sched_job_abandon().
 *
 * **Fence signalling.** A fence that memory management may wait for (an
 * invalidation callback waits for the jobs on its range) must signal
 * without waiting for memory management: the path from run_job to the
 * signal may not allocate memory that can reclaim, wait for another fence,
 * or take a lock held around either. drm_sched does not annotate that path
 * itself; run_job and the engine's work do, with
 * dma_fence_begin_signalling() / dma_fence_end_signalling(), so that
 * lockdep reports a violation on a debug kernel instead of a deadlock
 * under memory pressure. The hardware fence is therefore allocated at
 * init and only initialised in run_job. That lockdep does check these
 * sections is itself tested: ``make check-debug`` boots its debug kernel
 * once more and loads the module with ``job_fence_violation=1``, which
 * makes the load-time self-check's job allocate with GFP_KERNEL inside the
 * section; that boot passes only if lockdep reports a possible circular
 * locking dependency, fs_reclaim taken while dma_fence_map is held, with
 * the hook in the report's stack.
 *
 * **Timeouts.** A job that runs longer than the ``job_timeout_ms`` module
 * parameter is aborted: drm_sched calls the timeout handler, which raises
 * the job's abort flag (tm_sched_job_aborted(), which the hardware work
 * polls) and keeps the job pending. Its hardware fence signals, with
 * -ETIMEDOUT, only once the work has stopped: a fence that signals while
 * the device still touches memory would let an invalidation return too
 * early. Other jobs are not touched (there is no device reset, so
 * drm_sched_stop() / drm_sched_start() are not used: they detach every
 * pending job from its hardware fence). Where drm_sched has
 * DRM_GPU_SCHED_STAT_NO_HANG (7.x), it puts the job back on its pending
 * list; elsewhere the handler does, under the hardware fence's lock, so
 * that the job cannot finish between the check and the reinsertion; a
 * job whose fence signalled while drm_sched had it off the list is freed
 * by the handler.
 *
 * **Teardown.** A file's entity is destroyed when the file is released:
 * jobs not yet handed to the engine are given a time to be (drm_sched's
 * entity flush); when the process is being killed they are cancelled
 * (their fences signal with an error). Jobs already on the engine run to
 * the end (bounded by the timeout). tm_sched_fini() waits until every job
 * has been freed before it stops the scheduler, so that drm_sched never
 * tears down with jobs pending.
 *
 * **Fences outlive jobs, and may outlive the module's wish to unload.**
 * drm_sched's finished fence (a job's out-fence, which a syncobj, a
 * sync_file or another driver may hold for as long as it likes) holds the
 * hardware fence, and before 7.x a fence calls its ops (names, release)
 * for as long as it exists: after rmmod, that would be code and data that
 * are gone. So module exit waits until every hardware fence the engine
 * made is gone (a count, taken at job init, dropped when the fence is
 * freed: in an RCU callback that exit waits for with rcu_barrier()), and
 * says what it waits for every ten seconds. 7.x detaches a signalled fence
 * from its ops when they have neither .release nor .wait
 * (TM_HAVE_FENCE_DETACH): there the hardware fence has no .release, is
 * counted gone once signalled, and exit waits only for the jobs (and an
 * RCU grace period, for an ops call that read the pointer before).
 */

#include <linux/device.h>
#include <linux/dma-fence.h>
#include <linux/jiffies.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include <drm/drm_file.h>

#include "compat.h"
#include "tm_sched.h"

/**
 * struct tm_hw_fence - the fence of a job on the device's engine
 * @base: the fence (first: freed by dma_fence_free()).
 * @lock: its lock.
 * @sched: the engine, for the timeline's name.
 */
struct tm_hw_fence {
	struct dma_fence base;
	/* the fence's; also orders the old-kernel timeout handler's reinsertion */
	spinlock_t lock;
	struct tm_sched *sched;
};

/* drm_sched's shapes (compat.h, "Kernel differences"): one credit a job. */
static int tm_drm_sched_job_init(struct drm_sched_job *job,
				 struct drm_sched_entity *entity, void *owner,
				 u64 client_id)
{
#if TM_HAVE_SCHED_CLIENT_ID
	return drm_sched_job_init(job, entity, 1, owner, client_id);
#elif TM_HAVE_SCHED_CREDITS
	return drm_sched_job_init(job, entity, 1, owner);
#else
	return drm_sched_job_init(job, entity, owner);
#endif
}

static u64 tm_drm_client_id(struct drm_file *file)
{
#if TM_HAVE_SCHED_CLIENT_ID
	return file->client_id;
#else
	return 0;
#endif
}

static struct tm_sched_job *to_tm_job(struct drm_sched_job *sj)
{
	return container_of(sj, struct tm_sched_job, base);
}

static const char *tm_hw_fence_driver_name(struct dma_fence *f)
{
	return "test_mirror";
}

static const char *tm_hw_fence_timeline_name(struct dma_fence *f)
{
	return container_of(f, struct tm_hw_fence, base)->sched->name;
}

/* One fence of the engine's is gone for good: module exit may go on. */
static void tm_sched_fence_gone(struct tm_sched *s)
{
	if (atomic_dec_and_test(&s->fences))
		wake_up_all(&s->idle);
}

#if TM_HAVE_FENCE_DETACH
/*
 * The fence drops its ops when it signals (no .release, no .wait): from
 * then on the kernel never calls into this module for it and frees it
 * itself; the engine counts it gone there.
 */
static const struct dma_fence_ops tm_hw_fence_ops = {
	.get_driver_name = tm_hw_fence_driver_name,
	.get_timeline_name = tm_hw_fence_timeline_name,
};
#else
static void tm_hw_fence_free_rcu(struct rcu_head *rcu)
{
	struct tm_hw_fence *hwf = container_of(rcu, struct tm_hw_fence,
					       base.rcu);
	struct tm_sched *s = hwf->sched;

	kfree(hwf);
	tm_sched_fence_gone(s);
}

/*
 * The last reference may go long after the job (a syncobj or sync_file
 * holding drm_sched's finished fence holds this one), and the ops stay
 * this module's until then: the fence is counted gone in an RCU callback,
 * which module exit waits for with rcu_barrier().
 */
static void tm_hw_fence_release(struct dma_fence *f)
{
	call_rcu(&f->rcu, tm_hw_fence_free_rcu);
}

static const struct dma_fence_ops tm_hw_fence_ops = {
	.get_driver_name = tm_hw_fence_driver_name,
	.get_timeline_name = tm_hw_fence_timeline_name,
	.release = tm_hw_fence_release,
};
#endif

/* The engine: run the job's work, then signal its hardware fence. */
static void tm_sched_engine_work(struct work_struct *work)
{
	struct tm_sched_job *job = container_of(work, struct tm_sched_job, work);
	struct tm_hw_fence *hwf = job->hw;
	struct tm_sched *s = hwf->sched;
	struct dma_fence *hw = &hwf->base;
	unsigned long flags;
	bool cookie;
	int err = 0;

	cookie = dma_fence_begin_signalling();
	if (!tm_sched_job_aborted(job))
		err = job->run(job);
	if (tm_sched_job_aborted(job))
		err = -ETIMEDOUT;
	/*
	 * Once the fence signals, free_job may free the job at any time: from
	 * there on only the fence is used, through a reference of this work.
	 */
	dma_fence_get(hw);
	spin_lock_irqsave(&hwf->lock, flags);
	if (err) {
		dma_fence_set_error(hw, err);
		/* 6.1's drm_sched does not pass the error on: do it here. */
		dma_fence_set_error(&job->base.s_fence->finished, err);
	}
	dma_fence_signal_locked(hw);
	spin_unlock_irqrestore(&hwf->lock, flags);
	dma_fence_put(hw);
	dma_fence_end_signalling(cookie);
	if (TM_HAVE_FENCE_DETACH)
		tm_sched_fence_gone(s);
}

static struct dma_fence *tm_sched_run_job(struct drm_sched_job *sj)
{
	struct tm_sched_job *job = to_tm_job(sj);
	struct tm_sched *s = job->sched;
	struct dma_fence *hw = &job->hw->base;
	bool cookie;

	/* A dependency failed or the entity was killed: do not run. */
	if (sj->s_fence->finished.error)
		return NULL;
	cookie = dma_fence_begin_signalling();
	job->started = true;
	dma_fence_init(hw, &tm_hw_fence_ops, &job->hw->lock, s->fence_context,
		       atomic64_inc_return(&s->seqno));
	/* The job keeps the reference of the init; drm_sched takes this one. */
	dma_fence_get(hw);
	queue_work(s->engine, &job->work);
	dma_fence_end_signalling(cookie);
	return hw;
}

static void tm_sched_free_job(struct drm_sched_job *sj)
{
	struct tm_sched_job *job = to_tm_job(sj);
	struct tm_sched *s = job->sched;

	drm_sched_job_cleanup(sj);
	if (job->started) {
		dma_fence_put(&job->hw->base);
	} else {	/* never ran: never initialised */
		kfree(job->hw);
		tm_sched_fence_gone(s);
	}
	job->release(job);
	if (atomic_dec_and_test(&s->jobs))
		wake_up_all(&s->idle);
}

static enum drm_gpu_sched_stat tm_sched_timedout_job(struct drm_sched_job *sj)
{
	struct tm_sched_job *job = to_tm_job(sj);

	atomic_set(&job->aborted, 1);
#if TM_HAVE_SCHED_NO_HANG
	/* drm_sched puts it back on the pending list; the engine ends it. */
	return DRM_GPU_SCHED_STAT_NO_HANG;
#else
	{
		struct drm_gpu_scheduler *sched = sj->sched;
		unsigned long flags;
		bool done;

		/*
		 * drm_sched took the job off its pending list. Put it back
		 * unless its fence signalled meanwhile: then drm_sched has
		 * already passed it by, and it is freed here.
		 */
		spin_lock_irqsave(&job->hw->lock, flags);
		done = test_bit(DMA_FENCE_FLAG_SIGNALED_BIT, &job->hw->base.flags);
		if (!done) {
			spin_lock(&sched->job_list_lock);
			list_add(&sj->list, &sched->pending_list);
			spin_unlock(&sched->job_list_lock);
		}
		spin_unlock_irqrestore(&job->hw->lock, flags);
		if (done)
			tm_sched_free_job(sj);
		return DRM_GPU_SCHED_STAT_NOMINAL;
	}
#endif
}

static const struct drm_sched_backend_ops tm_sched_ops = {
	.run_job = tm_sched_run_job,
	.timedout_job = tm_sched_timedout_job,
	.free_job = tm_sched_free_job,
};

/**
 * tm_sched_init - set up the device's job engine
 * @s: the engine.
 * @dev: the device, for drm_sched's messages.
 * @name: the scheduler's and the fence timeline's name (kept).
 * @timeout_ms: how long a job may run before it is aborted.
 *
 * Return: 0 or a negative errno.
 */
int tm_sched_init(struct tm_sched *s, struct device *dev, const char *name,
		  unsigned int timeout_ms)
{
	struct drm_sched_init_args args = {
		.ops = &tm_sched_ops,
		.credit_limit = TM_SCHED_CREDIT_LIMIT,
		.timeout = msecs_to_jiffies(max(timeout_ms, 1U)),
		.name = name,
		.dev = dev,
#if TM_HAVE_SCHED_NUM_RQS
		.num_rqs = DRM_SCHED_PRIORITY_COUNT,
#endif
	};
	int ret;

	s->name = name;
	s->sched_list[0] = &s->base;
	atomic64_set(&s->seqno, 0);
	atomic_set(&s->jobs, 0);
	atomic_set(&s->fences, 0);
	init_waitqueue_head(&s->idle);
	s->fence_context = dma_fence_context_alloc(1);
	/*
	 * Memory reclaim may wait for the fences the engine signals: it needs
	 * a rescuer thread, never blocked behind allocations.
	 */
	s->engine = alloc_ordered_workqueue("%s-engine", WQ_MEM_RECLAIM, name);
	if (!s->engine)
		return -ENOMEM;
	ret = drm_sched_init(&s->base, &args);
	if (ret)
		destroy_workqueue(s->engine);
	return ret;
}

/**
 * tm_sched_fini - tear the job engine down
 * @s: the engine, whose entities are all gone.
 *
 * Waits until every job has run (or been cancelled) and been freed, then
 * stops the scheduler and the engine, then waits for every hardware fence
 * the engine made to be gone (see "Job engine": possibly as long as
 * another process holds a job's out-fence).
 */
void tm_sched_fini(struct tm_sched *s)
{
	wait_event(s->idle, !atomic_read(&s->jobs));
	drm_sched_fini(&s->base);
	destroy_workqueue(s->engine);
	while (!wait_event_timeout(s->idle, !atomic_read(&s->fences), 10 * HZ))
		dev_info(s->base.dev, "unload waits for %d job fences still held\n",
			 atomic_read(&s->fences));
	/* No ops call still running (RCU readers), no free callback queued. */
	synchronize_rcu();
	rcu_barrier();
}

/**
 * tm_sched_entity_init - a submitter's queue on the engine
 * @s: the engine.
 * @e: the entity (embedded in the file's structure).
 * @file: the DRM file it serves.
 *
 * Return: 0 or a negative errno.
 */
int tm_sched_entity_init(struct tm_sched *s, struct tm_sched_entity *e,
			 struct drm_file *file)
{
	e->sched = s;
	e->client_id = tm_drm_client_id(file);
	return drm_sched_entity_init(&e->base, DRM_SCHED_PRIORITY_NORMAL,
				     s->sched_list, ARRAY_SIZE(s->sched_list),
				     NULL);
}

/**
 * tm_sched_entity_fini - drop a submitter's queue
 * @e: the entity.
 *
 * Waits for the entity's queued jobs to reach the engine (killing them
 * instead when the process is being killed); jobs on the engine finish on
 * their own.
 */
void tm_sched_entity_fini(struct tm_sched_entity *e)
{
	drm_sched_entity_destroy(&e->base);
}

/**
 * tm_sched_job_init - prepare a job for the engine
 * @job: the job (embedded in the caller's).
 * @e: the entity to submit it through.
 * @run: the hardware work.
 * @release: frees the caller's structure (from free_job).
 * @owner: drm_sched's owner tag (debugging).
 *
 * Allocates all the job needs until it is freed. On failure nothing is
 * left to undo; on success the job ends either in
 * tm_sched_job_abandon() (before arming) or, once pushed, in @release.
 *
 * Return: 0 or a negative errno.
 */
int tm_sched_job_init(struct tm_sched_job *job, struct tm_sched_entity *e,
		      tm_sched_run_fn run,
		      void (*release)(struct tm_sched_job *job), void *owner)
{
	int ret;

	job->hw = kzalloc_obj(*job->hw, GFP_KERNEL_ACCOUNT);
	if (!job->hw)
		return -ENOMEM;
	spin_lock_init(&job->hw->lock);
	job->hw->sched = e->sched;
	ret = tm_drm_sched_job_init(&job->base, &e->base, owner, e->client_id);
	if (ret) {
		kfree(job->hw);
		job->hw = NULL;
		return ret;
	}
	atomic_inc(&e->sched->fences);
	job->sched = e->sched;
	job->run = run;
	job->release = release;
	INIT_WORK(&job->work, tm_sched_engine_work);
	atomic_set(&job->aborted, 0);
	job->started = false;
	atomic_inc(&e->sched->jobs);
	return 0;
}

/**
 * tm_sched_job_add_dependency - make a job wait for a fence
 * @job: the job, not yet armed.
 * @fence: the fence; its reference passes to the job (also on failure).
 *
 * Return: 0 or a negative errno.
 */
int tm_sched_job_add_dependency(struct tm_sched_job *job,
				struct dma_fence *fence)
{
	return drm_sched_job_add_dependency(&job->base, fence);
}

/**
 * tm_sched_job_arm - give the job its place in the entity's order
 * @job: the job, with its dependencies.
 *
 * After this the job must be pushed (tm_sched_job_push()): an armed job
 * cannot be abandoned.
 *
 * Return: the job's out-fence (drm_sched's finished fence), a new
 * reference for the caller.
 */
struct dma_fence *tm_sched_job_arm(struct tm_sched_job *job)
{
	drm_sched_job_arm(&job->base);
	return dma_fence_get(&job->base.s_fence->finished);
}

/**
 * tm_sched_job_push - queue an armed job on its entity
 * @job: the job; from here on drm_sched owns it.
 */
void tm_sched_job_push(struct tm_sched_job *job)
{
	drm_sched_entity_push_job(&job->base);
}

/**
 * tm_sched_job_abandon - drop a job that was never armed
 * @job: the job, initialised by tm_sched_job_init().
 *
 * Releases its dependencies and its hardware fence; the caller frees its
 * own structure (@job->release is not called).
 */
void tm_sched_job_abandon(struct tm_sched_job *job)
{
	struct tm_sched *s = job->sched;

	drm_sched_job_cleanup(&job->base);
	kfree(job->hw);
	job->hw = NULL;
	tm_sched_fence_gone(s);
	if (atomic_dec_and_test(&s->jobs))
		wake_up_all(&s->idle);
}

/* The load-time check: a job writes its value; both ran, in order. */
struct tm_selftest_job {
	struct tm_sched_job base;
	u32 *out;
	u32 value;
	bool fence_violation;	/* the job_fence_violation debug hook */
};

static int tm_selftest_run(struct tm_sched_job *job)
{
	struct tm_selftest_job *t = container_of(job, struct tm_selftest_job,
						 base);

	/*
	 * Debug hook, off unless job_fence_violation=1 at load: an allocation
	 * that may reclaim, inside the engine's fence-signalling section,
	 * where none is allowed, so that a lockdep kernel reports it and the
	 * annotation is known to work (check-debug.sh's extra boot).
	 */
	if (t->fence_violation)
		kfree(kmalloc(64, GFP_KERNEL));
	WRITE_ONCE(*t->out, t->value);
	return 0;
}

static void tm_selftest_release(struct tm_sched_job *job)
{
	kfree(container_of(job, struct tm_selftest_job, base));
}

/* Submit a job writing @value to @out, after @dep if given; its out-fence. */
static struct dma_fence *tm_selftest_submit(struct tm_sched_entity *e,
					    u32 *out, u32 value,
					    struct dma_fence *dep,
					    bool fence_violation)
{
	struct tm_selftest_job *t;
	struct dma_fence *done;
	int ret;

	t = kzalloc_obj(*t, GFP_KERNEL);
	if (!t)
		return ERR_PTR(-ENOMEM);
	t->out = out;
	t->value = value;
	t->fence_violation = fence_violation;
	ret = tm_sched_job_init(&t->base, e, tm_selftest_run,
				tm_selftest_release, e);
	if (ret) {
		kfree(t);
		return ERR_PTR(ret);
	}
	if (dep) {
		ret = tm_sched_job_add_dependency(&t->base, dma_fence_get(dep));
		if (ret) {
			tm_sched_job_abandon(&t->base);
			kfree(t);
			return ERR_PTR(ret);
		}
	}
	done = tm_sched_job_arm(&t->base);
	tm_sched_job_push(&t->base);
	return done;
}

/**
 * tm_sched_selftest - prove the engine at load
 * @s: the engine, just initialised.
 * @fence_violation: debug hook (the job_fence_violation module parameter):
 *	the first job's work also makes one GFP_KERNEL allocation inside the
 *	fence-signalling section, for lockdep to report. False but in that
 *	test.
 *
 * Runs two jobs from a kernel entity, the second depending on the first's
 * out-fence, and checks that both out-fences signalled without error and
 * that each job's work ran: run_job, the engine, both fences, dependencies
 * and free_job on the kernel being loaded (and, on a debug kernel, under
 * lockdep's fence-signalling checks), before any file can submit.
 *
 * Return: 0, or a negative errno: the engine does not work.
 */
int tm_sched_selftest(struct tm_sched *s, bool fence_violation)
{
	long wait = max_t(long, 2 * s->base.timeout, HZ);
	struct dma_fence *first, *second;
	struct tm_sched_entity *e;
	u32 out[2] = { 0, 0 };
	int ret;

	e = kzalloc_obj(*e, GFP_KERNEL);
	if (!e)
		return -ENOMEM;
	e->sched = s;
	ret = drm_sched_entity_init(&e->base, DRM_SCHED_PRIORITY_NORMAL,
				    s->sched_list, ARRAY_SIZE(s->sched_list),
				    NULL);
	if (ret)
		goto out_free;
	first = tm_selftest_submit(e, &out[0], 1, NULL, fence_violation);
	if (IS_ERR(first)) {
		ret = PTR_ERR(first);
		goto out_entity;
	}
	second = tm_selftest_submit(e, &out[1], 2, first, false);
	if (IS_ERR(second)) {
		ret = PTR_ERR(second);
	} else {
		if (dma_fence_wait_timeout(second, false, wait) <= 0)
			ret = -ETIMEDOUT;	/* the out-fence must signal */
		else if (dma_fence_get_status(first) != 1 ||
			 dma_fence_get_status(second) != 1 ||
			 READ_ONCE(out[0]) != 1 || READ_ONCE(out[1]) != 2)
			ret = -EIO;
		dma_fence_put(second);
	}
	dma_fence_put(first);
out_entity:
	tm_sched_entity_fini(e);
	/*
	 * The jobs point into this frame (out): wait until both are freed,
	 * also after a failure (the job timeout bounds a job that runs).
	 */
	wait_event(s->idle, !atomic_read(&s->jobs));
out_free:
	kfree(e);
	if (ret)
		dev_err(s->base.dev, "job engine self-check failed: %d\n", ret);
	return ret;
}
