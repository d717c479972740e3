import type { Config } from 'jest';

const config: Config = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test', '<rootDir>/examples'],
  testMatch: ['**/*.test.ts'],
  // Builds dist/ if a source changed since the last build: CLI tests run the built bin.
  globalSetup: '<rootDir>/test/globalSetup.ts',
  transform: {
    // Transpile only (tsconfig.jest.json): type-checking every test file through ts-jest
    // costs ~20 s a file; `npm test` runs `tsc --noEmit` over src, tests and examples first.
    // TS151002: ts-jest's note about module "nodenext"; harmless for a CommonJS test run.
    '^.+\\.ts$': [
      'ts-jest',
      { tsconfig: 'tsconfig.jest.json', diagnostics: { ignoreCodes: ['TS151002'] } },
    ],
  },
  // Integration tests open real sockets and files; keep them bounded and serial per file.
  testTimeout: 60_000,
  maxWorkers: 2,
};

export default config;
