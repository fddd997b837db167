import {
  BACKUP_EXTENSION,
  BackupError,
  decodeBackup,
  encodeBackup,
  isEncryptedBackup,
  MAX_BACKUP_BYTES,
  type BackupEntry,
  type BackupErrorReason,
} from '../backup/format'
import type { RestoreRefusal, RestoreReport } from '../sync/backup-store'
import { h, setAttr, setText } from './dom'

// Backup and restore of every document in this browser (rules BACKUP-1..7), on the home page.
// The file holds every document's link, which the panel says before anything is downloaded.

/** What the panel needs from storage; composed in main.ts. */
export interface BackupPort {
  /** Every listed document with its stored state. */
  collect(): Promise<BackupEntry[]>
  /** Writes a decoded backup into this browser. */
  restore(entries: readonly BackupEntry[]): Promise<RestoreReport>
}

/** Why a backup or a restore did not happen (closed set, one message each). */
export type BackupProblem = BackupErrorReason | 'storage-failed'

export const BACKUP_PROBLEM_MESSAGES: Record<BackupProblem, string> = {
  'not-a-backup': 'This file is not a Meshpad backup. Nothing was restored.',
  'unsupported-version':
    'This backup was written by another version of Meshpad, which this one cannot read. Nothing was restored.',
  truncated:
    'This backup file is incomplete: it was cut off while being copied or downloaded. Nothing was restored.',
  damaged:
    'This backup file is damaged: its content does not match its checksum. Nothing was restored.',
  'too-large': `A backup may hold at most ${MAX_BACKUP_BYTES / 1024 / 1024} MB, and this one is larger. Nothing was written.`,
  'passphrase-required': 'This backup is protected by a passphrase: enter it, then press Restore.',
  'wrong-passphrase':
    'Wrong passphrase: this backup was protected with another one. Nothing was restored.',
  'storage-failed':
    'This browser’s storage could not be used, so nothing was backed up or restored.',
}

const REFUSAL_MESSAGES: Record<RestoreRefusal, string> = {
  'other-document': 'this browser holds another document under its id',
  'unreadable-state': 'its content could not be read',
  'storage-failed': 'this browser’s storage refused it',
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`
}

export function reportText(report: RestoreReport): string {
  const restored = report.created + report.merged
  const refused = report.refused.map(
    (item) => `“${item.title || 'Untitled'}” was refused: ${REFUSAL_MESSAGES[item.reason]}.`,
  )
  return [
    `Restored ${plural(restored, 'document')}, ${report.merged} merged, ${report.refused.length} refused.`,
    ...refused,
  ].join(' ')
}

function fileName(now = new Date()): string {
  return `meshpad-${now.toISOString().slice(0, 10)}${BACKUP_EXTENSION}`
}

/**
 * The backup controls. `problem` is the page's one problem place (data-testid=problem), shared
 * with the import control: whatever the user did last is what it explains.
 */
export function renderBackupPanel(port: BackupPort, problem: HTMLElement): HTMLElement {
  const report = h('p', { class: 'backup-report', 'data-testid': 'backup-report', hidden: true })
  const showProblem = (reason: BackupProblem | null): void => {
    if (reason === null) {
      // Clear only what this panel said, never the import control's explanation.
      if (problem.getAttribute('data-source') === 'backup') problem.hidden = true
      return
    }
    problem.hidden = false
    setAttr(problem, 'data-source', 'backup')
    setAttr(problem, 'data-reason', reason)
    setText(problem, BACKUP_PROBLEM_MESSAGES[reason])
  }
  const fail = (error: unknown): void => {
    showProblem(error instanceof BackupError ? error.reason : 'storage-failed')
  }

  const passphrase = h('input', {
    type: 'password',
    'data-testid': 'backup-passphrase',
    autocomplete: 'new-password',
    'aria-label': 'Passphrase for the backup (optional)',
    placeholder: 'Passphrase (optional)',
  })
  const download = h(
    'button',
    { type: 'button', 'data-testid': 'backup-download', onclick: () => void save() },
    'Download backup',
  )
  const save = async (): Promise<void> => {
    showProblem(null)
    report.hidden = true
    download.disabled = true
    setText(download, 'Preparing…')
    try {
      const bytes = await encodeBackup(await port.collect(), { passphrase: passphrase.value })
      const url = URL.createObjectURL(new Blob([bytes as BlobPart]))
      const link = h('a', { href: url, download: fileName(), hidden: true })
      document.body.append(link)
      link.click()
      link.remove()
      setTimeout(() => URL.revokeObjectURL(url), 60_000)
    } catch (error) {
      fail(error)
    } finally {
      download.disabled = false
      setText(download, 'Download backup')
    }
  }

  let chosen: Uint8Array | null = null
  const file = h('input', {
    type: 'file',
    accept: BACKUP_EXTENSION,
    'data-testid': 'backup-restore',
    'aria-label': 'Restore from a backup file',
    onchange: () => void choose(),
  })
  const restorePassphrase = h('input', {
    type: 'password',
    'data-testid': 'restore-passphrase',
    autocomplete: 'off',
    'aria-label': 'Passphrase of the backup',
    placeholder: 'Passphrase of the backup',
  })
  restorePassphrase.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') void restore()
  })
  const submit = h(
    'button',
    {
      type: 'button',
      'data-testid': 'restore-submit',
      disabled: true,
      onclick: () => void restore(),
    },
    'Restore',
  )
  const choose = async (): Promise<void> => {
    showProblem(null)
    report.hidden = true
    chosen = null
    submit.disabled = true
    const picked = file.files?.[0]
    if (picked === undefined) return
    if (picked.size > MAX_BACKUP_BYTES) return showProblem('too-large')
    chosen = new Uint8Array(await picked.arrayBuffer())
    submit.disabled = false
    if (isEncryptedBackup(chosen) && restorePassphrase.value === '') {
      showProblem('passphrase-required')
      restorePassphrase.focus()
      return
    }
    await restore()
  }
  const restore = async (): Promise<void> => {
    if (chosen === null) return
    showProblem(null)
    report.hidden = true
    submit.disabled = true
    setText(submit, 'Restoring…')
    try {
      // Decoded whole before anything is written: a refused file changes nothing.
      const entries = await decodeBackup(chosen, { passphrase: restorePassphrase.value })
      const result = await port.restore(entries)
      setAttr(report, 'data-created', String(result.created))
      setAttr(report, 'data-merged', String(result.merged))
      setAttr(report, 'data-refused', String(result.refused.length))
      setText(report, reportText(result))
      report.hidden = false
    } catch (error) {
      fail(error)
    } finally {
      submit.disabled = chosen === null
      setText(submit, 'Restore')
    }
  }

  return h(
    'section',
    { class: 'backup', 'data-testid': 'backup-panel', 'aria-labelledby': 'backup-heading' },
    h('h2', { id: 'backup-heading' }, 'Backup'),
    h(
      'p',
      { class: 'backup-warning', 'data-testid': 'backup-warning' },
      'A backup file holds every document in this list with its link: whoever has the file can read and edit all of them. Protect it with a passphrase and keep it as safe as the documents themselves.',
    ),
    h('div', { class: 'backup-row' }, passphrase, download),
    h(
      'div',
      { class: 'backup-row' },
      h('label', { class: 'backup-file' }, 'Restore from a file ', file),
      restorePassphrase,
      submit,
    ),
    report,
  )
}
