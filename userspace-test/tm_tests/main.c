// SPDX-License-Identifier: GPL-2.0
/*
 * tm_tests: the basic test_mirror suite. One behaviour per test, exact
 * assertions. Run with -l to list the tests, -h for the options.
 *
 * Conventions: N pages of anonymous memory are filled by the CPU with the
 * pattern of a seed (so the pages are present, private and writable), bound,
 * and then accessed by the "device" through the READ / WRITE ioctls. The
 * expected values are those of uapi/drm/test_mirror_drm.h and of the lead's
 * semantics spec (event-aware policy, the module's default).
 *
 * What tm_events (one test per kernel activity: its events, the table
 * after, coherence) or tm_life (isolation between address spaces) asserts
 * in full is not asserted again here.
 *
 * One theme per file (tm_tests.h: what several of them share):
 *   bind.c       BIND and UNBIND
 *   access.c     device READ and WRITE: data, faults, errors, user buffers
 *   snapshot.c   SNAPSHOT, the device table as userspace sees it
 *   changes.c    CPU changes to bound memory: munmap (UNMAP) and the
 *                segments' cuts, CLEAR, reclaim, mprotect, fork; the
 *                event-aware policy and the event-blind one
 *   read_dest.c  a device READ stores nothing but the data
 *   signals.c    signals during device calls
 *   files.c      files and processes
 *   stats.c      STATS, EVENTS, an unknown ioctl
 *   syncobj.c    DRM syncobjs (libdrm) on the render node
 *
 * This file: main().
 */
#include "tm_tests.h"

TM_MAIN()
