import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { LocalStack } from '@ai-multi-comms/local-stack';
import { percentile, Report } from './report';
import { requestBody } from './requests';

export interface PipelineOptions {
  label: string;
  /** Requests. */
  n: number;
  /** Concurrent HTTP clients. */
  clients: number;
  companyId: string;
  projectId: string;
  /** Share of OpenAI and Twilio calls answered with a 500 (a transient failure), 0 for none. */
  transientFailureRate: number;
  /** The channels of every request (default: WhatsApp alone). */
  channels?: string[];
  /** Figures returned only, not reported (the caller reports its own). */
  quiet?: boolean;
}

export interface ChannelFigures {
  sent: number;
  failed_terminal: number;
  lost: number;
  duplicated: number;
  end_to_end_p50_ms: number;
  end_to_end_p99_ms: number;
}

export interface PipelineFigures {
  n: number;
  channels: string[];
  accepted: number;
  sent: number;
  failed_terminal: number;
  lost: number;
  duplicated: number;
  seconds: number;
  per_second: number;
  requests_per_second: number;
  end_to_end_p50_ms: number;
  end_to_end_p99_ms: number;
  attempts_over_one: number;
  provider_faults_injected: number;
  per_channel: Record<string, ChannelFigures>;
  /** AWS calls the emulators received during the run, by service and operation, per request and per channel message. */
  aws_calls_per_request?: Record<string, number>;
  aws_calls_per_message?: Record<string, number>;
  /** Segments per SMS as the provider counted them (SMS runs only). */
  sms_segments_mean?: number;
  /** OpenAI per accepted request, as the local OpenAI answered them (tokens counted with the model's tokenizer). */
  openai: OpenAiFigures;
}

export interface OpenAiFigures {
  responses_per_request: number;
  conversations_created_per_request: number;
  input_tokens_per_request: number;
  cached_input_tokens_per_request: number;
  output_tokens_per_request: number;
}

interface OpenAiRequest {
  seq: number;
  route: string;
  status: number;
  usage?: { input_tokens?: number; output_tokens?: number; input_tokens_details?: { cached_tokens?: number } };
}

/** The local OpenAI's requests after `afterSeq`: its responses (200) and their usage, per unit (a request, a reply). */
export const openAiFigures = async (providersUrl: string, afterSeq: number, units: number): Promise<OpenAiFigures> => {
  const { requests } = (await (await fetch(`${providersUrl}/__requests?provider=openai&after=${afterSeq}`)).json()) as {
    requests: OpenAiRequest[];
  };
  const ours = requests.filter((r) => r.status === 200);
  const responses = ours.filter((r) => r.route === 'responses');
  const sum = (pick: (r: OpenAiRequest) => number | undefined) => responses.reduce((total, r) => total + (pick(r) ?? 0), 0);
  const per = (n: number) => Number((n / Math.max(1, units)).toFixed(2));
  return {
    responses_per_request: per(responses.length),
    conversations_created_per_request: per(ours.filter((r) => r.route === 'conversations').length),
    input_tokens_per_request: per(sum((r) => r.usage?.input_tokens)),
    cached_input_tokens_per_request: per(sum((r) => r.usage?.input_tokens_details?.cached_tokens)),
    output_tokens_per_request: per(sum((r) => r.usage?.output_tokens)),
  };
};

/** The local providers' newest request number (every provider's): what a run's own requests come after. */
export const lastProviderSeq = async (providersUrl: string): Promise<number> => {
  // Asks for none of them: the answer names the last one.
  const { last_seq: last } = (await (await fetch(`${providersUrl}/__requests?after=${Number.MAX_SAFE_INTEGER}`)).json()) as {
    last_seq: number;
  };
  return last;
};

/** What a caller may need beyond the reported figures. */
export interface PipelineRun extends PipelineFigures {
  started_at_ms: number;
  /** The recipients' addresses as the providers see them (tel for SMS, whatsapp:tel, e-mail). */
  recipients: Set<string>;
  /** Items that ended in a recorded failure. */
  failed_items: Item[];
}

/** A conversation item as the bench reads it (the fields it looks at; the rest as stored). */
interface Item {
  request_id: string;
  conversation_id: string;
  primary_channel: string;
  conversation_status: string;
  failure_class?: string;
  failure_reason?: string;
  updated_at?: string;
  first_message_at?: string;
  messages?: { timestamp: string }[];
  [attribute: string]: unknown;
}

/** Done for good: sent, or a failure that will not be retried (permanent, or its retries exhausted → DLQ). */
const isTerminal = (item: Item) =>
  item.conversation_status === 'initial_message_sent' ||
  (String(item.conversation_status).startsWith('failed_') && (item.failure_class === 'permanent' || Boolean(item.retries_exhausted_at)));

/** Calls by kind: DynamoDB reads and writes, SQS, SNS, Secrets Manager. */
const KIND: Record<string, string> = {
  GetItem: 'dynamodb_reads',
  Query: 'dynamodb_reads',
  BatchGetItem: 'dynamodb_reads',
  PutItem: 'dynamodb_writes',
  UpdateItem: 'dynamodb_writes',
  DeleteItem: 'dynamodb_writes',
  TransactWriteItems: 'dynamodb_writes',
};
const byKind = (counts: Record<string, number>): Record<string, number> => {
  const kinds: Record<string, number> = {};
  for (const [operation, count] of Object.entries(counts)) {
    const [service, name] = operation.split('.') as [string, string];
    const kind = service === 'dynamodb' ? (KIND[name] ?? 'dynamodb_other') : service;
    kinds[kind] = (kinds[kind] ?? 0) + count;
  }
  return kinds;
};

/**
 * N requests from HTTP to provider send through the whole local stack, on one channel or several.
 * Lost and duplicated are counted per channel against the provider servers' own record of
 * created messages, not against what the engine says about itself.
 */
export const pipeline = async (stack: LocalStack, report: Report, options: PipelineOptions): Promise<PipelineRun> => {
  const providers = stack.providerServers.url;
  const channels = options.channels ?? ['whatsapp'];
  const run = randomUUID().slice(0, 6);
  const telPrefix = `+4478${String(Math.floor(Math.random() * 1e3)).padStart(3, '0')}`;
  const recipients = Array.from({ length: options.n }, (_v, i) => ({
    tel: `${telPrefix}${String(i).padStart(5, '0')}`,
    email: `bench-${run}-${i}@example.com`,
    requestId: randomUUID(),
  }));
  if (options.transientFailureRate > 0) {
    const rules = (['openai', 'twilio'] as const).map((provider) => ({
      provider,
      status: 500,
      message: 'bench: injected transient failure',
      rate: options.transientFailureRate,
    }));
    await fetch(`${providers}/__faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(rules) });
  }
  stack.awsCalls?.reset();
  const openAiBefore = await lastProviderSeq(providers);
  const requestedAt = new Map<string, number>();
  const startedAt = Date.now();
  let accepted = 0;
  let next = 0;
  const client = async () => {
    while (next < recipients.length) {
      const { tel, email, requestId } = recipients[next++]!;
      requestedAt.set(requestId, Date.now());
      const response = await fetch(`${stack.apiBaseUrl}/initiate-conversation`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': stack.demoApiKeys.companyA },
        body: requestBody({ companyId: options.companyId, projectId: options.projectId, tel, email, requestId, channels }),
      });
      if (response.status === 200) accepted += 1;
      else console.error(`[bench] ${tel}: ${response.status} ${await response.text()}`);
      await response.arrayBuffer().catch(() => undefined);
    }
  };
  await Promise.all(Array.from({ length: options.clients }, client));

  // The bench's own reads go straight to DynamoDB Local: they are not the engine's calls.
  const direct = stack.awsCalls?.directEnv ?? stack.env;
  const dynamodb = new DynamoDBClient({
    region: stack.region,
    endpoint: direct.AWS_ENDPOINT_URL_DYNAMODB,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const documents = DynamoDBDocumentClient.from(dynamodb);
  const ours = new Set(recipients.map((r) => r.requestId));
  const items = async () => {
    const found: Item[] = [];
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await documents.send(
        new QueryCommand({
          TableName: stack.resources.conversationsTable,
          IndexName: 'company-project-created-index',
          KeyConditionExpression: 'company_project = :p',
          ExpressionAttributeValues: { ':p': `${options.companyId}#${options.projectId}` },
          ExclusiveStartKey,
        }),
      );
      found.push(...((page.Items ?? []) as Item[]));
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return found.filter((item) => ours.has(item.request_id as ReturnType<typeof randomUUID>));
  };
  const expected = () => accepted * channels.length;
  // Until every accepted conversation is terminal, or nothing has moved for 60 s.
  let latest: Item[] = [];
  let lastTerminal = -1;
  let lastProgressAt = Date.now();
  let finishedAt = Date.now();
  for (;;) {
    latest = await items();
    const terminal = latest.filter(isTerminal).length;
    if (terminal !== lastTerminal) {
      lastTerminal = terminal;
      lastProgressAt = Date.now();
      finishedAt = Date.now();
    }
    if (terminal >= expected()) break;
    if (Date.now() - lastProgressAt > 60_000) {
      console.error(`[bench] ${options.label}: stalled at ${terminal}/${expected()} terminal conversations; for example:`);
      for (const item of latest.filter((candidate) => !isTerminal(candidate)).slice(0, 5)) {
        const { primary_channel, conversation_id, conversation_status, failure_class, failure_reason, updated_at } = item;
        console.error(
          `  ${JSON.stringify({ primary_channel, conversation_id, conversation_status, failure_class, failure_reason, updated_at })}`,
        );
      }
      if (latest.length < expected()) console.error(`  ${expected() - latest.length} accepted conversations have no item at all`);
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const awsCounts = stack.awsCalls?.counts();
  const openAi = await openAiFigures(providers, openAiBefore, accepted);
  // How many messages needed more than one attempt: each message's own item (the messages table).
  const ourConversations = new Set(latest.map((item) => item.conversation_id));
  let retriedMessages = 0;
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await documents.send(
      new ScanCommand({ TableName: stack.resources.messagesTable, ProjectionExpression: 'conversation_id, attempts', ExclusiveStartKey }),
    );
    retriedMessages += (page.Items ?? []).filter(
      (message) => ourConversations.has(message.conversation_id as string) && Number(message.attempts) > 1,
    ).length;
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  let faultsInjected = 0;
  if (options.transientFailureRate > 0) {
    await fetch(`${providers}/__faults`, { method: 'DELETE' });
    // Only this run injects 500s, so every recorded 500 of its requests is one of its faults.
    const { requests } = (await (await fetch(`${providers}/__requests?after=${openAiBefore}`)).json()) as {
      requests: { status: number }[];
    };
    faultsInjected = requests.filter((request) => request.status === 500).length;
  }
  dynamodb.destroy();

  // What the providers hold, per channel address.
  const { twilio, sendgrid } = (await (await fetch(`${providers}/__messages`)).json()) as {
    twilio: { to: string; num_segments: string }[];
    sendgrid: unknown[];
  };
  const smsOfRun = twilio.filter((m) => m.to.startsWith(telPrefix));
  const smsSegmentsMean =
    smsOfRun.length > 0 ? smsOfRun.reduce((total, m) => total + Number(m.num_segments), 0) / smsOfRun.length : undefined;
  const count = (addresses: string[]) => {
    const perAddress = new Map<string, number>();
    for (const address of addresses) perAddress.set(address, (perAddress.get(address) ?? 0) + 1);
    return perAddress;
  };
  const atProvider: Record<string, Map<string, number>> = {
    whatsapp: count(twilio.filter((m) => m.to.startsWith(`whatsapp:${telPrefix}`)).map((m) => m.to.replace('whatsapp:', ''))),
    sms: count(twilio.filter((m) => m.to.startsWith(telPrefix)).map((m) => m.to)),
    email: count(
      sendgrid
        .map((mail) => /"email":"(bench-[^"]+@example\.com)"/.exec(JSON.stringify(mail))?.[1])
        .filter((e): e is string => Boolean(e && e.includes(`bench-${run}-`))),
    ),
  };
  const perChannel: Record<string, ChannelFigures> = {};
  for (const channel of channels) {
    const ofChannel = latest.filter((item) => item.channel_method === channel);
    const sent = ofChannel.filter((item) => item.conversation_status === 'initial_message_sent');
    const failedTerminal = ofChannel.filter((item) => isTerminal(item) && item.conversation_status !== 'initial_message_sent');
    const provider = atProvider[channel]!;
    const sentWithOne = sent.filter((item) => provider.get(item.primary_channel) === 1).length;
    const endToEnd = sent.map(
      (item) => Date.parse(item.first_message_at ?? item.messages?.[0]?.timestamp ?? '') - requestedAt.get(item.request_id)!,
    );
    perChannel[channel] = {
      sent: sent.length,
      failed_terminal: failedTerminal.length,
      lost: accepted - sentWithOne - failedTerminal.length,
      duplicated: [...provider.values()].filter((n) => n > 1).length,
      end_to_end_p50_ms: percentile(endToEnd, 50),
      end_to_end_p99_ms: percentile(endToEnd, 99),
    };
  }
  const sum = (field: keyof ChannelFigures) => Object.values(perChannel).reduce((total, figures) => total + figures[field], 0);
  const allEndToEnd = latest
    .filter((item) => item.conversation_status === 'initial_message_sent')
    .map((item) => Date.parse(item.first_message_at ?? item.messages?.[0]?.timestamp ?? '') - requestedAt.get(item.request_id)!);
  const seconds = (finishedAt - startedAt) / 1000;
  const kinds = awsCounts ? byKind(awsCounts) : undefined;
  const figures: PipelineFigures = {
    n: options.n,
    channels,
    accepted,
    sent: sum('sent'),
    failed_terminal: sum('failed_terminal'),
    lost: sum('lost'),
    duplicated: sum('duplicated'),
    seconds,
    per_second: (sum('sent') + sum('failed_terminal')) / seconds,
    requests_per_second: accepted / seconds,
    end_to_end_p50_ms: percentile(allEndToEnd, 50),
    end_to_end_p99_ms: percentile(allEndToEnd, 99),
    attempts_over_one: retriedMessages,
    provider_faults_injected: faultsInjected,
    per_channel: perChannel,
    openai: openAi,
    ...(smsSegmentsMean !== undefined ? { sms_segments_mean: Number(smsSegmentsMean.toFixed(2)) } : {}),
    ...(kinds
      ? {
          aws_calls_per_request: Object.fromEntries(
            Object.entries(kinds).map(([kind, n]) => [kind, Number((n / Math.max(1, accepted)).toFixed(2))]),
          ),
          aws_calls_per_message: Object.fromEntries(
            Object.entries(kinds).map(([kind, n]) => [kind, Number((n / Math.max(1, accepted * channels.length)).toFixed(2))]),
          ),
        }
      : {}),
  };
  const outcome: PipelineRun = {
    ...figures,
    started_at_ms: startedAt,
    recipients: new Set(recipients.flatMap((r) => [r.tel, `whatsapp:${r.tel}`, r.email])),
    failed_items: latest.filter((item) => isTerminal(item) && item.conversation_status !== 'initial_message_sent'),
  };
  if (options.quiet) return outcome;
  const fanOut = channels.length > 1;
  const label = `pipeline${fanOut ? `, ${channels.length}-channel requests` : ''}${options.transientFailureRate > 0 ? `, ${Math.round(options.transientFailureRate * 100)} % of OpenAI and Twilio calls failing` : ''}`;
  if (fanOut)
    report.row(
      `${label}: ${options.n} requests (${options.n * channels.length} messages) HTTP → providers, requests/s`,
      figures.requests_per_second.toFixed(1),
    );
  else report.row(`${label}: ${options.n} conversations HTTP → provider, conversations/s`, figures.per_second.toFixed(1));
  report.row(`${label}: end-to-end (request → provider send) p50 / p99`, `${figures.end_to_end_p50_ms} / ${figures.end_to_end_p99_ms} ms`);
  report.row(
    `${label}: sent / recorded terminal failures / lost / duplicated`,
    `${figures.sent} / ${figures.failed_terminal} / ${figures.lost} / ${figures.duplicated}`,
  );
  if (fanOut) {
    for (const [channel, f] of Object.entries(perChannel)) {
      report.row(
        `${label}: ${channel}: end-to-end p50 / p99; sent / failed / lost / duplicated`,
        `${f.end_to_end_p50_ms} / ${f.end_to_end_p99_ms} ms; ${f.sent} / ${f.failed_terminal} / ${f.lost} / ${f.duplicated}`,
      );
    }
  }
  if (figures.aws_calls_per_request) {
    const describe = (perUnit: Record<string, number>) =>
      Object.entries(perUnit)
        .sort()
        .map(([kind, n]) => `${kind} ${n}`)
        .join(', ');
    report.row(`${label}: AWS calls per request (at the emulators)`, describe(figures.aws_calls_per_request));
    if (fanOut) report.row(`${label}: AWS calls per channel message`, describe(figures.aws_calls_per_message!));
  }
  report.row(
    `${label}: OpenAI per request: responses (+ conversations created); input (of which cached) / output tokens`,
    `${openAi.responses_per_request} (+${openAi.conversations_created_per_request}); ${openAi.input_tokens_per_request.toFixed(0)} (${openAi.cached_input_tokens_per_request.toFixed(0)}) / ${openAi.output_tokens_per_request.toFixed(0)}`,
  );
  if (options.transientFailureRate > 0) report.row(`${label}: conversations that needed a retry`, String(figures.attempts_over_one));
  report.record(options.label, figures);
  return outcome;
};
