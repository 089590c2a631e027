import { randomUUID } from 'node:crypto';

/** The bench's company and project: no practical rate limit, so figures measure the engine, not the 429s. */
export const BENCH_COMPANY = { company_id: 'ci-bench-001', project_id: 'pi-bench-001' };

export const requestBody = (
  overrides: { companyId?: string; projectId?: string; tel?: string; email?: string; channels?: string[]; requestId?: string } = {},
) =>
  JSON.stringify({
    company_data: { company_id: overrides.companyId ?? 'ci-aaa-001', project_id: overrides.projectId ?? 'pi-aaa-001' },
    recipient_data: {
      recipient_first_name: 'John',
      recipient_last_name: 'Doe',
      recipient_tel: overrides.tel ?? '+447700900123',
      recipient_email: overrides.email ?? 'john.doe@example.com',
      comms_consent: true,
    },
    project_data: {
      jobID: '9999',
      jobRole: 'Healthcare Assistant',
      clarificationPoints: [{ point: 'Night shifts?' }, { point: 'Driving licence?' }],
    },
    request_data: {
      request_id: overrides.requestId ?? randomUUID(),
      channel_method: overrides.channels ?? 'whatsapp',
      initial_request_timestamp: '2025-09-15T11:45:32.789Z',
    },
  });
