import { readFileSync } from 'node:fs';
import path from 'node:path';
import { isEnumType, isInputObjectType, isInterfaceType, isObjectType } from 'graphql';
import { describe, expect, it } from 'vitest';
import { buildBareSchema, printSchemaSdl } from '../../src/schema';

describe('schema.graphql', () => {
  it('matches the schema generated from the code (run `npm run schema:print` after changing it)', () => {
    const committed = readFileSync(path.resolve(__dirname, '../..', 'schema.graphql'), 'utf8');
    expect(committed).toBe(printSchemaSdl());
  });

  it('documents every type, field, argument and enum value', () => {
    const undocumented: string[] = [];
    for (const type of Object.values(buildBareSchema().getTypeMap())) {
      if (type.name.startsWith('__') || ['String', 'Int', 'Float', 'Boolean', 'ID'].includes(type.name)) continue;
      const isRoot = ['Query', 'Mutation', 'Subscription'].includes(type.name);
      if (!type.description && !isRoot) undocumented.push(type.name);
      if (isObjectType(type) || isInterfaceType(type) || isInputObjectType(type)) {
        for (const field of Object.values(type.getFields())) {
          if (!field.description) undocumented.push(`${type.name}.${field.name}`);
          for (const arg of 'args' in field ? field.args : []) if (!arg.description) undocumented.push(`${type.name}.${field.name}(${arg.name})`);
        }
      }
      if (isEnumType(type)) for (const value of type.getValues()) if (!value.description) undocumented.push(`${type.name}.${value.name}`);
    }
    expect(undocumented).toEqual([]);
  });

  it('follows the Relay connection shape', () => {
    const schema = buildBareSchema();
    const pageInfo = schema.getType('PageInfo');
    expect(isObjectType(pageInfo) && Object.keys(pageInfo.getFields()).sort()).toEqual(['endCursor', 'hasNextPage', 'hasPreviousPage', 'startCursor']);
    const conn = schema.getType('UserConnection');
    expect(isObjectType(conn) && Object.keys(conn.getFields()).sort()).toEqual(['edges', 'nodes', 'pageInfo', 'totalCount']);
  });
});
