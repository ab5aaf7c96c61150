// The left column: the rooms list (the lobby and the rooms we are in) above the peer list (the
// server's, or the open room's members), drawn from the view model, and what a click on either
// opens.
import blessed from 'blessed';
import type { ChatViewModel } from './chat-view-model.js';
import { peerListLabel, renderPeerList, renderRoomList, roomAtRow } from './render-panes.js';

export class SidePanes {
  /** The lobby and the rooms we are in, above the peers. */
  private readonly rooms: blessed.Widgets.BoxElement;
  private readonly peers: blessed.Widgets.BoxElement;

  constructor(parent: blessed.Widgets.Node) {
    const common = { parent, left: 0, width: '25%', tags: true, mouse: true, wrap: false, border: { type: 'line' } } as const;
    this.rooms = blessed.box({ ...common, top: 0, height: 3, label: ' rooms ', style: { border: { fg: 'gray' } } });
    this.peers = blessed.box({ ...common, top: 3, height: '100%-3', label: ' peers ', style: { border: { fg: 'cyan' } } });
  }

  /** A peer opens its DM, a room its conversation; `changed` redraws. */
  bindClicks(model: ChatViewModel, changed: () => void): void {
    this.peers.on('click', (mouse: { y: number }) => {
      model.openPeerAt(mouse.y - (this.peers.atop as number) - 1);
      changed();
    });
    this.rooms.on('click', (mouse: { y: number }) => {
      const id = roomAtRow(model, mouse.y - (this.rooms.atop as number) - 1);
      if (id !== undefined) model.openConversation(id);
      changed();
    });
  }

  /** Lays the column out `width` wide and `height` high, and fills it. */
  draw(model: ChatViewModel, width: number, height: number): void {
    this.rooms.width = width;
    this.peers.width = width;
    // Rooms above the peers: as many rows as there are rooms, up to two fifths of the column.
    const roomsHeight = Math.max(3, Math.min(model.rooms.length + 3, Math.floor(height * 0.4)));
    this.rooms.height = roomsHeight;
    this.rooms.setContent(renderRoomList(model, width - 2));
    this.peers.top = roomsHeight;
    this.peers.height = Math.max(1, height - roomsHeight);
    // Inside the borders.
    this.peers.setContent(renderPeerList(model, width - 2));
    this.peers.style.border = { fg: model.focus === 'peers' ? 'cyan' : 'gray' };
    // Focus on the list shows in words too (a border color is easy to miss): the keys it takes.
    this.peers.setLabel(peerListLabel(model));
  }
}
