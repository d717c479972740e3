#!/usr/bin/env node
// Runs the JavaScript that `npm install` built into dist/ (the package's `prepare` script).
try {
  require.resolve('../dist/cli/main.js');
} catch {
  process.stderr.write('timeswarm: dist/ is missing; run `npm run build` (npm install does it)\n');
  process.exit(1);
}
require('../dist/cli/main.js');
