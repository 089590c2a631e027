export * from './faults';
export * from './provider-server';
export { twilioSignature } from './person-simulator';
export { sendGridEventSignature } from './webhook-signing';
export { TWILIO_STOP_CONFIRMATION, TWILIO_START_CONFIRMATION, renderContent } from './twilio-routes';
