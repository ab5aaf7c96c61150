import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { MAX_BATCH_LEAVES, batchSignedBytes, buildBatch, rootFromProof } from '../../src/core/batch-signature.js';

const leaves = (n: number): Buffer[] => Array.from({ length: n }, () => randomBytes(40));

describe('batch signature (Merkle root over envelopes)', () => {
  it('every leaf of every batch size leads to the root, with a path no longer than the tree is deep', () => {
    for (let n = 1; n <= MAX_BATCH_LEAVES; n++) {
      const signed = leaves(n);
      const { root, proofs } = buildBatch(signed);
      signed.forEach((bytes, i) => {
        assert.ok(rootFromProof(bytes, proofs[i]!)?.equals(root), `leaf ${i} of ${n}`);
        assert.ok(proofs[i]!.path.length <= Math.ceil(Math.log2(n)));
      });
    }
  });

  it('another leaf, another place, another batch size or a changed path does not lead to what was signed', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: MAX_BATCH_LEAVES }), fc.nat(), (n, pick) => {
        const signed = leaves(n);
        const { root, proofs } = buildBatch(signed);
        const i = pick % n;
        const proof = proofs[i]!;
        // What the signature covers: the batch's size with its root.
        const signedForBatch = batchSignedBytes(n, root);
        const reaches = (bytes: Buffer, p: typeof proof) => {
          const reached = rootFromProof(bytes, p);
          return reached !== undefined && batchSignedBytes(p.n, reached).equals(signedForBatch);
        };
        assert.equal(reaches(randomBytes(40), proof), false);
        assert.equal(reaches(signed[i]!, { ...proof, i: (i + 1) % n }), false);
        assert.equal(reaches(signed[i]!, { ...proof, n: n === MAX_BATCH_LEAVES ? n - 1 : n + 1 }), false);
        const flipped = [...proof.path];
        flipped[0] = randomBytes(32).toString('base64');
        assert.equal(reaches(signed[i]!, { ...proof, path: flipped }), false);
        assert.equal(rootFromProof(signed[i]!, { ...proof, path: [...proof.path, proof.path[0]!] }), undefined);
      }),
      { numRuns: 50 },
    );
  });

  it('an inner node cannot pass for a leaf (leaves and nodes are hashed apart)', () => {
    const signed = leaves(4);
    const { root, proofs } = buildBatch(signed);
    // The hash of leaves 0 and 1 together, offered as "leaf 0 of 2" with leaf 2-3's node as its path.
    const upper = buildBatch([signed[0]!, signed[1]!]);
    const rightNode = proofs[0]!.path[1]!;
    const forged = rootFromProof(upper.root, { i: 0, n: 2, path: [rightNode] });
    assert.notEqual(forged?.equals(root), true);
  });

  it('refuses an empty or oversized batch and a place outside it', () => {
    assert.throws(() => buildBatch([]), RangeError);
    assert.throws(() => buildBatch(leaves(MAX_BATCH_LEAVES + 1)), RangeError);
    assert.equal(rootFromProof(randomBytes(8), { i: 3, n: 3, path: [] }), undefined);
  });
});
