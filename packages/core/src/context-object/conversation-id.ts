import { permanent } from '../errors/app-error';
import { ErrorCodes } from '../errors/error-codes';
import { CHANNEL_DESCRIPTORS } from '../channels';
import { CompanyPayload } from '../companies/types';
import { Channel, InitiateConversationRequest } from '../request/types';
import { ChannelConversation } from './types';

/**
 * The company's sending address on a channel: its number (whatsapp, sms) or e-mail address.
 * Missing configuration for an allowed channel is a deployment fault, not the caller's.
 */
export const companySenderAddress = (company: Pick<CompanyPayload, 'channel_config'>, channel: Channel): string => {
  const address = CHANNEL_DESCRIPTORS[channel].senderAddress(company.channel_config ?? {});
  if (!address) {
    throw permanent(ErrorCodes.CONFIGURATION_ERROR, `The project has no ${channel} sender configured; contact support.`);
  }
  return address;
};

/** `company_id#project_id#request_id#<channel part>` (docs/data-model.md): one per channel of a request. */
export const conversationIdFor = (
  request: Pick<InitiateConversationRequest, 'company_data' | 'request_data'>,
  company: Pick<CompanyPayload, 'channel_config'>,
  channel: Channel,
): string => {
  const channelPart = CHANNEL_DESCRIPTORS[channel].idPart(companySenderAddress(company, channel));
  const { company_id, project_id } = request.company_data;
  return `${company_id}#${project_id}#${request.request_data.request_id}#${channelPart}`;
};

/** Every channel's conversation, in request order. */
export const conversationsFor = (
  request: InitiateConversationRequest<Channel[]>,
  company: Pick<CompanyPayload, 'channel_config'>,
): ChannelConversation[] =>
  request.request_data.channel_method.map((channel) => ({ channel, conversation_id: conversationIdFor(request, company, channel) }));

/** The conversations table's partition key: the recipient's address on the channel. */
export const primaryChannelFor = (request: Pick<InitiateConversationRequest, 'recipient_data'>, channel: Channel): string => {
  const address = request.recipient_data[CHANNEL_DESCRIPTORS[channel].recipientField];
  if (!address) throw permanent(ErrorCodes.INTERNAL_ERROR, 'The recipient address is missing after validation.');
  return address;
};
