#!/usr/bin/env node
// Part of the build: tsc compiles TypeScript only, so the files served as they are (the staff
// dashboard's page, script and styles in src/dashboard/) are copied next to the compiled server,
// where a deployment of dist/ finds them.
'use strict';
const { cpSync, rmSync } = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const target = path.join(root, 'dist', 'src', 'dashboard');
rmSync(target, { recursive: true, force: true });
cpSync(path.join(root, 'src', 'dashboard'), target, { recursive: true });
