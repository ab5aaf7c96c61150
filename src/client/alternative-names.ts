// The names a client offers when its own is taken, in order: alice2 .. alice9, then alice_ and a
// random suffix (names are at most 32 characters, so the wanted name is cut to fit).

/** How many numbered alternatives to try (alice2 .. alice9) before a random suffix. */
const NUMBERED_ALTERNATIVES = 8;

export function alternativeNames(wanted: string): string[] {
  const numbered = Array.from({ length: NUMBERED_ALTERNATIVES }, (_, i) => `${wanted.slice(0, 31)}${i + 2}`);
  return [...numbered, `${wanted.slice(0, 26)}_${Math.random().toString(36).slice(2, 7)}`];
}
