import { TwilioCall, TwilioCallDeps, verifyTwilioCall } from '../replies/verify-twilio-call';
import { EMPTY_TWIML, WebhookResponse } from '../replies/webhook-response';
import { deliveryEventsExpireAt, recordDeliveryEvent, RecordDeliveryDeps } from './record-delivery-event';
import { explainTwilioError, twilioDeliveryStatus } from './statuses';

/** The path our sends name as their statusCallback, after WEBHOOK_BASE_URL. */
export const TWILIO_STATUS_PATH = '/webhooks/twilio/status';

/** The statusCallback every Twilio send asks for (undefined when WEBHOOK_BASE_URL is not configured). */
export const twilioStatusCallbackUrl = (webhookBaseUrl: string | undefined): string | undefined =>
  webhookBaseUrl ? `${webhookBaseUrl.replace(/\/+$/, '')}${TWILIO_STATUS_PATH}` : undefined;

export interface TwilioStatusDeps extends RecordDeliveryDeps, TwilioCallDeps {}

export type TwilioStatusRequest = TwilioCall;

/**
 * POST /webhooks/twilio/status (docs/api.md "Webhooks"): a status callback for a message we sent.
 * Signed like the inbound webhook, by the account that owns our number (`From` here), against the
 * configured URL. Verified, it is one event: stored once (sid + status), the status moved forward.
 * A failure to record it is a 5xx, so Twilio's retry brings it again.
 */
export const receiveTwilioStatus = async (request: TwilioStatusRequest, deps: TwilioStatusDeps): Promise<WebhookResponse> => {
  const { form, channel, sender } = await verifyTwilioCall(request, { path: TWILIO_STATUS_PATH, ourNumber: 'From' }, deps);

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
      expiresAt: await deliveryEventsExpireAt(sender.company_id, sender.project_id, deps),
    },
    // The project whose number (and so whose account's token) verified the callback.
    { companyId: sender.company_id, projectId: sender.project_id },
    deps,
  );
  return EMPTY_TWIML;
};
