/**
 * Seeks for a long-running process (the server): answered on a replay thread
 * that keeps a warm Seeker per recording, so the caller's event loop stays
 * free and a seek near the last one runs on instead of restoring.
 */
import { MessageChannel } from 'node:worker_threads';
import type { Piscina } from 'piscina';
import type { SeekOptions, SeekResult } from './seek.js';
import type { RecordingLocation } from './task.js';
import { replayThreads } from './worker-pool.js';

export class SeekService {
  private readonly pool: Piscina;

  /** One thread by default: every recording's Seeker then lives in it and stays warm. */
  constructor(threads = 1) {
    this.pool = replayThreads(threads);
  }

  async seek(recording: RecordingLocation, icount: number, o: SeekOptions = {}): Promise<SeekResult> {
    const { port1, port2 } = new MessageChannel();
    if (o.onProgress) port1.on('message', (at: number) => o.onProgress!(at));
    try {
      return (await this.pool.run({ seek: recording, icount, memory: o.memory, port: port2 }, { transferList: [port2] })) as SeekResult;
    } finally {
      port1.close();
    }
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }
}
