type Inspect = typeof import('@statelyai/inspect', { with: { 'resolution-mode': 'import' }});
type InspectServer = typeof import('@statelyai/inspect/server', { with: {
  'resolution-mode': 'import',
}});

/**
 * `import()` that survives any TypeScript CommonJS output: written as a Function body, the
 * compiler cannot turn it into `require()`, which fails for ESM-only packages on Node < 20.19.
 * (Inside Jest's module VM dynamic import is unavailable; tests of the relay run a child process.)
 */
const importEsm = new Function('specifier', 'return import(specifier)') as (
  specifier: string,
) => Promise<unknown>;

/** `@statelyai/inspect` and its relay server, loaded only when someone asks for `--inspect`. */
export async function loadInspect(): Promise<{
  inspect: Inspect;
  server: InspectServer;
}> {
  const [inspect, server] = await Promise.all([
    importEsm('@statelyai/inspect') as Promise<Inspect>,
    importEsm('@statelyai/inspect/server') as Promise<InspectServer>,
  ]);
  return { inspect, server };
}
