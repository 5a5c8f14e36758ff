/* SPDX-License-Identifier: GPL-2.0 */
/*
 * test_mirror: what the two job models share (tm_job.c: the pre-validated
 * model and the engine's access; tm_fjob.c: the fault model).
 */
#ifndef _TM_JOB_PRIV_H_
#define _TM_JOB_PRIV_H_

#include "tm_core.h"
#include "tm_job.h"
#include "tm_sched.h"

/* The fault engine's TLB: entries per job, direct-mapped by page. */
#define TM_TLB_ENTRIES		16

/**
 * struct tm_tlbe - a translation the fault engine keeps between accesses
 * @va: the page's address, 0 for an empty entry.
 * @pfn: the frame the device reads or writes (VRAM for a device page).
 * @folio: the folio to mark dirty after a write.
 * @write: the translation allows writes.
 */
struct tm_tlbe {
	unsigned long va;
	unsigned long pfn;
	struct folio *folio;
	bool write;
};

/**
 * struct tm_fault_req - a device fault, in the fault queue
 * @j: the job that raised it (waits for it: outlives it).
 * @addr: the faulting page.
 * @end: the end of the range of the job the page is in.
 * @write: a write needs the page.
 * @ret: out: 0 (replay), or the error that ends the job.
 * @done: out: the handler is done with it (store-release).
 */
struct tm_fault_req {
	struct tm_job *j;
	unsigned long addr;
	unsigned long end;
	bool write;
	int ret;
	bool done;
};

/**
 * struct tm_job - one job of a mirror
 * @base: the engine's job (pre-validated model only).
 * @m: the mirror.
 * @node: in tm_jobs.active while the job may run, else empty (jobs lock).
 * @op: TM_JOB_*.
 * @src: the range read, 0 for none.
 * @dst: the range written, 0 for none.
 * @size: bytes of each range.
 * @value: FILL's and STREAM's value, ATOMIC's addend.
 * @duration_ns: how long a STREAM runs.
 * @seq: odd while an access is in flight (written by the engine only).
 * @sum: what a reading STREAM read (kept, so that the reads are made).
 * @in_fence: the in-fence, whose error the job takes instead of running.
 * @ran: the engine ran the work.
 * @faultable: the fault model.
 * @ufence_addr: the fault model: its user fence.
 * @ufence_value: the fault model: the sequence number written there.
 * @qnode: in tm_jobs.queue until the fault engine takes it.
 * @tlb_gen: the TLB invalidation @tlb was last emptied for.
 * @tlb: the fault engine's translations.
 * @fault: the job's device fault, while it waits for it.
 */
struct tm_job {
	struct tm_sched_job base;
	struct tm_mirror *m;
	struct list_head node;
	unsigned int op;
	unsigned long src;
	unsigned long dst;
	unsigned long size;
	u64 value;
	u64 duration_ns;
	unsigned long seq;
	u64 sum;
	struct dma_fence *in_fence;
	bool ran;
	bool faultable;
	unsigned long ufence_addr;
	u64 ufence_value;
	struct list_head qnode;
	unsigned long tlb_gen;
	struct tm_tlbe tlb[TM_TLB_ENTRIES];
	struct tm_fault_req fault;
};

bool tm_job_uses(const struct tm_job *j, unsigned long start,
		 unsigned long end, bool write_only);
bool tm_job_wait_access(struct tm_job *j);
void tm_jobs_record(struct tm_jobs *js, unsigned long start,
		    unsigned long end, bool write_only, bool early, bool ack);
bool tm_job_frame(struct tm_mirror *m, unsigned long addr, bool write,
		  unsigned long *pfn, struct folio **folio);
void tm_job_do(struct tm_job *j, const u64 *s, u64 *d);
unsigned long tm_job_open(struct tm_job *j);
unsigned long tm_job_close(struct tm_job *j);
void tm_job_touch(struct tm_job *j, unsigned long spfn, struct folio *sf,
		  unsigned long dpfn, struct folio *df);
void tm_job_checks(struct tm_job *j, unsigned long off, unsigned long e0,
		   unsigned long e1);
void tm_job_check(struct tm_job *j, unsigned long addr, bool write,
		  unsigned long e0, unsigned long e1);
void tm_job_unlist(struct tm_job *j);
void tm_job_gone(struct tm_jobs *js);
int tm_job_check_binding(struct tm_mirror *m, unsigned long addr,
			 unsigned long size, bool write);
int tm_job_check_desc(const struct tm_job_desc *d);
struct tm_job *tm_job_new(struct tm_mirror *m, const struct tm_job_desc *d);
int tm_jobs_admit(struct tm_job *j);

void tm_fjobs_init(struct tm_jobs *js);
void tm_fjob_removed(struct tm_jobs *js);

#endif /* _TM_JOB_PRIV_H_ */
