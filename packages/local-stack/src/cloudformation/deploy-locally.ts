import { textOf } from '@ai-multi-comms/core';
import {
  CreateTableCommand,
  CreateTableCommandInput,
  DynamoDBClient,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { NotYetResolved, ResolveContext, resolveIntrinsics } from './intrinsics';
import { CfnResource, ServiceTemplate } from './service-template';

/**
 * "Deploys" services' CloudFormation Resources to the local emulators: each resource type we use
 * becomes the SDK calls CloudFormation would make. Everything else (alarms, log groups, metric
 * filters, IAM) has no local meaning and is listed as skipped. Outputs with an Export are
 * collected, so that `Fn::ImportValue` across services works as in AWS.
 */
export interface LocalAwsClients {
  dynamodb: DynamoDBClient;
  sqs: SQSClient;
  sns: SNSClient;
}

interface PhysicalResource {
  ref: string;
  attributes: Record<string, string>;
}

export interface LocalDeployment {
  /** Export name → value, across every deployed service. */
  exports: Record<string, string>;
  /** Service → output name → value. */
  outputs: Record<string, Record<string, string>>;
  /** Service → logical id → physical resource. */
  resources: Record<string, Record<string, PhysicalResource>>;
  skipped: string[];
}

const ACCOUNT = '000000000000';

const SQS_ATTRIBUTES = [
  'DelaySeconds',
  'MaximumMessageSize',
  'MessageRetentionPeriod',
  'ReceiveMessageWaitTimeSeconds',
  'VisibilityTimeout',
  'RedrivePolicy',
  'RedriveAllowPolicy',
  'FifoQueue',
  'ContentBasedDeduplication',
];

const createTable = async (clients: LocalAwsClients, props: Record<string, unknown>, region: string): Promise<PhysicalResource> => {
  const tableName = String(props.TableName);
  const input: CreateTableCommandInput = {
    TableName: tableName,
    AttributeDefinitions: props.AttributeDefinitions as CreateTableCommandInput['AttributeDefinitions'],
    KeySchema: props.KeySchema as CreateTableCommandInput['KeySchema'],
    BillingMode: (props.BillingMode as CreateTableCommandInput['BillingMode']) ?? 'PAY_PER_REQUEST',
    GlobalSecondaryIndexes: props.GlobalSecondaryIndexes as CreateTableCommandInput['GlobalSecondaryIndexes'],
    LocalSecondaryIndexes: props.LocalSecondaryIndexes as CreateTableCommandInput['LocalSecondaryIndexes'],
    ProvisionedThroughput: props.ProvisionedThroughput as CreateTableCommandInput['ProvisionedThroughput'],
  };
  try {
    await clients.dynamodb.send(new CreateTableCommand(input));
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  const ttl = props.TimeToLiveSpecification as { AttributeName: string; Enabled: boolean } | undefined;
  if (ttl?.Enabled) {
    await clients.dynamodb
      .send(
        new UpdateTimeToLiveCommand({ TableName: tableName, TimeToLiveSpecification: { AttributeName: ttl.AttributeName, Enabled: true } }),
      )
      .catch(() => undefined); // already enabled on a re-run
  }
  return { ref: tableName, attributes: { Arn: `arn:aws:dynamodb:${region}:${ACCOUNT}:table/${tableName}` } };
};

const createQueue = async (clients: LocalAwsClients, props: Record<string, unknown>): Promise<PhysicalResource> => {
  const queueName = String(props.QueueName);
  const attributes: Record<string, string> = {};
  for (const name of SQS_ATTRIBUTES) {
    const value = props[name];
    if (value === undefined) continue;
    attributes[name] = typeof value === 'object' ? JSON.stringify(value) : textOf(value);
  }
  const { QueueUrl } = await clients.sqs.send(new CreateQueueCommand({ QueueName: queueName, Attributes: attributes }));
  const { Attributes } = await clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
  return { ref: QueueUrl!, attributes: { Arn: Attributes!.QueueArn!, QueueName: queueName, QueueUrl: QueueUrl! } };
};

const createTopic = async (clients: LocalAwsClients, props: Record<string, unknown>): Promise<PhysicalResource> => {
  const { TopicArn } = await clients.sns.send(new CreateTopicCommand({ Name: String(props.TopicName) }));
  return { ref: TopicArn!, attributes: { TopicName: String(props.TopicName), TopicArn: TopicArn! } };
};

const createSubscription = async (clients: LocalAwsClients, props: Record<string, unknown>): Promise<PhysicalResource | undefined> => {
  if (props.Protocol !== 'sqs') return undefined; // e-mail subscriptions cannot be delivered locally
  const attributes: Record<string, string> = {};
  if (props.RawMessageDelivery !== undefined) attributes.RawMessageDelivery = textOf(props.RawMessageDelivery);
  if (props.FilterPolicy !== undefined) attributes.FilterPolicy = JSON.stringify(props.FilterPolicy);
  const { SubscriptionArn } = await clients.sns.send(
    new SubscribeCommand({
      TopicArn: String(props.TopicArn),
      Protocol: 'sqs',
      Endpoint: String(props.Endpoint),
      Attributes: attributes,
      ReturnSubscriptionArn: true,
    }),
  );
  return { ref: SubscriptionArn!, attributes: {} };
};

const CREATORS: Record<
  string,
  (clients: LocalAwsClients, props: Record<string, unknown>, region: string) => Promise<PhysicalResource | undefined>
> = {
  'AWS::DynamoDB::Table': createTable,
  'AWS::SQS::Queue': createQueue,
  'AWS::SNS::Topic': createTopic,
  'AWS::SNS::Subscription': createSubscription,
};

/** Resolve a service's CloudFormation value (Ref, GetAtt, ImportValue, …) against what was deployed locally. */
export const resolveInService = (deployment: LocalDeployment, service: string, value: unknown, region: string): unknown => {
  const physical = deployment.resources[service] ?? {};
  return resolveIntrinsics(value, {
    pseudo: { 'AWS::Region': region, 'AWS::AccountId': ACCOUNT, 'AWS::Partition': 'aws', 'AWS::URLSuffix': 'amazonaws.com' },
    ref: (id) => {
      const found = physical[id];
      if (!found) throw new Error(`${service}: Ref ${id} names nothing deployed locally`);
      return found.ref;
    },
    getAtt: (id, attribute) => {
      const found = physical[id]?.attributes[attribute];
      if (found === undefined) throw new Error(`${service}: GetAtt ${id}.${attribute} names nothing deployed locally`);
      return found;
    },
    importValue: (name) => {
      const found = deployment.exports[name];
      if (found === undefined) throw new Error(`${service}: no local export ${name}`);
      return found;
    },
    condition: () => false,
  });
};

export const deployLocally = async (
  templates: ServiceTemplate[],
  clients: LocalAwsClients,
  {
    region,
    stage,
    exports = {},
  }: {
    region: string;
    stage: string /** Exports whose value only the local stack knows (the API's local URL). */;
    exports?: Record<string, string>;
  },
): Promise<LocalDeployment> => {
  const deployment: LocalDeployment = { exports: { ...exports }, outputs: {}, resources: {}, skipped: [] };

  for (const template of templates) {
    const physical: Record<string, PhysicalResource> = {};
    deployment.resources[template.service] = physical;
    const context: ResolveContext = {
      pseudo: {
        'AWS::Region': region,
        'AWS::AccountId': ACCOUNT,
        'AWS::Partition': 'aws',
        'AWS::URLSuffix': 'amazonaws.com',
        'AWS::StackName': `${template.service}-${stage}`,
      },
      ref: (id) => {
        const found = physical[id];
        if (!found) throw new NotYetResolved(id);
        return found.ref;
      },
      getAtt: (id, attribute) => {
        const found = physical[id]?.attributes[attribute];
        if (found === undefined) throw new NotYetResolved(`${id}.${attribute}`);
        return found;
      },
      importValue: (name) => {
        const value = deployment.exports[name];
        if (value === undefined) throw new Error(`Fn::ImportValue ${name}: no deployed service exports it (deploy order?)`);
        return value;
      },
      condition: (name) => resolveIntrinsics(template.Conditions[name], context) === true,
    };

    let pending = Object.entries(template.Resources).filter(([id, resource]: [string, CfnResource]) => {
      if (!CREATORS[resource.Type]) {
        deployment.skipped.push(`${template.service}/${id} (${resource.Type})`);
        return false;
      }
      if (resource.Condition && !context.condition(resource.Condition)) {
        deployment.skipped.push(`${template.service}/${id} (condition ${resource.Condition} is false)`);
        return false;
      }
      return true;
    });
    while (pending.length > 0) {
      const waiting: typeof pending = [];
      for (const [id, resource] of pending) {
        let props: Record<string, unknown>;
        try {
          props = resolveIntrinsics(resource.Properties ?? {}, context) as Record<string, unknown>;
        } catch (error) {
          if (error instanceof NotYetResolved) {
            waiting.push([id, resource]);
            continue;
          }
          throw error;
        }
        const created = await CREATORS[resource.Type]!(clients, props, region);
        if (created) physical[id] = created;
        else deployment.skipped.push(`${template.service}/${id} (${resource.Type} ${textOf(props.Protocol)})`);
      }
      if (waiting.length === pending.length) {
        throw new Error(`${template.service}: cannot resolve references of ${waiting.map(([id]) => id).join(', ')}`);
      }
      pending = waiting;
    }

    const outputs: Record<string, string> = {};
    for (const [name, output] of Object.entries(template.Outputs)) {
      try {
        const value = String(resolveIntrinsics(output.Value, context));
        outputs[name] = value;
        if (output.Export) deployment.exports[String(resolveIntrinsics(output.Export.Name, context))] = value;
      } catch (error) {
        if (!(error instanceof NotYetResolved)) throw error; // an output of a skipped resource
      }
    }
    deployment.outputs[template.service] = outputs;
  }
  return deployment;
};

/** Serverless `params` whose value is an `Fn::ImportValue`, resolved against the local exports (for `--param`). */
export const resolveImportedParams = (params: Record<string, unknown>, exports: Record<string, string>): Record<string, string> => {
  const resolved: Record<string, string> = {};
  for (const [name, value] of Object.entries(params)) {
    const importName = (value as { 'Fn::ImportValue'?: unknown } | null)?.['Fn::ImportValue'];
    if (typeof importName !== 'string') continue;
    const exported = exports[importName];
    if (exported === undefined) throw new Error(`param ${name}: export ${importName} not found locally`);
    resolved[name] = exported;
  }
  return resolved;
};
