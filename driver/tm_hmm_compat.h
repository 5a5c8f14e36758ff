/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _TM_HMM_COMPAT_H_
#define _TM_HMM_COMPAT_H_

int tm_hmm_compat_init(void);
void tm_hmm_compat_exit(void);

#endif /* _TM_HMM_COMPAT_H_ */
