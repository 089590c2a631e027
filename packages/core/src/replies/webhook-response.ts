/** What a webhook answers, before the handler turns it into API Gateway's shape. */
export interface WebhookResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/** Twilio's "nothing to say": an empty TwiML document (no automatic reply from Twilio). */
export const EMPTY_TWIML: WebhookResponse = {
  statusCode: 200,
  headers: { 'Content-Type': 'text/xml' },
  body: '<?xml version="1.0" encoding="UTF-8"?><Response/>',
};

export const ACCEPTED_JSON: WebhookResponse = {
  statusCode: 200,
  headers: { 'Content-Type': 'application/json' },
  body: '{"status":"received"}',
};
