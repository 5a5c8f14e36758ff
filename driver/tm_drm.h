/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _TM_DRM_H_
#define _TM_DRM_H_

int tm_drm_init(void);
void tm_drm_exit(void);

#endif /* _TM_DRM_H_ */
