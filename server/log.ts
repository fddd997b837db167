// Structured logs (pino, JSON lines on stdout). Contract: never log a payload or a topic name,
// only sizes, reasons from closed sets, and connection ids. Topics are capabilities: whoever
// knows one can join its room.
import { pino, type Logger } from 'pino'
import type { LogLevel } from './config'

export type { Logger }

export function createLogger(level: LogLevel): Logger {
  return pino({ level, base: { service: 'meshpad-signal' } })
}
