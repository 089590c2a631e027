export * from './twilio';
export * from './sendgrid';
export * from './provider-timeout';
export * from './provider-failure';
