import { clientWebhookSecretName, sendGridEventsPathFor } from '@ai-multi-comms/core';
import type { OnboardingFile } from '@ai-multi-comms/core';

/**
 * The demo companies (README.md "The local stack"): A may use every channel; B exists to show that keys are
 * bound to their company. Keys and secrets are local-only values, printed at start.
 */
export const DEMO_API_KEYS = {
  companyA: 'demo-key-ci-aaa-001-local-only-0001',
  companyB: 'demo-key-ci-bbb-001-local-only-0002',
} as const;

/** One OpenAI key per project: a request's channels share one AI thread, which one key owns. */
const openAi = (stage: string, company: string, instructions: string) => ({
  api_key_reference: `ai-multi-comms/openai-api-key/${company}-${stage}`,
  model: 'gpt-4o-mini',
  instructions,
});

/**
 * The demo projects. Project A sends its events to the local stack's demo client (`clientEventsUrl`,
 * the provider servers' /__client-events/receive); project B has no events endpoint.
 */
export const demoCompanies = (stage: string, options: { clientEventsUrl?: string } = {}): OnboardingFile[] => [
  {
    company_id: 'ci-aaa-001',
    project_id: 'pi-aaa-001',
    ...(options.clientEventsUrl ? { client_events: { url: options.clientEventsUrl } } : {}),
    company_name: 'Acme Care Recruitment',
    project_name: 'Healthcare Assistants North',
    project_status: 'active',
    allowed_channels: ['whatsapp', 'sms', 'email'],
    api_key_reference: 'local-demo-key-a',
    api_keys: [DEMO_API_KEYS.companyA],
    rate_limits: { requests_per_minute: 600, requests_per_day: 100000, concurrent_conversations: 100, max_message_length: 1600 },
    company_rep: { company_rep_1: 'Sarah', company_rep_2: 'Tom', company_rep_3: null, company_rep_4: null, company_rep_5: null },
    ai_config: {
      openai_config: {
        whatsapp: openAi(stage, 'ci-aaa-001', 'Write a warm first WhatsApp message to a job candidate. Fill the template variables.'),
        sms: openAi(stage, 'ci-aaa-001', 'Write a short, friendly first SMS to a job candidate.'),
        email: openAi(stage, 'ci-aaa-001', 'Write a first e-mail to a job candidate with a subject and a body.'),
      },
    },
    channel_config: {
      whatsapp: {
        company_whatsapp_number: '+447700900001',
        whatsapp_credentials_id: `ai-multi-comms/whatsapp-credentials/ci-aaa-001/pi-aaa-001/twilio-${stage}`,
        // An answer due after WhatsApp's 24-hour window goes as this template (DEMO_REENGAGEMENT_TEMPLATE_SID).
        reengagement_template_sid: 'HX00000000000000000000000000000a03',
      },
      sms: {
        company_sms_number: '+447700900002',
        sms_credentials_id: `ai-multi-comms/sms-credentials/ci-aaa-001/pi-aaa-001/twilio-${stage}`,
        // Segments per second from this number (without it, a US long code's 1): the demo and the
        // tests send many SMS at once from it.
        messages_per_second: 10,
      },
      email: {
        company_email: 'jobs@acme-care.example.com',
        email_credentials_id: `ai-multi-comms/email-credentials/ci-aaa-001/pi-aaa-001/sendgrid-${stage}`,
        email_from_name: 'Acme Care Recruitment',
      },
    },
  },
  {
    company_id: 'ci-bbb-001',
    project_id: 'pi-bbb-001',
    company_name: 'Bravo Logistics',
    project_name: 'Warehouse Operatives',
    project_status: 'active',
    allowed_channels: ['whatsapp'],
    api_key_reference: 'local-demo-key-b',
    api_keys: [DEMO_API_KEYS.companyB],
    rate_limits: { requests_per_minute: 60, requests_per_day: 2000 },
    company_rep: { company_rep_1: 'Priya' },
    ai_config: { openai_config: { whatsapp: openAi(stage, 'ci-bbb-001', 'Write a short first WhatsApp message to a candidate.') } },
    channel_config: {
      whatsapp: {
        company_whatsapp_number: '+447700900101',
        whatsapp_credentials_id: `ai-multi-comms/whatsapp-credentials/ci-bbb-001/pi-bbb-001/twilio-${stage}`,
      },
    },
  },
];

/** The Basic credentials of the local Inbound Parse URL (the engine reads them from the secret below). */
export const DEMO_INBOUND_PARSE = { username: 'inbound-parse', password: 'local-demo-parse-password' } as const;
export const inboundParseSecretName = (stage: string) => `ai-multi-comms/sendgrid-inbound-parse-${stage}`;
/** The local Inbound Parse domain of our Reply-To addresses. */
export const DEMO_INBOUND_EMAIL_DOMAIN = 'parse.acme-care.example.com';

/**
 * The local SendGrid account's Signed Event Webhook key pair (ECDSA P-256, local-only values):
 * the local SendGrid signs its event batches with the private key; the project's e-mail secret
 * holds the public key, as SendGrid's settings page shows it (base64 DER).
 */
export const DEMO_SENDGRID_EVENT_PRIVATE_KEY =
  'MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg7Y83e4tpfQ3QQFQ3JniBef/QxbmR+It1QwjG0tW9eMmhRANCAAQEr07H7TR4nIHP/OzjNHPcX+bCZ2zRUPx4Y8GZC7wdiK0v7A+oDDQgnlJVFfqsizfPlbCSOMYCbjvCEmwN4qyW';
export const DEMO_SENDGRID_EVENT_PUBLIC_KEY =
  'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEBK9Ox+00eJyBz/zs4zRz3F/mwmds0VD8eGPBmQu8HYitL+wPqAw0IJ5SVRX6rIs3z5WwkjjGAm47whJsDeKslg==';

/** The demo projects' event signing secrets (local only): a client verifies our events with its own. */
export const DEMO_CLIENT_SIGNING_SECRETS = {
  companyA: `whsec_${Buffer.from('local-demo-signing-key-ci-aaa-001').toString('base64')}`,
  companyB: `whsec_${Buffer.from('local-demo-signing-key-ci-bbb-001').toString('base64')}`,
} as const;

/** Local-only provider credentials the demo secrets hold; the provider servers accept exactly these. */
export const demoSecrets = (stage: string): Record<string, Record<string, string>> => ({
  [inboundParseSecretName(stage)]: { ...DEMO_INBOUND_PARSE },
  // Each project's Standard Webhooks signing secret (`whsec_` + base64 of its key bytes).
  [clientWebhookSecretName('ci-aaa-001', 'pi-aaa-001', stage)]: { signing_secret: DEMO_CLIENT_SIGNING_SECRETS.companyA },
  [clientWebhookSecretName('ci-bbb-001', 'pi-bbb-001', stage)]: { signing_secret: DEMO_CLIENT_SIGNING_SECRETS.companyB },
  [`ai-multi-comms/openai-api-key/ci-aaa-001-${stage}`]: { ai_api_key: 'sk-local-demo-project-a' },
  [`ai-multi-comms/openai-api-key/ci-bbb-001-${stage}`]: { ai_api_key: 'sk-local-demo-project-b' },
  [`ai-multi-comms/whatsapp-credentials/ci-aaa-001/pi-aaa-001/twilio-${stage}`]: {
    twilio_account_sid: 'AC00000000000000000000000000000a01',
    twilio_auth_token: 'local-demo-twilio-token-a',
    twilio_template_sid: 'HX00000000000000000000000000000a01',
  },
  [`ai-multi-comms/sms-credentials/ci-aaa-001/pi-aaa-001/twilio-${stage}`]: {
    twilio_account_sid: 'AC00000000000000000000000000000a01',
    twilio_auth_token: 'local-demo-twilio-token-a',
    twilio_template_sid: 'HX00000000000000000000000000000a02',
  },
  [`ai-multi-comms/email-credentials/ci-aaa-001/pi-aaa-001/sendgrid-${stage}`]: {
    sendgrid_api_key: 'SG.local-demo.sendgrid-key-a',
    sendgrid_from_email: 'jobs@acme-care.example.com',
    sendgrid_from_name: 'Acme Care Recruitment',
    sendgrid_webhook_public_key: DEMO_SENDGRID_EVENT_PUBLIC_KEY,
  },
  [`ai-multi-comms/whatsapp-credentials/ci-bbb-001/pi-bbb-001/twilio-${stage}`]: {
    twilio_account_sid: 'AC00000000000000000000000000000b01',
    twilio_auth_token: 'local-demo-twilio-token-b',
    twilio_template_sid: 'HX00000000000000000000000000000b01',
  },
});

/** The demo projects' Twilio numbers, as Twilio writes them, → the account that owns each. */
export const demoTwilioNumbers = (stage: string): Record<string, string> => {
  const secrets = demoSecrets(stage);
  const numbers: Record<string, string> = {};
  for (const company of demoCompanies(stage)) {
    const { whatsapp, sms } = company.channel_config;
    if (whatsapp) numbers[`whatsapp:${whatsapp.company_whatsapp_number}`] = secrets[whatsapp.whatsapp_credentials_id]!.twilio_account_sid!;
    if (sms) numbers[sms.company_sms_number] = secrets[sms.sms_credentials_id]!.twilio_account_sid!;
  }
  return numbers;
};

/** The demo WhatsApp template's text (what the local Twilio renders for its ContentSid, as Twilio's Content API holds it). */
export const DEMO_WHATSAPP_TEMPLATE_BODY = 'Hi {{1}}, this is {{2}} about the {{3}} role. {{4}} Reply here to chat.';
/** The demo re-engagement template (an answer after WhatsApp's 24-hour window): {{1}} first name, {{2}} the answer. */
export const DEMO_REENGAGEMENT_TEMPLATE_SID = 'HX00000000000000000000000000000a03';
export const DEMO_REENGAGEMENT_TEMPLATE_BODY = 'Hi {{1}}, picking up our conversation: {{2}} Reply to continue.';

/** Content API templates the local Twilio accounts hold: each secret's template, and project A's re-engagement template. */
export const demoTwilioContents = (stage: string): Record<string, { account_sid: string; body: string }> => {
  const contents: Record<string, { account_sid: string; body: string }> = {};
  for (const secret of Object.values(demoSecrets(stage))) {
    if (secret.twilio_template_sid && secret.twilio_account_sid)
      contents[secret.twilio_template_sid] = { account_sid: secret.twilio_account_sid, body: DEMO_WHATSAPP_TEMPLATE_BODY };
  }
  contents[DEMO_REENGAGEMENT_TEMPLATE_SID] = { account_sid: 'AC00000000000000000000000000000a01', body: DEMO_REENGAGEMENT_TEMPLATE_BODY };
  return contents;
};

/** Each demo SendGrid key (its own local account) → its project's Event Webhook path. */
export const demoSendGridEventsPaths = (stage: string): Record<string, string> => {
  const secrets = demoSecrets(stage);
  const paths: Record<string, string> = {};
  for (const company of demoCompanies(stage)) {
    const key = company.channel_config.email ? secrets[company.channel_config.email.email_credentials_id]?.sendgrid_api_key : undefined;
    if (key) paths[key] = sendGridEventsPathFor(company.company_id, company.project_id);
  }
  return paths;
};
