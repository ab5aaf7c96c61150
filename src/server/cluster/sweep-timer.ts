// A periodic check for things waiting past their deadline, running only while something waits.
// Shared by the DM hand-offs and the room confirmations: one timer each, not one per message.

export class SweepTimer {
  private timer: NodeJS.Timeout | undefined;
  private readonly intervalMs: number;

  /** Sweeps a few times per timeout (at most every 250 ms), so a deadline is missed by little. */
  constructor(
    timeoutMs: number,
    private readonly sweep: () => void,
  ) {
    this.intervalMs = Math.max(10, Math.min(250, timeoutMs / 4));
  }

  start(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(this.sweep, this.intervalMs);
    // A daemon is kept alive by its sockets, not by this bookkeeping.
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
