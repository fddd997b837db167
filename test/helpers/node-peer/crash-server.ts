import { once } from 'node:events'
import { readdirSync, readFileSync } from 'node:fs'
import type { ServerProcess } from '../server-process.js'

// Kills a signaling server instance the hard way (SIGKILL: no shutdown, no goodbye frames), as a
// crashed machine would. startServerProcess runs `tsx server/main.ts`, and tsx's CLI runs the
// server in a child process of its own: SIGKILL on the CLI alone would orphan a live server
// instead of killing it, so the whole process tree goes, deepest first (Linux /proc).
export async function crashServer(server: ServerProcess): Promise<void> {
  const root = server.child.pid
  if (root === undefined) throw new Error('server process has no pid')
  if (!isRunning(server)) throw new Error('server already stopped')
  const exited = once(server.child, 'exit')
  for (const pid of [...descendants(root), root]) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {
      // already gone
    }
  }
  await exited
}

export function isRunning(server: ServerProcess): boolean {
  return server.child.exitCode === null && server.child.signalCode === null
}

function descendants(pid: number): number[] {
  let tasks: string[]
  try {
    tasks = readdirSync(`/proc/${pid}/task`)
  } catch {
    return []
  }
  const children = tasks.flatMap((task) => {
    try {
      return readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').split(' ').filter(Boolean)
    } catch {
      return []
    }
  })
  return children.map(Number).flatMap((child) => [...descendants(child), child])
}
