/**
 * Instructions of the length a real project writes (a few sentences per channel), so that the
 * token figures are those of a real request and not of a one-word placeholder.
 */
export const BENCH_INSTRUCTIONS: Record<'whatsapp' | 'sms' | 'email', string> = {
  whatsapp:
    'You write on behalf of a recruitment team in health and social care. Write a warm first WhatsApp message to a job ' +
    "candidate who applied for a role. Fill the template's variables: the candidate's first name, the representative's " +
    'name, the role, and one or two short personalised sentences that invite a reply. Use the project data for the role ' +
    'and any points to clarify. Plain, friendly British English; no emojis; never promise pay, hours or an offer.',
  sms:
    'You write on behalf of a recruitment team in health and social care. Write a short first SMS to a job candidate ' +
    'who applied for a role: who is writing, which role, and one question that invites a reply. At most 300 ' +
    'characters, plain British English, no links, no emojis; never promise pay, hours or an offer.',
  email:
    'You write on behalf of a recruitment team in health and social care. Write a first e-mail to a job candidate who ' +
    'applied for a role: a short, specific subject, and a body of two or three short paragraphs that thanks them, says ' +
    'what happens next and asks the points to clarify from the project data, signed by the representative. Plain ' +
    'British English; never promise pay, hours or an offer.',
};
