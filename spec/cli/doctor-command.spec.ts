// `tui-chat doctor` as the real spawned command.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CliProcess, startServeProcess } from '../helpers/cli-process.js';
import { makeTempDir } from '../helpers/temp-dir.js';

interface Report {
  readonly ok: boolean;
  readonly checks: ReadonlyArray<{ check: string; status: string; detail: string; fix?: string }>;
}

async function doctor(t: Parameters<typeof makeTempDir>[0], dir: string, args: string[] = []): Promise<{ code: number; report: Report }> {
  const proc = CliProcess.spawn(t, ['doctor', '--json', '--data-dir', join(dir, 'data'), ...args], { XDG_CONFIG_HOME: join(dir, 'config') });
  const code = await proc.waitExit(30_000);
  return { code, report: JSON.parse(proc.stdoutLines.join('\n')) as Report };
}

describe('tui-chat doctor', () => {
  it('fails on a config folder others can read, says how to fix it, and passes once fixed', async (t) => {
    const dir = makeTempDir(t);
    mkdirSync(join(dir, 'config', 'tui-chat'), { recursive: true });
    chmodSync(join(dir, 'config', 'tui-chat'), 0o755);
    const bad = await doctor(t, dir);
    assert.equal(bad.code, 1);
    const folder = bad.report.checks.find((c) => c.check === 'config folder')!;
    assert.equal(folder.status, 'fail');
    assert.match(folder.fix ?? '', /chmod 700/);
    chmodSync(join(dir, 'config', 'tui-chat'), 0o700);
    const good = await doctor(t, dir);
    assert.equal(good.code, 0, JSON.stringify(good.report));
    assert.equal(good.report.checks.find((c) => c.check === 'ffmpeg')?.status, 'ok');
    assert.equal(good.report.checks.find((c) => c.check === 'data folder')?.status, 'ok');
  });

  it("shows a server's certificate fingerprint, as serve printed it", async (t) => {
    const dir = makeTempDir(t);
    const { server, port } = await startServeProcess(t);
    const printed = (await server.waitForLine(/^certificate fingerprint (.+)$/))[1]!;
    const { report } = await doctor(t, dir, [`127.0.0.1:${port}`]);
    const check = report.checks.find((c) => c.check === 'server')!;
    assert.equal(check.status, 'ok');
    assert.ok(check.detail.includes(printed), check.detail);
  });

  it('fails when the broker cannot be reached', async (t) => {
    const dir = makeTempDir(t);
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as { port: number };
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const { code, report } = await doctor(t, dir, ['--cluster', `nats://127.0.0.1:${port}`]);
    assert.equal(code, 1);
    assert.equal(report.checks.find((c) => c.check === 'broker')?.status, 'fail');
  });
});
