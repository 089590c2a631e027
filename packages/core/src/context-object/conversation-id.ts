import { permanent } from '../errors/app-error';
import { ErrorCodes } from '../errors/error-codes';
import { CompanyPayload } from '../companies/types';
import { Channel, InitiateConversationRequest } from '../request/types';

/**
 * The company's sending address on a channel: its number (whatsapp, sms) or e-mail address.
 * Missing configuration for an allowed channel is a deployment fault, not the caller's.
 */
export const companySenderAddress = (company: Pick<CompanyPayload, 'channel_config'>, channel: Channel): string => {
  const config = company.channel_config;
  const address =
    channel === 'whatsapp'
      ? config.whatsapp?.company_whatsapp_number
      : channel === 'sms'
        ? config.sms?.company_sms_number
        : config.email?.company_email;
  if (!address) {
    throw permanent(ErrorCodes.CONFIGURATION_ERROR, `The project has no ${channel} sender configured; contact support.`);
  }
  return address;
};

/** `company_id#project_id#request_id#<channel part>` (data-model.md). */
export const conversationIdFor = (request: InitiateConversationRequest, company: Pick<CompanyPayload, 'channel_config'>): string => {
  const channel = request.request_data.channel_method;
  const sender = companySenderAddress(company, channel);
  const channelPart = channel === 'email' ? sender : sender.replace(/^\+/, '');
  const { company_id, project_id } = request.company_data;
  return `${company_id}#${project_id}#${request.request_data.request_id}#${channelPart}`;
};

/** The conversations table's partition key: the recipient's address on the channel. */
export const primaryChannelFor = (request: InitiateConversationRequest): string => {
  const recipient = request.recipient_data;
  const address = request.request_data.channel_method === 'email' ? recipient.recipient_email : recipient.recipient_tel;
  if (!address) throw permanent(ErrorCodes.INTERNAL_ERROR, 'The recipient address is missing after validation.');
  return address;
};
