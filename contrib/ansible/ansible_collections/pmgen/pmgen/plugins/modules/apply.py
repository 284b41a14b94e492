#!/usr/bin/python
# -*- coding: utf-8 -*-
# SPDX-License-Identifier: MIT
# The module runs `pmgen apply --json` on the host and reports what it printed; pmgen does the work.

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: apply
short_description: Converge systemd to pmgen declarations (C(pmgen apply))
version_added: "1.0.0"
description:
  - Runs C(pmgen apply --json) on the host with the declaration files given by O(src). pmgen compiles and
    validates every file first (any error, and nothing is written or touched), writes the normalized
    declarations to C(/etc/pmgen/) (C(~/.config/pmgen/) with O(user)), reloads systemd and converges it, restarting
    a changed app's instances one at a time, each waited for until it is active.
  - C(changed) is true only when pmgen changed something (a declaration, a unit, an instance).
  - In check mode it runs C(pmgen apply --dry-run --json), which touches nothing and reports truthfully
    whether a real run would change anything.
  - In diff mode the units of every app that differs are shown before and after (the values of environment
    variables are hidden; RV(apps) names the variables that changed).
  - "On failure the task fails with pmgen's diagnostics (C(file:line:col: error: ...)) in C(msg)."
  - With O(state=absent) the apps that the files declare are deleted (C(pmgen delete APP)).
  - In check mode a O(src) that does not exist yet (a task before placed nothing, in check mode) is reported
    as C(changed) without running pmgen.
  - In check mode with O(stage), the dry run is of the files of O(stage) as if they were placed at O(src); the
    module merges them over a copy of O(src) and binds that copy over O(src) in a private mount namespace
    (C(unshare --mount)) for the one C(pmgen apply --dry-run) run, so pmgen sees the same paths (a declaration
    is known by its path; an app without C(cwd) runs in its declaration's directory). Nothing on the host
    changes. The role M(pmgen.pmgen.server) renders its templates into such a directory in check mode, so that
    C(--check --diff) shows the units a controller-side change would change.
options:
  src:
    description:
      - A declaration file on the host (C(ecosystem.config.js), C(.cjs), C(.mjs), C(.json) or a pmgen C(.ini)),
        or a directory on the host; every such file directly in it is applied, in name order.
    type: path
    required: true
  env:
    description:
      - The profile to apply (C(env_NAME) over C(env)), as C(pmgen apply --env NAME) and PM2's C(--env).
    type: str
  user:
    description:
      - The user's own systemd (C(systemctl --user)) and C(~/.config/pmgen) instead of the system manager.
    type: bool
    default: false
  prune:
    description:
      - Also remove the apps applied earlier from other files (C(pmgen apply --prune)).
    type: bool
    default: false
  stage:
    description:
      - In check mode only (ignored otherwise), a directory on the host with new versions of the declaration files
        of O(src) (same names; files not in O(src) are new ones). Needs root (a private mount namespace); as
        another user the dry run is of what O(src) holds, with a warning. A O(src) that does not exist yet is
        reported as above.
    type: path
  state:
    description:
      - C(present) applies the files; C(absent) deletes the apps they declare.
    type: str
    choices: [present, absent]
    default: present
  executable:
    description:
      - The pmgen command, if it is not on the PATH (C(/usr/bin/pmgen), C(/usr/local/bin/pmgen)).
    type: path
requirements:
  - pmgen on the host (the role M(pmgen.pmgen.server) can install it)
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
notes:
  - The module does not reimplement pmgen; its exit codes are pmgen's (see C(man pmgen), APPLY).
seealso:
  - module: pmgen.pmgen.info
author:
  - pmgen contributors
"""

EXAMPLES = r"""
- name: Apply the ecosystem file with the production profile
  pmgen.pmgen.apply:
    src: /srv/api/current/ecosystem.config.js
    env: production

- name: Apply every declaration of a directory, removing apps that are no longer declared
  pmgen.pmgen.apply:
    src: /etc/pmgen/declarations
    prune: true

- name: What would change (touches nothing)
  pmgen.pmgen.apply:
    src: /etc/pmgen/declarations
  check_mode: true
  diff: true
  register: plan

- name: Delete the apps of a file
  pmgen.pmgen.apply:
    src: /srv/old/ecosystem.config.js
    state: absent
"""

RETURN = r"""
changed:
  description: Whether pmgen changed something (in check mode, whether it would).
  returned: always
  type: bool
apps:
  description:
    - One entry per app of the plan, as C(pmgen apply --json) prints it.
    - C(action) is C(created), C(updated), C(unchanged) or C(removed); C(restart), C(start) and C(stop) list the
      instances the plan restarts, starts or stops; C(restarted), C(started) and C(stopped) those it did.
  returned: when state is present and the declarations compiled
  type: list
  elements: dict
  sample:
    - name: web
      action: updated
      instances: {before: 2, after: 2}
      changes: [{key: env.GREETING, before: "(hidden)", after: "(hidden)"}]
      restart: [web@0, web@1]
      restarted: [web@0, web@1]
      started: []
      stopped: []
files:
  description: The declaration files of C(/etc/pmgen) and what happened to each (C(created), C(updated), C(unchanged), C(removed)).
  returned: when state is present
  type: list
  elements: dict
  sample: [{path: /etc/pmgen/apps.ini, source: "from /etc/pmgen/declarations/apps.ini", action: updated}]
diagnostics:
  description: pmgen's diagnostics, each with C(file), C(line), C(col), C(level), C(message) and C(text).
  returned: when state is present
  type: list
  elements: dict
deleted:
  description: The apps deleted (or, in check mode, that would be).
  returned: when state is absent
  type: list
  elements: str
rc:
  description: pmgen's exit status (0 ok, 1 declaration errors, 3 system error, 4 a systemd job failed).
  returned: always
  type: int
stderr:
  description: pmgen's own report of the run, as a person reads it.
  returned: always
  type: str
"""

import json
import os
import shutil
import tempfile

from ansible.module_utils.basic import AnsibleModule

EXTENSIONS = (".js", ".cjs", ".mjs", ".json", ".ini")


def sources(module, src):
    if module.check_mode and not os.path.exists(src):
        # In check mode the task that would have placed the declarations placed nothing.
        module.exit_json(changed=True, apps=[], files=[], diagnostics=[], rc=0, stderr="",
                         msg="%s does not exist yet (check mode placed nothing): a real run would apply it" % src)
    if os.path.isdir(src):
        files = sorted(
            os.path.join(src, f)
            for f in os.listdir(src)
            if f.endswith(EXTENSIONS) and not f.startswith(".") and os.path.isfile(os.path.join(src, f))
        )
        if not files:
            module.fail_json(msg="%s: no declaration file (%s) in this directory" % (src, ", ".join(EXTENSIONS)), rc=1)
        return files
    if not os.path.exists(src):
        module.fail_json(msg="%s: no such file or directory" % src, rc=1)
    return [src]


def common_args(module):
    args = []
    if module.params["user"]:
        args.append("--user")
    return args


def pmgen_path(module):
    if module.params["executable"]:
        return module.params["executable"]
    return module.get_bin_path("pmgen", required=True, opt_dirs=["/usr/local/bin", "/usr/bin"])


def staged(module, src, cmd):
    """The dry run of the files of stage in place of src's: a merged copy bound over src in a private mount
    namespace. Returns (cmd, files, scratch) or None where that cannot be done (a warning says why)."""
    stage = module.params["stage"]
    if not os.path.isdir(stage):
        module.fail_json(msg="stage %s: not a directory" % stage, rc=1)
    if os.geteuid() != 0 or not module.get_bin_path("unshare"):
        module.warn("check mode: the dry run is of the declarations on the host, not of %s (binding it over %s "
                    "needs root and unshare)" % (stage, src))
        return None
    if not os.path.exists(src):
        return None
    scratch = tempfile.mkdtemp(prefix="pmgen-check-")
    os.chmod(scratch, 0o700)
    if os.path.isdir(src):
        merged = os.path.join(scratch, "src")
        os.mkdir(merged, 0o755)
        for d in (src, stage):
            for f in os.listdir(d):
                if os.path.isfile(os.path.join(d, f)):
                    shutil.copy2(os.path.join(d, f), os.path.join(merged, f))
        files = [os.path.join(src, os.path.basename(f)) for f in sources(module, merged)]
    else:
        merged = os.path.join(stage, os.path.basename(src))
        if not os.path.isfile(merged):
            shutil.rmtree(scratch, ignore_errors=True)
            return None
        files = [src]
    wrap = ["unshare", "--mount", "--propagation", "private", "--", "/bin/sh", "-c",
            'mount --bind -- "$1" "$2" && shift 2 && exec "$@"', "sh", merged, src]
    return wrap + cmd, files, scratch


def present(module, pmgen, files):
    cmd = [pmgen, "apply", "--json"] + common_args(module)
    if module.check_mode:
        cmd.append("--dry-run")
    if module.params["env"]:
        cmd += ["--env", module.params["env"]]
    if module.params["prune"]:
        cmd.append("--prune")
    scratch = None
    if module.check_mode and module.params["stage"]:
        st = staged(module, module.params["src"], cmd)
        if st:
            cmd, files, scratch = st
    cmd += ["--"] + files
    try:
        rc, out, err = module.run_command(cmd)
    finally:
        if scratch:
            shutil.rmtree(scratch, ignore_errors=True)
    try:
        doc = json.loads(out)
    except ValueError:
        module.fail_json(msg="pmgen apply printed no JSON (exit %d): %s" % (rc, err.strip() or out.strip()), rc=rc,
                         stdout=out, stderr=err, cmd=cmd)
    result = dict(changed=bool(doc.get("changed")), apps=doc.get("apps", []), files=doc.get("files", []),
                  diagnostics=doc.get("diagnostics", []), rc=rc, stderr=err, cmd=cmd)
    if module._diff:
        result["diff"] = [
            dict(before_header="%s (units)" % a["name"], after_header="%s (units)" % a["name"],
                 before=a["diff"]["before"], after=a["diff"]["after"])
            for a in result["apps"]
            if a["diff"]["before"] != a["diff"]["after"]
        ]
    if rc != 0 or doc.get("failed"):
        lines = [d["text"] for d in result["diagnostics"] if d.get("level") == "error"]
        if doc.get("error"):
            lines.append("pmgen: %s" % doc["error"])
        module.fail_json(msg="\n".join(lines) or "pmgen apply failed (exit %d)" % rc, **result)
    module.exit_json(**result)


def absent(module, pmgen, files):
    names = []
    for f in files:
        rc, out, err = module.run_command([pmgen, "convert", "--to", "json", "--", f])
        if rc != 0:
            module.fail_json(msg=err.strip() or "pmgen convert %s failed (exit %d)" % (f, rc), rc=rc, stderr=err)
        names += [a["name"] for a in json.loads(out).get("apps", [])]
    deleted, log = [], []
    for name in names:
        cmd = [pmgen, "delete"] + common_args(module) + (["--dry-run"] if module.check_mode else []) + ["--", name]
        rc, out, err = module.run_command(cmd)
        log.append(out + err)
        if rc == 5:  # no such app: already absent
            continue
        if rc != 0:
            module.fail_json(msg="pmgen delete %s failed (exit %d): %s" % (name, rc, err.strip()), rc=rc,
                             deleted=deleted, stderr="".join(log))
        deleted.append(name)
    module.exit_json(changed=bool(deleted), deleted=deleted, rc=0, stderr="".join(log))


def main():
    module = AnsibleModule(
        argument_spec=dict(
            src=dict(type="path", required=True),
            env=dict(type="str"),
            user=dict(type="bool", default=False),
            prune=dict(type="bool", default=False),
            stage=dict(type="path"),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            executable=dict(type="path"),
        ),
        supports_check_mode=True,
    )
    pmgen = pmgen_path(module)
    files = sources(module, module.params["src"])
    if module.params["state"] == "present":
        present(module, pmgen, files)
    else:
        absent(module, pmgen, files)


if __name__ == "__main__":
    main()
