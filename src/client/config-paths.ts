// Where the client keeps its files: $XDG_CONFIG_HOME/tui-chat, else ~/.config/tui-chat.
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
