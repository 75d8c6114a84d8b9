#!/usr/bin/env python3
"""Checks the layer rule of ARCHITECTURE.md: a file under llmkit/<layer>/ may include only headers
of its own layer and of the layers it may use (transitively). Prints each violation; exit 1 if any."""
import pathlib
import re
import sys

MAY_USE = {
    "base": [],
    "tensor": ["base"],
    "ops": ["tensor"],
    "autograd": ["ops"],
    "nn": ["autograd"],
    "optim": ["nn"],
    "io": ["tensor"],
    "tokenizer": ["base", "io"],
    "models": ["nn", "io"],
    "infer": ["models", "tokenizer"],
    "train": ["models", "optim", "infer"],
    "prompt": ["tokenizer"],
    "chain": ["prompt", "infer"],
    "rag": ["chain"],
    "server": ["infer", "chain", "rag"],
}


def allowed(layer, seen=None):
    seen = set() if seen is None else seen
    if layer in seen:
        return seen
    seen.add(layer)
    for dep in MAY_USE[layer]:
        allowed(dep, seen)
    return seen


def main():
    root = pathlib.Path(__file__).resolve().parent.parent
    include = re.compile(r'#include\s+"llmkit/([a-z_]+)/')
    bad = []
    for path in sorted((root / "llmkit").rglob("*")):
        if path.suffix not in (".h", ".cpp"):
            continue
        layer = path.relative_to(root / "llmkit").parts[0]
        if layer not in MAY_USE:
            bad.append(f"{path.relative_to(root)}: folder '{layer}' is not a layer in ARCHITECTURE.md")
            continue
        ok = allowed(layer)
        for n, line in enumerate(path.read_text().splitlines(), 1):
            m = include.search(line)
            if m and m.group(1) not in ok:
                bad.append(f"{path.relative_to(root)}:{n}: layer '{layer}' may not include "
                           f"llmkit/{m.group(1)}/ (allowed: {', '.join(sorted(ok))})")
    for b in bad:
        print(b)
    print(f"layer rule: {'ok' if not bad else f'{len(bad)} violation(s)'}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
