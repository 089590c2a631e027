import { Channel } from './channel';
import { ChannelDescriptor } from './channel-descriptor';
import { emailDescriptor } from './email';
import { smsDescriptor } from './sms';
import { whatsappDescriptor } from './whatsapp';

export * from './channel';
export * from './channel-config';
export * from './address-patterns';
export * from './channel-descriptor';
export { WHATSAPP_TEMPLATE_VARIABLES_SCHEMA, WHATSAPP_WINDOW_CLOSED, WHATSAPP_WINDOW_MS, whatsappWindowOpen } from './whatsapp';
export { EMAIL_CONTENT_SCHEMA } from './email';
export { SMS_PART_SCHEMA } from './sms';
export * from './email-threading';

/** Every channel the engine has, by name. Adding one: its descriptor here, its sender service, its tests. */
export const CHANNEL_DESCRIPTORS: Readonly<Record<Channel, ChannelDescriptor>> = {
  whatsapp: whatsappDescriptor,
  sms: smsDescriptor,
  email: emailDescriptor,
};

export const descriptorOf = (channel: Channel): ChannelDescriptor => CHANNEL_DESCRIPTORS[channel];

/** The channels Twilio carries, longest address prefix first (so `whatsapp:` is tried before the bare number). */
export const TWILIO_CHANNELS: readonly ChannelDescriptor[] = Object.values(CHANNEL_DESCRIPTORS)
  .filter((descriptor) => descriptor.provider === 'twilio')
  .sort((a, b) => (b.twilioAddressPrefix ?? '').length - (a.twilioAddressPrefix ?? '').length);

/** A Twilio `To`/`From` read back: its channel (by its prefix) and the bare E.164 number. */
export const twilioAddressOf = (address: string): { channel: Channel; number: string } => {
  const descriptor = TWILIO_CHANNELS.find((candidate) => address.startsWith(candidate.twilioAddressPrefix ?? ''))!;
  return { channel: descriptor.name, number: address.slice((descriptor.twilioAddressPrefix ?? '').length) };
};
