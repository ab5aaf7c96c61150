// Parses HOST[:PORT] as given to `tui-chat connect`, including bracketed IPv6 ([::1]:7373).
import { UsageError } from '../core/errors.js';

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

export function parseHostPort(text: string, defaultPort: number): HostPort {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s[\]]+))(?::(\d+))?$/.exec(text);
  if (match === null) throw new UsageError(`"${text}" is not HOST:PORT`);
  const host = match[1] ?? match[2]!;
  const port = match[3] === undefined ? defaultPort : Number(match[3]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`port must be 1-65535, not ${match[3]}`);
  return { host, port };
}
