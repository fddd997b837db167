// The server's command-line flags, tokenised by Node's own `util.parseArgs` (`--port 1`,
// `--port=1`, `--trust-proxy`, `--always-on=false`, `-h`). It runs in its non-strict mode with
// tokens because strict mode throws at the first bad flag, and an operator must see every bad
// value of one start at once (rule SIG-15); the tokens still say exactly what each argument was,
// so unknown flags, stray words and flags without their value are reported here, one message each.
import { parseArgs } from 'node:util'
import type { Option } from './config-options'

export interface FlagValue {
  readonly value: string
  /** The flag as the operator wrote it, for error messages. */
  readonly source: string
}

export type FlagsResult =
  | { readonly kind: 'help' }
  | {
      readonly kind: 'flags'
      readonly values: ReadonlyMap<Option, FlagValue>
      readonly errors: readonly string[]
    }

export function readFlags(argv: readonly string[], options: readonly Option[]): FlagsResult {
  const byName = new Map(options.map((option) => [option.flag.replace(/^--/, ''), option]))
  const { tokens } = parseArgs({
    args: [...argv],
    // Declared types decide what parseArgs may consume: a string flag takes the next argument as
    // its value, a boolean flag never does (`--trust-proxy x` leaves `x` a stray word).
    options: {
      help: { type: 'boolean', short: 'h' },
      ...Object.fromEntries(
        [...byName].map(([name, option]) => [
          name,
          { type: option.type.kind === 'bool' ? ('boolean' as const) : ('string' as const) },
        ]),
      ),
    },
    strict: false,
    allowPositionals: true,
    tokens: true,
  })
  const values = new Map<Option, FlagValue>()
  const errors: string[] = []
  const unknown = (index: number): void => {
    errors.push(`unknown argument ${JSON.stringify(argv[index])} (see --help)`)
  }
  for (const token of tokens) {
    if (token.kind !== 'option') {
      unknown(token.index)
      continue
    }
    if (token.name === 'help') return { kind: 'help' }
    const option = byName.get(token.name)
    // Only the long form exists for options; `-x` or `--bogus` is an unknown argument.
    if (option === undefined || token.rawName !== option.flag) unknown(token.index)
    else if (token.value !== undefined)
      values.set(option, { value: token.value, source: option.flag })
    else if (option.type.kind === 'bool') values.set(option, { value: 'true', source: option.flag })
    else errors.push(`${option.flag} needs a value`)
  }
  return { kind: 'flags', values, errors }
}
