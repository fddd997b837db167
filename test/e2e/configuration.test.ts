import { describe, expect, it } from 'vitest'
import { useE2E } from './helpers/harness'

// A configuration the app cannot use (SYNC-3: anything but ws:// or wss:// in a signaling list)
// is met at start, before any document opens. It must never leave a blank page: the one place
// for problems says what is wrong and what to do, and the same address without the bad setting
// opens the app. The harness fails the test on any uncaught error in the page.

const e2e = useE2E()

describe('configuration errors at start', () => {
  it('[SYNC-3] [STATUS-4] a malformed ?signaling= shows what is wrong in the problem place, and the app opens without it', async () => {
    const a = await e2e.newPeer('A')
    await a.page.goto(`${a.appUrl}/?signaling=http://bad`)
    const problem = a.byTestId('problem')
    await problem.waitFor()
    expect(await problem.textContent()).toMatch(
      /The \?signaling= setting in this address cannot be used: "http:\/\/bad" must start with ws:\/\/ or wss:\/\/\. Open Meshpad without it/,
    )
    expect(await a.byTestId('new-document').count()).toBe(0)

    await a.byTestId('open-without-setting').click()
    await a.byTestId('new-document').waitFor()
    expect(new URL(a.page.url()).searchParams.has('signaling')).toBe(false)
    expect(await a.page.locator('[data-testid=problem]:visible').count()).toBe(0)
  })

  it('[SYNC-3] [STATUS-4] a share link with a malformed ?signaling= opens nothing, and without it opens the document', async () => {
    const a = await e2e.newPeer('A')
    const link = await a.createDocument()
    await a.typeInEditor('Kept safe.')
    await a.waitForDataState('saved-status', 'saved')
    const url = new URL(link)
    url.search = '?signaling=ws://ok.example/signal,not%20a%20url'
    await a.page.goto(url.toString())
    await a.byTestId('problem').waitFor()
    expect(await a.byTestId('problem').textContent()).toMatch(/"not a url" is not a URL/)
    expect(await a.editor.count()).toBe(0)

    await a.byTestId('open-without-setting').click()
    await a.editor.waitFor()
    expect(new URL(a.page.url()).hash).toBe(url.hash)
    await a.waitForText('the document, untouched', (text) => text === 'Kept safe.')
  })
})
