/* SPDX-License-Identifier: GPL-2.0 */
/*
 * test_mirror: debugfs (tm_debugfs.c). The front-ends attach a directory
 * to each file they open.
 */
#ifndef _TM_DEBUGFS_H_
#define _TM_DEBUGFS_H_

struct dentry;
struct tm_devmem;
struct tm_mirror;

struct dentry *tm_debugfs_add(struct tm_mirror *m);
void tm_debugfs_remove(struct dentry *dir);
void tm_debugfs_set_devmem(struct tm_devmem *dm);
void tm_debugfs_init(void);
void tm_debugfs_exit(void);

#endif /* _TM_DEBUGFS_H_ */
