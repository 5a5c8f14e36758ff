/* SPDX-License-Identifier: GPL-2.0 */
/*
 * test_mirror: the job engine's plumbing on drm_sched (tm_sched.c).
 */
#ifndef _TM_SCHED_H_
#define _TM_SCHED_H_

#include <linux/atomic.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include <drm/gpu_scheduler.h>

struct device;
struct dma_fence;
struct drm_file;
struct tm_hw_fence;

/* Jobs the engine holds at once (drm_sched credits, one per job). */
#define TM_SCHED_CREDIT_LIMIT	64

/**
 * struct tm_sched - the device's job engine
 * @base: the DRM GPU scheduler feeding it.
 * @engine: the "hardware": an ordered workqueue that runs one job at a
 *	time, in the order drm_sched hands them over, so that its fences
 *	signal in seqno order on their one context.
 * @fence_context: the context of the hardware fences.
 * @seqno: the last hardware fence's sequence number.
 * @sched_list: the schedulers an entity may use: @base (drm_sched keeps
 *	the array).
 * @jobs: jobs initialised and not yet freed.
 * @fences: hardware fences allocated and not yet gone (freed, or on 7.x
 *	signalled and detached).
 * @idle: woken when @jobs or @fences drops to 0.
 * @name: the scheduler's and the timeline's name.
 */
struct tm_sched {
	struct drm_gpu_scheduler base;
	struct workqueue_struct *engine;
	u64 fence_context;
	atomic64_t seqno;
	struct drm_gpu_scheduler *sched_list[1];
	atomic_t jobs;
	atomic_t fences;
	wait_queue_head_t idle;
	const char *name;
};

/**
 * struct tm_sched_entity - one submitter's queue (one per open file)
 * @base: the drm_sched entity.
 * @sched: the engine it feeds.
 * @client_id: the DRM file's client id, for drm_sched's accounting (0
 *	where the kernel has none).
 */
struct tm_sched_entity {
	struct drm_sched_entity base;
	struct tm_sched *sched;
	u64 client_id;
};

struct tm_sched_job;

/**
 * typedef tm_sched_run_fn - the "hardware" work of a job
 * @job: the job.
 *
 * Runs on the engine, inside the fence-signalling critical section
 * (dma_fence_begin_signalling()): it may not allocate memory that can
 * reclaim, wait for a fence, or take a lock that is held around either.
 * A long job polls tm_sched_job_aborted() and stops when it says so.
 *
 * Return: 0, or a negative errno that the job's fences carry.
 */
typedef int (*tm_sched_run_fn)(struct tm_sched_job *job);

/**
 * struct tm_sched_job - the base of every engine job
 * @base: the drm_sched job.
 * @sched: the engine.
 * @run: the hardware work.
 * @release: frees the structure embedding the job, from free_job context
 *	(after the hardware is done with it); may not sleep for long.
 * @hw: the hardware fence, allocated at init, initialised and handed to
 *	the scheduler in run_job, signalled when @run has returned.
 * @work: the engine's work item.
 * @aborted: set when the job timed out: the hardware should stop.
 * @started: run_job initialised @hw (else free_job frees it raw).
 */
struct tm_sched_job {
	struct drm_sched_job base;
	struct tm_sched *sched;
	tm_sched_run_fn run;
	void (*release)(struct tm_sched_job *job);
	struct tm_hw_fence *hw;
	struct work_struct work;
	atomic_t aborted;
	bool started;
};

int tm_sched_init(struct tm_sched *s, struct device *dev, const char *name,
		  unsigned int timeout_ms);
void tm_sched_fini(struct tm_sched *s);
int tm_sched_selftest(struct tm_sched *s, bool fence_violation);

int tm_sched_entity_init(struct tm_sched *s, struct tm_sched_entity *e,
			 struct drm_file *file);
void tm_sched_entity_fini(struct tm_sched_entity *e);

int tm_sched_job_init(struct tm_sched_job *job, struct tm_sched_entity *e,
		      tm_sched_run_fn run,
		      void (*release)(struct tm_sched_job *job), void *owner);
int tm_sched_job_add_dependency(struct tm_sched_job *job,
				struct dma_fence *fence);
struct dma_fence *tm_sched_job_arm(struct tm_sched_job *job);
void tm_sched_job_push(struct tm_sched_job *job);
void tm_sched_job_abandon(struct tm_sched_job *job);

/**
 * tm_sched_job_aborted - should the hardware stop this job?
 * @job: the running job.
 *
 * Return: true once the job has timed out.
 */
static inline bool tm_sched_job_aborted(struct tm_sched_job *job)
{
	return atomic_read(&job->aborted);
}

#endif /* _TM_SCHED_H_ */
