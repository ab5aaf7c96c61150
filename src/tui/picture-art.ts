// A received picture drawn as truecolor half-block art for the log: sharp decodes it (on libuv's
// thread pool, off the main thread) into at most a few rows of cells, two pixels a cell. A
// picture's size is read from its header before anything is decoded, and one past
// MAX_PICTURE_PIXELS is refused (a 50,000 x 50,000 PNG is 7.5 GB of pixels: a decompression bomb).
import sharp from 'sharp';
import { ChatError, ErrorCode } from '../core/errors.js';

/** The most pixels a picture may have to be decoded here: 40 megapixels (a 7,000 x 5,700 photo). */
export const MAX_PICTURE_PIXELS = 40_000_000;

export interface PictureArt {
  /** ANSI rows (24-bit colors, upper half blocks), joined by newlines. */
  readonly ansi: string;
  readonly width: number;
  readonly height: number;
}

/** Checks a picture's header against MAX_PICTURE_PIXELS; returns its size. Throws FILE_INVALID. */
export async function pictureSize(picture: Buffer): Promise<{ width: number; height: number }> {
  let metadata: sharp.Metadata;
  try {
    metadata = await sharp(picture, { limitInputPixels: false }).metadata();
  } catch {
    throw new ChatError(ErrorCode.FILE_INVALID, 'not a picture that decodes');
  }
  const { width = 0, height = 0 } = metadata;
  if (width * height > MAX_PICTURE_PIXELS) {
    throw new ChatError(
      ErrorCode.FILE_INVALID,
      `a picture of ${width}x${height} pixels is too large to draw (at most ${MAX_PICTURE_PIXELS / 1e6} megapixels): :save it to look at it elsewhere`,
    );
  }
  return { width, height };
}

/** The picture fitted inside `cols` x `rows` cells, as ANSI art. */
export async function pictureArt(picture: Buffer, cols: number, rows: number): Promise<PictureArt> {
  await pictureSize(picture);
  const { data, info } = await sharp(picture, { limitInputPixels: MAX_PICTURE_PIXELS, animated: false })
    .resize({ width: Math.max(1, cols), height: Math.max(2, rows * 2), fit: 'inside' })
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const lines: string[] = [];
  for (let y = 0; y < info.height; y += 2) {
    let line = '';
    for (let x = 0; x < info.width; x++) {
      const top = (y * info.width + x) * 3;
      const bottom = y + 1 < info.height ? top + info.width * 3 : top;
      line += `\u001b[38;2;${data[top]};${data[top + 1]};${data[top + 2]};48;2;${data[bottom]};${data[bottom + 1]};${data[bottom + 2]}m▀`;
    }
    lines.push(`${line}\u001b[0m`);
  }
  return { ansi: lines.join('\n'), width: info.width, height: info.height };
}

/** The picture fitted inside a pixel box, as PNG (for the video pane's player). */
export async function pictureStill(picture: Buffer, box: { width: number; height: number }): Promise<{ png: Buffer; width: number; height: number }> {
  await pictureSize(picture);
  const { data, info } = await sharp(picture, { limitInputPixels: MAX_PICTURE_PIXELS, animated: false })
    .resize({ width: box.width, height: box.height, fit: 'inside' })
    .png({ compressionLevel: 1 })
    .toBuffer({ resolveWithObject: true });
  return { png: data, width: info.width, height: info.height };
}
