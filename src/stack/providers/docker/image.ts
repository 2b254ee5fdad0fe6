import type Docker from 'dockerode';
import type { DifyctlError } from '../../../errors/index.js';
import type { Reporter } from '../../types.js';
import { dockerPullFailed } from '../../errors.js';

interface PullProgress {
  id?: string;
  status?: string;
  error?: string;
  progressDetail?: { current?: number; total?: number };
}

function pullFailed(image: string, cause: unknown): DifyctlError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return dockerPullFailed(`image "${image}" is not present and could not be pulled: ${reason}`, {
    hint: `Check the image name in the compose file, your network and registry login (\`docker login\`), or load the image locally (\`docker load -i …\` / \`docker pull ${image}\` elsewhere).`,
    details: { image },
    cause,
  });
}

/** Pulls the image, reporting each layer's progress; DOCKER.PULL_FAILED naming the image on failure. */
export async function pullImage(args: { docker: Docker; image: string; report: Reporter }): Promise<void> {
  const { docker, image, report } = args;
  let stream: NodeJS.ReadableStream;
  try {
    stream = await docker.pull(image);
  } catch (error) {
    throw pullFailed(image, error);
  }
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(
      stream,
      (error: Error | null, output: PullProgress[]) => {
        const failed = error ?? output?.find((o) => o.error)?.error;
        if (failed) reject(pullFailed(image, failed));
        else resolve();
      },
      (event: PullProgress) => {
        if (event.error) return;
        report({
          type: 'pull-progress',
          image,
          layer: event.id,
          status: event.status ?? '',
          current: event.progressDetail?.current,
          total: event.progressDetail?.total,
        });
      },
    );
  });
}

/** The image is present locally, or pulled now. */
export async function ensureImage(args: {
  docker: Docker;
  image: string;
  report: Reporter;
}): Promise<'present' | 'pulled'> {
  try {
    await args.docker.getImage(args.image).inspect();
    return 'present';
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode !== 404) throw error; // dockerode errors carry the HTTP status
  }
  await pullImage(args);
  return 'pulled';
}
