"""Independent verdicts for tests/infer/json_schema_grammar_test.cpp: for each case of CASES (a
JSON list of {"schema": ..., "instances": [text, ...]}), whether each text parses as JSON
(Python's json, without its NaN / Infinity extension) and validates against the schema (Python's jsonschema, draft 2020-12, with format
checking; time and date-time as RFC 3339 with a zone, checked with datetime's fromisoformat, as
jsonschema's own "time" is draft 3's and its "date-time" needs a package Debian lacks). Writes a JSON list of lists of booleans.

Usage: /usr/bin/python3 json_schema_verdicts.py CASES.json VERDICTS.json
"""
import datetime
import json
import sys

import jsonschema


def reject_constant(name):
    raise ValueError(f"{name} is not JSON")  # Python's json accepts NaN and Infinity


def main():
    checker = jsonschema.FormatChecker()

    @checker.checks("date-time", raises=ValueError)
    def is_date_time(value):
        if not isinstance(value, str):
            return True
        if "T" not in value or not (value.endswith("Z") or value[-6] in "+-"):
            raise ValueError("not RFC 3339")
        datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
        return True

    @checker.checks("time", raises=ValueError)
    def is_time(value):
        if not isinstance(value, str):
            return True
        if not (value.endswith("Z") or value[-6] in "+-"):
            raise ValueError("no zone")
        datetime.time.fromisoformat(value.replace("Z", "+00:00"))
        return True

    with open(sys.argv[1], encoding="utf-8") as f:
        cases = json.load(f)
    verdicts = []
    for case in cases:
        validator = jsonschema.Draft202012Validator(case["schema"], format_checker=checker)
        row = []
        for text in case["instances"]:
            try:
                value = json.loads(text, parse_constant=reject_constant)
            except (json.JSONDecodeError, ValueError):
                row.append(False)
                continue
            row.append(validator.is_valid(value))
        verdicts.append(row)
    with open(sys.argv[2], "w", encoding="utf-8") as f:
        json.dump(verdicts, f)


main()
