// `berth version`: docker version's Client and Server sections. The server is the runtime on the
// CRI socket (its Version answer); when none answers, the client part is still printed before the
// error, as docker does.
import { packageVersion } from '../../common/package-version.js';
import type { CriSession } from '../containers/cri-session.js';
import { formatRows, type TemplateRow } from '../format-template.js';
import { goArch } from './host-facts.js';
import { machine } from 'node:os';

export interface ServerVersion {
  runtimeName: string;
  runtimeVersion: string;
  runtimeApiVersion: string;
}

/** docker version's JSON shape (`--format '{{json .}}'`, `{{.Server.Version}}`). Pure. */
export function versionRow(server: ServerVersion | undefined, arch: string): TemplateRow {
  const client = { Version: packageVersion(), ApiVersion: 'v1', NodeVersion: process.version, Os: 'linux', Arch: arch, Context: 'default' };
  if (!server) return { Client: client, Server: null };
  return {
    Client: client,
    Server: {
      Platform: { Name: server.runtimeName },
      Version: server.runtimeVersion,
      ApiVersion: server.runtimeApiVersion,
      Os: 'linux',
      Arch: arch,
    },
  };
}

export function formatVersion(row: TemplateRow): string {
  const client = row['Client'] as Record<string, string>;
  const pad = (label: string, value: string, indent: string) => `${indent}${`${label}:`.padEnd(19 - indent.length + 1)}${value}\n`;
  let text = `Client:\n${pad('Version', client['Version'] ?? '', ' ')}${pad('API version', `${client['ApiVersion']} (CRI)`, ' ')}${pad('Node.js version', client['NodeVersion'] ?? '', ' ')}${pad('OS/Arch', `${client['Os']}/${client['Arch']}`, ' ')}${pad('Context', client['Context'] ?? '', ' ')}`;
  const server = row['Server'] as { Platform: { Name: string }; Version: string; ApiVersion: string; Os: string; Arch: string } | null;
  if (server) {
    text += `\nServer: ${server.Platform.Name}\n Engine:\n${pad('Version', server.Version, '  ')}${pad('API version', `${server.ApiVersion} (CRI)`, '  ')}${pad('OS/Arch', `${server.Os}/${server.Arch}`, '  ')}`;
  }
  return text;
}

export async function showVersion(session: CriSession, format: string | undefined, out: NodeJS.WritableStream): Promise<void> {
  const arch = goArch(machine());
  const write = (row: TemplateRow) => out.write(format === undefined ? formatVersion(row) : formatRows(format, [row], {}));
  let server: ServerVersion;
  try {
    server = await session.client.version();
  } catch (error) {
    if (format === undefined) write(versionRow(undefined, arch));
    throw error;
  }
  write(versionRow(server, arch));
}
