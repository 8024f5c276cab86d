// CDI lets a spec name a device node by path alone; its type and numbers are those of the node
// on the host at apply time. This is the one I/O step between resolving and applying edits.
import { FailedPreconditionError, NotFoundError } from '../../../common/errors.js';
import type { DeviceType } from '../../oci/spec/runtime-spec.js';
import { readDeviceNode, type DeviceNodeInfo } from '../device-node-info.js';
import type { CdiDeviceNode } from './cdi-types.js';
import type { ResolvedCdiEdits } from './cdi-registry.js';

/** A device node whose type and numbers are known. */
export interface CompleteDeviceNode extends CdiDeviceNode {
  type: DeviceType;
  major: number;
  minor: number;
}

export interface CompleteCdiEdits extends Omit<ResolvedCdiEdits, 'edits'> {
  edits: Omit<ResolvedCdiEdits['edits'], 'deviceNodes'> & { deviceNodes?: CompleteDeviceNode[] };
}

export type ReadDeviceNode = (hostPath: string) => Promise<DeviceNodeInfo | undefined>;

async function complete(node: CdiDeviceNode, source: string, read: ReadDeviceNode): Promise<CompleteDeviceNode> {
  const hostPath = node.hostPath ?? node.path;
  const declared = node.type as DeviceType | undefined;
  if (declared === 'p' || (declared !== undefined && node.major !== undefined && node.minor !== undefined)) {
    return { ...node, type: declared, major: node.major ?? 0, minor: node.minor ?? 0 };
  }
  const found = await read(hostPath);
  if (found === undefined) throw new NotFoundError(`${source}: device node ${hostPath} does not exist on this host`);
  if (declared !== undefined && declared !== found.type && !(declared === 'u' && found.type === 'c')) {
    throw new FailedPreconditionError(`${source}: ${hostPath} is type "${found.type}" but the CDI spec says "${declared}"`);
  }
  const filled: CompleteDeviceNode = { ...node, type: declared ?? found.type, major: node.major ?? found.major, minor: node.minor ?? found.minor };
  if (filled.fileMode === undefined) filled.fileMode = found.fileMode;
  return filled;
}

export async function completeDeviceNodes(resolved: readonly ResolvedCdiEdits[], read: ReadDeviceNode = readDeviceNode): Promise<CompleteCdiEdits[]> {
  return Promise.all(
    resolved.map(async ({ source, edits }) => {
      const { deviceNodes, ...rest } = edits;
      if (deviceNodes === undefined) return { source, edits: rest };
      return { source, edits: { ...rest, deviceNodes: await Promise.all(deviceNodes.map((n) => complete(n, source, read))) } };
    }),
  );
}
