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
 * One theme per file (tm_jobs.h: what they share):
 *   common.c   submitting, waiting for the engine's writes, counters
 *   data.c     COPY, FILL, ATOMIC, STREAM: exact data, counters, duration;
 *              in-fences (same file, another file, a failed one)
 *   args.c     SUBMIT's errors, one bad field at a time, nothing queued;
 *              the 17th unfinished job
 *   changes.c  CPU changes under a running STREAM: munmap, MADV_DONTNEED,
 *              mprotect, fork, migration (refused on the job's own file,
 *              ending the job from another file)
 *   life.c     close and process exit with a STREAM running
 *   proof.c    access_after_invalidate counts when the invalidation does
 *              not wait (module parameter job_skip_inval_wait), and no
 *              other engine access outlived one since load (debugfs)
 *
 * This file: main().
 */
#include "tm_jobs.h"

TM_MAIN()
