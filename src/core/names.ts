// What a peer name may be, and how untrusted text is made safe for a terminal.

/**
 * 1-32 characters: ASCII letters, digits, '_', '-', '.', starting with a letter or digit.
 * ASCII only so that two names cannot look alike on screen (no homoglyphs, no invisible marks).
 */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/;
export const NAME_RULE = '1-32 characters of A-Z a-z 0-9 _ - . starting with a letter or digit';

export function isValidName(name: string): boolean {
  return NAME_PATTERN.test(name);
}

/** Names are unique regardless of case, so "Alice" cannot pose as "alice". */
export function nameKey(name: string): string {
  return name.toLowerCase();
}

/**
 * What a name looks like on screen, for spotting impersonation by look-alikes: case folded, with
 * the ASCII characters that pass for each other in common terminal fonts made one (capital I, l,
 * 1 and | read as l; 0 and O as o; rn as m; vv as w) and trailing punctuation dropped. So aIice,
 * a1ice and alice. all look like alice, and b0b like bob. Applied to the case-preserved name first,
 * since capital I and lower-case l look alike but lower-case i does not.
 */
export function nameSkeleton(name: string): string {
  return name
    .replace(/[I1|]/g, 'l')
    .toLowerCase()
    .replace(/0/g, 'o')
    .replace(/rn/g, 'm')
    .replace(/vv/g, 'w')
    .replace(/[._-]+$/, '');
}

// C0 controls except TAB and LF, DEL, C1 controls, and the escape sequences they start.
// A full CSI/OSC/DCS sequence is removed as one piece so that no parameter bytes leak through
// as visible garbage, and a lone ESC or C1 byte is removed on its own.
const ESCAPE_SEQUENCE = new RegExp(
  [
    /\u001b\[[0-?]*[ -/]*[@-~]?/.source, // CSI (ESC [)
    /\u001b[\]PX^_][\s\S]*?(?:\u0007|\u001b\\|$)/.source, // OSC, DCS, SOS, PM, APC (ESC ] P X ^ _)
    /\u009b[0-?]*[ -/]*[@-~]?/.source, // CSI as one C1 byte
    /[\u0090\u009d\u0098\u009e\u009f][\s\S]*?(?:\u0007|\u009c|\u001b\\|$)/.source, // the string ones as C1 bytes
    /\u001b[\s\S]?/.source, // any other escape, or a lone ESC
  ].join('|'),
  'g',
);
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;
// Bidirectional overrides can make text display in an order other than it was sent.
const BIDI_CONTROLS = /[\u202a-\u202e\u2066-\u2069]/g;

/** Removes terminal escape sequences and control characters; keeps TAB and newline. */
export function stripControlCharacters(text: string): string {
  return text.replace(ESCAPE_SEQUENCE, '').replace(CONTROL_CHARACTERS, '').replace(BIDI_CONTROLS, '');
}
