/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tm_tests.h: what the files of tm_tests share (main.c has the overview):
 * the typical test buffer and its seeds, an address in the kernel's half,
 * and the page-out helper of changes.c.
 */
#ifndef _TM_TESTS_H_
#define _TM_TESTS_H_

#include <stddef.h>

#include "tm_lib.h"

#define N		4u	/* pages of a typical test buffer */
#define SEED_A		0x1111u
#define SEED_B		0x2222u
#define SEED_C		0x3333u

#define KERNEL_ADDR	((void *)0xffff800000000000ul)

/*
 * changes.c: page npages pages at buf out to swap (MADV_PAGEOUT), or skip
 * the test if they did not all go.
 */
void must_page_out(void *buf, size_t npages);

#endif /* _TM_TESTS_H_ */
