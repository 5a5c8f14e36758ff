/* SPDX-License-Identifier: GPL-2.0 */
/*
 * test_mirror: fault injection for tests (tm_inject.c).
 */
#ifndef _TM_INJECT_H_
#define _TM_INJECT_H_

#include <linux/types.h>

bool tm_inject_split_begin(void);
void tm_inject_split_end(bool cut);
const char *tm_inject_split_state(void);
void tm_inject_split_arm(bool on);

#endif /* _TM_INJECT_H_ */
