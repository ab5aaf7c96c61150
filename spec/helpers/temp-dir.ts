// A fresh temporary directory per test, removed once every test of the spec file has finished.
// Not in the test's own `t.after`: those run in the order they were registered, so a directory
// made first would be removed before the processes started later (a TUI in tmux, a server) had
// been stopped, while they still write into it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, after } from 'node:test';

const made: string[] = [];
after(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

export function makeTempDir(_t: TestContext, prefix = 'tui-chat-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}
