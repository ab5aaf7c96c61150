// The store's typed error: a write that was refused (a share is full) or failed (a disk error).
import { ChatError } from '../../core/errors.js';

/** STORE_FULL: a share or bound would be passed (nothing is evicted to make room); STORE_FAILED: the write itself failed. */
export class StoreWriteError extends ChatError {}
