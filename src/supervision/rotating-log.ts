import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, rename, stat } from 'node:fs/promises';
import path from 'node:path';

export interface RotatingLogOptions {
  file: string;
  /** Rotate once the file passes this size; one previous file (`<file>.1`) is kept. @default 10 MiB */
  maxBytes?: number;
}

/** An append-only log file that rotates to `<file>.1` past a size (what `difyctl logs` reads back). */
export class RotatingLog {
  private stream?: WriteStream;
  private size = 0;
  private queue: Promise<void> = Promise.resolve();
  private readonly maxBytes: number;

  constructor(private readonly options: RotatingLogOptions) {
    this.maxBytes = options.maxBytes ?? 10 * 1024 * 1024;
  }

  private async open(): Promise<WriteStream> {
    if (this.stream) return this.stream;
    await mkdir(path.dirname(this.options.file), { recursive: true });
    this.size = (await stat(this.options.file).catch(() => undefined))?.size ?? 0;
    const stream = createWriteStream(this.options.file, { flags: 'a' });
    // A failed write (a full disk) destroys the stream: the next write opens a new one. Unheard,
    // the 'error' would end the supervisor — and a full disk must not end supervision.
    stream.on('error', () => {
      if (this.stream === stream) this.stream = undefined;
    });
    this.stream = stream;
    return stream;
  }

  /** Appends in order; rotation happens between writes, never inside one. A failed write fails alone. */
  write(chunk: Buffer | string): Promise<void> {
    this.queue = this.queue
      .catch(() => undefined)
      .then(async () => {
        let stream = await this.open();
        if (this.size > 0 && this.size + chunk.length > this.maxBytes) {
          await new Promise<void>((resolve) => stream.end(resolve));
          this.stream = undefined;
          await rename(this.options.file, `${this.options.file}.1`);
          stream = await this.open();
        }
        this.size += Buffer.byteLength(chunk);
        await new Promise<void>((resolve, reject) =>
          stream.write(chunk, (error) => (error ? reject(error) : resolve())),
        );
      });
    return this.queue;
  }

  async close(): Promise<void> {
    await this.queue.catch(() => undefined);
    const stream = this.stream;
    this.stream = undefined;
    if (stream) await new Promise<void>((resolve) => stream.end(resolve));
  }
}
