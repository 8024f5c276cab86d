// The long-running kubectl streams e2e tests drive (attach, port-forward), started and waited on
// the same way wherever a kubelet is checked: each resolves once the stream shows it works.
import { execa } from 'execa';
import { goTool } from './tools.js';

/** `kubectl attach <pod>` (`args`: kubeconfig, namespace); resolves with its output once `until` matches, or when it ends. */
export async function kubectlAttachUntil(args: string[], pod: string, until: RegExp): Promise<string> {
  const attach = execa(goTool('kubectl'), [...args, 'attach', pod], { reject: false, buffer: false, all: true });
  const seen = await new Promise<string>((resolve) => {
    let text = '';
    attach.all?.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (until.test(text)) resolve(text);
    });
    void attach.then(() => resolve(text));
  });
  attach.kill('SIGTERM');
  await attach;
  return seen;
}

export interface PortForward {
  localPort: number;
  stop(): Promise<void>;
}

/** `kubectl port-forward <target> 0:<port>` on 127.0.0.1; resolves with the local port kubectl picked. */
export async function kubectlPortForward(args: string[], target: string, port: number): Promise<PortForward> {
  const forward = execa(goTool('kubectl'), [...args, 'port-forward', target, `0:${port}`, '--address', '127.0.0.1'], { reject: false, buffer: false });
  const stop = async (): Promise<void> => {
    forward.kill('SIGTERM');
    await forward;
  };
  try {
    const localPort = await new Promise<number>((resolve, reject) => {
      let seen = '';
      forward.stdout?.on('data', (chunk: Buffer) => {
        seen += chunk.toString();
        const picked = new RegExp(`Forwarding from 127\\.0\\.0\\.1:(\\d+) -> ${port}`).exec(seen)?.[1];
        if (picked) resolve(Number(picked));
      });
      void forward.then((result) => reject(new Error(`kubectl port-forward ended: ${String(result.stderr ?? '')}`)));
    });
    return { localPort, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** `kubectl exec [-i] <pod> -- <command>`; `input` goes to its stdin (and adds -i). Never rejects on the exit code. */
export async function kubectlExec(args: string[], pod: string, command: string[], input?: string): Promise<ExecResult> {
  const stdin = input === undefined ? [] : ['-i'];
  const result = await execa(goTool('kubectl'), [...args, 'exec', ...stdin, pod, '--', ...command], {
    reject: false,
    timeout: 60_000,
    ...(input === undefined ? {} : { input }),
  });
  return { stdout: result.stdout, stderr: result.stderr, exitCode: result.exitCode ?? -1 };
}
