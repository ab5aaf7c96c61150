// The frame types on the wire and the header layout. The format is documented in docs/PROTOCOL.md.

export const FrameType = {
  /** UTF-8 JSON control message (handshake, chat envelopes, peer lists, errors). */
  CONTROL: 0x01,
  /** Binary media payload (video frames); server to client only. */
  MEDIA: 0x02,
  /** One encrypted chunk of a file (core/file-codec.ts), either way. */
  FILE: 0x03,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

/** 4-byte big-endian body length followed by a 1-byte frame type. */
export const FRAME_HEADER_BYTES = 5;

export interface Frame {
  readonly type: FrameType;
  readonly body: Buffer;
}

/**
 * The most a frame of either type may ever be, whatever a server announces: 16 MiB. A server may
 * set its limits up to this (--max-frame-bytes, --max-media-frame-bytes); clients accept server
 * frames up to it, so a welcome listing ~12,000 peers still arrives, and a hostile server can make
 * a client buffer no more than this.
 */
export const MAX_FRAME_BYTES_CEILING = 16 * 1024 * 1024;

/** Largest body accepted per frame type. A type missing from the table is refused. */
export type FrameLimits = Partial<Record<FrameType, number>>;

export function frameTypeName(type: number): string {
  for (const [name, value] of Object.entries(FrameType)) if (value === type) return name;
  return `0x${type.toString(16).padStart(2, '0')}`;
}
