import type { DocKeys, ReadKeys } from '../../share/keys'

// Who may write to an always-on peer: only a holder of the document's signing key (an edit
// link). A view link yields ReadKeys, which can find, verify and decrypt entries, never seal one;
// the replicator decides once, from the keys it is given, whether it may put anything at all.

export function canWrite(keys: ReadKeys | DocKeys): keys is DocKeys {
  return 'signingKey' in keys && keys.signingKey instanceof Uint8Array
}
