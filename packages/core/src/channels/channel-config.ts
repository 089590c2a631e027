/** A project's `channel_config`: per channel, its sending address, credentials secret and rate (each descriptor's channelConfigSchema validates it). */
export interface WhatsAppChannelConfig {
  company_whatsapp_number: string;
  whatsapp_credentials_id: string;
  /** Sends per second from this sender (Twilio: message segments); the channel's default without it. */
  messages_per_second?: number;
  /** Content template (HX…) an answer is sent as after WhatsApp's 24-hour window closed: {{1}} first name, {{2}} the answer. */
  reengagement_template_sid?: string;
}
export interface SmsChannelConfig {
  company_sms_number: string;
  sms_credentials_id: string;
  /** Sends per second from this sender (Twilio: message segments); the channel's default without it. */
  messages_per_second?: number;
}
export interface EmailChannelConfig {
  company_email: string;
  email_credentials_id: string;
  email_from_name?: string;
  /** Sends per second from this sender (Twilio: message segments); the channel's default without it. */
  messages_per_second?: number;
}

export interface ChannelConfig {
  whatsapp?: WhatsAppChannelConfig;
  sms?: SmsChannelConfig;
  email?: EmailChannelConfig;
}
