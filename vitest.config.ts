import os from 'node:os'
import path from 'node:path'
import { defineConfig } from 'vitest/config'

// Servers started by tests keep their always-on store here, never in the working tree.
const testDataDir = path.join(os.tmpdir(), `meshpad-test-data-${process.pid}`)

// Three projects, run one after another by `npm test`: unit (pure logic, fast, parallel),
// integration (real server on port 0, real WebRTC in Node processes), e2e (real Chromium against
// the real `npm start`). Integration and e2e run one file at a time: this is a 2-core machine and
// WebRTC/Chromium timing suffers badly under contention.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
          // Both cores (Vitest leaves one free by default): the convergence fuzz alone takes
          // ~2 minutes of one, and the other files then run beside it instead of after it.
          maxWorkers: 2,
        },
      },
      {
        test: {
          name: 'integration',
          env: { DATA_DIR: testDataDir },
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'e2e',
          env: { DATA_DIR: testDataDir },
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          // Builds dist/ if stale and starts the real server once for all e2e files.
          globalSetup: ['test/e2e/helpers/global-setup.ts'],
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
})
