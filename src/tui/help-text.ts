// The help overlay's text: keys from the key map, commands from the command table, so the help
// cannot disagree with what the keys and commands do.
import { describeCommands } from '../client/line-command.js';
import { KEY_HELP } from './key-map.js';
import { escapeTags } from './markup.js';

export function helpText(): string {
  const keys = KEY_HELP.map(([key, what]) => `  {cyan-fg}${escapeTags(key.padEnd(28))}{/cyan-fg} ${escapeTags(what)}`);
  const commands = describeCommands().map((line) => `  ${escapeTags(line)}`);
  return [
    '{bold}Keys{/bold}',
    ...keys,
    '',
    '{bold}Commands{/bold} (type them on the input line)',
    ...commands,
    '',
    'Text without a leading ":" goes to the current conversation; "::" sends a leading ":".',
  ].join('\n');
}

/** The same key table as Markdown, for README.md (scripts/write-readme-keys.mjs writes it there). */
export function keyTableMarkdown(): string {
  const cell = (text: string) => text.replace(/\|/g, '\\|');
  return ['| key | does |', '|---|---|', ...KEY_HELP.map(([key, what]) => `| ${cell(key)} | ${cell(what)} |`)].join('\n');
}
