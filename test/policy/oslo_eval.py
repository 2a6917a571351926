#!/usr/bin/env python3
"""Evaluates policy rules with oslo.policy itself, for Lintel's parity test (test/policy/).

Reads {"rules": {name: check}, "cases": [{"creds": {...}, "target": {...flat...}}]} as JSON on
stdin and prints, per case, the names of the rules that pass, as JSON. Rules are loaded and
evaluated the way `oslopolicy-checker` does (Rules.load, then each rule called with the target,
the credentials and an enforcer holding the rules), without scope enforcement.
"""
import json
import sys

from oslo_policy import policy


class _Enforcer:
    def __init__(self, rules):
        self.rules = rules


def main():
    data = json.load(sys.stdin)
    rules = policy.Rules.load(json.dumps(data["rules"]), "default")
    enforcer = _Enforcer(rules)
    out = []
    for case in data["cases"]:
        passed = []
        for name in sorted(rules):
            creds = dict(case["creds"])
            if rules[name](case["target"], creds, enforcer, current_rule=name):
                passed.append(name)
        out.append(passed)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
