/**
 * List prices used for the cost per 10,000 conversations (us-east-1, on-demand, pay as you go;
 * checked 2026-12-03). Request-priced services only: storage, data transfer, Lambda compute and
 * monthly fees (numbers, secrets, plans) are left out, and so are free tiers.
 *   DynamoDB on demand (since the November 2024 cut): $0.625 per million write request units,
 *     $0.125 per million read request units. One call is counted as one unit: a write of at most
 *     1 KB, a strongly consistent read of at most 4 KB. Larger items and transactions (2 units per
 *     item) cost more, so the DynamoDB figure is a floor.
 *   SQS standard $0.40 per million requests (each 64 KB chunk of a payload is one), SNS $0.50 per
 *     million publishes (deliveries to SQS free), Secrets Manager $0.05 per 10,000 API calls,
 *     API Gateway REST $3.50 per million requests.
 *   Providers: OpenAI gpt-4o-mini $0.15 per million input tokens, $0.075 per million cached
 *     input tokens, $0.60 per million output tokens (the tokens each run measured at the local
 *     OpenAI, which counts them with the model's tokenizer); Twilio SMS to the US $0.0083 per segment (carrier fees of about
 *     $0.003 a segment come on top); Twilio's WhatsApp fee $0.005 per message (Meta's own
 *     per-template fee, country by country, comes on top); SendGrid about $0.00035 per e-mail
 *     (Essentials, 100,000 e-mails for $34.95 a month).
 */
export const AWS_PRICE_PER_CALL: Record<string, number> = {
  dynamodb_reads: 0.125e-6,
  dynamodb_writes: 0.625e-6,
  dynamodb_other: 0.625e-6,
  sqs: 0.4e-6,
  sns: 0.5e-6,
  secretsmanager: 0.05 / 10_000,
};
export const API_GATEWAY_PER_REQUEST = 3.5e-6;

export const OPENAI_PER_TOKEN = { input: 0.15 / 1e6, cached_input: 0.075 / 1e6, output: 0.6 / 1e6 };
export const PROVIDER_PER_MESSAGE: Record<string, { send: number; note: string }> = {
  whatsapp: { send: 0.005, note: 'Twilio fee; Meta template fee on top' },
  sms: { send: 0.0083, note: 'per segment, US' },
  email: { send: 0.00035, note: 'SendGrid Essentials' },
};
