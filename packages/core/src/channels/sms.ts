import { ChannelDescriptor } from './channel-descriptor';

/** SMS: plain text, which the sender fits to the project's max_message_length. */
export const smsDescriptor: ChannelDescriptor = {
  name: 'sms',
  recipientField: 'recipient_tel',
  senderAddress: (config) => config.sms?.company_sms_number,
  idPart: (number) => number.replace(/^\+/, ''),
};
