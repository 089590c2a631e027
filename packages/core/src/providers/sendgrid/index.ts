export * from './sendgrid-client';
export * from './sendgrid-errors';
