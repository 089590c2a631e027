/**
 * One view of a stage's health for on-call:
 *   pnpm status (--local | --stage dev) [--since 60] [--json]
 * Queue depths and DLQ counts of every queue (compose, reply, each channel); on AWS also every
 * alarm of the stage with its state, and the CRITICAL lines of the last `--since` minutes from
 * the functions' log groups. Exit 0 when all is quiet, 5 when something needs a look (a DLQ not
 * empty, an alarm in ALARM, a CRITICAL line), so a script can page on it.
 */
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient, DescribeLogGroupsCommand, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { CHANNELS, createSqsClient } from '@ai-multi-comms/core';
import { parseCommandLine } from './lib/command-line';
import { resolveTarget } from './lib/target';

const USAGE = 'pnpm status (--local | --stage <stage>) [--since <minutes>] [--json]';
export const ATTENTION_EXIT = 5;

const main = async () => {
  const { target: targetOptions, values } = parseCommandLine(process.argv.slice(2), {
    usage: USAGE,
    example: 'npx -y pnpm@9.15.9 status --stage prod --since 120',
    options: { since: 'string', json: 'boolean' },
  });
  const sinceMinutes = values.since === undefined ? 60 : Number(values.since);
  if (!Number.isInteger(sinceMinutes) || sinceMinutes < 1) {
    console.error(`--since must be a whole number of minutes\nusage: ${USAGE}`);
    process.exit(2);
  }
  const target = await resolveTarget(targetOptions);
  const sqs = createSqsClient();
  const depth = async (url: string) => {
    const { Attributes = {} } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: url,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    return {
      waiting: Number(Attributes.ApproximateNumberOfMessages ?? 0),
      inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
    };
  };
  const queues = [];
  for (const name of ['compose', 'reply', ...CHANNELS, 'client-events']) {
    const { queueUrl, deadLetterQueueUrl } = await target.queues(name);
    const [queue, dlq] = await Promise.all([depth(queueUrl), depth(deadLetterQueueUrl)]);
    queues.push({ queue: name, waiting: queue.waiting, in_flight: queue.inFlight, dlq: dlq.waiting + dlq.inFlight });
  }

  let alarms: { name: string; state: string; reason: string }[] | undefined;
  let critical: { log_group: string; at: string; message: string }[] | undefined;
  if (!target.local) {
    const cloudwatch = new CloudWatchClient({});
    alarms = [];
    let token: string | undefined;
    do {
      const page = await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNamePrefix: 'ai-multi-comms-', NextToken: token }));
      for (const alarm of [...(page.MetricAlarms ?? []), ...(page.CompositeAlarms ?? [])]) {
        if (alarm.AlarmName?.endsWith(`-${target.stage}`))
          alarms.push({ name: alarm.AlarmName, state: alarm.StateValue ?? 'UNKNOWN', reason: alarm.StateReason ?? '' });
      }
      token = page.NextToken;
    } while (token);
    const logs = new CloudWatchLogsClient({});
    const groups = ((await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/aws/lambda/ai-multi-comms-' }))).logGroups ?? [])
      .map((g) => g.logGroupName!)
      .filter((name) => name.includes(`-${target.stage}-`));
    critical = [];
    for (const group of groups) {
      const events = await logs.send(
        new FilterLogEventsCommand({
          logGroupName: group,
          filterPattern: '{ $.level = "CRITICAL" }',
          startTime: Date.now() - sinceMinutes * 60_000,
          limit: 20,
        }),
      );
      for (const event of events.events ?? [])
        critical.push({ log_group: group, at: new Date(event.timestamp ?? 0).toISOString(), message: (event.message ?? '').slice(0, 300) });
    }
  }

  const attention = queues.some((q) => q.dlq > 0) || (alarms ?? []).some((a) => a.state === 'ALARM') || (critical ?? []).length > 0;
  if (values.json) {
    console.log(
      JSON.stringify({ target: target.description, queues, alarms: alarms ?? null, critical: critical ?? null, attention }, null, 2),
    );
  } else {
    console.log(`Status of ${target.description}`);
    console.log('\nQueues                 waiting  in flight  DLQ');
    for (const q of queues)
      console.log(
        `  ${q.queue.padEnd(20)} ${String(q.waiting).padStart(7)}  ${String(q.in_flight).padStart(9)}  ${String(q.dlq).padStart(3)}${q.dlq > 0 ? `   ← pnpm dlq show ${q.queue}` : ''}`,
      );
    if (alarms) {
      const firing = alarms.filter((a) => a.state !== 'OK');
      console.log(`\nAlarms: ${alarms.length}, ${firing.length} not OK`);
      for (const a of firing) console.log(`  ${a.state.padEnd(17)} ${a.name}  ${a.reason.slice(0, 120)}`);
    } else console.log('\nAlarms: none on the local stack (CloudWatch alarms exist on AWS stages only)');
    if (critical) {
      console.log(
        `\nCRITICAL lines in the last ${sinceMinutes} min: ${critical.length}${critical.length > 0 ? ' (pnpm repair applies their repair objects)' : ''}`,
      );
      for (const c of critical) console.log(`  ${c.at}  ${c.log_group}\n    ${c.message}`);
    } else console.log("CRITICAL lines: in the local stack's own output (CloudWatch Logs exist on AWS stages only)");
    console.log(attention ? '\nNeeds a look.' : '\nAll quiet.');
  }
  if (attention) process.exit(ATTENTION_EXIT);
};

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  // The SDK's own words name no remedy; ours do.
  if (/Region is missing/i.test(message))
    console.error(
      "failed: no AWS region is configured. Set AWS_REGION (or a profile's region with AWS_PROFILE), or pass --region; AWS credentials come from the same environment.",
    );
  else if (/Could not load credentials|credential/i.test(message) && !/refused/i.test(message))
    console.error(
      `failed: no AWS credentials were found (${message}). Configure a profile (AWS_PROFILE), SSO, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY.`,
    );
  else console.error(`failed: ${message}`);
  process.exit(1);
});
