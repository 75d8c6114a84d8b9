"""Reference for tests/chain/json_schema_test.cpp: validity of JSON instances by the Python
jsonschema package (Draft 2020-12). Reads [{"schema": S, "instance": I}, ...] on stdin, writes
[{"valid": bool}, ...] on stdout."""
import json
import sys

import jsonschema

cases = json.load(sys.stdin)
out = []
for case in cases:
    validator = jsonschema.Draft202012Validator(case["schema"])
    out.append({"valid": validator.is_valid(case["instance"])})
json.dump(out, sys.stdout)
