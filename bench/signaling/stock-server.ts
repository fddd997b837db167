// Runs y-webrtc's stock signaling server (node_modules/y-webrtc/bin/server.js) unmodified, but
// bound to loopback: it calls `server.listen(port)` with no host, so listen is wrapped to add
// 127.0.0.1 before the script is imported. With PORT=0 the port is chosen by the OS; this
// wrapper prints it as `stock listening on http://127.0.0.1:PORT` once it is known.
import http from 'node:http'
import type { AddressInfo } from 'node:net'

// eslint-disable-next-line @typescript-eslint/unbound-method -- re-applied below with .call(this)
const originalListen = http.Server.prototype.listen
http.Server.prototype.listen = function listen(this: http.Server, ...args: unknown[]) {
  const port = Number(args[0])
  this.once('listening', () => {
    const { port: actual } = this.address() as AddressInfo
    console.log(`stock listening on http://127.0.0.1:${actual}`)
  })
  return originalListen.call(this, { port, host: '127.0.0.1' })
} as typeof http.Server.prototype.listen

// The package's exports map hides bin/, so the script is imported by its file URL.
const script = new URL('../../node_modules/y-webrtc/bin/server.js', import.meta.url)
await import(script.href)
