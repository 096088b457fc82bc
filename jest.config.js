// Unit tests run anywhere; integration tests (*.int.test.ts) need the local S3 (scripts/local-s3.sh).
const transform = {
  '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: { isolatedModules: true } }],
}
const common = {
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform,
  testEnvironment: 'node',
  // each test file gets its own RUNNER_TEMP, removed after it
  setupFilesAfterEnv: ['<rootDir>/__tests__/helpers/runner-temp.ts'],
}

export default {
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/__tests__/**/*.test.ts'],
      testPathIgnorePatterns: ['\\.int\\.test\\.ts$'],
    },
    {
      ...common,
      displayName: 'int',
      testMatch: ['<rootDir>/__tests__/**/*.int.test.ts'],
      setupFilesAfterEnv: [
        ...common.setupFilesAfterEnv,
        '<rootDir>/__tests__/helpers/int-timeout.ts',
      ],
    },
  ],
}
