// The file types the import control offers, on their own so that the home page can show the
// control without loading the importers (they load on first use).
export const IMPORT_ACCEPT = '.md,.markdown,.html,.htm,.json,.meshpad'
