// One step of a symmetric key chain (the Double Ratchet's KDF_CK, also used by sender keys):
// HMAC-SHA256 of the chain key with 0x01 gives the message key, with 0x02 the next chain key.
// The chain only moves forward, so a later chain key reveals no earlier message key.
import { createHmac } from 'node:crypto';

export function stepChain(chainKey: Buffer): { chainKey: Buffer; messageKey: Buffer } {
  return {
    chainKey: createHmac('sha256', chainKey)
      .update(Buffer.from([0x02]))
      .digest(),
    messageKey: createHmac('sha256', chainKey)
      .update(Buffer.from([0x01]))
      .digest(),
  };
}
