import { dynamoOptOutStore } from '@ai-multi-comms/core';
import { COMPANY_SMS, replyKit } from '../support/replies';
import { eventually, postInitiate, sleep, useLocalStack, validBody } from '../support/stack';

/**
 * Conversations that survive what real people send (issue 26), through the whole local stack:
 * opt-outs however they are written, and a hand-off that holds the whole thread.
 */
const { state, clients } = useLocalStack();
const kit = replyKit(state, clients);
const optOuts = () => dynamoOptOutStore(clients.documents, state.resources.optOutsTable!);

describe('opt-out as the person says it', () => {
  it.each([
    ['full-width', 'ＳＴＯＰ'],
    ['a zero-width space after it', 'STOP\u200b'],
    ['an emoji after it', 'stop 🛑'],
    ['two words', 'opt out'],
  ])('a keyword written with %s opts the person out, unanswered', async (_how, text) => {
    const { byChannel, person } = await kit.start(['whatsapp']);
    expect((await kit.twilioInbound({ channel: 'whatsapp', from: person.tel, body: text })).json.webhook_status).toBe(200);
    expect(await optOuts().isOptedOut('ci-aaa-001', 'whatsapp', person.tel)).toBe(true); // by the webhook itself
    await eventually('opted_out', async () => ((await kit.reader.parts(person.tel, byChannel.whatsapp!.conversation_id)).conversation?.conversation_status === 'opted_out' ? true : undefined));
    await sleep(1000);
    expect(await kit.twilioMessagesTo(`whatsapp:${person.tel}`)).toHaveLength(1);
  });

  it.each([
    ['English', 'Please stop messaging me.'],
    ['a keyword with a courtesy', 'STOP please'],
    ['Spanish', 'Por favor, no me escriban más, quiero darme de baja'],
  ])('a request in plain words (%s) is the AI\'s to recognise: opt-out recorded, nothing sent, the next request refused', async (_how, text) => {
    const { byChannel, person } = await kit.start(['sms']);
    expect((await kit.twilioInbound({ channel: 'sms', from: person.tel, body: text })).json.webhook_status).toBe(200);
    await eventually('opted out by the reply step', async () => ((await optOuts().isOptedOut('ci-aaa-001', 'sms', person.tel)) ? true : undefined));
    const { conversation } = await eventually('the conversation opted_out', async () => {
      const parts = await kit.reader.parts(person.tel, byChannel.sms!.conversation_id);
      return parts.conversation?.conversation_status === 'opted_out' ? parts : undefined;
    });
    expect(conversation!.messages.map((m: { role: string }) => m.role)).toEqual(['assistant', 'user']);
    await sleep(1000);
    expect(await kit.twilioMessagesTo(person.tel)).toHaveLength(1);
    const refused = await postInitiate(state, validBody((b) => ((b.recipient_data.recipient_tel = person.tel), (b.request_data.channel_method = ['sms']))));
    expect(refused.status).toBe(403);
    expect(refused.json.error_code).toBe('RECIPIENT_OPTED_OUT');
  });
});

describe('a hand-off holds the whole thread', () => {
  it('after a WhatsApp hand-off, an SMS reply on the same request is stored and not answered; every conversation of the request says handed off', async () => {
    const { byChannel, person } = await kit.start(['whatsapp', 'sms']);
    await kit.twilioInbound({ channel: 'whatsapp', from: person.tel, body: 'Can I speak to a human please?' });
    await kit.waitForMessages(person.tel, byChannel.whatsapp!.conversation_id, 3);
    const sms = await eventually('the SMS conversation handed off too', async () => {
      const { conversation } = await kit.reader.parts(person.tel, byChannel.sms!.conversation_id);
      return conversation?.hand_off_to_human === true ? conversation : undefined;
    });
    expect(sms.hand_off_reason).toEqual(expect.any(String));

    const later = await kit.twilioInbound({ channel: 'sms', from: person.tel, to: COMPANY_SMS, body: 'Hello? Is the role still open?' });
    await eventually('the SMS reply held', async () => ((await kit.inbound(`twilio#${later.json.message_sid}`))?.inbound_status === 'held' ? true : undefined));
    await sleep(1000);
    expect(await kit.twilioMessagesTo(person.tel)).toHaveLength(1); // the first SMS only
  });
});
