import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import { parseLineTime } from './timestamps.js';
import type { LogLine, LogSource, ReadOptions } from './types.js';

/** Docker prefixes each line with its RFC 3339 time when asked for timestamps; strip it into `time`. */
function parseDockerLine(service: string, raw: string, stream: 'stdout' | 'stderr'): LogLine {
  const space = raw.indexOf(' ');
  const stamp = space > 0 ? raw.slice(0, space) : '';
  const time = parseLineTime(stamp);
  return { service, time, text: time ? raw.slice(space + 1) : raw, stream };
}

/**
 * A whole Docker log answer as lines per stream: multiplexed frames (8-byte header: stream 1 = stdout,
 * 2 = stderr, 0, 0, 0, size) or, from a container with a TTY, plain text. A line split over frames
 * is joined; lines of both streams keep their order of arrival.
 */
export function splitDockerLog(buffer: Buffer, tty: boolean): Array<{ stream: 'stdout' | 'stderr'; text: string }> {
  const out: Array<{ stream: 'stdout' | 'stderr'; text: string }> = [];
  const pending = { stdout: '', stderr: '' };
  const take = (stream: 'stdout' | 'stderr', text: string) => {
    const parts = (pending[stream] + text).split('\n');
    pending[stream] = parts.pop() ?? '';
    for (const line of parts) out.push({ stream, text: line.replace(/\r$/, '') });
  };
  if (tty) take('stdout', buffer.toString('utf8'));
  else {
    for (let offset = 0; offset + 8 <= buffer.length; ) {
      const size = buffer.readUInt32BE(offset + 4);
      take(buffer[offset] === 2 ? 'stderr' : 'stdout', buffer.subarray(offset + 8, offset + 8 + size).toString('utf8'));
      offset += 8 + size;
    }
  }
  for (const stream of ['stdout', 'stderr'] as const)
    if (pending[stream]) out.push({ stream, text: pending[stream].replace(/\r$/, '') });
  return out;
}

/** Splits a multiplexed Docker log stream (or a TTY container's raw stream) into lines. */
function collect(
  docker: Docker,
  stream: NodeJS.ReadableStream,
  service: string,
  onLine: (line: LogLine) => void,
  tty: boolean,
): Promise<void> {
  const streams = { stdout: new PassThrough(), stderr: new PassThrough() };
  const buffers = { stdout: '', stderr: '' };
  for (const name of ['stdout', 'stderr'] as const) {
    streams[name].on('data', (chunk: Buffer) => {
      buffers[name] += chunk.toString('utf8');
      let nl = buffers[name].indexOf('\n');
      while (nl >= 0) {
        onLine(parseDockerLine(service, buffers[name].slice(0, nl).replace(/\r$/, ''), name));
        buffers[name] = buffers[name].slice(nl + 1);
        nl = buffers[name].indexOf('\n');
      }
    });
  }
  if (tty) stream.pipe(streams.stdout);
  else docker.modem.demuxStream(stream, streams.stdout, streams.stderr);
  return new Promise((resolve, reject) => {
    stream.on('end', () => {
      for (const name of ['stdout', 'stderr'] as const)
        if (buffers[name]) onLine(parseDockerLine(service, buffers[name], name));
      resolve();
    });
    stream.on('close', () => resolve());
    stream.on('error', reject);
  });
}

/** A container's logs through the Engine API, both streams demultiplexed. */
export function dockerLogSource(options: { docker: Docker; containerId: string; service: string }): LogSource {
  const { docker, containerId, service } = options;
  const container = docker.getContainer(containerId);
  const isTty = async () => Boolean((await container.inspect()).Config?.Tty);
  return {
    service,
    async read({ tail, since }: ReadOptions) {
      const tty = await isTty();
      // Not following: the answer as one Buffer. (`follow=1&until=` never ends on Engine 20.10 while
      // the container runs: issue 13, bug 5.)
      const raw = await container.logs({
        stdout: true,
        stderr: true,
        timestamps: true,
        follow: false,
        ...(tail === undefined ? {} : { tail }),
        since: since ? Math.floor(since.getTime() / 1000) : 0,
      });
      return splitDockerLog(Buffer.from(raw), tty).map((l) => parseDockerLine(service, l.text, l.stream));
    },
    async follow(onLine, signal) {
      const tty = await isTty();
      const stream = await container.logs({ stdout: true, stderr: true, timestamps: true, follow: true, tail: 0 });
      // The log stream is an http.IncomingMessage underneath: destroying it ends the follow.
      signal.addEventListener('abort', () => (stream as NodeJS.ReadableStream & { destroy(): void }).destroy(), {
        once: true,
      });
      await collect(docker, stream, service, onLine, tty).catch(() => undefined);
    },
  };
}
