import { isUtf8 } from 'node:buffer';
import iconv from 'iconv-lite';
import type { WebhookLogger } from './webhook-secret';

/**
 * SendGrid Inbound Parse posts each text field (`text`, `html`, `subject`, `from`, `to`, …) in the
 * charset of the mail it came from, and names them in its `charsets` field, a JSON object such as
 * `{"to":"UTF-8","from":"UTF-8","subject":"iso-8859-1","text":"iso-8859-1"}` (SendGrid's docs,
 * "Character Sets and Header Decoding"). A field it does not name, or no `charsets` at all, is
 * UTF-8. Names are matched as mail clients write them: case-insensitive, with aliases (`utf8`,
 * `ISO-8859-1`, `latin1`, `cp1252`, `Shift_JIS`, …).
 *
 * Decoded with iconv-lite; the charsets it does not know (ISO-2022-JP, Japanese mail's usual
 * one) with the runtime's WHATWG TextDecoder. ISO-8859-1 and US-ASCII are read as their superset
 * windows-1252, as browsers and mail clients do (Outlook labels mail iso-8859-1 that carries
 * Word's curly quotes and €). A charset neither knows keeps the ASCII bytes and turns every other
 * byte into U+FFFD; bytes that are not valid in their charset become U+FFFD too. Either way the
 * mail is still received (never a 5xx, which SendGrid would retry for three days) and a warning
 * names the field and the charset, never the text.
 */

export type CharsetProblem = 'unknown_charset' | 'malformed_bytes';

export interface DecodedField {
  text: string;
  problem?: CharsetProblem;
}

const REPLACEMENT = '\uFFFD';

/** iconv-lite's own form of a name: lower case, letters and digits only. */
const canonical = (label: string) => label.toLowerCase().replace(/[^0-9a-z]/g, '');

const UTF8 = new Set(['utf8', 'unicode11utf8', 'unicode20utf8', 'xunicode20utf8']);
const READ_AS_WINDOWS_1252 = new Set([
  'iso88591',
  'iso885911987',
  'latin1',
  'l1',
  'cp819',
  'ibm819',
  'isoir100',
  'csisolatin1',
  'usascii',
  'ascii',
  'us',
  'csascii',
  'iso646us',
  'ansix341968',
]);

const asciiOnly = (bytes: Buffer) => {
  let text = '';
  for (const byte of bytes) text += byte < 0x80 ? String.fromCharCode(byte) : REPLACEMENT;
  return text;
};

/** One field's bytes in the charset `label` names. */
export const decodeCharset = (bytes: Buffer, label: string | undefined): DecodedField => {
  const name = (label ?? '').trim().replace(/^["']|["']$/g, '');
  const key = canonical(name);
  if (key === '' || UTF8.has(key)) {
    const text = iconv.decode(bytes, 'utf8');
    return isUtf8(bytes) ? { text } : { text, problem: 'malformed_bytes' };
  }
  const decoded = (): string | undefined => {
    const encoding = READ_AS_WINDOWS_1252.has(key) ? 'windows-1252' : name;
    try {
      if (iconv.encodingExists(encoding)) return iconv.decode(bytes, encoding);
    } catch {
      // not a charset iconv-lite can decode: try the runtime's
    }
    try {
      return new TextDecoder(name).decode(bytes);
    } catch {
      return undefined;
    }
  };
  const text = decoded();
  if (text === undefined) return { text: asciiOnly(bytes), problem: 'unknown_charset' };
  return text.includes(REPLACEMENT) ? { text, problem: 'malformed_bytes' } : { text };
};

/** The `charsets` field: field name (lower case) → charset label; empty when absent or not a JSON object. */
const charsetsIn = (raw: Buffer | undefined, logger: Pick<WebhookLogger, 'warn'>): Map<string, string> => {
  const charsets = new Map<string, string>();
  if (!raw || raw.length === 0) return charsets;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch {
    parsed = undefined;
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    logger.warn('Inbound Parse charsets field is not a JSON object: every field read as UTF-8', { field: 'charsets' });
    return charsets;
  }
  for (const [field, label] of Object.entries(parsed))
    if (typeof label === 'string' && !charsets.has(field.toLowerCase())) charsets.set(field.toLowerCase(), label);
  return charsets;
};

/**
 * Every text field of an Inbound Parse post (raw bytes, as multipartFields reads them) decoded in
 * the charset `charsets` names for it, each cut to `maxChars` characters.
 */
export const decodeInboundParseFields = (
  fields: Map<string, Buffer>,
  logger: Pick<WebhookLogger, 'warn'>,
  maxChars = Number.POSITIVE_INFINITY,
): Map<string, string> => {
  const charsets = charsetsIn(fields.get('charsets'), logger);
  const decoded = new Map<string, string>();
  for (const [field, bytes] of fields) {
    const charset = charsets.get(field.toLowerCase());
    const { text, problem } = decodeCharset(bytes, charset);
    if (problem) {
      logger.warn('Inbound Parse field has characters its charset cannot decode: read with replacement characters (U+FFFD)', {
        field: field.slice(0, 64),
        charset: (charset ?? 'UTF-8').slice(0, 64),
        problem,
      });
    }
    decoded.set(field, text.slice(0, maxChars));
  }
  return decoded;
};
