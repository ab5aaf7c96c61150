// The layout's import rules (see ../shared/STYLE.md): core imports no other room and no sockets,
// files or blessed; the server never loads blessed (its uncaughtException handler would exit the
// daemon) nor src/tui; only src/tui imports blessed.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { PROJECT_ROOT } from './helpers/cli-process.js';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

function importsOf(path: string): string[] {
  const text = readFileSync(path, 'utf8');
  return [...text.matchAll(/(?:^|\n)\s*(?:import|export)[^'";]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1] ?? m[2]!);
}

const SRC = join(PROJECT_ROOT, 'src');
const room = (path: string) => relative(SRC, path).split('/')[0]!;

describe('architecture', () => {
  const files = sourceFiles(SRC);

  it('finds the source files', () => assert.ok(files.length > 20));

  it('keeps src/core free of other rooms, sockets, files and blessed', () => {
    const banned = /^(?:\.\.\/|node:(?:net|tls|fs|fs\/promises|child_process|dgram|http|https)$|blessed)/;
    for (const file of files.filter((f) => room(f) === 'core')) {
      for (const spec of importsOf(file)) assert.doesNotMatch(spec, banned, `${relative(SRC, file)} imports ${spec}`);
    }
  });

  it('never lets the server load blessed or the TUI', () => {
    for (const file of files.filter((f) => room(f) === 'server')) {
      for (const spec of importsOf(file)) {
        assert.doesNotMatch(spec, /blessed|\/tui\//, `${relative(SRC, file)} imports ${spec}`);
      }
    }
  });

  it('keeps the broker client inside the NATS bus, and out of a lone server\'s load', () => {
    for (const file of files) {
      const where = relative(SRC, file);
      for (const spec of importsOf(file)) {
        if (spec.startsWith('@nats-io/')) assert.equal(where, 'server/cluster/nats-bus.ts', `${where} imports ${spec}`);
      }
      if (where.startsWith('server/cluster/') || where.startsWith('cli/')) continue;
      // Outside the cluster room only types (erased) and dynamic imports may name it.
      const staticValueImport = /^import (?!type )[^;]*from '[^']*\/cluster\/[^']*';/m.exec(readFileSync(file, 'utf8'));
      assert.equal(staticValueImport, null, `${where} loads the cluster code statically: ${staticValueImport?.[0]}`);
    }
  });

  it('imports blessed only from src/tui', () => {
    for (const file of files.filter((f) => room(f) !== 'tui')) {
      for (const spec of importsOf(file)) assert.doesNotMatch(spec, /^blessed/, `${relative(SRC, file)} imports ${spec}`);
    }
  });
});
