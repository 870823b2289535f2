import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, specifiedRules, validate, type GraphQLSchema } from 'graphql';
import { Supergraph } from '@apollo/federation-internals';
import { limitValidation } from '../protection/limits.ts';
import type { OperationLimits } from '../protection/config.ts';
import { MANIFEST_DIR, parseManifest } from './manifest.ts';

export interface ManifestProblem {
  list: string;
  operation: string;
  message: string;
}

/** The schema clients see through the gateway (the supergraph without federation's machinery). */
export const apiSchemaOf = (supergraphSdl: string): GraphQLSchema => Supergraph.build(supergraphSdl).apiSchema().toGraphQLJSSchema();

/**
 * Every operation of every manifest checked against a supergraph, and against the gateway's static
 * operation limits (an operation the gateway would refuse is as broken as one that does not
 * validate). CI runs this against schema/supergraph.graphql, so a schema change that breaks a
 * partner's or the app's registered operation fails the build.
 */
export function validateManifests(supergraphSdl: string, limits: OperationLimits, dir = MANIFEST_DIR): ManifestProblem[] {
  const schema = apiSchemaOf(supergraphSdl);
  const { validationRules } = limitValidation(limits);
  const problems: ManifestProblem[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    const list = file.slice(0, -'.json'.length);
    const manifest = parseManifest(readFileSync(join(dir, file), 'utf8'), file);
    for (const op of manifest.operations) {
      let errors: readonly { message: string }[];
      try {
        errors = validate(schema, parse(op.body, { maxTokens: limits.enabled ? limits.maxTokens : undefined }), [...specifiedRules, ...validationRules]);
      } catch (e) {
        errors = [e as Error];
      }
      for (const e of errors) problems.push({ list, operation: op.name, message: e.message });
    }
  }
  return problems;
}
