#!/usr/bin/env node
// Runs the TypeScript sources directly (through tsx), so `npm install` is the only step.
require('tsx/cjs');
require('../src/cli/main.ts');
