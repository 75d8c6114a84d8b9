"""Reference for tests/chain/calculator_test.cpp: evaluates arithmetic expressions with Python's
own parser and math module. Reads a JSON list of expressions on stdin, writes a JSON list of
{"ok": true, "value": float} or {"ok": false} on stdout. '^' is read as '**'; round() is half
away from zero (the calculator's documented rule)."""
import json
import math
import sys


def round_half_away(x):
    return math.floor(x + 0.5) if x >= 0 else -math.floor(-x + 0.5)


NAMES = {
    "sqrt": math.sqrt, "abs": abs, "min": min, "max": max, "round": round_half_away,
    "floor": math.floor, "ceil": math.ceil, "log": math.log, "exp": math.exp,
    "sin": math.sin, "cos": math.cos, "tan": math.tan, "pi": math.pi, "e": math.e,
}

out = []
for expr in json.load(sys.stdin):
    try:
        value = eval(expr.replace("^", "**"), {"__builtins__": {}}, dict(NAMES))
        if isinstance(value, complex):
            raise ValueError("complex")
        value = float(value)
        if not math.isfinite(value):
            raise OverflowError("not finite")
        out.append({"ok": True, "value": value})
    except Exception:  # every failure is "an error" for the comparison
        out.append({"ok": False})
json.dump(out, sys.stdout)
