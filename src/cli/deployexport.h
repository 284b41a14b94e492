/* SPDX-License-Identifier: MIT */
/* `pmgen deploy-export FILE ENV -o DIR`: the `deploy` section of an ecosystem file
 * (what `pm2 deploy ENV` reads) as an Ansible inventory and playbook that use the
 * pmgen.pmgen collection (contrib/ansible/). pmgen(1), DEPLOY-EXPORT.
 *
 * deploy.ENV keys and what they become:
 *   host (a string or a list)  the hosts of the inventory group ENV
 *   user                       ansible_user (the apply step uses become unless it is root)
 *   key                        ansible_ssh_private_key_file
 *   ssh_options (string/list)  ansible_ssh_common_args, one "-o OPTION" each
 *   repo, ref, path            git clone of repo into PATH/source, the release at ref checked out
 *                              into PATH/releases/<commit>, PATH/current a symlink to it (a ref
 *                              "origin/BRANCH" is fetched as BRANCH)
 *   env                        the play's environment for the hooks
 *   pre-deploy-local           a task on the controller, once
 *   pre-setup, post-setup      tasks run when PATH/source does not exist yet
 *   pre-deploy                 a task in PATH/source before the checkout
 *                              (hooks run with ansible.builtin.command, or .shell when they use
 *                              shell syntax: pipes, redirections, quotes, variables …)
 *   post-deploy                split at && and ;: `pm2 start|reload|restart|startOrReload|
 *                              startOrRestart FILE [--env X]` becomes the pmgen.pmgen.apply task
 *                              of PATH/current/FILE with env X; other pm2 commands are left out
 *                              with a comment; anything else is a task in PATH/current. When the
 *                              release link moved, a handler reloads the apps apply left unchanged
 *                              (new code under the same declaration).
 * Anything left out gets a comment in the playbook and a warning with its file:line:col.
 * User strings reach the YAML as double-quoted JSON strings tagged !unsafe (Ansible does
 * not template them; long ones wrap with escaped line breaks, so that the play passes
 * ansible-lint); host and user names are checked.
 *
 * Pure: a value tree in, two texts out. */
#pragma once

#include "cli.h"
#include "diag.h"
#include "strbuf.h"
#include "value.h"

/* root: the ecosystem file's export; env: the deploy environment; file: the name
 * the texts mention. 0, -EINVAL (diagnostics in dl) or -ENOMEM. On success the
 * inventory (YAML) and the playbook (YAML) are appended; warnings may be in dl. */
int deploy_export_render(const value *root, const char *env, const char *file, strbuf *inventory, strbuf *playbook,
                         diag_list *dl);

/* pmgen deploy-export FILE ENV -o DIR: writes DIR/inventory-ENV.yml and DIR/deploy-ENV.yml. */
int cmd_deploy_export(const verb_opts *o, const char *file, const char *env);
