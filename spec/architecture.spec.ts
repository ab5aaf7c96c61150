// The layout's import rules (see docs/ARCHITECTURE.md): core imports no other room and no sockets,
// files or blessed; the server never loads blessed (its uncaughtException handler would exit the
// daemon) nor the client or the TUI; the client is headless (no TUI, no server); each half of video
// lives with the process that runs it; only src/tui imports blessed; `connect` loads no daemon code;
// no two modules import each other, even for types.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
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

/** Relative imports that load code at run time (not `import type`, not dynamic `import()`). */
function staticValueImports(path: string): string[] {
  const text = readFileSync(path, 'utf8');
  return [...text.matchAll(/(?:^|\n)\s*(?:import|export)\s+(?!type\b)[^'";]*?from\s+['"](\.[^'"]+)['"]/g)].map((m) => m[1]!);
}

/** Every source file `entry` loads statically, itself included. */
function staticGraph(entry: string): Set<string> {
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const spec of staticValueImports(file)) visit(join(dirname(file), spec).replace(/\.js$/, '.ts'));
  };
  visit(entry);
  return seen;
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

  it("keeps the broker client inside the NATS bus, and out of a lone server's load", () => {
    for (const file of files) {
      const where = relative(SRC, file);
      for (const spec of importsOf(file)) {
        // The bus and the parts it hands its connection to (nats-claims.ts); all loaded only through it.
        if (spec.startsWith('@nats-io/')) assert.match(where, /^server\/cluster\/nats-[a-z-]+\.ts$/, `${where} imports ${spec}`);
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

  it('keeps the client headless: no TUI, no blessed, no server', () => {
    for (const file of files.filter((f) => room(f) === 'client')) {
      for (const spec of importsOf(file)) assert.doesNotMatch(spec, /blessed|\/tui\/|\/server\//, `${relative(SRC, file)} imports ${spec}`);
    }
  });

  it('never lets the server import the client', () => {
    for (const file of files.filter((f) => room(f) === 'server')) {
      for (const spec of importsOf(file)) assert.doesNotMatch(spec, /\/client\//, `${relative(SRC, file)} imports ${spec}`);
    }
  });

  it('keeps each half of video with the process that runs it', () => {
    for (const file of files.filter((f) => relative(SRC, f).startsWith('server/video/'))) {
      for (const spec of importsOf(file)) assert.doesNotMatch(spec, /\/client\/|\/tui\//, `${relative(SRC, file)} imports ${spec}`);
    }
    for (const file of files.filter((f) => relative(SRC, f).startsWith('client/video/'))) {
      for (const spec of importsOf(file)) assert.doesNotMatch(spec, /\/server\/|\/tui\//, `${relative(SRC, file)} imports ${spec}`);
    }
  });

  it('loads none of the daemon for `connect` or `keys`', () => {
    for (const entry of ['cli/main.ts', 'cli/connect-command.ts', 'cli/keys-command.ts']) {
      const loaded = [...staticGraph(join(SRC, entry))].map((file) => relative(SRC, file));
      assert.ok(loaded.length > 1, `${entry} has imports`);
      for (const file of loaded) assert.doesNotMatch(file, /^server\//, `${entry} loads ${file}`);
    }
  });

  it('has no import cycles (type imports count: a cycle is two modules that cannot be read apart)', () => {
    const edges = new Map(
      files.map((file) => [
        file,
        importsOf(file)
          .filter((spec) => spec.startsWith('.'))
          .map((spec) => join(dirname(file), spec).replace(/\.js$/, '.ts')),
      ]),
    );
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const path: string[] = [];
    const visit = (file: string): void => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'open') {
        cycles.push(
          path
            .slice(path.indexOf(file))
            .concat(file)
            .map((each) => relative(SRC, each))
            .join(' -> '),
        );
        return;
      }
      state.set(file, 'open');
      path.push(file);
      for (const next of edges.get(file) ?? []) visit(next);
      path.pop();
      state.set(file, 'done');
    };
    for (const file of files) visit(file);
    assert.deepEqual(cycles, []);
  });
});
