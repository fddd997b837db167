import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..')
/** Screenshots, page logs and the server log of failed e2e runs (gitignored). */
export const resultsDir = path.join(repoRoot, 'test-results', 'e2e')
