/* SPDX-License-Identifier: MIT */
/* What model.c and model-check.c share; not for the rest of pmgen. */
#pragma once

#include "diag.h"
#include "model.h"
#include "value.h"

/* One app object of either front end, normalized (model-norm.c): 0, -EINVAL (diagnostics in dl) or
 * -ENOMEM. */
int normalize_app(const value *raw, diag_list *dl, value **ret);

/* The value of key in obj (an object), or NULL. */
const value *model_get(const value *obj, const char *key);

/* cpu_quota and max_cpu_restart: "150%" or 150 (percent of one CPU, 1 to 100000); 0 when absent or not
 * that. */
unsigned cpu_quota_of(const value *v);

/* One app's values: 0 or -EINVAL (diagnostics in dl). */
int check_app(const app *a, diag_list *dl);

/* depends_on among the apps of one file: no cycle; a name that is not one of them is a warning. */
void check_depends(const model *m, diag_list *dl);
