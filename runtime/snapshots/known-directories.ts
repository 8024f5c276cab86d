// The directories of one snapshot being unpacked that are known to be real directories with no
// symlink anywhere on their path: made by the unpack, or found so by a secure resolution whose
// result was the name itself. The host path of such a name is `root/name`, so an entry below it
// needs neither secure-path's lstat walk nor a mkdir -p (together most of an unpack's time on a
// layer of many small files: one lstat per path component per entry).
//
// Why the shortcut is as safe as the walk: the snapshot has one writer, this unpack (the premise
// secure-path already rests on), so a known directory stays what it was until the unpack itself
// removes or replaces something, and every removal calls forget() first, which drops the name and
// everything below it. A name that resolved through a symlink is never recorded: its host path
// is not its name, and the link could be replaced without anything at the name's path changing.
//
// Invariant: every ancestor of a known name is known (add() records them, forget() drops whole
// subtrees), so a name that is not known has nothing known below it.

/** The parent of a relative name ("" for a top-level name and for the root itself). */
export function parentName(name: string): string {
  const slash = name.lastIndexOf('/');
  return slash === -1 ? '' : name.slice(0, slash);
}

export class KnownDirectories {
  /**
   * Each known name with its known children; "" is the root, always known. A tree rather than a
   * flat set so that forgetting a subtree costs its size, not the whole record's: a hostile layer
   * that makes many directories and replaces each must not make the unpack quadratic.
   */
  private readonly children = new Map<string, Set<string>>([['', new Set()]]);

  has(name: string): boolean {
    return this.children.has(name);
  }

  /**
   * Records `name` and its ancestors. Only for a name whose every component was found (or made)
   * a real directory at exactly that path.
   */
  add(name: string): void {
    const missing: string[] = [];
    for (let at = name; !this.children.has(at); at = parentName(at)) missing.push(at);
    // top down, so each parent exists when its child is linked to it
    for (const at of missing.reverse()) {
      this.children.set(at, new Set());
      this.children.get(parentName(at))?.add(at);
    }
  }

  /** Forgets `name` and every directory below it; call before anything at `name` is removed or replaced. */
  forget(name: string): void {
    if (!this.children.has(name)) return;
    if (name !== '') this.children.get(parentName(name))?.delete(name);
    const pending = [name];
    for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
      const below = this.children.get(next);
      if (below) pending.push(...below);
      this.children.delete(next);
    }
    if (name === '') this.children.set('', new Set());
  }
}
