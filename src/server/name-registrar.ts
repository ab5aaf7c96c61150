// Who may join under which name. A registered name belongs to the first key that joined under it
// (or a key that key retired in favour of): its owner always gets it back, whoever is online. A
// new name is refused when it reads like one online or registered (aIice beside alice), and when
// the key or the address has taken its share of names. The answer to a stranger's hello is the same
// whether the name is online, away or merely alike, so a hello tells nobody who is registered or online.
import { ChatError, ErrorCode, ProtocolError } from '../core/errors.js';
import { type KeyRetirement, verifyRetirement } from '../core/key-retirement.js';
import { nameKey, nameSkeleton } from '../core/names.js';
import type { Logger } from '../core/logger.js';
import type { PeerSummary } from '../core/messages.js';
import type { DurableStore, Registration } from './store/durable-store.js';

/** What a registration is made from: a member as it joined (or changed its prekey). */
export interface RegisteringPeer {
  readonly name: string;
  readonly publicKeyBase64: string;
  readonly fingerprint: string;
  readonly prekey: string;
  readonly prekeySig: string;
  readonly keyId: string;
}

/** The one answer a hello gets for a name it may not have, whatever the reason. */
export function nameUnavailable(name: string): ChatError {
  return new ChatError(
    ErrorCode.NAME_TAKEN,
    `the name "${name}" is not available to your key (taken, or too like a taken name); choose another. ` +
      'A name moved to a new key needs the retirement statement `tui-chat keys rotate` wrote next to your key file',
  );
}

export class NameRegistrar {
  /** Joined names (this node) by look-alike skeleton. */
  private readonly onlineSkeletons = new Map<string, string>();

  constructor(
    private readonly store: () => DurableStore | undefined,
    /** Users online on other nodes of a cluster. */
    private readonly remotePeers: () => readonly PeerSummary[],
    private readonly logger: Logger,
  ) {}

  joined(name: string): void {
    this.onlineSkeletons.set(nameSkeleton(name), name);
  }

  left(name: string): void {
    if (nameKey(this.onlineSkeletons.get(nameSkeleton(name)) ?? '') === nameKey(name)) this.onlineSkeletons.delete(nameSkeleton(name));
  }

  /**
   * Checks a hello's name against its key, before the join's signature is checked. Throws
   * NAME_TAKEN (the one answer above), NAME_LIMIT (this key or address has its share of names), or
   * ProtocolError for a retirement statement that does not verify.
   */
  checkHello(name: string, fingerprint: string, retirements: readonly KeyRetirement[], address: string): void {
    const store = this.store();
    const registration = store?.registration(name);
    if (registration !== undefined) {
      // The owner gets the name back whoever is online: a look-alike online never blocks it.
      if (registration.fingerprint === fingerprint || this.retiredInFavourOf(registration, fingerprint, retirements)) return;
      throw nameUnavailable(name);
    }
    if (this.lookalikeOnline(name) !== undefined || store?.registeredLookalike(name) !== undefined) throw nameUnavailable(name);
    store?.checkNewRegistration(fingerprint, store.originOf(address));
  }

  /**
   * Writes the member's registration. A new one (or one moved to a new key) resolves once it is on
   * disk, so a welcome is never sent for a name a crash would forget; a refresh (prekey, last seen)
   * is written in the background. `joining`: a new session (counted, see unusedRegistrationTtlMs).
   * Resolves to true when the name was not registered before (its holder starts in no room).
   */
  async register(
    peer: RegisteringPeer,
    options: { readonly address?: string; readonly joining?: boolean; readonly lastSeenAt?: number } = {},
  ): Promise<boolean> {
    const store = this.store();
    if (store === undefined) return false;
    const earlier = store.registration(peer.name);
    const isNew = earlier === undefined || earlier.fingerprint !== peer.fingerprint;
    if (earlier === undefined && options.address !== undefined) {
      // Checked again now: hellos from one address may have passed the check together.
      store.checkNewRegistration(peer.fingerprint, store.originOf(options.address));
    }
    const now = Date.now();
    const origin = earlier?.origin ?? (options.address === undefined ? undefined : store.originOf(options.address));
    const registration: Registration = {
      name: earlier?.name ?? peer.name,
      publicKey: peer.publicKeyBase64,
      fingerprint: peer.fingerprint,
      prekey: peer.prekey,
      prekeySig: peer.prekeySig,
      keyId: peer.keyId,
      registeredAt: earlier?.registeredAt ?? now,
      lastSeenAt: options.lastSeenAt ?? now,
      joins: (earlier === undefined ? 0 : (earlier.joins ?? 1)) + (options.joining === true ? 1 : 0),
      ...(origin === undefined ? {} : { origin }),
    };
    const written = store.register(registration);
    // A join waits for a new registration; a refresh (or a write after the store closed) is
    // written in the background, and a failure is logged.
    if (isNew && options.joining === true) {
      await written;
      return earlier === undefined;
    }
    written.catch((error: unknown) => this.logger.log('error', 'store.register_failed', { error: String(error).slice(0, 120) }));
    return false;
  }

  /** Someone online (here or on another node) whose name reads like this one, if anyone. */
  private lookalikeOnline(name: string): string | undefined {
    const skeleton = nameSkeleton(name);
    const local = this.onlineSkeletons.get(skeleton);
    if (local !== undefined && nameKey(local) !== nameKey(name)) return local;
    return this.remotePeers().find((peer) => nameSkeleton(peer.name) === skeleton && nameKey(peer.name) !== nameKey(name))?.name;
  }

  /**
   * True when the statements lead from the registered key to this one, each key retired in favour
   * of the next (a key rotated twice before its owner came back sends both). Two RSA checks each,
   * reached only past the cheap ones, at most MAX_RETIREMENT_CHAIN; one that does not verify ends
   * the connection.
   */
  private retiredInFavourOf(registration: Registration, fingerprint: string, retirements: readonly KeyRetirement[]): boolean {
    let current = registration.fingerprint;
    for (const retirement of retirements) {
      let statement: ReturnType<typeof verifyRetirement>;
      try {
        statement = verifyRetirement(retirement);
      } catch (cause) {
        throw new ProtocolError(ErrorCode.INVALID_MESSAGE, 'the key retirement statement does not verify', { cause });
      }
      // Statements before the registered key (the server already moved past them) are passed over.
      if (statement.oldFingerprint === current) current = statement.newFingerprint;
    }
    return current === fingerprint;
  }
}
