import { TwilioClient } from './twilio-client';
import { classifyTwilioError } from './twilio-errors';

/** Sending and Twilio's clocks differ by a little; look this far before `send_started_at`. */
const RECONCILE_SKEW_MS = 60_000;
const NOT_SENT = ['failed', 'undelivered', 'canceled'];

/**
 * processing.md step 6, for both Twilio channels: the message an earlier attempt may have sent
 * (from → to since `since`), if Twilio has one that did not fail. Twilio's list is newest first,
 * so the last match is the earliest after the send started: ours. Twilio offers no per-message
 * tag to filter on, so another conversation to the same person in that window could be taken
 * for it (see the README's known limits).
 */
export const findTwilioMessageSince = async (
  client: TwilioClient,
  query: { from: string; to: string; since: Date },
): Promise<{ sid: string; body: string } | undefined> => {
  try {
    const messages = await client.messages.list({ from: query.from, to: query.to, dateSentAfter: new Date(query.since.getTime() - RECONCILE_SKEW_MS), limit: 20 });
    const ours = messages.filter((message) => !NOT_SENT.includes(message.status)).pop();
    return ours ? { sid: ours.sid, body: ours.body } : undefined;
  } catch (error) {
    throw classifyTwilioError(error);
  }
};
