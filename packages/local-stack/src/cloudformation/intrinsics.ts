/**
 * Just enough of CloudFormation's intrinsic functions to resolve the templates we write:
 * Ref, Fn::GetAtt, Fn::Sub, Fn::Join, Fn::ImportValue, Fn::If, Fn::Equals, Fn::Not, Fn::And, Fn::Or.
 * An unresolvable reference throws NotYetResolved so that the caller can retry after creating
 * the resource it names.
 */
export class NotYetResolved extends Error {}

export interface ResolveContext {
  ref(logicalId: string): string;
  getAtt(logicalId: string, attribute: string): string;
  importValue(exportName: string): string;
  condition(name: string): boolean;
  pseudo: Record<string, string>;
}

export const resolveIntrinsics = (value: unknown, context: ResolveContext): unknown => {
  if (Array.isArray(value)) return value.map((item) => resolveIntrinsics(item, context));
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 1) {
    const [fn, arg] = entries[0]!;
    switch (fn) {
      case 'Ref': {
        const name = String(arg);
        return context.pseudo[name] ?? context.ref(name);
      }
      case 'Fn::GetAtt': {
        const [logicalId, attribute] = (Array.isArray(arg) ? arg : String(arg).split('.')) as unknown[];
        return context.getAtt(String(logicalId), String(attribute));
      }
      case 'Fn::ImportValue':
        return context.importValue(String(resolveIntrinsics(arg, context)));
      case 'Fn::Join': {
        const [delimiter, parts] = arg as [string, unknown[]];
        return (resolveIntrinsics(parts, context) as unknown[]).join(delimiter);
      }
      case 'Fn::Sub': {
        const [template, variables] = Array.isArray(arg) ? (arg as [string, Record<string, unknown>]) : [String(arg), {}];
        const resolvedVars = resolveIntrinsics(variables, context) as Record<string, unknown>;
        return template.replace(/\$\{([^}]+)\}/g, (_match, name: string) => {
          if (name in resolvedVars) return String(resolvedVars[name]);
          if (name.includes('.')) {
            const [logicalId, attribute] = name.split('.');
            return context.getAtt(logicalId!, attribute!);
          }
          return context.pseudo[name] ?? context.ref(name);
        });
      }
      case 'Fn::If': {
        const [condition, whenTrue, whenFalse] = arg as [string, unknown, unknown];
        return resolveIntrinsics(context.condition(condition) ? whenTrue : whenFalse, context);
      }
      case 'Fn::Equals': {
        const [left, right] = resolveIntrinsics(arg, context) as [unknown, unknown];
        return JSON.stringify(left) === JSON.stringify(right);
      }
      case 'Fn::Not':
        return !(resolveIntrinsics((arg as unknown[])[0], context) as boolean);
      case 'Fn::And':
        return (arg as unknown[]).every((item) => resolveIntrinsics(item, context) === true);
      case 'Fn::Or':
        return (arg as unknown[]).some((item) => resolveIntrinsics(item, context) === true);
      case 'Condition':
        return context.condition(String(arg));
      default:
        break;
    }
  }
  return Object.fromEntries(entries.map(([key, item]) => [key, resolveIntrinsics(item, context)]));
};
