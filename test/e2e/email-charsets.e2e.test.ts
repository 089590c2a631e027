import { replyKit } from '@ai-multi-comms/testing/stack';
import { providerRequests, useLocalStack } from '@ai-multi-comms/testing/stack';

/**
 * E-mail replies in the sender's charset through the whole local stack: the local SendGrid posts
 * the person's mail as Inbound Parse does (text, html and subject in the mail's own bytes, named
 * in the `charsets` field) → the router's webhook decodes each field in its charset → the reply
 * step hands the text to the AI (the local OpenAI) → the answer goes back by e-mail.
 */
const { state, clients } = useLocalStack();
const kit = replyKit(state, clients);

const emailInboundIn = (charset: string, input: { from: string; text: string; subject?: string }) =>
  kit.json(`${state.providersUrl}/__simulate/sendgrid/inbound`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ ...input, charset }),
  });

describe("e-mail replies in the sender's charset", () => {
  it('a Latin-1 (Outlook) reply, then a Japanese (ISO-2022-JP) one: stored, answered and handed to the AI as written', async () => {
    const { byChannel, person, threadId } = await kit.start(['email']);
    const email = byChannel.email!;

    const latin = await emailInboundIn('iso-8859-1', {
      from: person.email,
      subject: 'Re: Grüße aus München',
      text: 'Grüße, José! Ça me va, à mardi.\n\nOn Monday, Acme wrote:\n> Hi',
    });
    expect(latin.json).toMatchObject({ webhook_status: 200 });
    const afterLatin = await kit.waitForMessages(person.email, email.conversation_id, 3);
    expect(afterLatin.messages[1]).toMatchObject({ role: 'user', channel: 'email', content: 'Grüße, José! Ça me va, à mardi.' });
    expect(await kit.inbound(afterLatin.messages[1].message_id)).toMatchObject({
      text: 'Grüße, José! Ça me va, à mardi.',
      subject: 'Re: Grüße aus München',
      inbound_status: 'answered',
    });

    const japanese = await emailInboundIn('iso-2022-jp', {
      from: person.email,
      subject: 'Re: 面接について',
      text: 'こんにちは。来週の火曜日は大丈夫です。',
    });
    expect(japanese.json).toMatchObject({ webhook_status: 200 });
    const afterJapanese = await kit.waitForMessages(person.email, email.conversation_id, 5);
    expect(afterJapanese.messages[3]).toMatchObject({ role: 'user', channel: 'email', content: 'こんにちは。来週の火曜日は大丈夫です。' });
    expect(await kit.inbound(afterJapanese.messages[3].message_id)).toMatchObject({
      subject: 'Re: 面接について',
      inbound_status: 'answered',
    });

    // What the local OpenAI received, and the thread the AI answers on, hold both replies as written.
    const sentToOpenAi = JSON.stringify((await providerRequests(state, { provider: 'openai' })).map((r) => r.body));
    expect(sentToOpenAi).toContain('Grüße, José! Ça me va, à mardi.');
    expect(sentToOpenAi).toContain('こんにちは。来週の火曜日は大丈夫です。');
    expect(sentToOpenAi).not.toContain('\uFFFD');
    const userTexts = (await kit.threadItems(threadId)).filter((i) => i.role === 'user').map((i) => i.text);
    expect(userTexts.some((t) => t.includes('Grüße, José! Ça me va, à mardi.'))).toBe(true);
    expect(userTexts.some((t) => t.includes('こんにちは。来週の火曜日は大丈夫です。'))).toBe(true);
  });
});
