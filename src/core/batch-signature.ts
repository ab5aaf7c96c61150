// One RSA signature for many envelopes (a room's key handovers): the sender signs the root of a
// Merkle tree over the envelopes' signed bytes, and each envelope carries its leaf's index, the
// number of leaves and the sibling hashes up to the root. A recipient recomputes the root from
// its own envelope and checks the one signature: as strong as signing each envelope (a forger
// must find a SHA-256 collision or forge RSA), for 1.8 ms per 64 envelopes instead of each.
//
// Leaves and inner nodes are hashed with different first bytes (0x00, 0x01; RFC 6962's rule), so
// an inner node can never pass for a leaf. An odd node at the end of a level is carried up as it
// is; the leaf count is signed with the root, so the shape, and with it the path's length, is fixed.
import { createHash } from 'node:crypto';
import { lengthPrefixed } from './signed-bytes.js';

/** Most envelopes under one signature: paths stay short (6 hashes) and a batch fits one `send-batch`. */
export const MAX_BATCH_LEAVES = 64;
const BATCH_CONTEXT = 'tui-chat/envelope-batch/v1';
const LEAF = Buffer.from([0]);
const NODE = Buffer.from([1]);

/** Where one envelope sits in its batch: its index, the batch's size, and the sibling hashes (base64), leaf first. */
export interface BatchProof {
  readonly i: number;
  readonly n: number;
  readonly path: readonly string[];
}

/** The bytes that are signed for a whole batch: its size and root. */
export function batchSignedBytes(n: number, root: Buffer): Buffer {
  return lengthPrefixed([BATCH_CONTEXT, String(n), root]);
}

function leafHash(signed: Buffer): Buffer {
  return createHash('sha256').update(LEAF).update(signed).digest();
}

function nodeHash(left: Buffer, right: Buffer): Buffer {
  return createHash('sha256').update(NODE).update(left).update(right).digest();
}

/** The root over these leaves' signed bytes, and each leaf's proof. */
export function buildBatch(signed: readonly Buffer[]): { root: Buffer; proofs: BatchProof[] } {
  const n = signed.length;
  if (n === 0 || n > MAX_BATCH_LEAVES) throw new RangeError(`a batch holds 1 to ${MAX_BATCH_LEAVES} envelopes`);
  const paths: string[][] = signed.map(() => []);
  // Which node of the current level each leaf's path runs through.
  const at = signed.map((_, i) => i);
  let level = signed.map(leafHash);
  while (level.length > 1) {
    const next: Buffer[] = [];
    for (let k = 0; k < level.length; k += 2) next.push(k + 1 < level.length ? nodeHash(level[k]!, level[k + 1]!) : level[k]!);
    for (let leaf = 0; leaf < n; leaf++) {
      const sibling = at[leaf]! ^ 1;
      if (sibling < level.length) paths[leaf]!.push(level[sibling]!.toString('base64'));
      at[leaf] = at[leaf]! >> 1;
    }
    level = next;
  }
  return { root: level[0]!, proofs: paths.map((path, i) => ({ i, n, path })) };
}

/** The root that `signed` and its proof lead to, or undefined when the proof has the wrong shape. */
export function rootFromProof(signed: Buffer, proof: BatchProof): Buffer | undefined {
  const { i, n, path } = proof;
  if (n < 1 || n > MAX_BATCH_LEAVES || i >= n) return undefined;
  let hash = leafHash(signed);
  let index = i;
  let width = n;
  let used = 0;
  while (width > 1) {
    const sibling = index ^ 1;
    if (sibling < width) {
      const other = path[used++];
      if (other === undefined) return undefined;
      const bytes = Buffer.from(other, 'base64');
      if (bytes.length !== 32) return undefined;
      hash = index % 2 === 0 ? nodeHash(hash, bytes) : nodeHash(bytes, hash);
    }
    index >>= 1;
    width = Math.ceil(width / 2);
  }
  return used === path.length ? hash : undefined;
}
