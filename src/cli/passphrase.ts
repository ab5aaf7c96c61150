// Where a passphrase comes from: --passphrase-file FILE (first line), else a prompt on the
// terminal without echo. Never from a command-line argument, which other users can see in ps.
import { readFile } from 'node:fs/promises';
import { ChatError, ErrorCode } from '../core/errors.js';
import type { PassphraseSource } from '../client/identity-store.js';
import type { CliIo } from './cli-io.js';

export function passphraseSource(file: string | undefined, io: CliIo, prompt: string): PassphraseSource {
  let cached: Promise<string> | undefined;
  const source = () => (cached ??= file !== undefined ? readPassphraseFile(file) : promptHidden(io, prompt));
  // A prompt may ask again after a wrong answer; a file would only give the same one.
  return file !== undefined ? source : Object.assign(source, { retry: () => (cached = undefined) });
}

/** What a prompt says after a wrong passphrase. */
export function wrongPassphraseNotice(io: CliIo): (triesLeft: number) => void {
  return (triesLeft) => io.stderr.write(`wrong passphrase; ${triesLeft} ${triesLeft === 1 ? 'try' : 'tries'} left\n`);
}

async function readPassphraseFile(file: string): Promise<string> {
  const text = await readFile(file, 'utf8').catch((error: Error) => {
    throw new ChatError(ErrorCode.KEY_FILE, `cannot read --passphrase-file ${file}: ${error.message}`);
  });
  return text.split(/\r?\n/)[0] ?? '';
}

function promptHidden(io: CliIo, prompt: string): Promise<string> {
  const input = io.stdin as NodeJS.ReadStream;
  if (!input.isTTY) {
    return Promise.reject(new ChatError(ErrorCode.KEY_FILE, 'a passphrase is needed and stdin is not a terminal: use --passphrase-file FILE'));
  }
  return new Promise((resolve) => {
    io.stderr.write(prompt);
    input.setRawMode(true);
    input.resume();
    let typed = '';
    const onData = (chunk: Buffer) => {
      for (const char of chunk.toString('utf8')) {
        if (char === '\r' || char === '\n') {
          input.setRawMode(false);
          input.pause();
          input.off('data', onData);
          io.stderr.write('\n');
          resolve(typed);
          return;
        }
        if (char === '\u0003') process.kill(process.pid, 'SIGINT');
        else if (char === '\u007f' || char === '\b') typed = typed.slice(0, -1);
        else typed += char;
      }
    };
    input.on('data', onData);
  });
}
