// Regenerates docs/SCREENSHOTS.md: a real `tui-chat serve`, alice's real TUI in tmux (100x30,
// UTF-8), bob and carol as `connect --json` clients, and a scripted session captured with
// `tmux capture-pane -p` at each scene. Run it from the project root after `npm run build`:
//   node scripts/capture-screenshots.mjs
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const BIN = join(process.cwd(), 'bin/tui-chat');
const dir = mkdtempSync(join(tmpdir(), 'tui-chat-shots-'));
const socket = `tui-chat-shots-${process.pid}`;
const children = [];
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const tmux = (...args) => execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
const capture = () => tmux('capture-pane', '-p', '-t', 'alice').trimEnd();

function start(args, env = {}) {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'inherit'] });
  children.push(child);
  return child;
}

/** Resolves with the first stdout line matching `pattern`. */
function lineMatching(child, pattern) {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      const match = pattern.exec(line);
      if (match !== null) resolve(match);
    });
    child.on('exit', () => reject(new Error(`exited before printing ${pattern}`)));
  });
}

async function waitForScreen(pattern, what) {
  for (let tries = 0; tries < 150; tries++) {
    if (pattern.test(capture())) return capture();
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}:\n${capture()}`);
}

function joinAs(name, port) {
  const env = { XDG_CONFIG_HOME: join(dir, `${name}-config`), XDG_DATA_HOME: join(dir, `${name}-data`) };
  const child = start(['connect', `127.0.0.1:${port}`, '--json', '--name', name], env);
  return { child, ready: lineMatching(child, /"type":"ready"/), say: (line) => child.stdin.write(`${line}\n`) };
}

const type = (text) => tmux('send-keys', '-t', 'alice', '-l', text);
const keys = (...names) => tmux('send-keys', '-t', 'alice', ...names);

try {
  const server = start(['serve', '--host', '127.0.0.1', '--port', '0', '--tls-dir', join(dir, 'tls'), '--data-dir', join(dir, 'server-data')], {
    XDG_CONFIG_HOME: join(dir, 'server-config'),
  });
  const port = Number((await lineMatching(server, /listening on 127\.0\.0\.1:(\d+)/))[1]);
  // alice's key exists before the TUI starts, as it would after her first day (no "created" line).
  execFileSync(process.execPath, [BIN, 'keys'], { env: { ...process.env, XDG_CONFIG_HOME: join(dir, 'alice-config') }, stdio: 'ignore' });
  const aliceEnv = `export LANG=C.UTF-8 XDG_CONFIG_HOME='${join(dir, 'alice-config')}' XDG_DATA_HOME='${join(dir, 'alice-data')}'`;
  tmux(
    '-f',
    '/dev/null',
    'new-session',
    '-d',
    '-s',
    'alice',
    '-x',
    '100',
    '-y',
    '30',
    `${aliceEnv}; exec '${process.execPath}' '${BIN}' connect 127.0.0.1:${port} --name alice`,
  );
  await waitForScreen(/joined as alice/, 'alice to join');
  const bob = joinAs('bob', port);
  const carol = joinAs('carol', port);
  await Promise.all([bob.ready, carol.ready]);
  await waitForScreen(/carol joined/, 'bob and carol');
  bob.say('morning all, standup in 5?');
  await waitForScreen(/standup in 5/, 'the first line');
  carol.say('yes, joining from the train 🚆');
  await waitForScreen(/from the train/, "carol's line");
  type("sure. I'll share the demo video after");
  keys('Enter');
  carol.say('こんにちは from the Tokyo office 🇯🇵 — alice, are the slides up?');
  bob.say(':dm alice can you check the {draft} PR before? It is the long one with the migration notes, thanks 👍');
  carol.say(':dm alice slides are in the shared folder');
  await waitForScreen(/3:carol/, 'the DMs on the activity bar');
  type(':verify bob');
  keys('Enter');
  await waitForScreen(/safety number with bob/, 'the safety number');
  type('typing a reply to the ro');
  const room = await waitForScreen(/typing a reply to the ro/, 'the half-typed reply');
  keys('M-2');
  await waitForScreen(/─ DM bob/, 'the DM with bob');
  keys('C-u');
  type('looking now');
  keys('Enter');
  const dm = await waitForScreen(/<?\*?alice\*? looking now/, 'the reply in the DM');
  keys('M-1');
  await waitForScreen(/─ #room/, 'the room again');
  type(':play mandelbrot-480x270-24fps.mp4');
  keys('Enter');
  await waitForScreen(/▶ mandelbrot/, 'the video');
  await sleep(1500);
  const video = capture();
  type(':stop');
  keys('Enter');
  // A room: bob makes #dev, alice and carol join, and bob starts the demo for the room.
  bob.say(':join #dev');
  await sleep(300);
  bob.say(':topic #dev release on friday');
  await sleep(300);
  type(':join #dev');
  keys('Enter');
  await waitForScreen(/you joined #dev/, 'alice in #dev');
  carol.say(':join #dev');
  await waitForScreen(/carol joined #dev/, 'carol in #dev');
  bob.say(':msg #dev the demo, together? alice, you have the best screen');
  await waitForScreen(/the demo, together/, "bob's line in #dev");
  bob.say(':watch mandelbrot-480x270-24fps.mp4 #dev');
  await waitForScreen(/bob started mandelbrot/, 'the room told');
  type(':watch');
  keys('Enter');
  await waitForScreen(/▶ mandelbrot/, 'the room’s video');
  await sleep(1200);
  const together = capture();
  type(':stop');
  keys('Enter');
  keys('M-1');
  await waitForScreen(/─ #room ─/, 'the lobby again');
  // Sizes: a long name, an emoji with a skin tone, a taken-name line's width, the help at 80x24.
  const long = joinAs('a-very-long-name-of-thirty-two-c', port);
  await long.ready;
  long.say('👍🏽 ship it (the skin tone is kept in what was sent; the screen draws 👍)');
  await waitForScreen(/ship it/, "the long name's line");
  tmux('resize-window', '-t', 'alice', '-x', '80', '-y', '24');
  const small = await waitForScreen(/^┌─ rooms ─{10}┐┌/, 'the screen at 80x24');
  keys('F1');
  const help = await waitForScreen(/help \(Esc closes\)/, 'the help at 80x24');
  keys('Escape');
  tmux('resize-window', '-t', 'alice', '-x', '200', '-y', '60');
  const wide = await waitForScreen(/^┌─ rooms ─{20}┐┌/, 'the screen at 200x60');
  writeFileSync('docs/SCREENSHOTS.md', page({ room, dm, video, together, small, help, wide }));
  console.log('wrote docs/SCREENSHOTS.md');
} finally {
  try {
    tmux('kill-server');
  } catch {
    // already gone
  }
  for (const child of children) child.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}

function page({ room, dm, video, together, small, help, wide }) {
  const block = (screen) => ['```', screen.replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:7410'), '```'].join('\n');
  return `# What the TUI looks like

Text captures of a real session (\`tmux capture-pane -p\`, 100x30, UTF-8), with colors stripped:
in the terminal each name has its own color, DM asterisks are magenta, system lines gray,
warnings yellow, highlights bold yellow, the status bar blue, and the video is in 24-bit color.
Three users (alice, bob, carol) on one server; this is alice's screen. Regenerate with
\`npm run build && node scripts/capture-screenshots.mjs\`.

## The room: two DMs waiting, a line naming alice, emoji and CJK, a half-typed reply

On her first connection to this server alice's client pinned the server's certificate (the \`!!!\` line: compare it
with what \`tui-chat serve\` printed). carol's line names alice: it is highlighted, it rang the bell,
and the terminal title reads \`tui-chat (2, 2!)\`. The activity bar above the input says which Alt+N
is which: \`2:bob 1!1\` is one unread line, one highlight (every DM is one). Wide characters (🚆,
こんにちは, 🇯🇵) take two columns and wrapped lines start under the first word. alice ran
\`:verify bob\` and got the safety number to compare with bob; she is typing, and messages arriving
leave her input line alone. Her room line says what the server says of it (\`server says: reached
all 2\`): room lines get no end-to-end receipts, so the client never calls them delivered.

${block(room)}

## The DM with bob, opened with Alt+2

The marker shows where unread messages began; \`*name*\` marks a direct message, \`<name>\` a room
message. bob's \`{draft}\` arrives as text: peers cannot inject blessed markup or escape sequences.
Under alice's line, where it stands: \`delivered\`, because bob's client sealed her a receipt end to
end (until then it read \`server says: reached bob's client\`).

${block(dm)}

## Playing a video

\`:play mandelbrot-480x270-24fps.mp4\`: the pane opens above the log and the frames are drawn as
half blocks (two pixels a cell); chat goes on below, and the status bar shows what plays.

${block(video)}

## A room, watching together

bob made \`#dev\` (its topic is in the log's label), alice and carol joined with \`:join #dev\`; the
rooms list above the peers shows the lobby and \`#dev\` with their Alt+N numbers. bob started the
demo for the room (\`:watch mandelbrot-480x270-24fps.mp4\` there) and alice joined it with
\`:watch\`: one ffmpeg on the server for everyone, the same frame on every screen, and who pauses or
stops it is said in the room.

${block(together)}

## At 80x24: names cut with "…", the help in two columns

The left column is a quarter of the screen, between 16 and 30 columns. A name too long for it is
cut with "…" and what follows it stays. The 👍🏽 is drawn 👍: terminals disagree on the width of
an emoji with a skin tone (tmux draws two), so the TUI draws what every terminal draws alike; the
text sent and kept is unchanged.

${block(small)}

The help wraps each description under its own column, and says when more lies below:

${block(help)}

## At 200x60

The left column stops at 30 columns; the log takes the rest.

${block(wide)}
`;
}
