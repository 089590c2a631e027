import { randomBytes } from 'node:crypto';
import iconv from 'iconv-lite';

/**
 * The local SendGrid's Inbound Parse post for a mail written in another charset than UTF-8, as
 * SendGrid posts it: the text fields in the mail's own bytes, named in its `charsets` field
 * (person-simulator.ts).
 */

/** `text` in `charset` (any iconv-lite name, and ISO-2022-JP); undefined for a charset neither knows. */
export const encodeMailText = (text: string, charset: string): Buffer | undefined => {
  if (/^(cs)?iso-?2022-?jp$/i.test(charset.trim())) return iso2022jp(text);
  return iconv.encodingExists(charset) ? iconv.encode(text, charset) : undefined;
};

/**
 * ISO-2022-JP (RFC 1468), Japanese mail's usual charset, which iconv-lite does not write: the
 * JIS X 0208 characters of its EUC-JP form with the high bits cleared, between ESC $ B and ESC ( B.
 * Characters outside ASCII and JIS X 0208 (half-width katakana, JIS X 0212) are written `?`.
 */
const iso2022jp = (text: string): Buffer => {
  const euc = iconv.encode(text, 'euc-jp');
  const out: number[] = [];
  let kanji = false;
  const mode = (next: boolean) => {
    if (next !== kanji) out.push(...(next ? [0x1b, 0x24, 0x42] : [0x1b, 0x28, 0x42]));
    kanji = next;
  };
  for (let index = 0; index < euc.length; index += 1) {
    const byte = euc[index]!;
    if (byte < 0x80) {
      mode(false);
      out.push(byte);
    } else if (byte >= 0xa1 && byte <= 0xfe && index + 1 < euc.length) {
      mode(true);
      out.push(byte & 0x7f, euc[index + 1]! & 0x7f);
      index += 1;
    } else {
      mode(false);
      out.push(0x3f);
      index += byte === 0x8f ? 2 : byte === 0x8e ? 1 : 0; // JIS X 0212 (three bytes), half-width katakana (two)
    }
  }
  mode(false);
  return Buffer.from(out);
};

/** A multipart/form-data body of text fields given as bytes (FormData would write them as UTF-8, or as files). */
export const multipartBody = (fields: [name: string, value: string | Buffer][]): { body: Buffer; contentType: string } => {
  const boundary = `xYzZY${randomBytes(12).toString('hex')}`;
  const parts = fields.map(([name, value]) =>
    Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n`),
      typeof value === 'string' ? Buffer.from(value, 'utf8') : value,
      Buffer.from('\r\n'),
    ]),
  );
  return { body: Buffer.concat([...parts, Buffer.from(`--${boundary}--\r\n`)]), contentType: `multipart/form-data; boundary=${boundary}` };
};

/** A header's text as a mail in `charset` writes it: non-ASCII as an RFC 2047 encoded word (raw when UTF-8). */
export const headerText = (text: string, charset: string): string =>
  /^[\x20-\x7e]*$/.test(text) || /^utf-?8$/i.test(charset)
    ? text
    : `=?${charset}?B?${(encodeMailText(text, charset) ?? Buffer.from(text)).toString('base64')}?=`;
