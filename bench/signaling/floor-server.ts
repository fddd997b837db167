// Reference servers for the idle-memory figure: how little a Node process can spend per open
// WebSocket, so the two real servers' figures can be read against a floor. Not signaling servers:
// each only completes the handshake, holds the connection, and answers the benchmark client's
// {"type":"ping"} with {"type":"pong"} (its way of confirming a connection is held).
//   FLOOR=ws   a bare `ws` WebSocketServer (what any server built on ws starts from);
//   FLOOR=tcp  the handshake by hand on the raw TCP socket, frames unmasked by a few lines here:
//              no WebSocket library at all, only Node's net.Socket.
// Prints `floor listening on http://127.0.0.1:PORT`.
import { createHash } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import { WebSocketServer } from 'ws'

const PONG = Buffer.from('{"type":"pong"}')
const PONG_FRAME = Buffer.concat([Buffer.from([0x81, PONG.length]), PONG])
const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11'
const mode = process.env['FLOOR']
const server = http.createServer((_request, response) => response.writeHead(404).end())

if (mode === 'ws') {
  const wss = new WebSocketServer({ noServer: true, clientTracking: false })
  server.on('upgrade', (request, socket, head) => {
    wss.handleUpgrade(request, socket, head, (ws) => {
      ws.on('message', (data: Buffer) => {
        if (data.includes('"ping"')) ws.send(PONG, { binary: false })
      })
    })
  })
} else if (mode === 'tcp') {
  server.on('upgrade', (request, socket: Duplex) => {
    const key = request.headers['sec-websocket-key'] ?? ''
    const accept = createHash('sha1')
      .update(key + GUID)
      .digest('base64')
    socket.on('error', () => socket.destroy())
    socket.write(
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        `Sec-WebSocket-Accept: ${accept}\r\n\r\n`,
    )
    socket.on('data', (chunk: Buffer) => {
      // Small masked client frames only (the benchmark's subscribe and ping), each whole in
      // its chunk as loopback delivers them; enough for a floor, not for real traffic.
      for (let at = 0; at + 6 <= chunk.length;) {
        const length = (chunk[at + 1] ?? 0) & 0x7f
        if (length >= 126) return socket.destroy()
        const mask = chunk.subarray(at + 2, at + 6)
        const payload = Buffer.from(chunk.subarray(at + 6, at + 6 + length))
        for (let i = 0; i < payload.length; i++) payload[i] = (payload[i] ?? 0) ^ (mask[i & 3] ?? 0)
        if (payload.includes('"ping"')) socket.write(PONG_FRAME)
        at += 6 + length
      }
    })
  })
} else {
  throw new Error(`FLOOR must be ws or tcp, not ${String(mode)}`)
}

server.listen({ port: Number(process.env['PORT'] ?? 0), host: '127.0.0.1' }, () => {
  const { port } = server.address() as AddressInfo
  console.log(`floor listening on http://127.0.0.1:${port}`)
})
