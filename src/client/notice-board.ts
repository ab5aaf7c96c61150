// Messages for the user that arise below the UI (e.g. "pinned this server's certificate"), held
// until a view subscribes: stderr would scribble over a full-screen TUI.

export class NoticeBoard {
  private readonly pending: string[] = [];
  private listener: ((text: string) => void) | undefined;

  post(text: string): void {
    if (this.listener === undefined) this.pending.push(text);
    else this.listener(text);
  }

  /** Delivers what is pending, then everything posted later. One subscriber. */
  subscribe(listener: (text: string) => void): void {
    this.listener = listener;
    for (const text of this.pending.splice(0)) listener(text);
  }
}
