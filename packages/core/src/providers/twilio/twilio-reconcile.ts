import { SendIntent } from '../../messages/types';
import { TwilioClient } from './twilio-client';
import { classifyTwilioError } from './twilio-errors';
import { renderTemplate, TemplateText } from './twilio-content';

/**
 * Twilio's clock and ours differ by milliseconds (both NTP), but `date_created` has whole
 * seconds: a message created in the same second as the intent reads as up to 999 ms earlier.
 */
const CLOCK_MARGIN_MS = 2_000;
const NOT_SENT = ['failed', 'undelivered', 'canceled'];
/** Messages from this sender to this person that one page holds; far more than one conversation's attempts create. */
const PAGE = 50;

export interface TwilioMessageSummary {
  sid: string;
  body: string;
  status: string;
  dateCreated: Date;
}

/**
 * docs/processing.md step 6, for both Twilio channels: the message an earlier attempt of *this*
 * conversation may have created, if Twilio has one. Each attempt recorded what it was about to
 * send with its send intent; a message matches an intent when Twilio created it at or after the
 * intent and it carries the intent's content (`matches`: the SMS text; the WhatsApp template's
 * variables). The list is filtered by To and From only, newest first: Twilio's list has no
 * filter on creation time, and its `DateSent` filter has day granularity and never matches a
 * message still queued (no `date_sent` yet), which is exactly the message a timed-out call may
 * have left behind. Of the matches, the earliest is ours.
 */
export const findTwilioMessageFor = async (
  client: TwilioClient,
  query: { from: string; to: string; intents: SendIntent[]; matches: (intent: SendIntent, body: string) => boolean },
): Promise<TwilioMessageSummary | undefined> => {
  if (query.intents.length === 0) return undefined;
  let messages: TwilioMessageSummary[];
  try {
    messages = (await client.messages.list({ from: query.from, to: query.to, limit: PAGE })).map((m) => ({
      sid: m.sid,
      body: m.body ?? '',
      status: m.status,
      dateCreated: m.dateCreated,
    }));
  } catch (error) {
    throw classifyTwilioError(error);
  }
  return messages
    .filter((message) => !NOT_SENT.includes(message.status))
    .filter((message) =>
      query.intents.some((intent) => createdNotBefore(message.dateCreated, intent.at) && query.matches(intent, message.body)),
    )
    .pop();
};

const createdNotBefore = (created: Date | undefined, intentAt: string): boolean =>
  created instanceof Date && !Number.isNaN(created.getTime()) && created.getTime() >= Date.parse(intentAt) - CLOCK_MARGIN_MS;

/** SMS: Twilio keeps the body as sent. */
export const sameText = (intent: SendIntent, body: string): boolean =>
  intent.content === undefined || body.trim() === intent.content.trim();

/**
 * WhatsApp templates: Twilio's body is the template rendered with our variables (twilio-content.ts),
 * so a message is ours when its body is exactly our rendering of the intent's variables. Exact,
 * not "contains every variable": a short variable ("Sam") is found in many other messages, and a
 * template's own text may hold a value by chance.
 */
export const rendersTemplate =
  (template: TemplateText) =>
  (intent: SendIntent, body: string): boolean => {
    if (intent.content === undefined) return true;
    let variables: Record<string, unknown>;
    try {
      variables = JSON.parse(intent.content) as Record<string, unknown>;
    } catch {
      return false;
    }
    return body.trim() === renderTemplate(template, variables).trim();
  };
