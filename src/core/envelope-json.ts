// An envelope the codec decoded, back to JSON for the frames that pass it on (live, relayed,
// stored): by hand, field by field in the codec's own order, because every string in it was
// checked to be base64 or base64url and every number a non-negative safe integer, so nothing
// needs escaping. The same text JSON.stringify makes (a spec holds them equal), at a third of the
// cost with the frame's encoding: the relay's hot path serializes one envelope per message.
import type { Envelope } from './messages.js';

/** `envelope` as JSON. Only for envelopes from the codec (field-readers.ts `envelope`): see above. */
export function encodeEnvelopeJson(envelope: Envelope): string {
  let json = `{"id":"${envelope.id}","ts":${envelope.ts},"chain":"${envelope.chain}","seq":${envelope.seq}`;
  const ratchet = envelope.ratchet;
  if (ratchet !== undefined) {
    const init = ratchet.init === undefined ? '' : `,"init":${JSON.stringify(ratchet.init)}`;
    json += `,"ratchet":{"sid":"${ratchet.sid}"${init},"dh":"${ratchet.dh}","pn":${ratchet.pn},"n":${ratchet.n}}`;
  }
  if (envelope.senderKey !== undefined) json += `,"senderKey":{"id":"${envelope.senderKey.id}","n":${envelope.senderKey.n}}`;
  json += `,"iv":"${envelope.iv}","ct":"${envelope.ct}","sig":"${envelope.sig}"`;
  if (envelope.batch !== undefined) json += `,"batch":${JSON.stringify(envelope.batch)}`;
  return `${json}}`;
}
