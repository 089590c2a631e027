import { InboundIntent } from './types';

/**
 * Opt-out and opt-in keywords (docs/processing.md "Replies"): the whole message, any case,
 * surrounding spaces and punctuation ignored, as Twilio's own handling of them. These are
 * Twilio's default keyword lists, so the engine and Twilio's Advanced Opt-Out agree.
 */
export const OPT_OUT_KEYWORDS = ['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'REVOKE', 'OPTOUT'] as const;
export const OPT_IN_KEYWORDS = ['START', 'YES', 'UNSTOP'] as const;

const OUT = new Set<string>(OPT_OUT_KEYWORDS);
const IN = new Set<string>(OPT_IN_KEYWORDS);

/** The intent of a message text; Twilio's `OptOutType` (STOP, START, HELP) wins when present. */
export const intentOf = (text: string, optOutType?: string): InboundIntent => {
  const type = optOutType?.trim().toUpperCase();
  if (type === 'STOP') return 'opt_out';
  if (type === 'START') return 'opt_in';
  const word = text.trim().replace(/^[\s.!?,;:'"]+|[\s.!?,;:'"]+$/g, '').toUpperCase();
  if (OUT.has(word)) return 'opt_out';
  if (IN.has(word)) return 'opt_in';
  return 'reply';
};
