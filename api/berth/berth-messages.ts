// Every message of berth.v1.Images (generated from api/berth/v1/images.proto; see
// scripts/gen-cri.mjs): `Foo` is the input shape, `Foo__Output` the decoded one.
export * from '../cri/generated/berth-messages.js';
