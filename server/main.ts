// Composition root of the signaling server process (`npm start`, `tsx server/main.ts`).
// Reads and validates the configuration, starts the server, prints the one listening line other
// tools parse (`Meshpad listening on http://HOST:PORT`), and shuts down gracefully on
// SIGTERM/SIGINT (exit 0), or exits non-zero with a message on bad configuration.
import { helpText, readConfig } from './config'
import { createLogger } from './log'
import { startServer } from './server'

async function main(): Promise<void> {
  const result = readConfig(process.env, process.argv.slice(2))
  if (result.kind === 'help') {
    process.stdout.write(`${helpText()}\n`)
    return
  }
  if (result.kind === 'errors') {
    process.stderr.write(
      `meshpad: invalid configuration:\n${result.errors.map((e) => `  ${e}\n`).join('')}Run with --help for every option.\n`,
    )
    process.exitCode = 2
    return
  }
  const log = createLogger(result.config.logLevel)
  // Client input never reaches here (each connection's handler catches its own faults), so an
  // uncaught error is a bug with unknown state: log it and exit for the supervisor to restart.
  const die = (kind: string) => (error: unknown) => {
    log.fatal({ err: error }, kind)
    process.exit(1)
  }
  process.on('uncaughtException', die('uncaught exception'))
  process.on('unhandledRejection', die('unhandled rejection'))
  const server = await startServer(result.config, { log })
  process.stdout.write(`Meshpad listening on ${server.url}\n`)
  let signals = 0
  const stop = (signal: NodeJS.Signals): void => {
    if (++signals > 1) {
      log.warn({ signal }, 'second signal: exiting at once')
      process.exit(1)
    }
    log.info({ signal }, 'shutting down')
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: error }, 'shutdown failed')
        process.exit(1)
      },
    )
  }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
}

main().catch((error: unknown) => {
  process.stderr.write(
    `meshpad: failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  )
  process.exit(1)
})
