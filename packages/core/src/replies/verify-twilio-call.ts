// Only the signature check: the `twilio` package's index would bring Twilio's whole REST client into the webhooks' bundles.
import { validateRequest } from 'twilio/lib/webhooks/webhooks';
import { AppError } from '../errors/app-error';
import { twilioAddressOf } from '../channels';
import { ErrorCodes } from '../errors/error-codes';
import { Channel } from '../request/types';
import { SecretReader } from '../secrets/secret-reader';
import { SenderAddress, SenderDirectory, senderAddressKey } from '../companies/sender-directory';
import { readWebhookSecret, WebhookLogger } from './webhook-secret';

export interface TwilioCall {
  rawBody: string | null;
  isBase64Encoded: boolean;
  contentType: string | undefined;
  signature: string | undefined;
}

export interface TwilioCallDeps {
  directory: SenderDirectory;
  secrets: SecretReader;
  /** The public base URL Twilio calls (WEBHOOK_BASE_URL): the signature covers it, so it is configuration, never rebuilt from the request. */
  webhookBaseUrl: string;
  logger: WebhookLogger;
}

export const forgedTwilioCall = () =>
  new AppError('forbidden', ErrorCodes.WEBHOOK_SIGNATURE_INVALID, 'The request is not signed by Twilio for this number.');

const E164 = /^\+[1-9][0-9]{6,14}$/;

/**
 * A Twilio webhook call, verified before anything of it is trusted (both Twilio webhooks): the
 * form, our number's owner from the sender directory (`ourNumber` names the parameter: `To` for
 * an inbound message, `From` for a status callback), and `X-Twilio-Signature` checked with the
 * `twilio` SDK against that account's auth token and the configured URL + `path`, the call's
 * `AccountSid` being that account's. A token rotated since it was cached is read again once; a
 * number whose credentials secret is misconfigured cannot be verified (403, and an ERROR).
 * Anything else is 403 `WEBHOOK_SIGNATURE_INVALID`.
 */
export const verifyTwilioCall = async (
  call: TwilioCall,
  options: { path: string; ourNumber: 'To' | 'From' },
  deps: TwilioCallDeps,
): Promise<{ form: Record<string, string>; channel: Channel; companyNumber: string; sender: SenderAddress }> => {
  if (!call.signature || !call.contentType?.toLowerCase().startsWith('application/x-www-form-urlencoded')) throw forgedTwilioCall();
  const raw = call.rawBody ?? '';
  // A repeated name keeps its last value: such a call is not Twilio's and fails the check.
  const form = Object.fromEntries(new URLSearchParams(call.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw));
  const number = form[options.ourNumber] ?? '';
  const { channel, number: companyNumber } = twilioAddressOf(number);
  if (!E164.test(companyNumber)) throw forgedTwilioCall();
  const sender = await deps.directory.find(senderAddressKey(channel, companyNumber));
  if (!sender) throw forgedTwilioCall();
  const url = `${deps.webhookBaseUrl.replace(/\/+$/, '')}${options.path}`;
  const verify = async () => {
    const credentials = await readWebhookSecret<{ twilio_account_sid: string; twilio_auth_token: string }>(
      deps.secrets,
      sender.credentials_id,
      ['twilio_account_sid', 'twilio_auth_token'],
      deps.logger,
      forgedTwilioCall,
    );
    return credentials.twilio_account_sid === form.AccountSid && validateRequest(credentials.twilio_auth_token, call.signature!, url, form);
  };
  if (!(await verify())) {
    deps.secrets.evict(sender.credentials_id);
    if (!(await verify())) throw forgedTwilioCall();
  }
  return { form, channel, companyNumber, sender };
};
