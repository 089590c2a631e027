import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  AppError,
  buildContextObject,
  createGovernor,
  createLogger,
  inMemoryBucketStore,
  parseJsonBody,
  processRecord,
  toSqsSafeJson,
  transient,
  validateInitiateRequest,
} from '@ai-multi-comms/core';
import { filterPatternMatches } from '@ai-multi-comms/testing/stack';
import { composedMessageOf, resolvedRequest } from '@ai-multi-comms/testing/stack';
import { inMemoryDeliveries } from '@ai-multi-comms/testing';

/**
 * `serverless package` for every service, stages dev and prod, and assertions on the generated
 * CloudFormation: what issue 5 and docs/processing.md require of every deployable.
 */
const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..');
const SERVICES: string[] = JSON.parse(readFileSync(join(ROOT, 'services/deploy-order.json'), 'utf8')).services;
const STAGES = ['dev', 'prod'];
/** Actions AWS offers no resource-level permission for; each use is commented in its serverless.yml. */
const WILDCARD_ALLOWED = new Set(['xray:PutTraceSegments', 'xray:PutTelemetryRecords', 'cloudwatch:PutMetricData']);

type Template = {
  Resources: Record<string, { Type: string; Properties?: any; DeletionPolicy?: string; Condition?: string }>;
  Conditions?: Record<string, any>;
  Outputs?: Record<string, any>;
};
const templates = new Map<string, Template>();
/** The resolved service configuration `serverless package` leaves beside the template. */
const states = new Map<string, { service: { provider: { stackTags?: Record<string, string> } } }>();
const template = (service: string, stage: string) => templates.get(`${service}/${stage}`)!;
const ofType = (t: Template, type: string) => Object.entries(t.Resources).filter(([, r]) => r.Type === type);

beforeAll(async () => {
  const out = mkdtempSync(join(tmpdir(), 'templates-'));
  const env = { ...process.env, SLS_TELEMETRY_DISABLED: '1', LOCAL_API_KEYS: '' };
  // Services in parallel; the stages of one service one after the other (they share its build folder).
  let next = 0;
  const worker = async () => {
    while (next < SERVICES.length) {
      const service = SERVICES[next++]!;
      for (const stage of STAGES) {
        const dir = join(out, `${service}-${stage}`);
        try {
          await run(
            process.execPath,
            [join(ROOT, 'node_modules/serverless/bin/serverless.js'), 'package', '--stage', stage, '--package', dir],
            { cwd: join(ROOT, 'services', service), env, timeout: 120_000 },
          );
        } catch (error) {
          const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
          throw new Error(`serverless package failed for ${service} (${stage}):\n${stdout.slice(-2000)}\n${stderr.slice(-2000)}`);
        }
        templates.set(`${service}/${stage}`, JSON.parse(readFileSync(join(dir, 'cloudformation-template-update-stack.json'), 'utf8')));
        states.set(`${service}/${stage}`, JSON.parse(readFileSync(join(dir, 'serverless-state.json'), 'utf8')));
      }
    }
  };
  await Promise.all([worker(), worker()]);
}, 240_000);

const cases = SERVICES.flatMap((service) => STAGES.map((stage) => [service, stage] as const));

describe.each(cases)('%s (%s)', (service, stage) => {
  it("links every alarm's description to its runbook section in the README", () => {
    const headings = new Set(
      [...readFileSync(join(ROOT, 'README.md'), 'utf8').matchAll(/^#### Runbook: (.+)$/gm)].map((m) => `runbook-${m[1]!.trim()}`),
    );
    for (const [id, alarm] of ofType(template(service, stage), 'AWS::CloudWatch::Alarm')) {
      const anchor = /Runbook at README\.md#(runbook-[a-z0-9-]+)$/.exec(String(alarm.Properties.AlarmDescription))?.[1];
      expect([id, anchor && headings.has(anchor)]).toEqual([id, true]);
    }
  });

  it('tags its stack (and so every resource) with the product, service and stage', () => {
    expect(states.get(`${service}/${stage}`)!.service.provider.stackTags).toEqual({
      project: 'ai-multi-comms',
      service: `ai-multi-comms-${service}`,
      stage,
    });
  });

  const importOf = (name: string) => ({ 'Fn::ImportValue': `ai-multi-comms-data-${stage}-${name}` });

  it('gives every queue a dead-letter queue, and every dead-letter queue an alarm to the alerts topic', () => {
    const t = template(service, stage);
    const queues = ofType(t, 'AWS::SQS::Queue');
    const dlqIds = new Set(queues.map(([, q]) => q.Properties?.RedrivePolicy?.deadLetterTargetArn?.['Fn::GetAtt']?.[0]).filter(Boolean));
    for (const [id, queue] of queues) {
      if (dlqIds.has(id)) continue;
      // Three receives, but the client-events queue: an endpoint down for about two hours loses nothing (twelve, with backoff to 15 min).
      expect({ id, redrive: queue.Properties?.RedrivePolicy }).toEqual({
        id,
        redrive: {
          deadLetterTargetArn: { 'Fn::GetAtt': [expect.any(String), 'Arn'] },
          maxReceiveCount: service === 'client-events' ? 12 : 3,
        },
      });
    }
    for (const dlq of dlqIds) {
      expect(t.Resources[dlq]!.Properties.MessageRetentionPeriod).toBe(1209600);
      const alarms = ofType(t, 'AWS::CloudWatch::Alarm').filter(
        ([, a]) =>
          a.Properties.MetricName === 'ApproximateNumberOfMessagesVisible' &&
          JSON.stringify(a.Properties.Dimensions).includes(`"${dlq}","QueueName"`),
      );
      expect({ dlq, alarms: alarms.length }).toEqual({ dlq, alarms: 1 });
      expect(alarms[0]![1].Properties).toMatchObject({
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        AlarmActions: [importOf('CriticalAlertsTopicArn')],
      });
    }
  });

  it('reports batch item failures on every SQS event source, with visibility timeout ≥ function timeout', () => {
    const t = template(service, stage);
    for (const [id, mapping] of ofType(t, 'AWS::Lambda::EventSourceMapping')) {
      expect({ id, types: mapping.Properties.FunctionResponseTypes }).toEqual({ id, types: ['ReportBatchItemFailures'] });
      const queueId = mapping.Properties.EventSourceArn['Fn::GetAtt'][0];
      const functionId = mapping.Properties.FunctionName['Fn::GetAtt'][0];
      expect(t.Resources[queueId]!.Properties.VisibilityTimeout).toBeGreaterThanOrEqual(t.Resources[functionId]!.Properties.Timeout);
    }
  });

  it('grants no IAM wildcard outside the actions AWS offers nothing narrower for', () => {
    const t = template(service, stage);
    for (const [, role] of ofType(t, 'AWS::IAM::Role')) {
      for (const policy of role.Properties.Policies ?? []) {
        for (const statement of policy.PolicyDocument.Statement) {
          const actions: string[] = [statement.Action].flat();
          for (const action of actions) expect(action).not.toMatch(/(^\*$|:\*$)/);
          const resources = [statement.Resource].flat();
          if (resources.includes('*')) expect(actions.filter((a) => !WILDCARD_ALLOWED.has(a))).toEqual([]);
        }
      }
    }
  });

  it('wires every alarm to the alerts topic', () => {
    for (const [id, alarm] of ofType(template(service, stage), 'AWS::CloudWatch::Alarm')) {
      expect({ id, actions: alarm.Properties.AlarmActions }).toEqual({
        id,
        actions: [service === 'data' ? { Ref: 'CriticalAlertsTopic' } : importOf('CriticalAlertsTopicArn')],
      });
    }
  });

  it('reaches stateful resources through CloudFormation exports, never pasted names or ARNs', () => {
    if (service === 'data') return;
    const text = JSON.stringify(template(service, stage));
    expect(text).not.toMatch(/arn:aws:dynamodb|ai-multi-comms-(company-data|conversations|idempotency|rate-limits)-/);
  });

  it('keeps log groups per stage', () => {
    for (const [, group] of ofType(template(service, stage), 'AWS::Logs::LogGroup')) {
      expect(group.Properties.RetentionInDays).toBe(stage === 'prod' ? 90 : 14);
    }
  });
});

describe('the data stack', () => {
  it.each(STAGES)('protects every table outside dev (%s)', (stage) => {
    const t = template('data', stage);
    const isDev = (t.Conditions!.IsDev['Fn::Equals'] as string[])[0] === (t.Conditions!.IsDev['Fn::Equals'] as string[])[1];
    expect(isDev).toBe(stage === 'dev');
    const tables = ofType(t, 'AWS::DynamoDB::Table');
    expect(tables.map(([id]) => id).sort()).toEqual([
      'CompanyDataTable',
      'ConversationsTable',
      'DeliveryEventsTable',
      'ErasureAuditTable',
      'IdempotencyTable',
      'InboundMessagesTable',
      'MessagesTable',
      'OptOutsTable',
      'RateLimitsTable',
      'SenderAddressesTable',
      'ThreadsTable',
    ]);
    expect(t.Resources.InboundMessagesTable!.Properties.TimeToLiveSpecification).toEqual({ AttributeName: 'expires_at', Enabled: true });
    for (const [, table] of tables) {
      expect(table.DeletionPolicy).toBe(stage === 'dev' ? 'Delete' : 'Retain');
      expect(table.Properties.SSESpecification).toEqual({ SSEEnabled: true });
      expect(table.Properties.BillingMode).toBe('PAY_PER_REQUEST');
    }
    expect(t.Resources.ConversationsTable!.Properties.PointInTimeRecoverySpecification).toEqual({
      PointInTimeRecoveryEnabled: { 'Fn::If': ['IsDev', false, true] },
    });
    expect(t.Resources.IdempotencyTable!.Properties.TimeToLiveSpecification).toEqual({ AttributeName: 'expires_at', Enabled: true });
    // The project's retention (data_retention_days): conversations, their message items, AI thread items and delivery events expire.
    for (const table of ['ConversationsTable', 'MessagesTable', 'ThreadsTable', 'DeliveryEventsTable'])
      expect(t.Resources[table]!.Properties.TimeToLiveSpecification).toEqual({ AttributeName: 'expires_at', Enabled: true });
    expect(t.Resources.ConversationsTable!.Properties.GlobalSecondaryIndexes.map((i: { IndexName: string }) => i.IndexName)).toEqual([
      'conversation-id-index',
      'company-project-created-index',
      'inbound-index',
      'request-id-index',
    ]);
  });
});

describe('deploy waves (services/deploy-order.json)', () => {
  const { waves } = JSON.parse(readFileSync(join(ROOT, 'services/deploy-order.json'), 'utf8')) as { waves: string[][] };
  it('hold every service once, in the deploy order', () => {
    expect(waves.flat()).toEqual(SERVICES);
  });
  it.each(STAGES)('a service imports only what services of earlier waves export, so one wave deploys in parallel (%s)', (stage) => {
    const waveOf = new Map(waves.flatMap((wave, index) => wave.map((service) => [service, index] as const)));
    for (const service of SERVICES) {
      const imports = [
        ...JSON.stringify(template(service, stage)).matchAll(/"Fn::ImportValue":"ai-multi-comms-([a-z-]+?)-(dev|prod)-/g),
      ].map((m) => m[1]!);
      expect(imports.length + (service === 'data' ? 1 : 0)).toBeGreaterThan(0);
      for (const exporter of new Set(imports))
        expect([service, exporter, waveOf.get(exporter)! < waveOf.get(service)!]).toEqual([service, exporter, true]);
    }
  });
});

describe('the router', () => {
  it.each(STAGES)('writes API Gateway access logs as JSON lines without bodies, headers or keys (%s)', (stage) => {
    // The framework applies the access-log setting to the stage at deploy time (its update-stage
    // step, an SDK call: the stage is not a template resource); the template holds the log group.
    const t = template('router', stage);
    expect(t.Resources.ApiGatewayLogGroup).toMatchObject({
      Type: 'AWS::Logs::LogGroup',
      Properties: { RetentionInDays: expect.any(Number) },
    });
    const restApi = (
      states.get(`router/${stage}`)!.service.provider as {
        logs?: { restApi?: { accessLogging?: boolean; format?: string; roleManagedExternally?: boolean } };
      }
    ).logs?.restApi;
    expect(restApi).toMatchObject({ accessLogging: true, roleManagedExternally: true });
    const fields = Object.keys(JSON.parse(restApi!.format!));
    expect(fields).toEqual(expect.arrayContaining(['requestId', 'apiKeyId', 'status', 'latencyMs']));
    expect(restApi!.format).not.toMatch(/\$context\.identity\.apiKey[^I]|\$input|\$request\.header/);
    expect(ofType(t, 'AWS::ApiGateway::Account')).toEqual([]);
  });

  it.each(STAGES)('requires an API key, declares no key values, throttles with a usage plan, and has a valid dashboard (%s)', (stage) => {
    const t = template('router', stage);
    const methods = Object.fromEntries(ofType(t, 'AWS::ApiGateway::Method').filter(([, m]) => m.Properties.HttpMethod === 'POST'));
    expect(Object.keys(methods).sort()).toEqual([
      'ApiGatewayMethodConversationsConversationidVarHandDashbackPost',
      'ApiGatewayMethodConversationsConversationidVarMessagesPost',
      'ApiGatewayMethodInitiateDashconversationPost',
      'ApiGatewayMethodWebhooksSendgridEventsCompanyidVarProjectidVarPost',
      'ApiGatewayMethodWebhooksSendgridEventsPost',
      'ApiGatewayMethodWebhooksSendgridInboundPost',
      'ApiGatewayMethodWebhooksTwilioMessagesPost',
      'ApiGatewayMethodWebhooksTwilioStatusPost',
    ]);
    expect(methods.ApiGatewayMethodInitiateDashconversationPost!.Properties.ApiKeyRequired).toBe(true);
    // The agent API: the same key binding as the rest.
    expect(methods.ApiGatewayMethodConversationsConversationidVarMessagesPost!.Properties.ApiKeyRequired).toBe(true);
    expect(methods.ApiGatewayMethodConversationsConversationidVarHandDashbackPost!.Properties.ApiKeyRequired).toBe(true);
    // Providers send no API key: the webhooks verify the provider's signature or credentials instead.
    expect(methods.ApiGatewayMethodWebhooksTwilioMessagesPost!.Properties.ApiKeyRequired).toBe(false);
    expect(methods.ApiGatewayMethodWebhooksSendgridInboundPost!.Properties.ApiKeyRequired).toBe(false);
    expect(methods.ApiGatewayMethodWebhooksTwilioStatusPost!.Properties.ApiKeyRequired).toBe(false);
    expect(methods.ApiGatewayMethodWebhooksSendgridEventsPost!.Properties.ApiKeyRequired).toBe(false);
    expect(methods.ApiGatewayMethodWebhooksSendgridEventsCompanyidVarProjectidVarPost!.Properties.ApiKeyRequired).toBe(false);
    // The senders import the public URL their statusCallback names.
    expect(t.Outputs!.WebhookBaseUrl.Export.Name).toBe(`ai-multi-comms-router-${stage}-WebhookBaseUrl`);
    expect(ofType(t, 'AWS::ApiGateway::ApiKey')).toHaveLength(0);
    expect(ofType(t, 'AWS::ApiGateway::UsagePlan')[0]![1].Properties.Throttle).toEqual({ RateLimit: 10, BurstLimit: 20 });
    const [template_, variables] = ofType(t, 'AWS::CloudWatch::Dashboard')[0]![1].Properties.DashboardBody['Fn::Sub'];
    const body = (template_ as string).replace(/\$\{([^}]+)\}/g, (_m, name: string) =>
      name === 'AWS::Region' ? 'us-east-1' : String(variables[name]),
    );
    const dashboard = JSON.parse(body);
    expect(dashboard.widgets.length).toBeGreaterThanOrEqual(5);
  });
});

describe('every stack, for the on-call engineer', () => {
  it.each(SERVICES.flatMap((service) => STAGES.map((stage) => [service, stage])))(
    '%s (%s): every alarm also notifies on recovery',
    (service, stage) => {
      const t = template(service, stage);
      for (const [id, alarm] of ofType(t, 'AWS::CloudWatch::Alarm')) {
        expect([id, alarm.Properties.OKActions]).toEqual([id, alarm.Properties.AlarmActions]);
      }
    },
  );
});

describe('delivery status', () => {
  it.each(['whatsapp', 'sms', 'email'].flatMap((channel) => STAGES.map((stage) => [channel, stage])))(
    '%s alarms on its delivery failure rate (%s)',
    (channel, stage) => {
      const alarm = template(`${channel}-processor`, stage).Resources.DeliveryFailureRateAlarm!.Properties;
      expect(alarm).toMatchObject({
        AlarmName: `ai-multi-comms-${channel}-delivery-failure-rate-${stage}`,
        Threshold: 0.1,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
      });
      expect(alarm.AlarmActions).toHaveLength(1);
      const byId = Object.fromEntries(alarm.Metrics.map((m: { Id: string }) => [m.Id, m]));
      expect(byId.failures.MetricStat.Metric).toMatchObject({ Namespace: 'AiMultiComms', MetricName: 'DeliveryFailures' });
      expect(byId.failures.MetricStat.Metric.Dimensions).toEqual(
        expect.arrayContaining([
          { Name: 'channel', Value: channel },
          { Name: 'service', Value: 'router' },
        ]),
      );
      expect(byId.sent.MetricStat.Metric.Dimensions).toEqual(
        expect.arrayContaining([
          { Name: 'channel', Value: channel },
          { Name: 'service', Value: `${channel}-processor` },
        ]),
      );
      expect(byId.rate).toMatchObject({ ReturnData: true, Expression: 'IF(sent >= 20, failures / sent, 0)' });
    },
  );
});

describe('the reply step', () => {
  it.each(STAGES)('answers from a FIFO queue grouped by thread, with a FIFO DLQ and its alarm, one reply per invocation (%s)', (stage) => {
    const t = template('reply', stage);
    const queue = t.Resources.ReplyQueue!.Properties;
    expect(queue).toMatchObject({
      FifoQueue: true,
      ContentBasedDeduplication: false,
      DeduplicationScope: 'messageGroup',
      FifoThroughputLimit: 'perMessageGroupId',
      QueueName: `ai-multi-comms-replies-${stage}.fifo`,
    });
    expect(queue.RedrivePolicy.maxReceiveCount).toBe(3);
    expect(t.Resources.ReplyDeadLetterQueue!.Properties.FifoQueue).toBe(true);
    expect(t.Resources.ReplyDeadLetterQueueAlarm!.Properties.AlarmActions).toHaveLength(1);
    const mapping = ofType(t, 'AWS::Lambda::EventSourceMapping')[0]![1].Properties;
    expect(mapping).toMatchObject({ BatchSize: 1, FunctionResponseTypes: ['ReportBatchItemFailures'] });
    expect(ofType(t, 'AWS::SNS::Topic').map(([id]) => id)).toEqual(['HandOffTopic']);
  });
});

describe('the CRITICAL metric filter', () => {
  /** The exact line the processor logs when the final update fails after a send, produced by the real code. */
  const realCriticalLine = async (): Promise<{ critical: string; others: string[] }> => {
    process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
    const logger = createLogger('whatsapp-processor');
    const lines: string[] = [];
    const spy = jest
      .spyOn(process.stdout, 'write')
      .mockImplementation((chunk: unknown) => (lines.push(...String(chunk).split('\n').filter(Boolean)), true));
    const spyErr = jest
      .spyOn(process.stderr, 'write')
      .mockImplementation((chunk: unknown) => (lines.push(...String(chunk).split('\n').filter(Boolean)), true));
    try {
      const company = JSON.parse(readFileSync(join(ROOT, 'examples/company.example.json'), 'utf8'));
      const request = validateInitiateRequest(
        parseJsonBody(
          JSON.stringify({
            company_data: { company_id: company.company_id, project_id: company.project_id },
            recipient_data: { recipient_tel: '+447700900123', comms_consent: true },
            request_data: {
              request_id: '550e8400-e29b-41d4-a716-446655440001',
              channel_method: 'whatsapp',
              initial_request_timestamp: '2025-09-15T11:45:32Z',
            },
          }),
        ),
      );
      const { api_keys: _keys, ...item } = company;
      const projectItem = {
        ...item,
        api_key_sha256: [],
        rate_limits: {},
        created_at: '2025-01-01T00:00:00Z',
        updated_at: '2025-01-01T00:00:00Z',
      };
      const contextObject = composedMessageOf(
        buildContextObject({
          request: resolvedRequest(request, projectItem),
          company: projectItem,
          receivedAt: new Date(),
          routerVersion: 't',
          traceId: 't',
        }),
      );
      const depsFor = (overrides: { complete?: boolean; sendFails?: boolean }) => {
        const repository = inMemoryDeliveries();
        if (overrides.complete === false) {
          repository.complete = async () => {
            throw transient('DATABASE_ERROR', 'The conversation could not be updated after the send.');
          };
        }
        return {
          channel: {
            channel: 'whatsapp' as const,
            credentialsSecret: () => ({ name: 'n', requiredKeys: [] }),
            contentToSend: () => 'hi',
            send: async () => {
              if (overrides.sendFails) throw new AppError('permanent', 'PROVIDER_PERMANENT', 'Twilio 21211: invalid number');
              return { messageId: 'SM1', content: 'hi' };
            },
            reconcile: async () => undefined,
            inboundKey: () => undefined,
          },
          deliveries: repository,
          companies: { get: async () => projectItem },
          optOuts: { isOptedOut: async () => false, record: async () => true },
          secrets: { getJson: async () => ({ ai_api_key: 'x' }) as never, evict: () => undefined },
          extendVisibility: async () => undefined,
          governor: createGovernor({ buckets: inMemoryBucketStore(), clock: { now: () => new Date() }, config: { enabled: false } }),
          clock: { now: () => new Date() },
          logger,
          metrics: { count: () => undefined },
          config: {
            visibilityTimeoutSeconds: 905,
            heartbeatIntervalMs: 600_000,
            retryBackoffBaseSeconds: 1,
            retryBackoffMaxSeconds: 1,
            finalUpdateAttempts: 2,
            processorVersion: 't',
            conversationsTable: 't',
            messagesTable: 'm',
            recordDeadlineMs: 60_000,
          },
          sleep: async () => undefined,
        };
      };
      const record = { messageId: 'm', receiptHandle: 'r', body: toSqsSafeJson(contextObject), receiveCount: 1 };
      await processRecord(record, depsFor({ complete: false })); // the CRITICAL line
      await processRecord(record, depsFor({})); // an INFO "sent" line
      await processRecord(record, depsFor({ sendFails: true })); // an ERROR "failed" line
    } finally {
      spy.mockRestore();
      spyErr.mockRestore();
    }
    const critical = lines.filter((line) => line.includes('"level":"CRITICAL"'));
    expect(critical).toHaveLength(1);
    return { critical: critical[0]!, others: lines.filter((line) => !line.includes('"level":"CRITICAL"')) };
  };

  it.each(['whatsapp-processor', 'sms-processor', 'email-processor'])(
    'in %s matches the exact CRITICAL line the code logs, and no other line',
    async (service) => {
      const { critical, others } = await realCriticalLine();
      expect(others.some((line) => line.includes('"level":"ERROR"'))).toBe(true);
      expect(others.some((line) => line.includes('"level":"INFO"'))).toBe(true);
      for (const stage of STAGES) {
        const filters = ofType(template(service, stage), 'AWS::Logs::MetricFilter');
        expect(filters).toHaveLength(1);
        const pattern = filters[0]![1].Properties.FilterPattern as string;
        expect(filterPatternMatches(pattern, critical)).toBe(true);
        for (const line of others) expect(filterPatternMatches(pattern, line)).toBe(false);
        const alarm = ofType(template(service, stage), 'AWS::CloudWatch::Alarm').find(
          ([, a]) => a.Properties.MetricName === filters[0]![1].Properties.MetricTransformations[0].MetricName,
        );
        expect(alarm![1].Properties).toMatchObject({
          Statistic: 'Sum',
          Period: 300,
          Threshold: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        });
      }
    },
  );
});
