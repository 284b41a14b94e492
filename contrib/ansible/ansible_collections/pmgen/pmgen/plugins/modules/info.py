#!/usr/bin/python
# -*- coding: utf-8 -*-
# SPDX-License-Identifier: MIT
# The module runs `pmgen ls --json` on the host and returns it as facts; pmgen does the work.

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: info
short_description: The apps and instances pmgen runs on a host (C(pmgen ls --json)), as facts
version_added: "1.0.0"
description:
  - Runs C(pmgen ls --json) on the host and returns every instance (app, instance, unit, status, pid,
    uptime, restarts, cpu, memory, port) and a summary per app, also as the fact C(pmgen).
  - It changes nothing.
options:
  user:
    description:
      - The user's own systemd (C(systemctl --user)) instead of the system manager.
    type: bool
    default: false
  executable:
    description:
      - The pmgen command, if it is not on the PATH.
    type: path
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
  facts:
    support: full
requirements:
  - pmgen on the host
seealso:
  - module: pmgen.pmgen.apply
author:
  - pmgen contributors
"""

EXAMPLES = r"""
- name: Read what pmgen runs
  pmgen.pmgen.info:

- name: Every instance of web is online
  ansible.builtin.assert:
    that: ansible_facts.pmgen.apps.web.online == ansible_facts.pmgen.apps.web.instances
"""

RETURN = r"""
instances:
  description: One entry per instance, as C(pmgen ls --json) prints it.
  returned: always
  type: list
  elements: dict
  sample:
    - {app: web, instance: "0", unit: web@0.service, status: online, pid: 1234, restarts: 0, port: 8080}
apps:
  description: Per app, its instance count, how many are online and the ports.
  returned: always
  type: dict
  sample: {web: {instances: 2, online: 2, ports: [8080]}}
ansible_facts:
  description: C(pmgen) with C(instances) and C(apps) as above.
  returned: always
  type: dict
"""

import json

from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(
        argument_spec=dict(user=dict(type="bool", default=False), executable=dict(type="path")),
        supports_check_mode=True,
    )
    pmgen = module.params["executable"] or module.get_bin_path("pmgen", required=True,
                                                               opt_dirs=["/usr/local/bin", "/usr/bin"])
    cmd = [pmgen, "ls", "--json"] + (["--user"] if module.params["user"] else [])
    rc, out, err = module.run_command(cmd)
    if rc != 0:
        module.fail_json(msg="pmgen ls failed (exit %d): %s" % (rc, err.strip()), rc=rc, stderr=err)
    try:
        instances = json.loads(out)
    except ValueError:
        module.fail_json(msg="pmgen ls printed no JSON: %s" % out[:200], rc=rc, stderr=err)
    apps = {}
    for i in instances:
        a = apps.setdefault(i["app"], dict(instances=0, online=0, ports=[]))
        a["instances"] += 1
        a["online"] += i.get("status") == "online"
        if i.get("port") and i["port"] not in a["ports"]:
            a["ports"].append(i["port"])
    module.exit_json(changed=False, instances=instances, apps=apps,
                     ansible_facts=dict(pmgen=dict(instances=instances, apps=apps)))


if __name__ == "__main__":
    main()
