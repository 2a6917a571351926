import { randomInt } from 'node:crypto';

const LOWER_HEX = '0123456789abcdef';
const UPPER_ALNUM = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';

function draw(alphabet: string, length: number): string {
  if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(`length must be a non-negative integer, got ${length}`);
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[randomInt(alphabet.length)];
  return out;
}

/** Crypto-random lower-case hex, e.g. Edgio's access and secret keys (docs/edgio.md, "Methods"). */
export const randomLowerHex = (length: number): string => draw(LOWER_HEX, length);

/** Crypto-random `[0-9A-Z]`, e.g. Outscale's AccessKeyId and SecretKey (docs/outscale.md, "Requests and answers"). */
export const randomUpperAlphanumeric = (length: number): string => draw(UPPER_ALNUM, length);
