/* SPDX-License-Identifier: GPL-2.0 */
/*
 * test_mirror: the module parameters (tm_params.c).
 */
#ifndef _TM_PARAMS_H_
#define _TM_PARAMS_H_

struct tm_limits;

const struct tm_limits *tm_params_limits(void);

#endif /* _TM_PARAMS_H_ */
