import { defaultFieldResolver, isObjectType, type GraphQLSchema, type GraphQLField, type GraphQLObjectType, type DirectiveNode } from 'graphql';
import { forbidden, unauthenticated } from './errors.ts';
import type { Viewer } from '../auth/viewer.ts';

/**
 * Declarative authorization for subgraph schemas. @apollo/gateway refuses the federation
 * @authenticated/@requiresScopes specs, so subgraphs declare these of their own and the shared
 * package enforces them where the data lives (root fields and entity fields alike).
 */

interface Rule {
  authenticated: boolean;
  scopes: string[] | null;
}

function ruleFrom(directives: readonly DirectiveNode[] | undefined): Rule {
  const rule: Rule = { authenticated: false, scopes: null };
  for (const d of directives ?? []) {
    if (d.name.value === 'authenticated') rule.authenticated = true;
    if (d.name.value === 'hasScope') {
      const arg = d.arguments?.find((a) => a.name.value === 'scopes');
      if (arg?.value.kind === 'ListValue') {
        rule.scopes = arg.value.values.flatMap((v) => (v.kind === 'StringValue' ? [v.value] : []));
        rule.authenticated = true;
      }
    }
  }
  return rule;
}

const isSignedIn = (v: Viewer) => !!(v.userId || v.clientId || v.service);

export function checkRule(viewer: Viewer, rule: Rule): void {
  if (!rule.authenticated) return;
  if (!isSignedIn(viewer)) throw unauthenticated();
  if (rule.scopes && !viewer.service && !rule.scopes.some((s) => viewer.scopes.includes(s))) {
    throw forbidden(`Requires one of the scopes: ${rule.scopes.join(', ')}`);
  }
}

/** Wraps the resolvers of every field that (or whose type) carries a rule. Mutates the schema in place. */
export function applyAuthDirectives(schema: GraphQLSchema, viewerOf: (context: any) => Viewer): GraphQLSchema {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    const typeRule = ruleFrom(type.astNode?.directives);
    const extensionRules = (type.extensionASTNodes ?? []).map((n) => ruleFrom(n.directives));
    for (const field of Object.values((type as GraphQLObjectType).getFields()) as GraphQLField<any, any>[]) {
      const fieldRule = ruleFrom(field.astNode?.directives);
      const rules = [typeRule, ...extensionRules, fieldRule].filter((r) => r.authenticated);
      if (rules.length === 0) continue;
      const resolve = field.resolve ?? defaultFieldResolver;
      field.resolve = (source, args, context, info) => {
        const viewer = viewerOf(context);
        for (const rule of rules) checkRule(viewer, rule);
        return resolve(source, args, context, info);
      };
    }
  }
  return schema;
}
