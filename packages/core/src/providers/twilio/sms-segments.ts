/**
 * How an SMS is billed: texts using only the GSM 03.38 alphabet are GSM-7 (160 characters in one
 * segment, 153 per segment when split; characters of the extension table count twice); anything
 * else is UCS-2 (70 in one segment, 67 per segment when split; a character outside the BMP, such
 * as an emoji, counts twice).
 */
const GSM_BASIC = new Set(
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà',
);
const GSM_EXTENSION = new Set('^{}\\[~]|€\f');

export interface SmsSegments {
  encoding: 'GSM-7' | 'UCS-2';
  /** Septets (GSM-7) or UTF-16 code units (UCS-2). */
  units: number;
  segments: number;
}

export const countSmsSegments = (text: string): SmsSegments => {
  let septets = 0;
  let gsm = true;
  for (const ch of text) {
    if (GSM_BASIC.has(ch)) septets += 1;
    else if (GSM_EXTENSION.has(ch)) septets += 2;
    else {
      gsm = false;
      break;
    }
  }
  if (gsm) return { encoding: 'GSM-7', units: septets, segments: septets <= 160 ? 1 : Math.ceil(septets / 153) };
  const units = text.length; // UTF-16 code units
  return { encoding: 'UCS-2', units, segments: units <= 70 ? 1 : Math.ceil(units / 67) };
};

/** Cut `text` to at most `max` characters, at a word boundary when there is one, marking the cut. */
export const fitText = (text: string, max: number): string => {
  const trimmed = text.trim();
  if ([...trimmed].length <= max) return trimmed;
  const slice = [...trimmed].slice(0, Math.max(1, max - 1)).join('');
  const boundary = slice.lastIndexOf(' ');
  return `${(boundary > max / 2 ? slice.slice(0, boundary) : slice).trimEnd()}…`;
};
