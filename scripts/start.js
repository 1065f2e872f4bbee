#!/usr/bin/env node
// `npm start`: builds when dist/ is missing or older than the sources, then starts the server,
// which applies pending migrations before it listens.
'use strict';
const { execFileSync } = require('node:child_process');
const { existsSync, readdirSync, statSync, writeFileSync } = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const stamp = path.join(root, 'dist', '.build-stamp');

function newestMtime(entry) {
  const stat = statSync(entry);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(entry).reduce((max, name) => Math.max(max, newestMtime(path.join(entry, name))), 0);
}

const sources = ['src', 'mikro-orm.config.ts', 'tsconfig.json', 'tsconfig.build.json', 'package.json'].map((p) => path.join(root, p));
const stale = !existsSync(stamp) || sources.some((p) => existsSync(p) && newestMtime(p) > statSync(stamp).mtimeMs);
if (stale) {
  console.log('building (dist/ is missing or older than src/) ...');
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.build.json')], { stdio: 'inherit', cwd: root });
  require('./copy-assets');
  writeFileSync(stamp, new Date().toISOString());
}
require(path.join(root, 'dist', 'src', 'server.js'));
