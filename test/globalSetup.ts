import { buildIfStale } from '../scripts/buildIfStale';

/**
 * Tests that spawn `timeswarm` run the built CLI (`bin/timeswarm.cjs` → `dist/`), as users do.
 * Build it first if any source changed since the last build, so no test runs a stale `dist/`
 * (a build error fails the run here, with tsc's output).
 */
export default function globalSetup(): void {
  buildIfStale();
}
