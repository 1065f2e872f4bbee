/** `npm run schema:print`: regenerates schema.graphql from the code. */
import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { printSchemaSdl } from '../src/schema';

writeFileSync(path.resolve(__dirname, '..', 'schema.graphql'), printSchemaSdl());
console.log('wrote schema.graphql');
