/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tm_life.h: what the files of tm_life share (main.c has the overview): its
 * modes other than the tests, and the option its tests read.
 */
#ifndef _TM_LIFE_H_
#define _TM_LIFE_H_

#include "tm_lib.h"

/* main.c: --oom N, the OOM kills of oom_kill_loop */
extern unsigned int opt_oom;

/* isolation.c: --exec-child FD, the new image of exec_refused */
int exec_child_main(int fd);

/*
 * module.c: --cycles N, unload/load cycles of the module, with a KTAP
 * of their own; the program's exit status
 */
int cycles_main(unsigned int cycles);

#endif /* _TM_LIFE_H_ */
