import twilio from 'twilio';
import { AppError } from '../errors/app-error';
import { ErrorCodes } from '../errors/error-codes';
import { Channel } from '../request/types';
import { SenderDirectory, senderAddressKey } from '../replies/sender-directory';
import { EMPTY_TWIML, WebhookResponse } from '../replies/webhook-response';
import { SecretReader } from '../secrets/secret-reader';
import { recordDeliveryEvent, RecordDeliveryDeps } from './record-delivery-event';
import { explainTwilioError, twilioDeliveryStatus } from './statuses';

/** The path our sends name as their statusCallback, after WEBHOOK_BASE_URL. */
export const TWILIO_STATUS_PATH = '/webhooks/twilio/status';

/** The statusCallback every Twilio send asks for (undefined when WEBHOOK_BASE_URL is not configured). */
export const twilioStatusCallbackUrl = (webhookBaseUrl: string | undefined): string | undefined =>
  webhookBaseUrl ? `${webhookBaseUrl.replace(/\/+$/, '')}${TWILIO_STATUS_PATH}` : undefined;

export interface TwilioStatusDeps extends RecordDeliveryDeps {
  directory: SenderDirectory;
  secrets: SecretReader;
  webhookBaseUrl: string;
}

export interface TwilioStatusRequest {
  rawBody: string | null;
  isBase64Encoded: boolean;
  contentType: string | undefined;
  signature: string | undefined;
}

const forged = () => new AppError('forbidden', ErrorCodes.WEBHOOK_SIGNATURE_INVALID, 'The request is not signed by Twilio for this number.');

/**
 * POST /webhooks/twilio/status (docs/api.md "Webhooks"): a status callback for a message we sent.
 * Signed like the inbound webhook, by the account that owns our number (`From` here), against the
 * configured URL. Verified, it is one event: stored once (sid + status), the status moved forward.
 * A failure to record it is a 5xx, so Twilio's retry brings it again.
 */
export const receiveTwilioStatus = async (request: TwilioStatusRequest, deps: TwilioStatusDeps): Promise<WebhookResponse> => {
  if (!request.signature || !request.contentType?.toLowerCase().startsWith('application/x-www-form-urlencoded')) throw forged();
  const raw = request.rawBody ?? '';
  const form = Object.fromEntries(new URLSearchParams(request.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw));
  const from = form.From ?? '';
  const channel: Channel = from.startsWith('whatsapp:') ? 'whatsapp' : 'sms';
  const sender = /^\+[1-9][0-9]{6,14}$/.test(from.replace(/^whatsapp:/, '')) ? await deps.directory.find(senderAddressKey(channel, from)) : undefined;
  if (!sender) throw forged();
  const url = `${deps.webhookBaseUrl.replace(/\/+$/, '')}${TWILIO_STATUS_PATH}`;
  const verify = async () => {
    const credentials = await deps.secrets.getJson<{ twilio_account_sid: string; twilio_auth_token: string }>(sender.credentials_id, ['twilio_account_sid', 'twilio_auth_token']);
    return credentials.twilio_account_sid === form.AccountSid && twilio.validateRequest(credentials.twilio_auth_token, request.signature!, url, form);
  };
  if (!(await verify())) {
    deps.secrets.evict(sender.credentials_id);
    if (!(await verify())) throw forged();
  }

  const sid = form.MessageSid ?? form.SmsSid ?? '';
  const providerEvent = form.MessageStatus ?? form.SmsStatus ?? '';
  if (!/^(SM|MM)[0-9a-fA-F]{32}$/.test(sid) || !/^[a-z_]{1,30}$/.test(providerEvent)) return EMPTY_TWIML; // signed, but nothing we track
  const status = twilioDeliveryStatus(providerEvent);
  const errorCode = /^\d{1,6}$/.test(form.ErrorCode ?? '') ? form.ErrorCode : undefined;
  await recordDeliveryEvent(
    {
      providerMessageId: sid,
      // Twilio gives no event id; a status happens once per message, so sid + status is the event.
      eventId: providerEvent,
      channel,
      provider: 'twilio',
      providerEvent,
      ...(status ? { status } : {}),
      ...(errorCode ? { errorCode, errorMessage: explainTwilioError(errorCode) } : {}),
      at: deps.clock.now().toISOString(),
    },
    deps,
  );
  return EMPTY_TWIML;
};
