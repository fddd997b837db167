import { describeConfigurationProblem, type ConfigurationProblem } from '../sync/configuration'
import { h } from './dom'

// The page shown instead of the app when its configuration is unusable (a malformed ?signaling=
// or ?store= in the address, or a bad build variable; rule SYNC-3): the one visible place for
// problems (`data-testid=problem`) says what is wrong and what to do, and, when the address is at
// fault, links to the same address without the bad setting. Nothing else opens meanwhile.
export function renderConfigurationProblem(problem: ConfigurationProblem): HTMLElement {
  return h(
    'main',
    { class: 'broken-link', 'data-testid': 'configuration-problem' },
    h('h1', {}, 'Meshpad cannot start with this configuration'),
    h(
      'p',
      {
        class: 'problem',
        role: 'alert',
        'data-testid': 'problem',
        'data-setting': problem.setting,
      },
      describeConfigurationProblem(problem),
    ),
    problem.withoutIt !== null &&
      h(
        'a',
        { href: problem.withoutIt, 'data-testid': 'open-without-setting' },
        `Open Meshpad without ${problem.setting}`,
      ),
  )
}
