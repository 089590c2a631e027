/** Every channel the engine speaks, in the order `all` resolves to (docs/api.md). */
export const CHANNELS = ['whatsapp', 'sms', 'email'] as const;
export type Channel = (typeof CHANNELS)[number];

/** The request's recipient fields a channel can address the person by. */
export type RecipientField = 'recipient_tel' | 'recipient_email';
