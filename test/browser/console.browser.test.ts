import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { Browser, Page } from 'playwright-core';
import { dynamoCompanyRepository } from '@ai-multi-comms/core';
import { eventually, replyKit, routerContextObjectFor, uniqueTel, useLocalStack } from '@ai-multi-comms/testing/stack';
import { collectErrors, launchChromium } from './chromium';

/**
 * The console in real Chromium against the whole local stack, as a new user tries it: the
 * playground sends a request, the person's WhatsApp chat shows it, the person asks for a human,
 * an agent answers from the console (the person gets it; the AI thread holds it), hand-back makes
 * the AI answer again, and a DLQ entry is redriven. Names and texts carry HTML and script: none
 * of it runs. Screenshots go to docs/screenshots (the README shows them).
 */
const { state, clients } = useLocalStack();
const kit = replyKit(state, clients);
const SCREENSHOTS = join(__dirname, '..', '..', 'docs', 'screenshots');
const HOSTILE_NAME = 'Ann<img src=x onerror="window.__xss=1">';
const HOSTILE_REPLY = 'I want to speak to a human <script>window.__xss=2</script>';

let browser: Browser;
let page: Page;
let errors: string[];

beforeAll(async () => {
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  errors = collectErrors(page);
}, 60_000);

afterAll(async () => {
  await browser?.close();
});

const open = async (view: string) => {
  await page.goto(`${state.consoleUrl}/#${view}`);
  await page.getByRole('navigation', { name: 'Console' }).waitFor();
};
const chat = () => page.getByRole('tabpanel', { name: 'WhatsApp chat' });
const noScriptRan = async () => expect(await page.evaluate(() => (globalThis as { __xss?: number }).__xss)).toBeUndefined();

describe('the console, in Chromium', () => {
  it('playground → the person sees it → asks for a human → the agent answers → hand-back → the AI answers again; nothing of the texts runs', async () => {
    const tel = uniqueTel();
    const email = `browser-${randomUUID().slice(0, 8)}@example.com`;

    // The playground, by keyboard: the nav link, then the form's fields by their labels.
    await open('conversations');
    await page.getByRole('link', { name: 'Playground' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Playground' }).waitFor();
    await page.getByLabel('First name').fill(HOSTILE_NAME);
    await page.getByLabel('Phone').fill(tel);
    await page.getByLabel('E-mail').fill(email);
    await page.getByLabel('sms', { exact: true }).uncheck();
    await expect(page.getByLabel('whatsapp', { exact: true }).isChecked()).resolves.toBe(true);
    await expect(page.getByLabel('email', { exact: true }).isChecked()).resolves.toBe(true);
    await page.getByRole('button', { name: 'Send request' }).focus();
    await page.keyboard.press('Enter');
    await page.getByText('The API answered 200.').waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, 'playground.png') });

    // The person's WhatsApp chat shows the template, the hostile name as text.
    await page.getByRole('button', { name: "Open the person's side" }).click();
    await chat().locator('.bubble.to_person').first().waitFor({ timeout: 30_000 });
    expect(await chat().locator('img, script').count()).toBe(0);
    await noScriptRan();

    // The person asks for a human.
    await page.getByLabel('Reply as the person').fill(HOSTILE_REPLY);
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    await chat().getByText(HOSTILE_REPLY).waitFor();
    await eventually(
      'the hand-off answer in the chat',
      async () => ((await chat().locator('.bubble.to_person').count()) >= 2 ? true : undefined),
      30_000,
    );
    await page.screenshot({ path: join(SCREENSHOTS, 'person-whatsapp.png') });

    // The operator's side: the thread, handed off, with the hostile texts as text.
    await open('conversations');
    await page.getByLabel('Status').selectOption('handed_off');
    await page
      .getByRole('button', { name: new RegExp(`Ann<img`) })
      .first()
      .click();
    await page.getByText(/Handed off to a person/).waitFor({ timeout: 30_000 });
    await page.getByText(HOSTILE_REPLY).waitFor();
    expect(await page.locator('.thread img, .thread script').count()).toBe(0);

    // The agent answers through the agent API.
    await page.getByLabel('Your name').fill('Alex');
    await page.getByLabel('Message to the person').fill('Hello, this is Alex from the team. I can call you at 3pm.');
    await page.getByRole('button', { name: 'Send as agent' }).click();
    await page.getByText('Sent: it goes out on the channel in a moment.').waitFor();
    await page.locator('.message.agent').getByText('Hello, this is Alex from the team.', { exact: false }).waitFor({ timeout: 30_000 });
    await page.screenshot({ path: join(SCREENSHOTS, 'operator-thread.png') });

    // It reached the person, and the AI thread holds it as a person's turn.
    const list = await kit.json(
      `${state.apiBaseUrl}/conversations?company_id=ci-aaa-001&project_id=pi-aaa-001&recipient=${encodeURIComponent(tel)}`,
      { headers: { 'x-api-key': state.demoApiKeys.companyA } },
    );
    const requestId = list.json.conversations[0].request_id as string;
    const read = await kit.json(`${state.apiBaseUrl}/conversations?company_id=ci-aaa-001&project_id=pi-aaa-001&request_id=${requestId}`, {
      headers: { 'x-api-key': state.demoApiKeys.companyA },
    });
    const thread = await kit.threadItems(read.json.thread_id);
    expect(thread.some((item) => item.role === 'assistant' && item.text.startsWith('[Written by Alex'))).toBe(true);
    expect((await kit.twilioMessagesTo(`whatsapp:${tel}`)).filter((m) => m.body.includes('this is Alex from the team'))).toHaveLength(1);

    // Hand back; the AI answers the person's next message.
    await page.getByRole('button', { name: 'Hand back to the AI' }).click();
    await page.getByText('Handed back: the AI answers the next message.').waitFor();
    await open('person');
    await page.getByLabel('Phone').fill(tel);
    await page.getByLabel('E-mail').fill(email);
    await chat().getByText('this is Alex from the team', { exact: false }).waitFor({ timeout: 30_000 });
    const before = await chat().locator('.bubble.to_person').count();
    await page.getByLabel('Reply as the person').fill('Great. What should I bring?');
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    await eventually(
      'the AI answers after the hand-back',
      async () => ((await chat().locator('.bubble.to_person').count()) > before ? true : undefined),
      30_000,
    );
    expect(await chat().locator('.bubble').last().getAttribute('class')).toContain('to_person');
    await noScriptRan();
  });

  it('a DLQ entry is shown and redriven from the console', async () => {
    const tel = uniqueTel();
    const company = (await dynamoCompanyRepository(clients.documents, state.resources.companyDataTable!).get('ci-aaa-001', 'pi-aaa-001'))!;
    const parked = routerContextObjectFor(company, (body) => {
      body.recipient_data.recipient_tel = tel;
      body.request_data.channel_method = ['whatsapp'];
    });
    await clients.sqs.send(
      new SendMessageCommand({
        QueueUrl: state.outputs['ai-multi-comms-compose']!.DeadLetterQueueUrl!,
        MessageBody: JSON.stringify(parked),
      }),
    );
    await open('dlqs');
    const compose = page.locator('.dlq').filter({ has: page.getByRole('heading', { name: /^compose/ }) });
    await compose.getByText(/[1-9]\d* message\(s\)/).waitFor({ timeout: 15_000 });
    await page.screenshot({ path: join(SCREENSHOTS, 'dead-letters.png') });
    await page.getByRole('button', { name: 'Redrive compose' }).click();
    await page.getByText(/Moved [1-9]\d* message\(s\) back to the compose queue\./).waitFor({ timeout: 30_000 });
    // Back on its queue, composed and sent.
    await eventually(
      'the redriven request reaches the person',
      async () => ((await kit.twilioMessagesTo(`whatsapp:${tel}`)).length === 1 ? true : undefined),
      30_000,
    );
  });

  it('serves the OpenAPI document and its reference page (Swagger UI from node_modules, nothing from the internet)', async () => {
    const document = (await (await fetch(`${state.consoleUrl}/openapi.json`)).json()) as { openapi: string; info: { title: string } };
    expect(document.openapi).toBe('3.1.0');
    await open('conversations');
    await page.getByRole('link', { name: 'API reference' }).click();
    await page.getByText(document.info.title).first().waitFor({ timeout: 20_000 });
    await page.getByText('/conversations/{conversation_id}/messages').first().waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, 'api-reference.png') });
  });

  it('shows the events the demo client received, signed', async () => {
    await open('events');
    await page.getByRole('heading', { name: 'Events to the client' }).waitFor();
    await page.locator('.dlq').getByText('message.sent').first().waitFor({ timeout: 20_000 });
    await page.screenshot({ path: join(SCREENSHOTS, 'client-events.png') });
  });

  it('logged no console errors', () => {
    expect(errors).toEqual([]);
  });
});
