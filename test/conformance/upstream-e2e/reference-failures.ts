// Specs that fail on the reference node (the upstream kubelet on containerd) in this fixture
// cluster too, each with why (a regular expression on the spec's full name). A berth node's failure
// of one of these is not berth's bug and counts as skipped; every other failure on berth is.
// Kept from real runs of `npm run conformance` (see CONFORMANCE.md).
export const referenceFailures: { spec: string; why: string }[] = [];

export function referenceFailure(name: string): string | undefined {
  return referenceFailures.find((f) => new RegExp(f.spec).test(name))?.why;
}
