import type { Config } from 'jest';

const config: Config = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test', '<rootDir>/examples'],
  testMatch: ['**/*.test.ts'],
  transform: {
    // TS151002: ts-jest's note about module "nodenext"; harmless for a CommonJS test run.
    '^.+\\.ts$': ['ts-jest', { diagnostics: { ignoreCodes: ['TS151002'] } }],
  },
  // Integration tests open real sockets and files; keep them bounded and serial per file.
  testTimeout: 60_000,
  maxWorkers: 2,
};

export default config;
