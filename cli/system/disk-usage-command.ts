// `berth system df`: docker system df's table (images, containers, local volumes) from the CRI's
// image and container lists and stats, and berth.v1.Volumes with each volume's directory measured
// on this machine. berth has no build cache yet, so that row is left out rather than shown as 0.
import { diskUsage } from '../../common/disk-usage.js';
import type { CriSession } from '../containers/cri-session.js';
import { humanSize } from '../containers/container-commands.js';
import { alignColumns, formatRows, type TemplateRow } from '../format-template.js';
import { withVolumes } from '../volumes/volumes-api.js';

export interface UsageLine {
  type: 'Images' | 'Containers' | 'Local Volumes';
  total: number;
  active: number;
  sizeBytes: number;
  reclaimableBytes: number;
}

interface Item {
  active: boolean;
  bytes: number;
}

export function usageLine(type: UsageLine['type'], items: readonly Item[]): UsageLine {
  return {
    type,
    total: items.length,
    active: items.filter((item) => item.active).length,
    sizeBytes: items.reduce((sum, item) => sum + item.bytes, 0),
    reclaimableBytes: items.filter((item) => !item.active).reduce((sum, item) => sum + item.bytes, 0),
  };
}

/** docker's row: Reclaimable as "1.2MB (40%)", the percentage of the type's size. Pure. */
export function usageRow(line: UsageLine): TemplateRow {
  const percent = line.sizeBytes > 0 ? ` (${Math.round((line.reclaimableBytes / line.sizeBytes) * 100)}%)` : '';
  return { Type: line.type, TotalCount: line.total, Active: line.active, Size: humanSize(line.sizeBytes), Reclaimable: `${humanSize(line.reclaimableBytes)}${percent}` };
}

export function formatUsage(lines: readonly UsageLine[], format: string | undefined): string {
  const rows = lines.map(usageRow);
  if (format !== undefined) return formatRows(format, rows, { TotalCount: 'TOTAL', Type: 'TYPE' });
  const table = rows.map((row) => [row['Type'], row['TotalCount'], row['Active'], row['Size'], row['Reclaimable']].join('\t'));
  return `${alignColumns(['TYPE\tTOTAL\tACTIVE\tSIZE\tRECLAIMABLE', ...table])}\n`;
}

export async function showDiskUsage(session: CriSession, format: string | undefined, out: NodeJS.WritableStream): Promise<void> {
  const [{ images }, { containers }, { stats }] = await Promise.all([session.client.listImages(), session.client.listContainers(), session.client.listContainerStats()]);
  const usedImages = new Set(containers.flatMap((c) => [c.imageRef, c.imageId, c.image?.image].filter((ref): ref is string => !!ref)));
  const writable = new Map(stats.map((s) => [s.attributes?.id ?? '', Number(s.writableLayer?.usedBytes?.value ?? 0)]));
  const volumes = (await withVolumes(session.endpoint, (client) => client.list())).volumes;
  const volumeItems = await Promise.all(volumes.map(async (v) => ({ active: v.usedBy.length > 0, bytes: (await diskUsage(v.mountpoint)).bytes })));
  const lines = [
    usageLine(
      'Images',
      images.map((image) => ({ active: usedImages.has(image.id) || image.repoTags.some((tag) => usedImages.has(tag)), bytes: Number(image.size || '0') })),
    ),
    usageLine(
      'Containers',
      containers.map((c) => ({ active: c.state === 'CONTAINER_RUNNING', bytes: writable.get(c.id) ?? 0 })),
    ),
    usageLine('Local Volumes', volumeItems),
  ];
  out.write(formatUsage(lines, format));
}
