#!/usr/bin/python3
"""Reference renderer for the Jinja tests: Python jinja2 configured as Hugging Face transformers'
apply_chat_template configures it (ImmutableSandboxedEnvironment, loopcontrols, {% generation %} blocks, the globals
raise_exception and strftime_now, a tojson filter that keeps non-ASCII text).

Reads a JSON list of cases from stdin and writes a JSON list of results to stdout:
{"ok": true, "output": str} or {"ok": false, "error": "Type: message"}. A case is either
  {"template": str, "context": object, "options": {"trim_blocks", "lstrip_blocks",
   "keep_trailing_newline": bool, "now": unix seconds}}
  (options optional; trim_blocks and lstrip_blocks default to true as in HF), or a chat case
  {"tokenizer_config": path, "messages": [...], "tools": list or null,
   "add_generation_prompt": bool, "extra": object}
  rendered as transformers' apply_chat_template does: the config's "chat_template" (a string),
  render(messages=, tools=, documents=None, add_generation_prompt=, **special_tokens, **extra)
  where special_tokens holds bos_token / eos_token when the config sets them (a string or an
  AddedToken object's "content").
"""
import json
import sys
from datetime import datetime

import jinja2
import jinja2.ext
from jinja2.sandbox import ImmutableSandboxedEnvironment


class Generation(jinja2.ext.Extension):
    """{% generation %}...{% endgeneration %} renders its body, as Hugging Face's
    AssistantTracker extension does when it is not tracking."""
    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
        return jinja2.nodes.Scope(body, lineno=lineno)


def raise_exception(message):
    raise jinja2.exceptions.TemplateError(message)


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators,
                      sort_keys=sort_keys)


def render(case):
    options = case.get("options", {})
    env = ImmutableSandboxedEnvironment(
        trim_blocks=options.get("trim_blocks", True),
        lstrip_blocks=options.get("lstrip_blocks", True),
        keep_trailing_newline=options.get("keep_trailing_newline", False),
        extensions=[Generation, jinja2.ext.loopcontrols])
    now = options.get("now")

    def strftime_now(format):
        moment = datetime.fromtimestamp(now) if now is not None else datetime.now()
        return moment.strftime(format)

    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    if "tokenizer_config" in case:
        with open(case["tokenizer_config"], encoding="utf-8") as f:
            config = json.load(f)
        kwargs = {}
        for key in ("bos_token", "eos_token"):
            token = config.get(key)
            if isinstance(token, dict):
                token = token["content"]
            if token is not None:
                kwargs[key] = token
        kwargs.update(case.get("extra", {}))
        template = env.from_string(config["chat_template"])
        return template.render(messages=case["messages"], tools=case.get("tools"),
                               documents=None,
                               add_generation_prompt=case["add_generation_prompt"], **kwargs)
    template = env.from_string(case["template"])
    return template.render(**case.get("context", {}))


def main():
    results = []
    for case in json.load(sys.stdin):
        try:
            results.append({"ok": True, "output": render(case)})
        except Exception as e:  # every failure is a result the C++ side compares
            results.append({"ok": False, "error": f"{type(e).__name__}: {e}"})
    json.dump(results, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
