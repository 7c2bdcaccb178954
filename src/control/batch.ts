// Complete requests wait for the next turn of the event loop, and all those asking the same thing
// are answered from one reading of the state: however many clients ask at once, the daemon reads
// its state (collectStatus and its JSON, milliseconds at a thousand instances) once per command
// per turn, and its timers (the adverts) run in between.
import { encodeReply, type Reply, type Request } from './protocol.js';

export interface Batcher {
  /** `answer` is called at the next turn with the encoded reply line. */
  submit(request: Request, answer: (reply: Buffer) => void): void;
}

export function createBatcher(handle: (request: Request) => Reply<unknown>, schedule: (run: () => void) => void = setImmediate): Batcher {
  const pending: { readonly request: Request; readonly answer: (reply: Buffer) => void }[] = [];
  const read = (request: Request): Reply<unknown> => {
    try {
      return handle(request);
    } catch (e) {
      return { ok: false, error: `internal error: ${e instanceof Error ? e.message : String(e)}` };
    }
  };
  const drain = (): void => {
    const replies = new Map<Request['cmd'], Buffer>();
    for (const p of pending.splice(0)) {
      let reply = replies.get(p.request.cmd);
      if (reply === undefined) {
        reply = Buffer.from(encodeReply(read(p.request)));
        replies.set(p.request.cmd, reply);
      }
      p.answer(reply);
    }
  };
  return {
    submit(request, answer) {
      if (pending.push({ request, answer }) === 1) schedule(drain);
    },
  };
}
