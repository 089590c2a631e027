import { CHANNEL_DESCRIPTORS } from '../../channels';
import { ErrorCodes } from '../../errors/error-codes';
import { Attempt } from '../attempt';
import { ProviderFailure } from '../../providers/provider-failure';

/**
 * The person's opt-out, read (consistently) right before the send: a message queued before they
 * said STOP is not sent. Recorded as `opted_out` (permanent) on the message and its conversation.
 */
export const refuseIfOptedOut = async <C extends Record<string, string>>(attempt: Attempt<C>): Promise<void> => {
  attempt.step = 'authorise';
  const { contextObject, channel } = attempt.delivery;
  const address = contextObject.frontend_payload.recipient_data[CHANNEL_DESCRIPTORS[channel].recipientField];
  if (!address) return;
  if (await attempt.deps.optOuts.isOptedOut(contextObject.frontend_payload.company_data.company_id, channel, address)) {
    attempt.logger.info('The recipient opted out on this channel; nothing is sent', { channel });
    throw new ProviderFailure(
      'permanent',
      ErrorCodes.RECIPIENT_OPTED_OUT,
      `The recipient opted out of ${channel} messages from this company; nothing was sent.`,
      'opted_out',
    );
  }
};
