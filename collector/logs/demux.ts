/**
 * Splits Docker's multiplexed log stream (non-TTY containers) back into stdout
 * and stderr. Each frame is an 8-byte header (stream type, 3 zero bytes, payload
 * size as big-endian uint32) and its payload; HTTP chunks cut frames, and
 * headers, anywhere. Pure: bytes in, (stream, bytes) out; payloads are passed
 * on as they come, never decoded here, so multi-byte characters stay whole.
 */

/** Frame stream types: 0 stdin (echoed on stdout), 1 stdout, 2 stderr, 3 errors of the daemon itself. */
export const FRAME = { stdin: 0, stdout: 1, stderr: 2, systemErr: 3 } as const;

export class Demuxer {
  private readonly header = Buffer.alloc(8);
  private headerLen = 0;
  private remaining = 0;
  private type = 0;

  push(chunk: Buffer, onData: (type: number, data: Buffer) => void): void {
    let pos = 0;
    while (pos < chunk.length) {
      if (this.remaining === 0) {
        const take = Math.min(8 - this.headerLen, chunk.length - pos);
        chunk.copy(this.header, this.headerLen, pos, pos + take);
        this.headerLen += take;
        pos += take;
        if (this.headerLen < 8) return;
        this.headerLen = 0;
        this.type = this.header[0];
        this.remaining = this.header.readUInt32BE(4);
        continue;
      }
      const take = Math.min(this.remaining, chunk.length - pos);
      onData(this.type, chunk.subarray(pos, pos + take));
      this.remaining -= take;
      pos += take;
    }
  }

  /** True when the stream ended in the middle of a frame. */
  get partial(): boolean {
    return this.headerLen > 0 || this.remaining > 0;
  }
}
