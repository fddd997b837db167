import { describe, expect, it } from 'vitest'
import { startServerProcess } from '../helpers/server-process'

// The launcher every integration and e2e test relies on: SIGKILL must kill the real server, not
// a wrapper, and stopping an already dead server must not hang. This proves the test helper, not
// a rule: SIG-19 (one listening line) is proven in signaling-protocol.test.ts.
describe('test server launcher', () => {
  it('a SIGKILLed server is gone: its port refuses and stop() returns at once', async () => {
    const server = await startServerProcess()
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200)
    await server.stop('SIGKILL')
    await expect
      .poll(
        () =>
          fetch(`${server.url}/healthz`).then(
            () => 'answers',
            () => 'refuses',
          ),
        { message: 'the port to refuse connections', timeout: 15_000 },
      )
      .toBe('refuses')
    expect(await server.stop()).toBeNull()
  })
})
