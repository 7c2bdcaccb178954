// A request line read off the control socket as bytes, never past the cap: whatever a client
// streams (megabytes of random bytes), at most MAX_REQUEST_BYTES + 1 of them are kept or decoded,
// and the caller drops the connection as soon as it is told "oversized".

export type ReadStep =
  | { readonly kind: 'more' }
  /** The request without its newline (text after the newline is not looked at). */
  | { readonly kind: 'line'; readonly line: string }
  | { readonly kind: 'oversized' };

export interface RequestReader {
  /** Feeds a chunk; after 'line' or 'oversized' the reader is done and takes no more. */
  push(chunk: Uint8Array): ReadStep;
  /** The client half-closed: what it sent is the request (a line without its newline). */
  end(): ReadStep;
}

const NEWLINE = 0x0a;

export function createRequestReader(maxBytes: number): RequestReader {
  const parts: Buffer[] = [];
  let size = 0;
  const line = (tail: Uint8Array): ReadStep => ({ kind: 'line', line: Buffer.concat([...parts, tail]).toString('utf8') });
  return {
    push(chunk) {
      // Only the bytes that can still belong to a request and its newline are looked at.
      const look = chunk.subarray(0, maxBytes + 1 - size);
      const newline = look.indexOf(NEWLINE);
      if (newline >= 0) return line(look.subarray(0, newline));
      if (size + look.length > maxBytes) return { kind: 'oversized' };
      // A copy: the chunk may be a slice of a larger buffer that must not stay alive.
      parts.push(Buffer.from(look));
      size += look.length;
      return { kind: 'more' };
    },
    end: () => line(new Uint8Array(0)),
  };
}
