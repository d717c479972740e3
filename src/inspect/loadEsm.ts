type Inspect = typeof import('@statelyai/inspect', { with: { 'resolution-mode': 'import' }});

/**
 * `import()` that survives any TypeScript CommonJS output: written as a Function body, the
 * compiler cannot turn it into `require()`, which fails for ESM-only packages on Node < 20.19.
 * (Inside Jest's module VM dynamic import is unavailable; tests of the Stately option run a
 * child process.)
 */
const importEsm = new Function('specifier', 'return import(specifier)') as (
  specifier: string,
) => Promise<unknown>;

/** `@statelyai/inspect`, loaded only when someone asks for Stately's hosted inspector. */
export async function loadInspect(): Promise<{ inspect: Inspect }> {
  return { inspect: (await importEsm('@statelyai/inspect')) as Inspect };
}
