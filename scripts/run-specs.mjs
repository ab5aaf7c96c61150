// Runs every compiled spec (dist/spec/**/*.spec.js) with Node's test runner.
// Node 20's runner does not expand globs itself, so the file list is built here.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

function findSpecs(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return findSpecs(path);
    return entry.name.endsWith('.spec.js') ? [path] : [];
  });
}

const filter = process.argv[2];
// Only specs whose source still exists: a spec moved or deleted leaves its old build in dist/.
const hasSource = (path) => existsSync(path.replace(/^dist\//, '').replace(/\.js$/, '.ts'));
const specs = findSpecs('dist/spec')
  .filter((path) => hasSource(path) && (filter === undefined || path.includes(filter)))
  .sort();
if (specs.length === 0) {
  console.error('no spec files found under dist/spec');
  process.exit(1);
}
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=2', '--test-timeout=120000', ...specs], {
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
