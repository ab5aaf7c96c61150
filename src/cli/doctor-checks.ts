// What commonly goes wrong, checked one thing at a time, each with how to fix it. Used by
// `tui-chat doctor`; every check is a small async function so the command stays a list.
import { execFile } from 'node:child_process';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { connect as connectTcp } from 'node:net';
import { join } from 'node:path';
import { connect as connectTls } from 'node:tls';
import { configDir, defaultIdentityPath, defaultKnownServersPath } from '../client/config-paths.js';
import { isWeaklyProtected } from '../client/key-file-protection.js';
import { KnownServers, canonicalAddress } from '../client/known-servers.js';
import { findFfplay } from '../client/video/ffplay-sink.js';
import { detectColorMode } from '../client/video/terminal-video-player.js';
import { fingerprintOf, formatFingerprint } from '../core/fingerprint.js';
import { resolveFfmpeg } from '../server/video/ffmpeg-path.js';

export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface CheckResult {
  readonly check: string;
  readonly status: CheckStatus;
  readonly detail: string;
  /** What to do about it, when it is not ok. */
  readonly fix?: string;
}

export interface DoctorContext {
  readonly env: NodeJS.ProcessEnv;
  readonly terminal: { readonly isTTY: boolean; readonly columns?: number; readonly rows?: number };
  /** HOST:PORT of a server to look at, if asked. */
  readonly server?: { readonly host: string; readonly port: number };
  /** A broker URL to reach, if asked (serve --cluster). */
  readonly cluster?: string;
  /** The server's data folder to check for writing. */
  readonly dataDir: string;
}

const ok = (check: string, detail: string): CheckResult => ({ check, status: 'ok', detail });
const warn = (check: string, detail: string, fix: string): CheckResult => ({ check, status: 'warn', detail, fix });
const fail = (check: string, detail: string, fix: string): CheckResult => ({ check, status: 'fail', detail, fix });

export async function checkFfmpeg(context: DoctorContext): Promise<CheckResult> {
  try {
    const { path, source } = resolveFfmpeg({ env: context.env });
    const version = (await run(path, ['-version'])).split('\n')[0] ?? '';
    return ok('ffmpeg', `${path} (${source}): ${version.slice(0, 80)}`);
  } catch (error) {
    return warn(
      'ffmpeg',
      (error as Error).message,
      'only `serve` needs it, for video: npm install brings one (@ffmpeg-installer/ffmpeg), or apt-get install ffmpeg',
    );
  }
}

export async function checkFfplay(context: DoctorContext): Promise<CheckResult> {
  try {
    return ok('ffplay', findFfplay(undefined, context.env));
  } catch {
    return warn('ffplay', 'not on PATH', 'only `:play NAME --ffplay` needs it: apt-get install ffmpeg (Debian), or draw video in the terminal');
  }
}

export async function checkTerminal(context: DoctorContext): Promise<CheckResult> {
  const { isTTY, columns = 0, rows = 0 } = context.terminal;
  const term = context.env['TERM'] ?? '(unset)';
  const colorterm = context.env['COLORTERM'] ?? '(unset)';
  const inTmux = context.env['TMUX'] !== undefined ? ', inside tmux' : '';
  const colors = detectColorMode(context.env);
  const detail = `${isTTY ? `${columns}x${rows}` : 'not a terminal'}, TERM=${term}, COLORTERM=${colorterm}${inTmux}; video in ${colors === 'truecolor' ? 'truecolor' : '256 colors'}`;
  if (!isTTY) return warn('terminal', detail, 'run `tui-chat connect` in a terminal (or use --json)');
  if (columns < 80 || rows < 24) return warn('terminal', detail, 'the TUI needs at least 80x24: enlarge the window');
  if (colors !== 'truecolor') return warn('terminal', detail, 'if your terminal shows 24-bit color, export COLORTERM=truecolor for faithful video');
  return ok('terminal', detail);
}

export async function checkConfigFolder(context: DoctorContext): Promise<CheckResult> {
  const dir = configDir(context.env);
  let mode: number;
  try {
    mode = (await stat(dir)).mode & 0o777;
  } catch {
    return ok('config folder', `${dir} does not exist yet (made, 0700, on first connect)`);
  }
  if ((mode & 0o077) !== 0) return fail('config folder', `${dir} is ${mode.toString(8).padStart(4, '0')}`, `chmod 700 '${dir}' (connect and keys do it too)`);
  return ok('config folder', `${dir} is 0700`);
}

export async function checkIdentity(context: DoctorContext): Promise<CheckResult> {
  const path = defaultIdentityPath(context.env);
  let mode: number;
  try {
    mode = (await stat(path)).mode & 0o777;
  } catch {
    return ok('identity', `${path} does not exist yet (made on first connect)`);
  }
  if ((mode & 0o077) !== 0) return fail('identity', `${path} is ${mode.toString(8).padStart(4, '0')}: others can read your private key`, `chmod 600 '${path}'`);
  const pem = await readFile(path, 'utf8');
  if (!pem.includes('ENCRYPTED')) return warn('identity', `${path} is 0600, not passphrase-protected`, 'tui-chat keys protect --passphrase-file FILE');
  if (isWeaklyProtected(pem))
    return warn('identity', `${path} is protected with an old, weak key derivation`, "unlock it once (tui-chat keys): it is re-encrypted at today's strength");
  return ok('identity', `${path} is 0600 and passphrase-protected`);
}

export async function checkPinnedServers(context: DoctorContext): Promise<CheckResult> {
  const path = defaultKnownServersPath(context.env);
  try {
    await KnownServers.load(path);
    return ok('pinned servers', `${path} is readable`);
  } catch (error) {
    return fail('pinned servers', (error as Error).message, `fix ${path}, or move it aside (its pins are then forgotten)`);
  }
}

export async function checkDataFolder(context: DoctorContext): Promise<CheckResult> {
  const probe = join(context.dataDir, `.doctor-${process.pid}`);
  try {
    await mkdir(context.dataDir, { recursive: true, mode: 0o700 });
    await writeFile(probe, 'ok');
    await rm(probe);
    return ok('data folder', `${context.dataDir} is writable`);
  } catch (error) {
    return fail(
      'data folder',
      `${context.dataDir}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      'make it writable by the user that runs `serve`, or give another with --data-dir',
    );
  }
}

export async function checkBroker(context: DoctorContext): Promise<CheckResult | undefined> {
  if (context.cluster === undefined) return undefined;
  const match = /^(?:nats|tls):\/\/([^:/]+)(?::(\d+))?/.exec(context.cluster.split(',')[0]!.trim());
  if (match === null) return fail('broker', `"${context.cluster}" is not a nats:// or tls:// URL`, 'give --cluster nats://HOST:4222');
  const host = match[1]!;
  const port = Number(match[2] ?? 4222);
  try {
    await reachable(host, port);
    return ok('broker', `${host}:${port} accepts connections`);
  } catch (error) {
    return fail('broker', `${host}:${port}: ${(error as Error).message}`, 'start it (nats-server -js), or check the address and any firewall between');
  }
}

export async function checkServer(context: DoctorContext): Promise<CheckResult | undefined> {
  if (context.server === undefined) return undefined;
  const { host, port } = context.server;
  const address = `${host}:${port}`;
  try {
    const fingerprint = await certificateFingerprint(host, port);
    const pinned = (await KnownServers.load(defaultKnownServersPath(context.env)).catch(() => KnownServers.inMemory())).get(address)?.fingerprint;
    const shown = formatFingerprint(fingerprint);
    if (pinned === undefined)
      return ok('server', `${canonicalAddress(address)} presents certificate ${shown} (not pinned yet: compare it with what serve printed)`);
    if (pinned !== fingerprint) {
      return fail(
        'server',
        `${address} presents ${shown}, but ${formatFingerprint(pinned)} is pinned`,
        'ask the operator whether the server was reinstalled; if so, connect with --server-fingerprint',
      );
    }
    return ok('server', `${address} presents the pinned certificate ${shown}`);
  } catch (error) {
    return fail('server', `${address}: ${(error as Error).message}`, 'is `tui-chat serve` running there, over TLS (not --plaintext)?');
  }
}

/** Every check, in the order they are shown. */
export async function runChecks(context: DoctorContext): Promise<CheckResult[]> {
  const results = await Promise.all([
    checkFfmpeg(context),
    checkFfplay(context),
    checkTerminal(context),
    checkConfigFolder(context),
    checkIdentity(context),
    checkPinnedServers(context),
    checkDataFolder(context),
    checkBroker(context),
    checkServer(context),
  ]);
  return results.filter((result): result is CheckResult => result !== undefined);
}

function run(file: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => execFile(file, args, { timeout: 5000 }, (error, stdout) => (error === null ? resolve(stdout) : reject(error))));
}

function reachable(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connectTcp({ host, port, timeout: 3000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
    socket.once('timeout', () => {
      socket.destroy();
      reject(new Error('no answer within 3 s'));
    });
    socket.once('error', (error) => reject(error));
  });
}

function certificateFingerprint(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connectTls({
      host,
      port,
      rejectUnauthorized: false,
      timeout: 5000,
      ...(/^[\d.]+$/.test(host) || host.includes(':') ? {} : { servername: host }),
    });
    socket.once('secureConnect', () => {
      const raw = socket.getPeerCertificate().raw;
      socket.destroy();
      if (raw === undefined) reject(new Error('no certificate'));
      else resolve(fingerprintOf(raw));
    });
    socket.once('timeout', () => {
      socket.destroy();
      reject(new Error('no TLS answer within 5 s'));
    });
    socket.once('error', (error) => reject(error));
  });
}
