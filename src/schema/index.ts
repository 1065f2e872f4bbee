import 'reflect-metadata';
import { type GraphQLSchema, lexicographicSortSchema, printSchema } from 'graphql';
import { buildSchemaSync } from 'type-graphql';
import { applyPermissions } from '../permissions';
import { IdentityResolver } from '../resolvers/IdentityResolver';
import { NodeResolver } from '../resolvers/NodeResolver';
import { ShopMemberResolver } from '../resolvers/ShopMemberResolver';

export const resolvers = [NodeResolver, IdentityResolver, ShopMemberResolver] as const;

let cached: GraphQLSchema | undefined;

/** The executable schema without permissions (for printing and rule-coverage checks). */
export function buildBareSchema(): GraphQLSchema {
  cached ??= buildSchemaSync({
    resolvers,
    validate: false,
    emitSchemaFile: false,
  });
  return cached;
}

/** The schema the server runs: type-graphql resolvers wrapped in the shield permission tree. */
export function buildSchema(): GraphQLSchema {
  return applyPermissions(buildBareSchema());
}

/** The SDL committed as schema.graphql. */
export function printSchemaSdl(): string {
  return `${printSchema(lexicographicSortSchema(buildBareSchema()))}\n`;
}
