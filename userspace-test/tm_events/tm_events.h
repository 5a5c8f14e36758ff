/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tm_events.h: what the files of tm_events share (main.c describes the
 * program and its files): the flags older libc headers lack, the start of
 * every test and what it notes about this kernel (common.c), the bound of a
 * tracepoint read (trace.c, exit.c) and the exec helper (exit.c).
 */
#ifndef _TM_EVENTS_H_
#define _TM_EVENTS_H_

#include <stdbool.h>
#include <stdint.h>

#include "tm_lib.h"

/* Flags older libc headers lack. */
#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE	25
#endif
#ifndef MADV_SOFT_OFFLINE
#define MADV_SOFT_OFFLINE 101
#endif
#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT	21
#endif
#ifndef MPOL_MF_MOVE
#define MPOL_MF_MOVE	(1 << 1)
#endif
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

/* common.c */

/* PROTECTION_VMA keeps read-only entries on this kernel (6.1). */
extern bool vma_dg;
/* Device faults ask userfaultfd handlers on this kernel (7.3). */
extern bool uffd_faults;

void setup(int fd, const char *name);
#define SETUP(fd) setup(fd, __func__)
void wait_pages_dropped(int fd, uint64_t n);

/* trace.c, exit.c: the tm_invalidate records a test reads at most */
#define PROBE_MAX 4096

/* exit.c: the new image of exec_release_then_unmap (main.c runs it) */
int exec_helper(const char *arg);

#endif /* _TM_EVENTS_H_ */
