import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { Channel, createDynamoDocumentClient, dynamoCompanyRepository, dynamoSenderDirectory, onboardCompany } from '@ai-multi-comms/core';
import type { LocalStack } from '@ai-multi-comms/local-stack';
import { BENCH_INSTRUCTIONS } from './bench-instructions';
import { BENCH_COMPANY } from './requests';

/** The demo project A's provider credentials, which every bench project sends with (one local Twilio account, one SendGrid key). */
const CREDENTIALS = {
  whatsapp: 'ai-multi-comms/whatsapp-credentials/ci-aaa-001/pi-aaa-001/twilio-dev',
  sms: 'ai-multi-comms/sms-credentials/ci-aaa-001/pi-aaa-001/twilio-dev',
  email: 'ai-multi-comms/email-credentials/ci-aaa-001/pi-aaa-001/sendgrid-dev',
};

export interface BenchProject {
  projectId: string;
  channels: Channel[];
  /** The OpenAI key's secret and the rate the governor paces it to. */
  openAi: { keySecret: string; requestsPerMinute: number; model?: (channel: Channel) => string };
  /** Each channel's sending address (numbers of their own: the sender directory maps a number to one project) and rate. */
  senders: { whatsapp?: string; sms?: string; email?: string };
  messagesPerSecond?: Partial<Record<Channel, number>>;
}

/**
 * A bench project of the bench company, onboarded through the onboarding code as an operator
 * would (its item and its senders in the sender directory, so the people's replies reach it),
 * with the bench's instructions and no practical request limit of its own.
 */
export const onboardBenchProject = async (stack: LocalStack, project: BenchProject): Promise<void> => {
  const documents = createDynamoDocumentClient();
  const openAi = (channel: Channel) => ({
    api_key_reference: project.openAi.keySecret,
    model: project.openAi.model?.(channel) ?? 'gpt-4o-mini',
    instructions: BENCH_INSTRUCTIONS[channel],
    requests_per_minute: project.openAi.requestsPerMinute,
  });
  const rate = (channel: Channel) =>
    project.messagesPerSecond?.[channel] !== undefined ? { messages_per_second: project.messagesPerSecond[channel] } : {};
  const has = (channel: Channel) => project.channels.includes(channel);
  await onboardCompany(
    {
      company_id: BENCH_COMPANY.company_id,
      project_id: project.projectId,
      company_name: 'Bench',
      project_name: project.projectId,
      project_status: 'active',
      allowed_channels: project.channels,
      api_keys: [stack.demoApiKeys.companyA],
      rate_limits: { requests_per_minute: 100_000_000, requests_per_day: 100_000_000 },
      company_rep: { company_rep_1: 'Sarah' },
      ai_config: { openai_config: Object.fromEntries(project.channels.map((channel) => [channel, openAi(channel)])) },
      channel_config: {
        ...(has('whatsapp')
          ? {
              whatsapp: {
                company_whatsapp_number: project.senders.whatsapp!,
                whatsapp_credentials_id: CREDENTIALS.whatsapp,
                ...rate('whatsapp'),
              },
            }
          : {}),
        ...(has('sms') ? { sms: { company_sms_number: project.senders.sms!, sms_credentials_id: CREDENTIALS.sms, ...rate('sms') } } : {}),
        ...(has('email')
          ? { email: { company_email: project.senders.email!, email_credentials_id: CREDENTIALS.email, ...rate('email') } }
          : {}),
      },
    },
    {
      repository: dynamoCompanyRepository(documents, stack.resources.companyDataTable!),
      senders: dynamoSenderDirectory(documents, stack.resources.senderAddressesTable!),
    },
  );
  documents.destroy();
};

/** An OpenAI key of the bench's own: its secret in the local Secrets Manager and the key known to the local OpenAI. */
export const ensureOpenAiKey = async (stack: LocalStack, secretName: string, key: string): Promise<void> => {
  const secrets = new SecretsManagerClient({});
  await secrets
    .send(new CreateSecretCommand({ Name: secretName, SecretString: JSON.stringify({ ai_api_key: key }) }))
    .catch((error: Error) => {
      if (error.name !== 'ResourceExistsException') throw error;
    });
  secrets.destroy();
  stack.providerServers.addCredentials({ openai_keys: [key] });
};
