import type { LocalStack } from '@ai-multi-comms/local-stack';
import { lastProviderSeq, openAiFigures, OpenAiFigures, PipelineRun } from './pipeline';
import { Report } from './report';

/**
 * OpenAI per answered reply: `k` people of a finished one-channel WhatsApp run write back
 * (signed webhooks from the local Twilio), and the local OpenAI's responses after that moment are
 * counted with their usage once `k` have been written (or after 90 s).
 */
export const replyTokens = async (stack: LocalStack, report: Report, run: PipelineRun, senderNumber: string, k = 20) => {
  const providers = stack.providerServers.url;
  const tels = [...run.recipients].filter((address) => address.startsWith('whatsapp:')).slice(0, k);
  const before = await lastProviderSeq(providers);
  for (const [index, address] of tels.entries()) {
    const answer = await fetch(`${providers}/__simulate/twilio/inbound`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        channel: 'whatsapp',
        from: address.replace('whatsapp:', ''),
        to: senderNumber,
        body: `Thanks for the message. Are the shifts at night or in the day? (${index})`,
      }),
    });
    const delivered = (await answer.json()) as { webhook_status?: number; error?: string };
    if (delivered.webhook_status !== 200) console.error(`[bench] a reply was not taken: ${answer.status} ${JSON.stringify(delivered)}`);
  }
  const deadline = Date.now() + 90_000;
  let figures: OpenAiFigures;
  for (;;) {
    figures = await openAiFigures(providers, before, tels.length);
    if (figures.responses_per_request * tels.length >= tels.length || Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  report.row(
    `a reply (${tels.length} people write back on WhatsApp): OpenAI per answer: responses; input (of which cached) / output tokens`,
    `${figures.responses_per_request}; ${figures.input_tokens_per_request.toFixed(0)} (${figures.cached_input_tokens_per_request.toFixed(0)}) / ${figures.output_tokens_per_request.toFixed(0)}`,
  );
  report.record('reply_openai', { replies: tels.length, ...figures });
  return figures;
};

/** The combined compose against the one-call-per-channel fallback (today's way before issue 30), from the same run. */
export const compareCompose = (report: Report, combined: PipelineRun, perChannel: PipelineRun) => {
  const share = combined.openai.input_tokens_per_request / Math.max(1, perChannel.openai.input_tokens_per_request);
  report.row(
    'three-channel request: OpenAI responses, combined against one call per channel',
    `${combined.openai.responses_per_request} against ${perChannel.openai.responses_per_request}`,
  );
  report.row(
    'three-channel request: input tokens, combined against one call per channel (share)',
    `${combined.openai.input_tokens_per_request.toFixed(0)} against ${perChannel.openai.input_tokens_per_request.toFixed(0)} (${(share * 100).toFixed(0)} %)`,
  );
  report.record('compose_comparison', {
    combined: combined.openai,
    one_call_per_channel: perChannel.openai,
    input_tokens_share: Number(share.toFixed(3)),
  });
};
