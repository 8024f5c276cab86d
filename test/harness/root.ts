/** The integration and e2e tiers drive namespaces, mounts and cgroups: they need root. */
export function requireRoot(tier: string): void {
  if (process.getuid?.() !== 0) {
    throw new Error(`the ${tier} tier needs root (namespaces, mounts, cgroups); run "npm test" as root`);
  }
}
