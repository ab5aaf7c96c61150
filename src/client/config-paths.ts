// Where tui-chat keeps its files: settings and keys in $XDG_CONFIG_HOME/tui-chat (else
// ~/.config/tui-chat), data (the server's store, the client's history and session state) in
// $XDG_DATA_HOME/tui-chat (else ~/.local/share/tui-chat).
import { homedir } from 'node:os';
import { join } from 'node:path';

export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env['XDG_CONFIG_HOME'];
  // The XDG spec says a relative value is invalid and must be ignored.
  const base = xdg?.startsWith('/') ? xdg : join(env['HOME'] ?? homedir(), '.config');
  return join(base, 'tui-chat');
}

export function defaultIdentityPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(configDir(env), 'identity.pem');
}

export function defaultKnownPeersPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(configDir(env), 'known_peers.json');
}

export function defaultKnownServersPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(configDir(env), 'known_servers.json');
}

/** Where `tui-chat serve` keeps its TLS key and certificate. */
export function defaultServerDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(configDir(env), 'server');
}

export function dataDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env['XDG_DATA_HOME'];
  const base = xdg?.startsWith('/') ? xdg : join(env['HOME'] ?? homedir(), '.local', 'share');
  return join(base, 'tui-chat');
}

/** Where `tui-chat serve` keeps registrations and stored messages (LMDB). */
export function defaultServerDataDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(dataDir(env), 'server');
}

/** Where the client keeps its encrypted session state and history, one file pair per server and name. */
export function defaultClientStateDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(dataDir(env), 'client');
}
