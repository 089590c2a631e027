export * from './twilio';
export * from './sendgrid';
