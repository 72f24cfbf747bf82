/**
 * Cuts a byte stream into lines. Works on bytes and decodes only whole lines, so
 * a character split across chunks is joined before decoding. A line longer than
 * the limit is cut at a character boundary and the rest of it skipped, which
 * also bounds the memory a line without end can take. Pure.
 */

/** The longest prefix of buf within max bytes that does not end inside a UTF-8 character. */
export function utf8Prefix(buf: Buffer, max: number): Buffer {
  if (buf.length <= max) return buf;
  let end = max;
  // Step back over continuation bytes (10xxxxxx) to the start of the cut character.
  while (end > 0 && (buf[end] & 0xc0) === 0x80) end--;
  return buf.subarray(0, end);
}

export class LineSplitter {
  private parts: Buffer[] = [];
  private size = 0;
  /** the current line was cut: skip bytes up to its newline */
  private skipping = false;

  constructor(private readonly maxBytes: number) {}

  push(chunk: Buffer, onLine: (line: Buffer) => void): void {
    let pos = 0;
    while (pos < chunk.length) {
      const nl = chunk.indexOf(0x0a, pos);
      const end = nl < 0 ? chunk.length : nl;
      if (!this.skipping) {
        this.parts.push(chunk.subarray(pos, end));
        this.size += end - pos;
        if (this.size > this.maxBytes) {
          onLine(this.take());
          this.skipping = nl < 0;
          pos = nl < 0 ? chunk.length : nl + 1;
          continue;
        }
      }
      if (nl < 0) return;
      if (this.skipping) this.skipping = false;
      else onLine(this.take());
      pos = nl + 1;
    }
  }

  /** The stream ended: the last line, if it had no newline. */
  end(onLine: (line: Buffer) => void): void {
    if (this.size > 0 && !this.skipping) onLine(this.take());
    this.parts = [];
    this.size = 0;
    this.skipping = false;
  }

  private take(): Buffer {
    const all = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts, this.size);
    this.parts = [];
    this.size = 0;
    // Copy: the chunk it points into is otherwise kept alive.
    return Buffer.from(utf8Prefix(all, this.maxBytes));
  }
}
