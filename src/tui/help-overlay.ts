// The help overlay (F1, ?): a scrollable box over the screen with the keys and the commands,
// fitted to its width (help-text.ts), saying in its border when more lies below.
import blessed from 'blessed';
import { helpText } from './help-text.js';

export class HelpOverlay {
  private readonly box: blessed.Widgets.BoxElement;
  /** The width the text was last laid out for: laid out again only when that changes. */
  private laidOutFor = 0;

  constructor(private readonly screen: blessed.Widgets.Screen) {
    this.box = blessed.box({
      parent: screen,
      hidden: true,
      top: 'center',
      left: 'center',
      width: '90%',
      height: '90%',
      label: ' help (Esc closes) ',
      border: { type: 'line' },
      tags: true,
      scrollable: true,
      // Scroll the view itself (not a cursor inside it first): PgDn moves a whole page at once.
      alwaysScroll: true,
      style: { border: { fg: 'cyan' } },
    });
  }

  /** Puts the overlay in front of everything declared before (the video pane too). */
  toFront(): void {
    this.box.setFront();
  }

  /** Back to the top, for the next time it opens. */
  rewind(): void {
    this.box.setScroll(0);
  }

  /** Shows or hides it, laid out for its current width (called on every frame). */
  place(visible: boolean): void {
    this.box.hidden = !visible;
    if (!visible) return;
    // setContent would lose the scroll position: only when the width changed.
    const width = (this.box.width as number) - 2;
    if (width !== this.laidOutFor) this.box.setContent(helpText(width));
    this.laidOutFor = width;
    this.box.setFront();
  }

  /** ↑/↓ a line, PgUp/PgDn a page, Home/End to either end. */
  scroll(key: string): void {
    const page = Math.max(1, (this.box.height as number) - 3);
    const steps: Record<string, () => void> = {
      up: () => this.box.scroll(-1),
      down: () => this.box.scroll(1),
      pageup: () => this.box.scroll(-page),
      pagedown: () => this.box.scroll(page),
      home: () => this.box.setScroll(0),
      end: () => this.box.setScrollPerc(100),
    };
    steps[key]?.();
    this.label();
  }

  /** Says in the overlay's border when more of it lies below (at 80x24 the commands do). */
  label(): void {
    const more = this.box.getScrollHeight() > (this.box.height as number) - 2 && this.box.getScrollPerc() < 100;
    this.box.setLabel(more ? ' help (Esc closes) ─ ↓ more below (PgDn) ' : ' help (Esc closes) ');
    this.screen.render();
  }
}
