// The three rows under the main area, bottom up: the status bar, the input line (growing to
// MAX_INPUT_ROWS as it wraps) and the activity bar (every conversation with its number and
// counts; a click opens one).
import blessed from 'blessed';
import type { ChatViewModel } from './chat-view-model.js';
import type { InputLine } from './input-line.js';
import { PaintedBox } from './painted-box.js';
import { type StatusInfo, activityAt, renderActivityBar, renderInput, renderStatus } from './render-panes.js';

/** The input line wraps onto at most this many rows. */
const MAX_INPUT_ROWS = 4;

export class BottomBars {
  private readonly input: PaintedBox;
  private readonly activity: PaintedBox;
  private readonly status: blessed.Widgets.BoxElement;

  constructor(screen: blessed.Widgets.Screen) {
    this.input = new PaintedBox({ parent: screen, bottom: 1, left: 0, width: '100%', height: 1 });
    this.activity = new PaintedBox({ parent: screen, bottom: 2, left: 0, width: '100%', height: 1, mouse: true });
    this.status = blessed.box({ parent: screen, bottom: 0, left: 0, width: '100%', height: 1, tags: true, style: { bg: 'blue', fg: 'white' } });
  }

  bindClicks(model: ChatViewModel, changed: () => void): void {
    this.activity.box.on('click', (mouse: { x: number }) => {
      const id = activityAt(model, mouse.x - (this.activity.box.aleft as number) - 1);
      if (id !== undefined) model.openConversation(id);
      changed();
    });
  }

  /** Fills the input and activity rows for a screen `width` wide; returns the input's rows. */
  drawInput(model: ChatViewModel, line: InputLine, width: number): number {
    const prompt = `[${model.currentPeer ?? model.currentLabel}] `;
    const view = renderInput(line, prompt, width, MAX_INPUT_ROWS);
    this.input.box.height = view.rows;
    this.activity.box.bottom = 1 + view.rows;
    this.activity.setRows([this.activity.tokens(` ${renderActivityBar(model)}`)]);
    this.input.setRows(view.content.split('\n').map((row) => this.input.tokens(row)));
    return view.rows;
  }

  drawStatus(model: ChatViewModel, info: StatusInfo, width: number): void {
    this.status.setContent(renderStatus(model, info, width));
  }
}
