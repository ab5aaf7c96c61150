// Where a server listens unless told otherwise; clients use the same port by default. Here, not in
// the server, so that `connect` loads nothing of the daemon.

/** Default 127.0.0.1: exposing the server is a deliberate choice (--host 0.0.0.0). */
export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 7373;
