// Wire types and limits shared by the browser app (sync/) and the signaling server (server/).
export * from './close-codes'
export * from './limits'
export * from './signaling'
