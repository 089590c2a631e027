/**
 * How long Twilio may keep a message in its sender's queue before giving up with 30036
 * (`ValidityPeriod`, 1–36,000 s; Twilio's default is the maximum, ten hours). The governor keeps
 * each sender's queue short, so this is the backstop against a message reaching a person long
 * after it made sense, at night for a burst sent in the evening:
 *   - the answer to a person's reply: they are in the conversation now; after 15 minutes an
 *     answer reads as a non sequitur, and the conversation's record shows it failed instead;
 *   - a first message: an hour, after which the request is better refused visibly (30036 on the
 *     message, the delivery-failure alarm) than delivered at an hour nobody chose.
 */
export const REPLY_VALIDITY_SECONDS = 900;
export const FIRST_MESSAGE_VALIDITY_SECONDS = 3600;

export const validityPeriodFor = (isReply: boolean): number => (isReply ? REPLY_VALIDITY_SECONDS : FIRST_MESSAGE_VALIDITY_SECONDS);
