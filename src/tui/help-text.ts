// The help overlay's text: keys from the key map, commands from the command table, so the help
// cannot disagree with what the keys and commands do.
import { describeCommands } from '../client/line-command.js';
import { KEY_HELP } from './key-map.js';
import { escapeTags } from './markup.js';

/** Where a key's description starts: two spaces, the key padded to 28, a space. */
const KEY_COLUMN = 31;
/** Narrower than this beside the keys, a description goes under its key instead. */
const NARROWEST_DESCRIPTION = 24;

/** Words of `text` in rows of at most `width` columns (a longer word gets a row of its own). */
function wrapWords(text: string, width: number): string[] {
  const rows: string[] = [];
  let row = '';
  for (const word of text.split(' ')) {
    if (row !== '' && row.length + 1 + word.length > width) {
      rows.push(row);
      row = word;
    } else row = row === '' ? word : `${row} ${word}`;
  }
  rows.push(row);
  return rows;
}

/**
 * The help, fitted to `width` columns: a description too long for its row continues under the
 * description column (a hanging indent), never under the keys; where the screen is too narrow for
 * the two columns, each description goes under its key. (blessed's own wrapping put the rest of a
 * description at column 0, under the keys, at 80x24.)
 */
export function helpText(width = Number.POSITIVE_INFINITY): string {
  const besideKeys = width - KEY_COLUMN >= NARROWEST_DESCRIPTION;
  const keys = KEY_HELP.flatMap(([key, what]) => {
    if (!besideKeys) return [`  {cyan-fg}${escapeTags(key)}{/cyan-fg}`, ...wrapWords(what, width - 6).map((row) => `      ${escapeTags(row)}`)];
    const [first, ...rest] = wrapWords(what, width - KEY_COLUMN);
    return [`  {cyan-fg}${escapeTags(key.padEnd(28))}{/cyan-fg} ${escapeTags(first!)}`, ...rest.map((row) => `${' '.repeat(KEY_COLUMN)}${escapeTags(row)}`)];
  });
  const commands = describeCommands().flatMap((line) => {
    const [first, ...rest] = wrapWords(line, width - 2);
    return [
      `  ${escapeTags(first!)}`,
      ...wrapWords(rest.join(' '), width - 6)
        .filter((row) => row !== '')
        .map((row) => `      ${escapeTags(row)}`),
    ];
  });
  return [
    '{bold}Keys{/bold}',
    ...keys,
    '',
    '{bold}Commands{/bold} (type them on the input line)',
    ...commands,
    '',
    ...wrapWords('Text without a leading ":" goes to the current conversation; "::" sends a leading ":".', width),
  ].join('\n');
}

/** The same key table as Markdown, for README.md (scripts/write-readme-keys.mjs writes it there). */
export function keyTableMarkdown(): string {
  const cell = (text: string) => text.replace(/\|/g, '\\|');
  return ['| key | does |', '|---|---|', ...KEY_HELP.map(([key, what]) => `| ${cell(key)} | ${cell(what)} |`)].join('\n');
}
