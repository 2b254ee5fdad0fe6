import type Docker from 'dockerode';

/**
 * Splits Docker's multiplexed log stream (8-byte frame headers: stream, 0, 0, 0, size) into
 * text; a container with a TTY sends plain text instead.
 */
export function demuxLogs(buffer: Buffer): string {
  let out = '';
  let offset = 0;
  const framed =
    buffer.length >= 8 &&
    buffer[0] !== undefined &&
    buffer[0] <= 2 &&
    buffer[1] === 0 &&
    buffer[2] === 0 &&
    buffer[3] === 0;
  if (!framed) return buffer.toString('utf8');
  while (offset + 8 <= buffer.length) {
    const size = buffer.readUInt32BE(offset + 4);
    out += buffer.subarray(offset + 8, offset + 8 + size).toString('utf8');
    offset += 8 + size;
  }
  return out;
}

/** The container's last `lines` log lines (stdout and stderr). Never throws. */
export async function containerLogTail(container: Docker.Container, lines = 30): Promise<string[]> {
  try {
    const raw = (await container.logs({ stdout: true, stderr: true, tail: lines, follow: false })) as unknown as Buffer; // follow:false → a Buffer
    return demuxLogs(Buffer.from(raw))
      .split('\n')
      .map((l) => l.trimEnd())
      .filter(Boolean)
      .slice(-lines);
  } catch {
    return [];
  }
}
