/** Server-Sent Events from a response: each `event:`/`data:` block as it arrives (comments and ids skipped). */
import type { IncomingMessage } from 'node:http';

export interface SseEvent {
  event: string;
  data: string;
}

export async function* sseEvents(res: IncomingMessage): AsyncGenerator<SseEvent> {
  res.setEncoding('utf8');
  let buf = '';
  for await (const chunk of res as AsyncIterable<string>) {
    buf += chunk;
    for (let i = buf.indexOf('\n\n'); i >= 0; i = buf.indexOf('\n\n')) {
      const block = buf.slice(0, i);
      buf = buf.slice(i + 2);
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
      if (data.length > 0) yield { event, data: data.join('\n') };
    }
  }
}
