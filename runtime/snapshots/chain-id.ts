// OCI chain IDs (image-spec config.md, "Layer ChainID"): the name of a stack of layers, so that
// two images sharing their bottom layers share those snapshots.
//   ChainID(L0) = DiffID(L0)
//   ChainID(Ln) = sha256(ChainID(Ln-1) + " " + DiffID(Ln))
import { InvalidArgumentError } from '../../common/errors.js';
import { parseDigest, sha256Of, type Digest } from '../images/digest.js';

/** The chain ID of every prefix of `diffIds`, bottom layer first. */
export function chainIds(diffIds: readonly string[]): Digest[] {
  const out: Digest[] = [];
  for (const [i, text] of diffIds.entries()) {
    const diffId = parseDigest(text, `diff_id of layer ${i}`);
    const below = out[i - 1];
    out.push(below === undefined ? diffId : sha256Of(`${below} ${diffId}`));
  }
  return out;
}

/** The chain ID of the whole stack `diffIds`, bottom layer first. */
export function chainId(diffIds: readonly string[]): Digest {
  const top = chainIds(diffIds).at(-1);
  if (top === undefined) throw new InvalidArgumentError('an image needs at least one layer to have a chain ID');
  return top;
}
