// The one reader of /proc/<pid>/mountinfo (proc(5)): the runtime's mount adapter, its namespace
// pins and the kubelet's volumes all parse it here.
export interface MountinfoEntry {
  mountPoint: string;
  /** The path inside its filesystem that is mounted (for nsfs: "net:[4026532]"). */
  root: string;
  fsType: string;
  /** Member of a shared peer group (propagation "shared"). */
  shared: boolean;
}

/** Decodes the octal escapes (\040 for space, ...) the kernel uses in mountinfo. */
function unescapeMountPath(path: string): string {
  return path.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
}

/** Pure: the entries of a mountinfo text, in its order; malformed lines are skipped. */
export function parseMountinfo(text: string): MountinfoEntry[] {
  const entries: MountinfoEntry[] = [];
  for (const line of text.split('\n')) {
    // The optional fields end at " - ", after which come the filesystem type and source.
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const fields = left.split(' ');
    const root = fields[3];
    const mountPoint = fields[4];
    const fsType = right.split(' ')[0];
    if (!root || !mountPoint || !fsType) continue;
    entries.push({ mountPoint: unescapeMountPath(mountPoint), root: unescapeMountPath(root), fsType, shared: fields.slice(6).some((f) => f.startsWith('shared:')) });
  }
  return entries;
}
