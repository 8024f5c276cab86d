// What docker's image commands print, in docker's words and shapes. Pure: the answers of
// berth.v1.Images in, text out (`now` in milliseconds).
import type { HistoryEntry__Output, PruneResponse__Output, PushProgress__Output, RemoveResponse__Output } from '../../api/berth/berth-messages.js';
import { columns, humanDuration } from '../containers/container-table.js';
import { humanSize } from '../containers/container-commands.js';

/** "busybox:latest" for "docker.io/library/busybox:latest", as docker prints names. */
export function familiar(name: string): string {
  return name.replace(/^docker\.io\/library\/(?=[^/]+$|[^/]+[:@])/, '').replace(/^docker\.io\//, '');
}

/** docker rmi: "Untagged: NAME" for each name, then "Deleted: ID". */
export function removalLines(response: Pick<RemoveResponse__Output, 'untagged' | 'deleted'>): string {
  return [...response.untagged.map((name) => `Untagged: ${familiar(name)}\n`), ...response.deleted.map((id) => `Deleted: ${id}\n`)].join('');
}

export function formatHistory(entries: readonly HistoryEntry__Output[], nowMs: number, options: { noTrunc: boolean; quiet: boolean }): string {
  const id = (entry: HistoryEntry__Output): string => (entry.id ? (options.noTrunc ? entry.id : entry.id.replace(/^sha256:/, '').slice(0, 12)) : '<missing>');
  if (options.quiet) return entries.map((entry) => `${id(entry)}\n`).join('');
  const rows = entries.map((entry) => {
    const created = entry.created && !Number.isNaN(Date.parse(entry.created)) ? `${humanDuration(nowMs - Date.parse(entry.created))} ago` : 'N/A';
    // docker shows the shell form's command without its "/bin/sh -c " and tabs as spaces.
    let createdBy = entry.createdBy.replace(/\t/g, ' ').replace(/\s+/g, ' ').trim();
    if (!options.noTrunc && createdBy.length > 45) createdBy = `${createdBy.slice(0, 44)}…`;
    return [id(entry), created, createdBy, humanSize(Number(entry.size || '0')), entry.comment];
  });
  return columns([['IMAGE', 'CREATED', 'CREATED BY', 'SIZE', 'COMMENT'], ...rows]);
}

/** docker image prune's report. */
export function pruneReport(response: Pick<PruneResponse__Output, 'untagged' | 'deleted' | 'reclaimedBytes'>): string {
  return `${prunedImagesSection(response)}Total reclaimed space: ${humanSize(Number(response.reclaimedBytes || '0'))}\n`;
}

/** The "Deleted Images:" block of docker's prune reports; nothing when nothing went. */
export function prunedImagesSection(response: Pick<PruneResponse__Output, 'untagged' | 'deleted'>): string {
  const lines = [...response.untagged.map((name) => `untagged: ${familiar(name)}\n`), ...response.deleted.map((id) => `deleted: ${id}\n`)];
  return lines.length > 0 ? `Deleted Images:\n${lines.join('')}\n` : '';
}

/** One line of docker push's plain output. */
export function pushLine(progress: Pick<PushProgress__Output, 'repository' | 'id' | 'status' | 'tag' | 'digest' | 'size'>): string {
  if (progress.repository) return `The push refers to repository [${progress.repository}]\n`;
  if (progress.digest) return `${progress.tag}: digest: ${progress.digest} size: ${progress.size}\n`;
  return `${progress.id}: ${progress.status}\n`;
}

/** docker load's lines: a tagged image by name, an untagged one by id. */
export function loadLines(images: readonly { id: string; repoTags: string[] }[]): string {
  return images.flatMap((image) => (image.repoTags.length > 0 ? image.repoTags.map((tag) => `Loaded image: ${familiar(tag)}\n`) : [`Loaded image ID: ${image.id}\n`])).join('');
}
