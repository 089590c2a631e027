/**
 * A message's delivery status as the providers report it after accepting it (docs/processing.md
 * "Delivery status"). It only moves forward: queued < sending < sent < delivered < read, and a
 * failure (failed, undelivered, bounce, dropped) is final; late, repeated and out-of-order
 * callbacks change nothing. The rank makes "forward" one comparison in a conditional write.
 */
export type DeliveryStatus = 'queued' | 'sending' | 'sent' | 'delivered' | 'read' | 'failed' | 'undelivered' | 'bounce' | 'dropped';

export const FINAL_FAILURES: readonly DeliveryStatus[] = ['failed', 'undelivered', 'bounce', 'dropped'];

const RANK: Record<DeliveryStatus, number> = {
  queued: 1,
  sending: 2,
  sent: 3,
  delivered: 4,
  read: 5,
  failed: 100,
  undelivered: 100,
  bounce: 100,
  dropped: 100,
};

export const rankOf = (status: DeliveryStatus): number => RANK[status];
export const isFailure = (status: DeliveryStatus): boolean => FINAL_FAILURES.includes(status);

/** Twilio's MessageStatus → ours (accepted, scheduled, receiving, received, canceled are not outbound delivery steps we track). */
export const twilioDeliveryStatus = (messageStatus: string): DeliveryStatus | undefined =>
  (
    ({
      queued: 'queued',
      accepted: 'queued',
      sending: 'sending',
      sent: 'sent',
      delivered: 'delivered',
      read: 'read',
      failed: 'failed',
      undelivered: 'undelivered',
    }) as Record<string, DeliveryStatus>
  )[messageStatus];

/** SendGrid's Event Webhook event → ours; engagement and opt-out events carry no delivery step (undefined). */
export const sendGridDeliveryStatus = (event: string): DeliveryStatus | undefined =>
  (
    ({ processed: 'queued', deferred: 'sending', delivered: 'delivered', open: 'read', bounce: 'bounce', dropped: 'dropped' }) as Record<
      string,
      DeliveryStatus
    >
  )[event];

/** SendGrid events that are the person saying "no more" (docs/processing.md "Opt-out"). */
export const SENDGRID_OPT_OUT_EVENTS = ['unsubscribe', 'group_unsubscribe', 'spamreport'];

/**
 * What an operator reads beside a provider's error code: the cause and what to do. Twilio's
 * codes from its error dictionary (twilio.com/docs/api/errors); unknown codes show as the code.
 */
const TWILIO_EXPLANATIONS: Record<string, string> = {
  '63016': 'outside the WhatsApp 24-hour window; send a template',
  '63024': 'not a valid WhatsApp recipient',
  '63003': 'the channel could not find the recipient',
  '30003': 'unreachable destination handset (switched off or out of coverage)',
  '30004': 'message blocked by the recipient or the carrier',
  '30005': 'unknown destination number',
  '30006': 'landline or unreachable carrier',
  '30007': 'filtered by the carrier as spam',
  '30008': 'unknown error from the carrier',
  '21610': 'the recipient replied STOP: unsubscribed',
  '30036': 'the message waited past its validity period',
};

export const explainTwilioError = (code: string | undefined): string | undefined =>
  code ? (TWILIO_EXPLANATIONS[code] ?? `Twilio error ${code}`) : undefined;
