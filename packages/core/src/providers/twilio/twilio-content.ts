import { textOf } from '../../util/text-of';
import { ContentListInstance } from 'twilio/lib/rest/content/v1/content';
import Version from 'twilio/lib/base/Version';
import { TwilioClient } from './twilio-client';
import { classifyTwilioError } from './twilio-errors';

/**
 * WhatsApp content templates as Twilio holds them (the Content API, `GET /v1/Content/{sid}`):
 * Twilio renders a ContentSid message itself, and the message's `body` (in the create answer and
 * in the Messages list) is the rendered text, not our variables (twilio-node issue 1081). To
 * recognise our own message among Twilio's, we render the same text: the template's body with
 * our variables. A template's text never changes under its sid (an edit is a new template), so
 * each is fetched once per container.
 */
const templates = new Map<string, Promise<TemplateText>>();

export interface TemplateText {
  body: string;
  /** The template's default values of its placeholders. */
  defaults: Record<string, string>;
}

export const fetchTemplateText = (client: TwilioClient, contentSid: string): Promise<TemplateText> => {
  const key = `${client.accountSid}:${client.content.baseUrl}:${contentSid}`;
  let found = templates.get(key);
  if (!found) {
    found = ContentListInstance(new Version(client.content, 'v1') as never)(contentSid)
      .fetch()
      .then((content) => {
        // The first of the template's types that has a body: twilio/text, or a card's or quick-reply's text.
        const body = Object.values((content.types ?? {}) as Record<string, { body?: unknown }>).find(
          (type) => typeof type?.body === 'string',
        )?.body as string | undefined;
        return { body: body ?? '', defaults: (content.variables ?? {}) as unknown as Record<string, string> };
      })
      .catch((error: unknown) => {
        templates.delete(key);
        throw classifyTwilioError(error);
      });
    templates.set(key, found);
  }
  return found;
};

/** The text Twilio sends for a template: each `{{name}}` replaced by our variable, else the template's default. */
export const renderTemplate = (template: TemplateText, variables: Record<string, unknown>): string =>
  template.body.replace(/\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g, (placeholder, name: string) =>
    textOf(variables[name] ?? template.defaults[name], placeholder),
  );
