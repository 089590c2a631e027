import { CreateSecretCommand, PutSecretValueCommand, ResourceExistsException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CompanyRepository, onboardCompany, SenderDirectory } from '@ai-multi-comms/core';
import { demoCompanies, demoSecrets } from './demo-data';

/** Seed the demo data idempotently, through the same onboarding code operators use. */
export const seedDemoData = async (deps: {
  companies: CompanyRepository;
  senders: Pick<SenderDirectory, 'putAll'>;
  secrets: SecretsManagerClient;
  stage: string;
  /** Where demo project A's events go (the local demo client). */
  clientEventsUrl?: string;
}): Promise<void> => {
  for (const [name, value] of Object.entries(demoSecrets(deps.stage))) {
    const secretString = JSON.stringify(value);
    try {
      await deps.secrets.send(new CreateSecretCommand({ Name: name, SecretString: secretString }));
    } catch (error) {
      if (!(error instanceof ResourceExistsException)) throw error;
      await deps.secrets.send(new PutSecretValueCommand({ SecretId: name, SecretString: secretString }));
    }
  }
  for (const company of demoCompanies(deps.stage, { clientEventsUrl: deps.clientEventsUrl })) {
    await onboardCompany(company, { repository: deps.companies, senders: deps.senders });
  }
};
