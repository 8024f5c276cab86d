// Every CRI message type and enum of the pinned proto (generated; see scripts/gen-cri.mjs).
// `Foo` is the permissive input shape (what a handler returns), `Foo__Output` the decoded shape
// (what a handler receives, defaults filled in).
export * from './generated/messages.js';
