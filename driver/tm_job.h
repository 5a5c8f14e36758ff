/* SPDX-License-Identifier: GPL-2.0 */
/*
 * test_mirror: the device's jobs (tm_job.c), for the front-end that submits
 * them.
 */
#ifndef _TM_JOB_H_
#define _TM_JOB_H_

#include <linux/types.h>

struct dma_fence;
struct drm_file;
struct tm_mirror;
struct tm_sched_entity;
struct tm_job;

/* Job types: the uAPI's TEST_MIRROR_JOB_* (checked by the DRM front-end). */
#define TM_JOB_COPY		0
#define TM_JOB_FILL		1
#define TM_JOB_ATOMIC		2
#define TM_JOB_STREAM		3

/* Limits: the uAPI's TEST_MIRROR_JOB_MAX_SIZE, _MAX_MS, JOBS_PER_FILE. */
#define TM_JOB_MAX_SIZE		(64ULL << 20)
#define TM_JOB_MAX_MS		5000
#define TM_JOBS_PER_FILE	16

/**
 * struct tm_job_desc - what a job does, see struct drm_test_mirror_submit
 * @op: TM_JOB_*.
 * @src: the range read, 0 for none.
 * @dst: the range written, 0 for none.
 * @size: bytes of each range.
 * @value: the value stored (FILL, writing STREAM) or added (ATOMIC).
 * @duration_ms: how long a STREAM runs.
 */
struct tm_job_desc {
	unsigned int op;
	unsigned long src;
	unsigned long dst;
	unsigned long size;
	u64 value;
	unsigned int duration_ms;
};

/**
 * struct tm_jobs_totals - the engine's counters since load, every file
 * @jobs: jobs submitted.
 * @access_after_invalidate: engine accesses that outlived the removal of
 *	their entry (must be 0).
 * @access_after_early_record: the same, against removals that the debug
 *	switch ``job_skip_inval_wait`` declared complete before their wait
 *	(what the checker's own test provokes).
 * @fault_jobs: of @jobs, fault-model jobs.
 * @device_faults: device faults they raised.
 * @tlb_flushes: TLB invalidations acknowledged and waited for.
 * @nonblock_ack_pending: non-blockable callbacks that returned false while
 *	an acknowledgment was outstanding (the OOM reaper then calls again).
 */
struct tm_jobs_totals {
	u64 jobs;
	u64 access_after_invalidate;
	u64 access_after_early_record;
	u64 fault_jobs;
	u64 device_faults;
	u64 tlb_flushes;
	u64 nonblock_ack_pending;
};

void tm_jobs_totals(struct tm_jobs_totals *t);
struct tm_job *tm_job_create(struct tm_mirror *m, struct tm_sched_entity *e,
			     const struct tm_job_desc *d);
int tm_job_add_syncobj(struct tm_job *job, struct drm_file *file, u32 handle,
		       u64 point);
struct dma_fence *tm_job_push(struct tm_job *job);
void tm_job_abandon(struct tm_job *job);
void tm_jobs_cancel(struct tm_mirror *m);
void tm_jobs_wait_idle(struct tm_mirror *m);
void tm_jobs_count_submit(struct tm_mirror *m);
void tm_fjobs_totals(struct tm_jobs_totals *t);

int tm_fjob_submit(struct tm_mirror *m, const struct tm_job_desc *d,
		   u64 ufence_addr, u64 ufence_value);
int tm_fjob_wait_ufence(struct tm_mirror *m, u64 addr, u64 value,
			s64 timeout_ns);
int tm_fjobs_module_init(void);
void tm_fjobs_module_exit(void);

#endif /* _TM_JOB_H_ */
