#!/usr/bin/env node
// Copies the files that `tsc` does not emit (the inspector page: HTML, CSS and browser
// scripts) from src/ to dist/, so the built package serves what the sources serve.
// Plain CommonJS with no dependencies: `npm run build` (and so `prepare`) runs it with node.
const { cpSync, existsSync, rmSync } = require('node:fs');
const { join, resolve } = require('node:path');

const ASSET_DIRS = ['inspect/page'];

function copyAssets(root = resolve(__dirname, '..')) {
  for (const dir of ASSET_DIRS) {
    const from = join(root, 'src', dir);
    const to = join(root, 'dist', dir);
    if (!existsSync(from)) continue;
    rmSync(to, { recursive: true, force: true });
    cpSync(from, to, { recursive: true });
  }
}

module.exports = { ASSET_DIRS, copyAssets };
if (require.main === module) copyAssets();
