import { Logger } from '@aws-lambda-powertools/logger';
import { redactingReplacer } from './redaction';
import { SafeLogFormatter } from './safe-log-formatter';

/**
 * The structured JSON logger every service uses: Powertools Logger (so CloudWatch Logs Insights,
 * sampling and the Lambda context keys work as AWS documents them) with our redacting replacer.
 * Errors are logged by SafeLogFormatter (what identifies them, never the request they carried).
 * `POWERTOOLS_SERVICE_NAME` and `POWERTOOLS_LOG_LEVEL` come from each serverless.yml.
 */
export const createLogger = (serviceName?: string): Logger =>
  new Logger({
    serviceName,
    jsonReplacerFn: redactingReplacer,
    logFormatter: new SafeLogFormatter(),
  });
