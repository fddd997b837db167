import { readFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { useE2E } from './helpers/harness'
import type { Peer } from './helpers/peer'

// Backup and restore of the whole browser, and recovery of a lost local copy, in real Chromium
// against the real `npm start` (its always-on peer at /store).

const e2e = useE2E()

const NO_NETWORK = /\/(signal|store)$/

/** The databases of Meshpad documents in this peer's profile. */
function documentDatabases(peer: Peer): Promise<string[]> {
  return peer.page.evaluate(async () =>
    (await indexedDB.databases())
      .map((db) => db.name ?? '')
      .filter((name) => name.startsWith('meshpad:doc:')),
  )
}

async function problemReason(peer: Peer, reason: string): Promise<string> {
  const problem = peer.byTestId('problem')
  await expect.poll(() => problem.getAttribute('data-reason'), { timeout: 15_000 }).toBe(reason)
  expect(await problem.isVisible()).toBe(true)
  return (await problem.textContent()) ?? ''
}

async function titles(peer: Peer): Promise<string[]> {
  return (await peer.byTestId('document-title').allTextContents()).sort()
}

describe('backup and recovery', () => {
  it('[BACKUP-1] [BACKUP-2] [BACKUP-3] [BACKUP-4] [BACKUP-6] [BACKUP-7] a passphrase-protected backup of profile A restores in profile B, whose documents sync with A again', async () => {
    const a = await e2e.newPeer('A')
    const alpha = await a.createDocument()
    await a.typeInEditor('Alpha plan\nFirst document, written in A.')
    await a.waitForDataState('saved-status', 'saved')
    await a.openHome()
    const beta = await a.createDocument()
    await a.typeInEditor('Beta notes\nSecond document, written in A.')
    await a.waitForDataState('saved-status', 'saved')
    await a.openHome()
    await expect.poll(() => titles(a)).toEqual(['Alpha plan', 'Beta notes'])

    // The warning is there before anything is downloaded.
    const warning = a.byTestId('backup-warning')
    expect(await warning.isVisible()).toBe(true)
    expect(await warning.textContent()).toMatch(/link.*read and edit/)

    await a.byTestId('backup-passphrase').fill('open sesame')
    const started = Date.now()
    const [download] = await Promise.all([
      a.page.waitForEvent('download'),
      a.byTestId('backup-download').click(),
    ])
    console.log(
      `[e2e] backup with a passphrase (scrypt included) ready in ${Date.now() - started} ms`,
    )
    expect(download.suggestedFilename()).toMatch(/\.meshpad-backup$/)
    const file = await readFile(await download.path())
    expect(file.subarray(0, 8).toString('latin1')).toBe('MPBACKUP')
    expect(file[9]! & 1).toBe(1) // encrypted
    // Nothing readable in it: no secret, no title, no text.
    for (const needle of [new URL(alpha).hash.split('/')[3]!, 'Alpha plan', 'written in A']) {
      expect(file.includes(Buffer.from(needle))).toBe(false)
    }

    const b = await e2e.newPeer('B')
    await b.openHome()
    const input = b.byTestId('backup-restore')
    const upload = (buffer: Buffer) =>
      input.setInputFiles({
        name: 'meshpad.meshpad-backup',
        mimeType: 'application/octet-stream',
        buffer,
      })

    // Encrypted: B is asked for the passphrase.
    await upload(file)
    await problemReason(b, 'passphrase-required')
    // A wrong passphrase is refused with its reason, and nothing is created.
    await b.byTestId('restore-passphrase').fill('sesame open')
    await b.byTestId('restore-submit').click()
    expect(await problemReason(b, 'wrong-passphrase')).toMatch(/Wrong passphrase/)
    expect(await b.byTestId('document-item').count()).toBe(0)
    expect(await documentDatabases(b)).toEqual([])
    // A file cut short is refused as such, and nothing is created.
    await b.byTestId('restore-passphrase').fill('open sesame')
    await upload(file.subarray(0, file.length - 100))
    expect(await problemReason(b, 'truncated')).toMatch(/incomplete/)
    expect(await b.byTestId('document-item').count()).toBe(0)
    expect(await documentDatabases(b)).toEqual([])

    // The right passphrase (already typed) and the whole file: restored at once.
    await upload(file)
    const report = b.byTestId('backup-report')
    await report.waitFor()
    expect(await report.getAttribute('data-created')).toBe('2')
    expect(await report.getAttribute('data-refused')).toBe('0')
    expect(await report.textContent()).toMatch(/Restored 2 documents, 0 merged, 0 refused/)
    expect(await b.byTestId('problem').isVisible()).toBe(false)
    await expect.poll(() => titles(b)).toEqual(['Alpha plan', 'Beta notes'])

    // The text is in B's own storage: a tab of B with no network at all shows both documents.
    const offline = await e2e.newTab(b, 'B, no network')
    await offline.page.routeWebSocket(NO_NETWORK, (socket) => socket.close())
    await offline.openDoc(beta)
    await offline.waitForText('Beta from B’s storage', (t) =>
      t.startsWith('Beta notes\nSecond document, written in A.'),
    )
    await offline.openDoc(alpha)
    await offline.waitForText('Alpha from B’s storage', (t) =>
      t.startsWith('Alpha plan\nFirst document, written in A.'),
    )
    expect(await offline.peerCount()).toBe(0)
    await offline.closeTab()

    // And B's copy is the same document as A's: they sync live again.
    await a.openDoc(alpha)
    await b.byTestId('document-title').filter({ hasText: 'Alpha plan' }).click()
    await b.editor.waitFor()
    await b.waitForText('Alpha in B', (t) => t.startsWith('Alpha plan\nFirst document'))
    await Promise.all([a.waitForPeerCount(1), b.waitForPeerCount(1)])
    await b.typeInEditor('\nAnswered from B after the restore.')
    await a.waitForText('B’s edit reaches A live', (t) =>
      t.endsWith('Answered from B after the restore.'),
    )
  })

  it('[RECOVER-1] [RECOVER-2] a document whose local copy was deleted is rebuilt from the always-on peer, and the user is told', async () => {
    const a = await e2e.newPeer('A')
    const link = await a.createDocument()
    await a.typeInEditor('Recovered text\nthat only the server still has.')
    await a.waitForDataState('saved-status', 'saved')
    await a.waitForDataState('pinned-status', 'pinned')
    expect(await a.byTestId('notice').isVisible()).toBe(false)

    // The document is closed, then its IndexedDB database is deleted.
    await a.openHome()
    const docId = new URL(link).hash.split('/')[2] ?? ''
    await a.page.evaluate(
      (name) =>
        new Promise<void>((resolve, reject) => {
          const request = indexedDB.deleteDatabase(name)
          request.onsuccess = () => resolve()
          request.onerror = () => reject(new Error('deleteDatabase failed'))
        }),
      `meshpad:doc:${docId}`,
    )
    expect(await documentDatabases(a)).toEqual([])

    await a.openDoc(link)
    await a.waitForText('the text back from the always-on peer', (t) =>
      t.startsWith('Recovered text\nthat only the server still has.'),
    )
    const notice = a.byTestId('notice')
    await notice.waitFor()
    expect(await notice.getAttribute('data-notice')).toBe('rebuilt-missing-from-server')
    expect(await notice.textContent()).toMatch(/was missing; it was rebuilt from the server/)
    expect(await a.byTestId('problem').isVisible()).toBe(false)
    // And it is stored here again.
    await a.waitForDataState('saved-status', 'saved')
    await a.context.routeWebSocket(NO_NETWORK, (socket) => socket.close())
    await a.reload()
    await a.waitForText('the rebuilt copy, from IndexedDB alone', (t) =>
      t.startsWith('Recovered text\nthat only the server still has.'),
    )
    expect(await notice.isVisible()).toBe(false)
  })
})
