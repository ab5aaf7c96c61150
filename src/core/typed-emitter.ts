// A minimal typed event emitter: each event name maps to exactly one payload type.
import { EventEmitter } from 'node:events';

/**
 * Events: an interface from event name to payload, without an index signature, so that a
 * misspelled event name (`on('mesage', …)`) is a type error.
 */
export class TypedEmitter<Events extends object> {
  private readonly emitter = new EventEmitter();

  on<K extends keyof Events & string>(event: K, listener: (payload: Events[K]) => void): this {
    this.emitter.on(event, listener);
    return this;
  }

  once<K extends keyof Events & string>(event: K, listener: (payload: Events[K]) => void): this {
    this.emitter.once(event, listener);
    return this;
  }

  off<K extends keyof Events & string>(event: K, listener: (payload: Events[K]) => void): this {
    this.emitter.off(event, listener);
    return this;
  }

  protected emit<K extends keyof Events & string>(event: K, payload: Events[K]): void {
    // 'error' is an ordinary event here: EventEmitter would throw it when nobody listens,
    // and a peer's bad message must never crash a client that only watches for messages.
    if (event === 'error' && this.emitter.listenerCount('error') === 0) return;
    this.emitter.emit(event, payload);
  }
}
