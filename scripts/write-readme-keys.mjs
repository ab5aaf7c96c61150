// Writes the TUI's key table into README.md from the one table the help overlay is drawn from
// (src/tui/key-map.ts), between the "keys:" markers; spec/tui/help-text.spec.ts fails if they differ.
import { readFileSync, writeFileSync } from 'node:fs';
import { keyTableMarkdown } from '../dist/src/tui/help-text.js';

const README = 'README.md';
const text = readFileSync(README, 'utf8');
const block = /(<!-- keys: generated[^\n]*-->\n)[\s\S]*?(\n<!-- keys: end -->)/;
if (!block.test(text)) throw new Error(`${README} has no "keys:" markers`);
writeFileSync(
  README,
  text.replace(block, (_all, start, end) => `${start}${keyTableMarkdown()}${end}`),
);
