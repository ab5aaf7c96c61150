// `tui-chat top` in a real terminal (tmux), reading a real `tui-chat serve --metrics`.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';
import { BIN, CliProcess, startServeProcess } from '../../helpers/cli-process.js';
import { writeTestIdentity } from '../../helpers/identities.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { TmuxSession } from '../../helpers/tmux.js';
import { startMetricsEndpoint } from '../../../src/server/metrics/metrics-endpoint.js';
import { PrometheusMetrics } from '../../../src/server/metrics/prometheus-metrics.js';

/** A port nothing listens on (taken, then freed). */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

describe('tui-chat top', () => {
  it('shows a live server, counts what happens, and quits on q leaving a clean prompt', async (t) => {
    const dir = makeTempDir(t);
    const { server, port } = await startServeProcess(t, ['--metrics', '0', '--max-clients', '50']);
    const metricsPort = (await server.waitForLine(/^metrics on http:\/\/127\.0\.0\.1:(\d+)\/metrics$/))[1];
    const shell = TmuxSession.start(t, dir, 'exec bash --norc --noprofile -i', 120, 36, { PS1: 'READY$ ' });
    await shell.waitForScreen(/READY\$\s*$/m, 'the shell prompt');
    shell.type(`'${process.execPath}' '${BIN}' top 127.0.0.1:${metricsPort} --interval-ms 200; echo "exit=$?"`);
    shell.keys('Enter');
    await shell.waitForScreen(/connections 0 \/ 50/, 'the gauge with --max-clients');
    await shell.waitForScreen(/standing alone/, 'the cluster table of a lone server');

    const identity = await writeTestIdentity(dir, 0);
    const client = CliProcess.spawn(t, ['connect', `127.0.0.1:${port}`, '--json', '--name', 'alice', '--identity', identity, '--known-peers', `${dir}/k.json`]);
    await client.waitForEvent((e) => e['type'] === 'ready', 'alice to join');
    await shell.waitForScreen(/connections 1 \/ 50/, 'the new connection');
    await shell.waitForScreen(/joined\s+1/, 'the joined count');

    shell.keys('q');
    const screen = await shell.waitForScreen(/exit=0\nREADY\$\s*$/m, 'the prompt after q');
    assert.doesNotMatch(screen, /connections|log \(q quits\)/, 'nothing of the dashboard is left');
  });

  it('says when the endpoint cannot be reached, and keeps trying', async (t) => {
    const dir = makeTempDir(t);
    const port = await closedPort();
    const top = TmuxSession.start(t, dir, `exec '${process.execPath}' '${BIN}' top 127.0.0.1:${port} --interval-ms 200`, 120, 36);
    await top.waitForScreen(new RegExp(`cannot reach http://127\\.0\\.0\\.1:${port}/metrics .*retrying`), 'the unreachable notice');
    // The marker: the endpoint comes up, and the dashboard says it connected. Before that, many
    // retries failed, yet the outage was said once.
    const metrics = new PrometheusMetrics(() => ({
      connectionsHandshaking: 0,
      connectionsJoined: 0,
      maxClients: 7,
      videoStreams: 0,
      ffmpegProcesses: 0,
      store: { messages: 0, bytes: 0, registrations: 0 },
      cluster: undefined,
    }));
    await new Promise((resolve) => setTimeout(resolve, 600));
    const { server } = await startMetricsEndpoint('127.0.0.1', port, metrics);
    t.after(() => {
      server.closeAllConnections();
      server.close();
    });
    const screen = await top.waitForScreen(/connected to/, 'the dashboard to connect once the endpoint is up');
    assert.equal(screen.match(/cannot reach/g)?.length, 1);
    await top.waitForScreen(/connections 0 \/ 7/, 'the figures');
  });
});
