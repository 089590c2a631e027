import { InboundIntent } from './types';

/**
 * Opt-out and opt-in keywords (docs/processing.md "Replies"): the whole message, any case, as
 * Twilio's own handling of them; these are Twilio's default keyword lists, so the engine and
 * Twilio's Advanced Opt-Out agree. What a phone or a person adds around the word does not hide
 * it: the text is normalised first (`normaliseKeyword`). A request in plain words ("please stop
 * messaging me", in any language) is the AI's to recognise (the reply turn's `opt_out`).
 */
export const OPT_OUT_KEYWORDS = ['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'REVOKE', 'OPTOUT'] as const;
export const OPT_IN_KEYWORDS = ['START', 'YES', 'UNSTOP'] as const;

const OUT = new Set<string>(OPT_OUT_KEYWORDS);
const IN = new Set<string>(OPT_IN_KEYWORDS);

/**
 * The message as a keyword: Unicode NFKC (full-width `ＳＴＯＰ` is `STOP`), format and control
 * characters removed (a zero-width space or joiner a keyboard left), punctuation, symbols (emoji),
 * marks and spaces trimmed from both ends, inner spaces and hyphens dropped (`opt out`,
 * `OPT-OUT`), upper case.
 */
export const normaliseKeyword = (text: string): string =>
  text
    .normalize('NFKC')
    .replace(/[\p{Cf}\p{Cc}]/gu, '')
    .replace(/^[\p{P}\p{S}\p{Z}\p{M}\s]+|[\p{P}\p{S}\p{Z}\p{M}\s]+$/gu, '')
    .replace(/[\s\p{Z}-]+/gu, '')
    .toUpperCase();

/** The intent of a message text; Twilio's `OptOutType` (STOP, START, HELP) wins when present. */
export const intentOf = (text: string, optOutType?: string): InboundIntent => {
  const type = optOutType?.trim().toUpperCase();
  if (type === 'STOP') return 'opt_out';
  if (type === 'START') return 'opt_in';
  const word = normaliseKeyword(text);
  if (OUT.has(word)) return 'opt_out';
  if (IN.has(word)) return 'opt_in';
  return 'reply';
};
