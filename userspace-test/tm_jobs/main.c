// SPDX-License-Identifier: GPL-2.0
/*
 * tm_jobs: the job engine of the DRM front-end (SUBMIT), one behaviour per
 * test, exact outcomes. Run with -l to list the tests.
 *
 * A job runs on the device's engine after SUBMIT returned, through entries
 * SUBMIT made valid for it (the pre-validated, "userptr" model); it never
 * faults, so a CPU change that removes an entry it needs, or makes one
 * read-only under a writing job, ends it with -EFAULT on its fence, and
 * the invalidation waits until the engine stopped using the entries it
 * removed. Fences are read as sync_files (tm_fence_status()).
 *
 * A fault-model job (TEST_MIRROR_SUBMIT_FAULTABLE) runs on the fault
 * engine with nothing made valid at SUBMIT: a missing or too weak entry
 * raises a device fault, which the fault handler resolves in batches of
 * fault_batch_pages pages (module parameter), and the access is replayed;
 * the job survives what the CPU changes but for what cannot be faulted
 * again (munmap, PROT_NONE; -EPERM for a write to read-only memory), and
 * reports its end in a user fence in bound memory {seqno, error, pad},
 * waited for with WAIT_UFENCE. An invalidation while such a job runs waits
 * for the engine's TLB flush (tlb_flushes, tlb_flushes_avoided).
 *
 * One theme per file (tm_jobs.h: what they share):
 *   common.c   submitting, waiting for the engine's writes, counters
 *   data.c     COPY, FILL, ATOMIC, STREAM: exact data, counters, duration;
 *              in-fences (same file, another file, a failed one)
 *   args.c     SUBMIT's errors, one bad field at a time, nothing queued;
 *              the 17th unfinished job
 *   changes.c  CPU changes under a running STREAM: munmap, MADV_DONTNEED,
 *              mprotect, fork, migration (refused on the job's own file,
 *              ending the job from another file)
 *   life.c     close and process exit with a STREAM running; a reap
 *              (process_mrelease()) refused while the fault engine's TLB
 *              acknowledgment is outstanding (tlb_ack_delay_ms)
 *   proof.c    access_after_invalidate counts when the invalidation does
 *              not wait (module parameter job_skip_inval_wait), in either
 *              model, and no other engine access outlived one since load
 *              (debugfs)
 *   fargs.c    the fault model's SUBMIT errors, one bad field at a time,
 *              nothing queued; what only a fault tells, in the user fence;
 *              SUBMIT faults nothing; both models share the 16-job limit;
 *              WAIT_UFENCE's errors, timeouts and a signal
 *   faults.c   fault-model COPY, FILL, ATOMIC, STREAM on memory without
 *              entries (some never touched): exact data, user fence, and
 *              device faults, batches and pages for fault_batch_pages 1
 *              and 16; a file's fault-model jobs run in order
 *   fchanges.c CPU changes under a running fault-model STREAM:
 *              MADV_DONTNEED and MIGRATE (survived, faulted again, a TLB
 *              flush), munmap and UNBIND (-EFAULT), mprotect (-EPERM
 *              under a writer; read-only and back survived under a
 *              reader), fork (survived, the child's copy untouched), close
 *              and exit; the one- and two-pass notifier (7.3): with a
 *              slow engine (tlb_ack_delay_ms), two files' acknowledgments
 *              overlap in two passes and follow each other in one
 *
 * This file: main().
 */
#include "tm_jobs.h"

TM_MAIN()
