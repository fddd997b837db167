// @ts-check
import js from '@eslint/js'
import globals from 'globals'
import tseslint from 'typescript-eslint'

// Layer rules from docs/ARCHITECTURE.md: arrows point one way (ui -> editor -> doc,
// ui -> sync -> doc, sync -> share/protocol, doc -> share, server -> protocol). Each entry bans
// what a layer may not import. Patterns are regular expressions on the import path so that they
// hold at any depth (`../ui/x` from src/sync/ and `../../ui/x` from src/sync/chunked/ alike).
const banned = (regexes, message) => ({
  'no-restricted-imports': ['error', { patterns: regexes.map((regex) => ({ regex, message })) }],
})
const layer = (names) => `^(\\.\\./)+(${names.join('|')})(/|$)`
const srcLayer = (names) => `^(\\.\\./)+src/(${names.join('|')})(/|$)`
const providers = '^(y-webrtc|y-indexeddb)(/|$)'

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
      globals: { ...globals.browser, ...globals.node },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      // Yjs types define toString() on their classes; the rule cannot see it through their typings.
      '@typescript-eslint/no-base-to-string': [
        'error',
        {
          ignoredTypeNames: [
            'Error',
            'RegExp',
            'URL',
            'URLSearchParams',
            'YText',
            'Text',
            'XmlText',
            'YXmlText',
          ],
        },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      // Focused tests would silently skip the rest of the suite.
      'no-restricted-syntax': [
        'error',
        {
          selector:
            'CallExpression[callee.object.name=/^(it|test|describe)$/][callee.property.name="only"]',
          message: 'Focused tests (.only) skip the rest of the suite.',
        },
      ],
    },
  },
  {
    files: ['src/doc/**'],
    rules: banned(
      [layer(['sync', 'ui', 'editor']), providers, '^ws$'],
      'doc/ is the CRDT model: no DOM, no network; it may use the pure share/ ids.',
    ),
  },
  {
    files: ['src/share/**', 'src/protocol/**'],
    rules: banned(
      [layer(['doc', 'sync', 'ui', 'editor']), providers, '^yjs$', '^ws$'],
      'share/ and protocol/ are pure leaf modules.',
    ),
  },
  {
    files: ['src/sync/**'],
    rules: banned([layer(['ui', 'editor']), '^@tiptap/'], 'sync/ never knows the editor or UI.'),
  },
  {
    files: ['src/editor/**'],
    rules: banned(
      [layer(['ui', 'sync']), providers],
      'editor/ sees only doc/; replication is behind sync/.',
    ),
  },
  {
    files: ['src/backup/**'],
    rules: banned(
      [layer(['ui', 'editor', 'sync']), providers, '^ws$'],
      'backup/ is the file format: pure, it may use doc/, share/ and protocol/, never storage or UI.',
    ),
  },
  {
    files: ['src/transfer/**'],
    rules: banned(
      [layer(['ui', 'sync']), providers, '^ws$'],
      'transfer/ converts files with doc/ and editor/; storage and the UI are given to it.',
    ),
  },
  {
    files: ['src/ui/**', 'src/main.ts'],
    rules: banned([providers], 'ui/ sees sync/ port and status model, never the providers.'),
  },
  {
    files: ['server/**'],
    rules: banned(
      [srcLayer(['doc', 'sync', 'ui', 'editor', 'share'])],
      'server/ imports only src/protocol/ from the app.',
    ),
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
)
