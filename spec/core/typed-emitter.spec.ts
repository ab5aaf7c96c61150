import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TypedEmitter } from '../../src/core/typed-emitter.js';

interface Events {
  message: string;
  error: { code: string };
}

class Emitter extends TypedEmitter<Events> {
  fire<K extends keyof Events & string>(event: K, payload: Events[K]): void {
    this.emit(event, payload);
  }
}

describe('TypedEmitter', () => {
  it('delivers payloads to listeners, once() once, and off() stops them', () => {
    const emitter = new Emitter();
    const seen: string[] = [];
    const listener = (text: string) => seen.push(`on ${text}`);
    emitter.on('message', listener);
    emitter.once('message', (text) => seen.push(`once ${text}`));
    emitter.fire('message', 'a');
    emitter.off('message', listener);
    emitter.fire('message', 'b');
    assert.deepEqual(seen, ['on a', 'once a']);
  });

  it('treats "error" as an ordinary event: with nobody listening it is dropped, not thrown', () => {
    assert.doesNotThrow(() => new Emitter().fire('error', { code: 'X' }));
  });
});
