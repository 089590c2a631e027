import { CHANNEL_DESCRIPTORS, CHANNELS, senderAddressesOf, senderAddressKey, TWILIO_CHANNELS, twilioAddressOf } from '../src';
import { companyItem } from '@ai-multi-comms/testing';

/** A channel is declared once (channels/): both directions read its descriptor, never its name. */
describe('a channel declared once, outbound and inbound', () => {
  it('every channel has a descriptor naming its provider, its recipient field and its credentials in the project config', () => {
    const project = companyItem();
    for (const channel of CHANNELS) {
      const descriptor = CHANNEL_DESCRIPTORS[channel];
      expect(descriptor.name).toBe(channel);
      expect(['twilio', 'sendgrid']).toContain(descriptor.provider);
      expect(descriptor.credentialsSecretName(project.channel_config)).toMatch(/^ai-multi-comms\//);
      expect(descriptor.senderAddress(project.channel_config)).toBeTruthy();
    }
  });

  it("a Twilio address is read back to its channel by the descriptors' prefixes, and keyed in the sender directory the same way", () => {
    expect(twilioAddressOf('whatsapp:+447700900001')).toEqual({ channel: 'whatsapp', number: '+447700900001' });
    expect(twilioAddressOf('+447700900002')).toEqual({ channel: 'sms', number: '+447700900002' });
    expect(senderAddressKey('whatsapp', 'whatsapp:+447700900001')).toBe('whatsapp:+447700900001');
    expect(senderAddressKey('sms', '+447700900002')).toBe('sms:+447700900002');
    for (const descriptor of TWILIO_CHANNELS)
      expect(twilioAddressOf(`${descriptor.twilioAddressPrefix}+447700900009`).channel).toBe(descriptor.name);
  });

  it("onboarding's sender directory has one entry per Twilio channel the project configures, with that channel's credentials", () => {
    const project = companyItem();
    const entries = senderAddressesOf(project, new Date('2026-01-01T00:00:00Z'));
    expect(entries.map((entry) => entry.channel).sort()).toEqual(TWILIO_CHANNELS.map((descriptor) => descriptor.name).sort());
    for (const entry of entries)
      expect(entry.credentials_id).toBe(CHANNEL_DESCRIPTORS[entry.channel].credentialsSecretName(project.channel_config));
    const smsOnly = companyItem((item) => delete item.channel_config.whatsapp);
    expect(senderAddressesOf(smsOnly, new Date()).map((entry) => entry.sender_address)).toEqual(['sms:+447700900002']);
  });

  it("only the channels whose descriptor says so pass the project's max_message_length to the AI", () => {
    expect(CHANNELS.filter((channel) => CHANNEL_DESCRIPTORS[channel].obeysMaxMessageLength)).toEqual(['sms']);
  });
});
