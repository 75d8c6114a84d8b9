"""Independent check for the constrained-generation tests: every line of OUTPUTS (a JSON list of
strings, the generated texts) must parse as JSON (Python's json) and validate against SCHEMA
(Python's jsonschema). Prints one line per failure and exits 1 when there is any.

Usage: /usr/bin/python3 validate_json_schema.py SCHEMA.json OUTPUTS.json
"""
import json
import sys

import jsonschema


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        schema = json.load(f)
    with open(sys.argv[2], encoding="utf-8") as f:
        outputs = json.load(f)
    validator = jsonschema.Draft202012Validator(schema)
    failures = 0
    for i, text in enumerate(outputs):
        try:
            value = json.loads(text)
        except json.JSONDecodeError as e:
            print(f"output {i}: not JSON ({e}): {text!r}")
            failures += 1
            continue
        errors = sorted(validator.iter_errors(value), key=str)
        if errors:
            print(f"output {i}: {errors[0].message}: {text!r}")
            failures += 1
    print(f"{len(outputs) - failures} of {len(outputs)} valid")
    sys.exit(1 if failures else 0)


main()
