/** A small server-sent events reader for tests: fetch, parse `id:`/`event:`/`data:`, stop when told. */
export interface ServerSentEvent {
  id?: string;
  event: string;
  data: string;
}

export interface EventStreamAnswer {
  status: number;
  contentType: string | null;
  events: ServerSentEvent[];
  /** The server ended the stream (rather than the reader stopping it). */
  ended: boolean;
  body?: string; // a non-stream answer's body
}

/** Reads until the server ends the stream, `stopAfter` events came, or `timeoutMs` passed. */
export async function readEventStream(url: string, headers: Record<string, string>, options: { stopAfter?: number; timeoutMs?: number } = {}): Promise<EventStreamAnswer> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), options.timeoutMs ?? 30_000);
  try {
    const res = await fetch(url, { headers, signal: abort.signal });
    const contentType = res.headers.get('content-type');
    if (!contentType?.startsWith('text/event-stream') || !res.body) return { status: res.status, contentType, events: [], ended: true, body: await res.text() };
    const events: ServerSentEvent[] = [];
    const decoder = new TextDecoder();
    let buffer = '';
    const reader = res.body.getReader();
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch {
        return { status: res.status, contentType, events, ended: false };
      }
      if (chunk.done) return { status: res.status, contentType, events, ended: true };
      buffer += decoder.decode(chunk.value, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event: ServerSentEvent = { event: 'message', data: '' };
        let hasField = false;
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) continue;
          const at = line.indexOf(':');
          const field = at < 0 ? line : line.slice(0, at);
          const value = at < 0 ? '' : line.slice(at + 1).replace(/^ /, '');
          hasField = true;
          if (field === 'id') event.id = value;
          else if (field === 'event') event.event = value;
          else if (field === 'data') event.data = event.data ? `${event.data}\n${value}` : value;
        }
        if (!hasField) continue;
        events.push(event);
        if (options.stopAfter !== undefined && events.length >= options.stopAfter) {
          abort.abort();
          return { status: res.status, contentType, events, ended: false };
        }
      }
    }
  } finally {
    clearTimeout(timer);
  }
}
