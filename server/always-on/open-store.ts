// Picks the storage engine from the configuration: PostgreSQL when DATABASE_URL is set (many
// instances, one store), else the embedded SQLite file under DATA_DIR.
import type { ServerConfig } from '../config'
import { SqliteStore } from './sqlite-store'
import type { EntryStore } from './store'

export async function openEntryStore(config: ServerConfig): Promise<EntryStore> {
  if (config.databaseUrl !== null) {
    const { PostgresStore } = await import('./postgres-store')
    return PostgresStore.open(config.databaseUrl)
  }
  return new SqliteStore(config.dataDir)
}
