// JinjaTemplate against Python jinja2 (tests/prompt/jinja_reference.py): each language feature,
// whitespace control under every option combination, the printing of Python values, filters,
// tests, methods, globals and the sandbox; every case's output must equal jinja2's byte for byte,
// and where jinja2 raises, llmkit must raise. Error positions are checked against the line and
// column of the offending token counted by hand.
#include <gtest/gtest.h>

#include <thread>

#include "tests/prompt/jinja_reference.h"
#include "tests/support/expect_error.h"

namespace llmkit::test {
namespace {

JinjaCase C(std::string tmpl, const char* context = "{}", const char* options = "{}") {
  return JinjaCase{std::move(tmpl), ojson::parse(context), ojson::parse(options)};
}

class JinjaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!reference_available()) GTEST_SKIP() << "python3-jinja2 is not installed";
  }
};

const char* kData =
    R"({"s": "Hello World", "n": 7, "f": 2.5, "t": true, "z": null, "l": [3, 1, 2],
        "names": ["b", "A", "c", "a"], "d": {"b": 1, "a": 2, "items": 3},
        "msgs": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": " yo "},
                 {"role": "user", "content": "x", "extra": 5}],
        "u": "héllo wörld ✓", "empty": [], "nested": {"a": {"b": [10, 20]}}})";

TEST_F(JinjaTest, LiteralsAndPrinting) {
  expect_matches_reference({
      C("{{ 'a\\n\\t\\'b\\\\' }}|{{ \"q\\\"\" }}|{{ 'x' 'y' }}|{{ '\\u00e9\\x41\\101' }}"),
      C("{{ 42 }} {{ -7 }} {{ 1_000 }} {{ 0 }} {{ 3.0 }} {{ 1.5e3 }} {{ 2e-7 }} {{ 0.1 + 0.2 }}"),
      C("{{ 1e16 }} {{ 1e15 }} {{ 0.0001 }} {{ 0.00001 }} {{ 123456789.123 }} {{ 1/3 }}"),
      C("{{ true }} {{ false }} {{ True }} {{ none }} {{ None }} {{ z }} {{ missing }}", kData),
      C("{{ [1, 'a', none, true, 2.5, [], {}] }} {{ (1,) }} {{ (1, 'b') }} {{ () }}"),
      C("{{ {'k': 'v', 'n': [1, {'x': none}]} }} {{ d }} {{ msgs[0] }}", kData),
      C("{{ [\"it's\", 'say \"hi\"', 'both \\' \"', 'tab\\t', 'nl\\n', 'é✓'] }}"),
      C("{{ l }} {{ names }} {{ f }} {{ n }} {{ t }} {{ u }}", kData),
      C("{{ 1, 2 }} {{ (1, (2, 3)) }}"),
      C("{{ namespace(a=1) }}"),
  });
}

TEST_F(JinjaTest, Arithmetic) {
  expect_matches_reference({
      C("{{ 7 + 3 }} {{ 7 - 10 }} {{ 7 * 3 }} {{ 7 / 2 }} {{ 6 / 3 }} {{ 7 // 2 }} {{ -7 // 2 }}"),
      C("{{ 7 % 3 }} {{ -7 % 3 }} {{ 7 % -3 }} {{ 2 ** 10 }} {{ 2 ** -1 }} {{ 2 ** 3 ** 2 }}"),
      C("{{ 7.5 // 2 }} {{ -7.5 % 2 }} {{ 1 + 2.5 }} {{ true + 1 }} {{ -2 ** 2 }} {{ -(2) }}"),
      C("{{ 'ab' + 'cd' }} {{ 'ab' * 3 }} {{ 2 * 'x' }} {{ [1] + [2, 3] }} {{ [0] * 3 }}"),
      C("{{ 'a' ~ 1 ~ none ~ missing ~ [1] ~ 2.0 }} {{ 1 + 2 * 3 - 4 / 2 }} {{ (1 + 2) * 3 }}"),
      C("{{ '%s and %s' % ('x', 1) }} {{ '%d%%' % 50 }}"),
      C("{{ 1 / 0 }}"),
      C("{{ 1 // 0 }}"),
      C("{{ 'a' + 1 }}"),
      C("{{ missing + 1 }}"),
      C("{{ [1] + (2,) }}"),
      C("{{ -'a' }}"),
  });
}

TEST_F(JinjaTest, ComparisonsAndLogic) {
  expect_matches_reference({
      C("{{ 1 == 1.0 }} {{ 1 != 2 }} {{ 'a' < 'b' }} {{ 2 >= 2 }} {{ 1 < 2 < 3 }} {{ 3 > 2 > 2 }}"),
      C("{{ [1, 2] < [1, 3] }} {{ [1] == [1] }} {{ (1,) == [1] }} {{ d == {'b': 1, 'a': 2, "
        "'items': 3} }}",
        kData),
      C("{{ 'a' in 'cat' }} {{ 2 in l }} {{ 'b' in d }} {{ 5 not in l }} {{ 'x' in missing }}",
        kData),
      C("{{ true and 'x' }} {{ 0 and 1 }} {{ '' or 'default' }} {{ none or [] }} {{ not 0 }}"),
      C("{{ not 1 == 2 }} {{ not (true and false) }} {{ 1 if true }} {{ 'y' if 0 else 'n' }}"),
      C("{{ 'a' if z else 'b' if t else 'c' }} [{{ x if false }}]", kData),
      C("{{ missing == missing }} {{ none == none }} {{ missing == none }} {{ 1 == true }}"),
      C("{{ 1 < 'a' }}"),
      C("{{ 1 in 5 }}"),
      C("{{ 1 in 'abc' }}"),
      C("{{ missing < 1 }}"),
  });
}

TEST_F(JinjaTest, AttributesSubscriptsAndSlices) {
  expect_matches_reference({
      C("{{ d.a }} {{ d['b'] }} {{ d['items'] }} {{ msgs[1].role }} {{ l[-1] }} "
        "{{ l.0 }} {{ nested.a.b[1] }}",
        kData),
      C("[{{ d.nope }}] [{{ l[10] }}] [{{ msgs[0].nope }}] [{{ s[0] }}{{ s[-1] }}] [{{ u[1] }}]",
        kData),
      C("{{ l[1:] }} {{ l[:-1] }} {{ l[::-1] }} {{ l[::2] }} {{ l[5:] }} {{ l[-10:2] }}", kData),
      C("{{ s[:5] }}|{{ s[6:] }}|{{ s[::-1] }}|{{ u[1:4] }}|{{ u[::-1] }}|{{ s[-3:-1] }}", kData),
      C("{{ l[3:0:-1] }} {{ l[:0:-1] }} {{ (1, 2, 3)[1:] }} {{ msgs[1:][0].content }}", kData),
      C("{{ missing.attr }}"),
      C("{{ d.nope.deeper }}", kData),
      C("{{ missing[0] }}"),
      C("{{ l[::0] }}", kData),
      C("{{ 5[1:] }}"),
  });
}

TEST_F(JinjaTest, WhitespaceControl) {
  const std::string body =
      "<ul>\n  {% for x in l %}\n    <li>{{ x }}</li>\n  {% endfor %}\n</ul>\n"
      "  {# note #}\nA {%- if t %} yes {% endif -%} B\n  {{- n -}}  \n  {%+ if t %}k{% endif %}"
      "\n {%- if t +%}\nm{% endif %}\n{% raw %}{{ raw }}{% endraw %}\ntail\n";
  std::vector<JinjaCase> cases;
  for (const char* opt :
       {R"({"trim_blocks": false, "lstrip_blocks": false})",
        R"({"trim_blocks": true, "lstrip_blocks": false})",
        R"({"trim_blocks": false, "lstrip_blocks": true})",
        R"({"trim_blocks": true, "lstrip_blocks": true})", R"({"keep_trailing_newline": true})"}) {
    cases.push_back(C(body, kData, opt));
    cases.push_back(C("  {% if t %}\n  x\n  {% endif %}\n", kData, opt));
    cases.push_back(C("a  {%- if t -%}  \n\n b \n {%- endif %}  c\n\n", kData, opt));
    cases.push_back(C("{{ 'a' }}\n{{ 'b' }}\n  {# c #}\n\t{% set x = 1 %}\nend", kData, opt));
    cases.push_back(C("x\r\ny\r{% if t %}\r\nz{% endif %}\n", kData, opt));
    cases.push_back(C("  {%- raw -%}  {% x %}  {%- endraw %}\n  q", kData, opt));
    cases.push_back(C("{% for i in l -%}\n{{ i }}\n{%- endfor %}\n\n", kData, opt));
    cases.push_back(
        C("{{ {'a': {'b': 1}} }}|{{ '}}' }}|{{ \"%}\" }}|{# {{ x }} %} #}|{{-'x'-}}  |"
          "{%- if t -%} {%- endif -%} |{#- c -#}  z {{ [1, [2]] }}",
          kData, opt));
    cases.push_back(
        C("a\n  {#- c #}\n  {%+ if t -%}\n  b\n  {%- endif +%}\n  c\n\t{# d +#}\ne", kData, opt));
  }
  expect_matches_reference(cases);
}

TEST_F(JinjaTest, ControlStructures) {
  expect_matches_reference({
      C("{% if n > 10 %}big{% elif n > 5 %}mid{% elif n > 1 %}small{% else %}tiny{% endif %}",
        kData),
      C("{% if z %}a{% else %}b{% endif %}{% if empty %}c{% endif %}{% if d %}e{% endif %}", kData),
      C("{% for x in l %}{{ loop.index }}/{{ loop.index0 }}/{{ loop.revindex }}/"
        "{{ loop.revindex0 }}/{{ loop.first }}/{{ loop.last }}/{{ loop.length }}:{{ x }} "
        "{% endfor %}",
        kData),
      C("{% for x in l %}[{{ loop.previtem }}|{{ loop.nextitem }}|{{ loop.cycle('o', 'e') }}]"
        "{% endfor %}",
        kData),
      C("{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}{% for k in d %}{{ k }}{% endfor "
        "%}",
        kData),
      C("{% for (a, b) in [(1, 2), (3, 4)] %}{{ a + b }}{% endfor %}"),
      C("{% for x in l if x > 1 %}{{ x }}:{{ loop.index }}/{{ loop.length }} {% endfor %}", kData),
      C("{% for x in empty %}no{% else %}empty{% endfor %}{% for x in l if x > 5 %}{% else %}"
        "none{% endfor %}",
        kData),
      C("{% for x in l %}{% if x == 1 %}{% continue %}{% endif %}{% if x == 2 %}{% break %}"
        "{% endif %}{{ x }}{% endfor %}",
        kData),
      C("{% for c in 'héy' %}{{ c }}.{% endfor %}{% for x in missing %}never{% endfor %}"),
      C("{% for m in msgs %}{% for x in [1, 2] %}{{ loop.index }}{{ m.role[0] }}{% endfor %}"
        "{{ loop.index }} {% endfor %}",
        kData),
      C("{% set x = 1 %}{% for i in l %}{% set x = i %}{{ x }}{% endfor %}{{ x }}", kData),
      C("{% set a, b = 1, 2 %}{{ a }}{{ b }}{% set c = 1, 2 %}{{ c }}"),
      C("{% set ns = namespace(total=0, found=false) %}{% for x in l %}{% set ns.total = "
        "ns.total + x %}{% if x == 1 %}{% set ns.found = true %}{% endif %}{% endfor %}"
        "{{ ns.total }} {{ ns.found }} {{ ns.missing }}",
        kData),
      C("{% set block %}Hi {{ n }}!{% endset %}[{{ block }}]{% set up | upper %}x{{ s }}"
        "{% endset %}{{ up }}",
        kData),
      C("{% macro greet(name, greeting='Hello', punct='!') %}{{ greeting }}, {{ name }}"
        "{{ punct }}{% endmacro %}{{ greet('Ann') }} {{ greet('Bob', 'Hi') }} "
        "{{ greet(punct='?', name='Cy') }}"),
      C("{% macro wrap(tag) %}<{{ tag }}>{{ caller() }}</{{ tag }}>{% endmacro %}"
        "{% call wrap('b') %}bold {{ n }}{% endcall %}",
        kData),
      C("{% macro list(items) %}{% for i in items %}{{ caller(i, loop.index) }}{% endfor %}"
        "{% endmacro %}{% call(x, n) list(l) %}<{{ n }}:{{ x }}>{% endcall %}",
        kData),
      C("{% macro m(a, b=a * 2) %}{{ a }},{{ b }}{% endmacro %}{{ m(1) }} {{ m(1, 5) }} {{ m(b=0, "
        "a=3) }}"),
      C("{% macro fact(k) %}{% if k <= 1 %}1{% else %}{{ k * fact(k - 1) | int }}{% endif %}"
        "{% endmacro %}{{ fact(5) }}"),
      C("{% filter upper %}shout {{ s }}{% endfilter %}{% with a = 5, b = n %}{{ a + b }}"
        "{% endwith %}{{ a }}",
        kData),
      C("{% set x = 5 %}{% macro show() %}{{ x }}{% endmacro %}{{ show() }}"),
      C("{% for m in msgs %}{% generation %}{% set g = 1 %}[{{ m.role }}]{% endgeneration %}{{ g }}"
        "{% endfor %}",
        kData),
      C("{% for x in 5 %}{% endfor %}"),
      C("{% set a, b = [1, 2, 3] %}"),
      C("{% macro m(a) %}{% endmacro %}{{ m(1, 2) }}"),
      C("{% set x = 1 %}{% set x.y = 2 %}"),
  });
}

TEST_F(JinjaTest, Filters) {
  expect_matches_reference({
      C("[{{ '  pad  ' | trim }}] [{{ 'xxaxx' | trim('x') }}] [{{ '\\u3000 wide\\t' | trim }}]"),
      C("{{ l | length }} {{ s | length }} {{ u | count }} {{ d | length }} {{ missing | length }}",
        kData),
      C("{{ s | upper }} {{ s | lower }} {{ 'hELLO wORLD' | capitalize }} {{ 'a-b c(d [e' | "
        "title }} {{ \"it's x\" | title }}",
        kData),
      C("{{ missing | default('dflt') }} {{ z | default('x') }} {{ '' | default('e', true) }} "
        "{{ 0 | d('zero', boolean=true) }} {{ n | default(1) }}",
        kData),
      C("{{ l | join(', ') }} {{ names | join }} {{ msgs | join('|', attribute='role') }}", kData),
      C("{{ s | replace('o', '0') }} {{ 'aaa' | replace('a', 'b', 2) }} {{ 'ab' | replace('', "
        "'-') }}"),
      C("{{ l | first }} {{ l | last }} {{ s | first }} {{ d | first }} [{{ empty | first }}]",
        kData),
      C("{{ n | string }}{{ [1] | string }} {{ '42' | int + 1 }} {{ '3.9' | int }} {{ 'x' | int }} "
        "{{ 'x' | int(5) }} {{ 2.7 | int }} {{ '2.5' | float }} {{ 'y' | float }} {{ 3 | float }}"),
      C("{{ 'ab' | list }} {{ d | list }} {{ (1, 2) | list }} {{ d | items | list }}", kData),
      C("{{ msgs | map(attribute='role') | list }} {{ names | map('upper') | join }} "
        "{{ msgs | map(attribute='extra', default=0) | list }}",
        kData),
      C("{{ l | select('odd') | list }} {{ l | reject('odd') | list }} {{ [0, 1, '', 'a'] | "
        "select | list }} {{ l | select('gt', 1) | list }}",
        kData),
      C("{{ msgs | selectattr('role', 'equalto', 'user') | map(attribute='content') | list }} "
        "{{ msgs | rejectattr('extra') | list | length }} {{ msgs | selectattr('extra', "
        "'defined') | list }}",
        kData),
      C("{{ d | dictsort }} {{ d | dictsort(by='value', reverse=true) }}", kData),
      C("{{ names | sort }} {{ names | sort(case_sensitive=true) }} {{ l | sort(reverse=true) }} "
        "{{ msgs | sort(attribute='content') | map(attribute='content') | list }}",
        kData),
      C("{{ ['a', 'A', 'b', 'a'] | unique | list }} {{ l | reverse | list }} {{ s | reverse }} "
        "{{ l | max }} {{ l | min }} {{ names | max }} {{ l | sum }}",
        kData),
      C("{{ 2.5 | round }} {{ 3.5 | round }} {{ 2.456 | round(2) }} {{ 2.1 | round(0, 'ceil') }} "
        "{{ 2.9 | round(method='floor') }} {{ -3 | abs }} {{ -2.5 | abs }} {{ 5 | round }}"),
      C("{{ '<a href=\"x\">&\\'</a>' | escape }} {{ 'x' | safe }} {{ 'a\\nb\\n\\nc' | indent(2) }}"
        "|{{ 'a\\nb' | indent(first=true) }}|{{ 'hi' | center(9) }}|{{ 'a b_c d' | wordcount }}"),
      C("{{ '%s-%s' | format('a', 2) }} {{ d | attr('a') }}", kData),
      C("{{ msgs | tojson }}\n{{ d | tojson(indent=2) }}\n{{ u | tojson }}\n{{ [1.0, 1e20, none, "
        "true, 'q\"\\\\\\n\\x01'] | tojson }}\n{{ d | tojson(sort_keys=true) }}\n"
        "{{ msgs[0] | tojson(separators=(',', ':')) }}\n{{ {'e': [], 'o': {}} | tojson(indent=1) "
        "}}",
        kData),
      C("{{ u | tojson(true) }} {{ ['😀', 'é'] | tojson(ensure_ascii=true) }} {{ d | tojson(false, "
        "2) }} {{ d | tojson(false, none, (';', '=')) }} {{ d | tojson(false, none, none, true) }}",
        kData),
      C("{{ missing | tojson }}"),
      C("{{ 5 | length }}"),
      C("{{ l | nosuchfilter }}", kData),
      C("{{ l | map('nosuchfilter') | list }}", kData),
  });
}

TEST_F(JinjaTest, Tests) {
  expect_matches_reference({
      C("{{ n is defined }} {{ missing is defined }} {{ missing is undefined }} {{ z is none }} "
        "{{ d.a is defined }} {{ d.zz is not defined }}",
        kData),
      C("{{ s is string }} {{ n is string }} {{ n is number }} {{ f is number }} {{ t is number }} "
        "{{ n is integer }} {{ t is integer }} {{ f is float }} {{ n is float }}",
        kData),
      C("{{ d is mapping }} {{ l is mapping }} {{ l is iterable }} {{ s is iterable }} {{ n is "
        "iterable }} {{ missing is iterable }} {{ l is sequence }} {{ d is sequence }} {{ n is "
        "sequence }}",
        kData),
      C("{{ t is boolean }} {{ n is boolean }} {{ t is true }} {{ 1 is true }} {{ false is false "
        "}} "
        "{{ 0 is false }} {{ z is not none }}",
        kData),
      C("{{ 3 is odd }} {{ 3 is even }} {{ -3 is odd }} {{ 9 is divisibleby 3 }} {{ 9 is "
        "divisibleby(2) }} {{ 1 is eq 1 }} {{ 1 is ne 1 }} {{ 2 is gt 1 }} {{ 2 is lt(1) }} "
        "{{ 2 is ge 2 }} {{ 2 is le 1 }} {{ 2 is in l }} {{ 2 is equalto 2 }}",
        kData),
      C("{{ 2 is == 2 }}"),
      C("{{ 'abc' is lower }} {{ 'ABC' is upper }} {{ 'aBc' is lower }} {{ range is callable }} "
        "{{ none is sameas none }} {{ 'upper' is filter }} {{ 'odd' is test }} {{ 1 is sameas 1 "
        "}}"),
      C("{{ missing is odd }}"),
      C("{{ 1 is nosuchtest }}"),
  });
}

TEST_F(JinjaTest, MethodsAndGlobals) {
  expect_matches_reference({
      C("[{{ '  x \\n'.strip() }}] [{{ 'xyx'.strip('x') }}] [{{ '\\n\\na\\n'.lstrip('\\n') }}] "
        "[{{ 'a  '.rstrip() }}] [{{ '..a..'.lstrip('.') }}]"),
      C("{{ s.startswith('Hell') }} {{ s.endswith('x') }} {{ s.startswith(('x', 'He')) }} "
        "{{ s.upper() }} {{ s.lower() }} {{ 'hello wORLD x1y'.title() }} {{ 'aBC'.capitalize() }}",
        kData),
      C("{{ 'a,b,,c'.split(',') }} {{ '  a b  c '.split() }} {{ 'a,b,c'.split(',', 1) }} "
        "{{ 'a b c'.split(none, 1) }} {{ '<think>x</think>y'.split('</think>')[-1] }}"),
      C("{{ s.replace('l', 'L') }} {{ s.replace('l', 'L', 1) }} {{ s.find('o') }} {{ s.find('z') "
        "}} {{ u.find('w') }} {{ s.count('l') }} {{ '-'.join(['a', 'b']) }} {{ "
        "'a\\nb'.splitlines() }}",
        kData),
      C("{{ '{} and {}'.format('x', 1) }} {{ '{0}{0}{name}'.format('r', name='n') }} "
        "{{ '12'.isdigit() }} {{ 'ab'.isalpha() }}"),
      C("{{ d.items() | list }} {{ d.keys() | list }} {{ d.values() | list }} {{ d.get('a') }} "
        "{{ d.get('zz') }} {{ d.get('zz', 9) }} {{ l.index(2) }} {{ l.count(3) }}",
        kData),
      C("{{ range(*[1, 4]) | list }} {{ dict(b=2, **{'a': 1}) }} {{ dict(*[{'z': 0}], c=1) }} {{ "
        "'{x}-{y}'.format(**{'x': 1, "
        "'y': 2}) }} {% for i in l %}{{ loop.cycle(*['a', 'b']) }}{% endfor %}",
        kData),
      C("{{ range(*5) }}"),
      C("{{ dict(**{'a': 1}, b=2) }}"),
      C("{{ range(*[1], 2) }}"),
      C("{{ dict(**[1]) }}"),
      C("{{ range(3) | list }} {{ range(1, 7, 2) | list }} {{ range(5, 0, -2) | list }} "
        "{{ dict(a=1, b='x') }} {{ dict(a=1).a }}"),
      C("{{ strftime_now('%Y-%m-%d %H:%M %A %B %j') }}", "{}", R"({"now": 1700000000})"),
      C("{{ raise_exception('bad role: ' ~ 'x') }}"),
      C("{{ range(200000) | length }}"),
      C("{{ l.append(4) }}", kData),
      C("{{ d.update({'x': 1}) }}", kData),
      C("{{ l.pop() }} {{ l }} {{ l.pop(0) }} {{ l }} {{ l.clear() }} {{ l }}", kData),
      C("{{ empty.pop() }}", kData),
      C("{{ missing() }}"),
      C("{{ s() }}", kData),
      C("{{ s.nomethod() }}", kData),
      C("{{ s.__class__ }}", kData),
      C("{{ '{99999999999999999999999}'.format(1) }}"),
      C("{{ nested | attr('a') }} {{ nested | map(attribute='99999999999999999999') | list }}",
        kData),
  });
}

TEST_F(JinjaTest, ScopingAndEdgeCases) {
  expect_matches_reference({
      C("{% set x = 0 %}{% for i in l %}{{ x }}{% set x = i %}{{ x }};{% endfor %}{{ x }}", kData),
      C("{% for i in l %}{% set y = i %}{% endfor %}[{{ y }}]{{ i is defined }}", kData),
      C("{% macro m() %}{{ late }}{{ n }}{% endmacro %}{% set late = 'L' %}{{ m() }}", kData),
      C("{% for i in l %}{% macro m() %}{{ i }}{% endmacro %}{{ m() }}{% endfor %}", kData),
      C("{% for a in [1, 2] %}{% for b in [3, 4] %}{{ loop.depth }}{{ loop.index }}{% endfor %}"
        "{{ loop.index }}{% endfor %}"),
      C("{{ [missing] }} {{ none | string }} {{ '' ~ none }} {{ missing | items | list }}"),
      C("{{ {1: 'a', none: 2, true: 3, 2.5: 4} }} {{ {1: 'a'} | tojson }} {{ 'ab' * -1 }}"),
      C("{{ 'abc'[1:] }} {{ 2 ** 0.5 }} {{ 10 / 4 }} {{ 1e300 * 1e10 }} {{ -1e300 * 1e10 }} "
        "{{ 3 * 0.1 }} {{ 1e-7 }} {{ 123e-20 }} {{ 5e-324 }} {{ 1.7976931348623157e308 }}"),
      C("{{ range(3) | list | tojson }} {{ msgs[-1]['content'] }} {{ s.y }}|{{ 'a' in ['a'] }}",
        kData),
      C("{% if z is not none and z | length > 0 %}y{% else %}n{% endif %}", kData),
      C("{{ none < 1 }}"),
      C("{% set d2 = {'a': 1} %}{{ d2 }}{% set d2 = dict(d2, b=2) %}{{ d2 }}"),
      C("{%- for m in msgs -%}\n  {%- if loop.first -%}F{%- endif -%}\n  {{ m.role }}\n"
        "{%- endfor -%}\n",
        kData),
      C("{% for x in l %}{{ x }}{% if not loop.last %}, {% endif %}{% endfor %}", kData),
      C("{{ ns }}{% set ns = namespace() %}{% set ns.items = [1] %}{{ ns.items }}"),
      C("{% set t = (1, 2) %}{{ t[0] }}{{ t | length }}{{ t + (3,) }}"),
      C("{{ 'mixed Case 12' | upper }} {{ 'MiXeD' | lower }} {{ u | length }}", kData),
      C("{{ u | upper }} {{ 'straße ÿ' | upper }} {{ 'ÉCOLE Ÿ' | lower }} {{ 'ĺĹ ąĄ ẞ ạẠ' | upper "
        "}}|"
        "{{ 'ĺĹ ąĄ ạẠ' | lower }} {{ 'привет МИР ёЁ' | upper }}|{{ 'ПРИВЕТ ЁЖ' | lower }}",
        kData),
      C("{{ 'αβγ άέ ς' | upper }}|{{ 'ΑΒΓ ΆΈΏ' | lower }}|{{ 'ﬀ ｆｕｌｌ' | upper }}|{{ 'ＦＵＬＬ' "
        "| "
        "lower }}|{{ 'հայ' | upper }}"),
      C("{{ 'élan vital-éCOLE (übung) [ñu]' | title }}|{{ 'ßa ÉCOLE' | capitalize }}|"
        "{{ 'aé日b x1y ßx' .title() }}|{{ 'école'.capitalize() }}|{{ 'ÉCOLE' is upper }}|"
        "{{ 'école' is lower }}"),
      C("{{ 'a' if true else 'b' | upper }} {{ -1 | abs }} {{ not true == false }}"),
      C("{{ 1 if 'x' in msgs[0] else 0 }} {{ msgs[0] | length }} {{ 'content' in msgs[0] }}",
        kData),
      C("{{ 0.1 | round(1) }} {{ 1.25 | round(1) }} {{ 2.675 | round(2) }}"),
      C("{{ '%5s|%-3d|%.2f|%05.1f|%x|%.1s|%r|%+d|%e' % ('a', 1, 3.14159, 2.25, 255, 'xy', 'q', "
        "3, 12345.678) }}"),
      C("{% for k, v in {'a': [1, 2]} | dictsort %}{{ k }}{{ v[1] }}{% endfor %}"),
      C("{{ (l | map('string') | join('-')) ~ '!' }} {{ l | join(attribute=none) }}", kData),
  });
}

TEST_F(JinjaTest, SyntaxErrorsMatchTheReference) {
  expect_matches_reference({
      C("{% if x %}no end"),
      C("{% for x in l %}{% endif %}"),
      C("{{ 1 + }}"),
      C("{{ 'unterminated }}"),
      C("{# open comment"),
      C("{% endfor %}"),
      C("{% include 'other.html' %}"),
      C("{% import 'x' as y %}"),
      C("{% extends 'base' %}"),
      C("{% unknowntag %}"),
      C("{{ (1, 2 }}"),
      C("{{ a.1b }}"),
      C("{{ x }"),
      C("{% set %}"),
      C("{{ x is is y }}"),
  });
}

// Positions counted by hand from the template text (line:column of the offending token).
TEST(JinjaErrors, MessagesNameLineAndColumn) {
  using prompt::JinjaTemplate;
  const nlohmann::json ctx = {{"l", {1, 2}}, {"n", 1}};
  auto render = [&](const std::string& src) { JinjaTemplate("chat", src).render(ctx); };
  auto parse = [&](const std::string& src) { JinjaTemplate(src, "tpl.jinja"); };
  expect_error([&] { parse("ab\n{% if x %}\n{% endfor %}"); }, ErrorCode::kInvalidArgument,
               {"tpl.jinja:3:4:", "endfor"});
  expect_error([&] { parse("{{ 1 +\n   }}"); }, ErrorCode::kInvalidArgument, {"tpl.jinja:2:4:"});
  expect_error([&] { parse("x\n  {% include 'a' %}"); }, ErrorCode::kInvalidArgument,
               {"tpl.jinja:2:6:", "'include' is not supported"});
  expect_error([&] { parse("{{ 'abc }}"); }, ErrorCode::kInvalidArgument,
               {"tpl.jinja:1:4:", "unterminated string"});
  expect_error([&] { parse("é {# x"); }, ErrorCode::kInvalidArgument,
               {"tpl.jinja:1:3:", "comment"});
  expect_error([&] { parse("{% if x %}"); }, ErrorCode::kInvalidArgument,
               {"tpl.jinja:1:11:", "unexpected end of template", "'endif'"});
  expect_error([&] { parse("{{ x | nofilter }}"); }, ErrorCode::kInvalidArgument,
               {"tpl.jinja:1:8:", "nofilter"});
  auto run = [&](const std::string& src) {
    JinjaTemplate t(src, "tpl.jinja");
    t.render(ctx);
  };
  expect_error([&] { run("line one\n  {{ raise_exception('roles must alternate') }}"); },
               ErrorCode::kInvalidArgument, {"tpl.jinja:2:6: roles must alternate"});
  expect_error([&] { run("{{ n + 'a' }}"); }, ErrorCode::kInvalidArgument,
               {"tpl.jinja:1:6:", "unsupported operand type(s) for +: 'int' and 'str'"});
  expect_error([&] { run("{% for m in l %}\n{{ m.x.y }}{% endfor %}"); },
               ErrorCode::kInvalidArgument,
               {"tpl.jinja:2:8:", "'int object' has no attribute 'x'"});
  expect_error([&] { run("{{ missing.attr }}"); }, ErrorCode::kInvalidArgument,
               {"tpl.jinja:1:12:", "'missing' is undefined"});
  expect_error([&] { run("{{ l.append(3) }}"); }, ErrorCode::kInvalidArgument,
               {"tpl.jinja:1:6:", "unsafe"});
  expect_error([&] { run("{{ 1 / 0 }}"); }, ErrorCode::kInvalidArgument,
               {"tpl.jinja:1:6:", "division by zero"});
  (void)render;
}

// Templates come from model files: hostile nesting and huge repetitions fail cleanly.
TEST(JinjaTemplate, HostileTemplatesFailCleanly) {
  using prompt::JinjaTemplate;
  const std::string parens = std::string(5000, '(') + "1" + std::string(5000, ')');
  expect_error([&] { JinjaTemplate("{{ " + parens + " }}", "deep"); }, ErrorCode::kInvalidArgument,
               {"deep:1:", "nests more than 200 levels"});
  std::string nots = "{{ ";
  for (int i = 0; i < 5000; ++i) nots += "not ";
  expect_error([&] { JinjaTemplate(nots + "1 }}", "nots"); }, ErrorCode::kInvalidArgument,
               {"nests"});
  std::string ifs;
  for (int i = 0; i < 5000; ++i) ifs += "{% if 1 %}";
  expect_error([&] { JinjaTemplate(ifs, "ifs"); }, ErrorCode::kInvalidArgument, {"nests"});
  expect_error(
      [&] { JinjaTemplate("{{ 'ab' * 1000000000000 }}", "big").render(nlohmann::json::object()); },
      ErrorCode::kInvalidArgument, {"big:1:9:", "too large"});
  expect_error(
      [&] {
        JinjaTemplate("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}", "rec")
            .render(nlohmann::json::object());
      },
      ErrorCode::kInvalidArgument, {"rec:", "recursion"});
  EXPECT_EQ(JinjaTemplate("{{ " + std::string(150, '(') + "7" + std::string(150, ')') + " }}", "ok")
                .render(nlohmann::json::object()),
            "7");
}

TEST(JinjaTemplate, RendersConcurrently) {
  prompt::JinjaTemplate t(
      "{% set ns = namespace(s=0) %}{% for x in l %}{% set ns.s = ns.s + x %}{% endfor %}{{ ns.s "
      "}}",
      "sum");
  std::vector<std::thread> threads;
  std::vector<std::string> outs(8);
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      nlohmann::json ctx = {{"l", nlohmann::json::array()}};
      for (int k = 0; k <= i * 100; ++k) ctx["l"].push_back(k);
      for (int r = 0; r < 20; ++r) outs[static_cast<size_t>(i)] = t.render(ctx);
    });
  }
  for (auto& th : threads) th.join();
  for (int i = 0; i < 8; ++i) {
    const int64_t n = i * 100;
    EXPECT_EQ(outs[static_cast<size_t>(i)], std::to_string(n * (n + 1) / 2));
  }
}

}  // namespace
}  // namespace llmkit::test
