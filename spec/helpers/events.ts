// Awaiting events instead of sleeping: every wait has a deadline so a broken test fails, not hangs.

/** `what` may be a function: it is asked at the timeout, so the message can say how things stood then. */
export async function waitUntil(predicate: () => boolean, what: string | (() => string), timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${typeof what === 'string' ? what : what()}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Waits until `get` returns something, and returns it. */
export async function waitFor<T>(get: () => T | undefined, what: string, timeoutMs = 10_000): Promise<T> {
  let value = get();
  const deadline = Date.now() + timeoutMs;
  while (value === undefined) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
    value = get();
  }
  return value;
}

export function withTimeout<T>(promise: Promise<T>, what: string, timeoutMs = 10_000): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
