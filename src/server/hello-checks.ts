// The checks on a hello that need no state of the connection: the protocol version, the prekey's
// size, the public key parsed, and the signed prekey (usable, and signed by that key for that
// name). Any failure is a ProtocolError: the peer sent what no honest client sends.
import { ErrorCode, ProtocolError } from '../core/errors.js';
import { type PublicIdentity, parsePeerPublicKey } from '../core/identity.js';
import { type HelloMessage, PROTOCOL_VERSION } from '../core/messages.js';
import { isUsablePrekey, verifyPrekey } from '../core/prekey.js';

/** The hello's key, parsed, and its prekey's bytes (checked for size only: checkSignedPrekey does the rest). */
export function readHello(hello: HelloMessage): { key: PublicIdentity; prekey: Buffer } {
  if (hello.version !== PROTOCOL_VERSION) {
    throw new ProtocolError(
      ErrorCode.VERSION_MISMATCH,
      `this server speaks protocol version ${PROTOCOL_VERSION} and the client speaks ${hello.version}; use matching tui-chat versions`,
    );
  }
  const prekey = Buffer.from(hello.prekey, 'base64');
  if (prekey.length !== 32) throw new ProtocolError(ErrorCode.INVALID_MESSAGE, 'the prekey must be 32 bytes');
  try {
    return { key: parsePeerPublicKey(hello.publicKey), prekey };
  } catch (cause) {
    throw new ProtocolError(ErrorCode.INVALID_MESSAGE, cause instanceof Error ? cause.message : 'bad public key', { cause });
  }
}

export function checkSignedPrekey(key: PublicIdentity, name: string, prekey: Buffer, prekeySigBase64: string): void {
  if (prekey.length !== 32) throw new ProtocolError(ErrorCode.INVALID_MESSAGE, 'the prekey must be 32 bytes');
  const prekeySig = Buffer.from(prekeySigBase64, 'base64');
  if (prekeySig.length * 8 !== key.publicKey.asymmetricKeyDetails?.modulusLength) {
    throw new ProtocolError(ErrorCode.INVALID_MESSAGE, 'the prekey signature is not the size of the key');
  }
  if (!isUsablePrekey(prekey)) throw new ProtocolError(ErrorCode.INVALID_MESSAGE, 'the prekey is a low-order point: no session can start from it');
  if (!verifyPrekey(key.publicKey, name, prekey, prekeySig))
    throw new ProtocolError(ErrorCode.INVALID_MESSAGE, 'the prekey is not signed by the announced key');
}
