import { PipelineFigures } from './pipeline';
import { API_GATEWAY_PER_REQUEST, AWS_PRICE_PER_CALL, OPENAI_PER_TOKEN, PROVIDER_PER_MESSAGE } from './prices';
import { Report } from './report';

/**
 * What 10,000 conversations cost in AWS requests (the calls the pipeline counted at the
 * emulators, at list prices: prices.ts) next to what they cost at the providers. A
 * three-channel request is one conversation with three messages.
 */
export const costPer10k = (report: Report, runs: PipelineFigures[]) => {
  const rows = [];
  for (const run of runs) {
    const calls = run.aws_calls_per_request;
    if (!calls) continue;
    const awsByKind = Object.fromEntries(
      Object.entries(calls).map(([kind, perRequest]) => [kind, Number((perRequest * 10_000 * (AWS_PRICE_PER_CALL[kind] ?? 0)).toFixed(4))]),
    );
    const aws = Object.values(awsByKind).reduce((total, dollars) => total + dollars, 0) + 10_000 * API_GATEWAY_PER_REQUEST;
    const segments = run.sms_segments_mean ?? 1;
    const { openai } = run;
    // The model's tokens as the run measured them, per request (a request is one conversation).
    const ai =
      10_000 *
      ((openai.input_tokens_per_request - openai.cached_input_tokens_per_request) * OPENAI_PER_TOKEN.input +
        openai.cached_input_tokens_per_request * OPENAI_PER_TOKEN.cached_input +
        openai.output_tokens_per_request * OPENAI_PER_TOKEN.output);
    const sending = run.channels.reduce((total, channel) => {
      const price = PROVIDER_PER_MESSAGE[channel]!;
      return total + 10_000 * price.send * (channel === 'sms' ? segments : 1);
    }, 0);
    const providers = ai + sending;
    const label = `${run.channels.length}-channel (${run.channels.join(', ')})`;
    report.row(
      `cost per 10,000 ${label} conversations: AWS requests (of which DynamoDB) / providers`,
      `$${aws.toFixed(2)} ($${((awsByKind.dynamodb_reads ?? 0) + (awsByKind.dynamodb_writes ?? 0)).toFixed(2)}) / $${providers.toFixed(2)} (OpenAI $${ai.toFixed(2)} from measured tokens): AWS ${((aws / (aws + providers)) * 100).toFixed(1)} % of the total`,
    );
    rows.push({
      channels: run.channels,
      aws_calls_per_conversation: calls,
      aws_dollars_by_kind: awsByKind,
      api_gateway_dollars: Number((10_000 * API_GATEWAY_PER_REQUEST).toFixed(4)),
      aws_dollars: Number(aws.toFixed(4)),
      provider_dollars: Number(providers.toFixed(2)),
      openai_dollars: Number(ai.toFixed(2)),
      openai_tokens_per_conversation: openai,
    });
  }
  report.record('cost_per_10k_conversations', rows);
};
