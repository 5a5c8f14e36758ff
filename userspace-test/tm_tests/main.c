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
 */
#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tm_tests.h"

TM_MAIN()
