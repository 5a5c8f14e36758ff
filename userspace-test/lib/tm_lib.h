/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tm_lib: the shared library of the test_mirror test programs
 * (build/userspace/libtm.a, linked into every program). A program includes
 * this one header; each part has a header and a source file of its own:
 *
 *  tm_harness  the KTAP (kselftest) harness: TEST(), TEST_OPTS(), fixtures
 *              with variants (FIXTURE, FIXTURE_VARIANT, FIXTURE_VARIANT_ADD,
 *              TEST_F), the program's own options and hooks (TM_PROGRAM),
 *              tm_main(); ASSERT_*(), FAIL(), SKIP(), tm_diag(); processes
 *              inside a test (tm_fork(), tm_must_wait_ok()); time.
 *  tm_dev      the device: tm_open(), one wrapper per ioctl (0 or -errno),
 *              names of events and actions, module parameters, and the
 *              tm_must_*() forms (open with a parameter, bind, stats, a
 *              round trip, a child run with parameters changed).
 *  tm_mem      SZ(), PG(), ADDR(); anonymous mappings; the data pattern.
 *  tm_expect   the assertions on the event log (EV_TAKE, EXPECT_EV,
 *              EXPECT_ONLY, EXPECT_REC ...), the device table (EXPECT_SNAP,
 *              EXPECT_STATE_RUNS), device reads and writes (DEV_READ,
 *              DEV_READ_ERR, DEV_WRITE ...), memory (ASSERT_PATTERN,
 *              EXPECT_PAT, ASSERT_BYTES ...).
 *  tm_sys      procfs / sysfs / debugfs files, pagemap and smaps, fd
 *              passing, the driver's debugfs state, memory cgroups, the
 *              tm_invalidate tracepoint, the kernel's version.
 *  tm_uffd     userfaultfd, and a device access held on a missing page.
 *
 * Functions named tm_must_*(), the macros in capitals and the *_at()
 * functions may only be used inside a test: they end the test on failure,
 * reporting the caller's file and line. Everything else just returns (0 or
 * -errno for calls that can fail).
 */
#ifndef _TM_LIB_H_
#define _TM_LIB_H_

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <drm/test_mirror_drm.h>

#include "tm_harness.h"
#include "tm_dev.h"
#include "tm_mem.h"
#include "tm_expect.h"
#include "tm_sys.h"
#include "tm_uffd.h"

#endif /* _TM_LIB_H_ */
