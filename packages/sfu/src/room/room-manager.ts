/**
 * Rooms by id. Creation is serialised per id so two joins can never create the
 * same room twice; a room lives on the worker that was next in the pool.
 */
import type { Logger } from 'pino';
import type { WorkerPool } from '../worker-pool.ts';
import { MEDIA_CODECS, Room, type RoomOptions } from './room.ts';

export class RoomManager {
  readonly rooms = new Map<string, Room>();
  readonly #pending = new Map<string, Promise<Room>>();
  readonly #pool: WorkerPool;
  readonly #options: RoomOptions;
  readonly #logger: Logger;

  constructor(pool: WorkerPool, options: RoomOptions) {
    this.#pool = pool;
    this.#options = options;
    this.#logger = options.logger;
    pool.on('workerdied', (worker) => {
      for (const room of [...this.rooms.values()]) {
        if (room.worker === worker) room.close('media server restarted');
      }
    });
  }

  async getOrCreate(id: string): Promise<Room> {
    const existing = this.rooms.get(id);
    if (existing && !existing.closed) return existing;
    let pending = this.#pending.get(id);
    if (!pending) {
      pending = (async () => {
        const worker = this.#pool.get();
        const router = await worker.createRouter({ mediaCodecs: MEDIA_CODECS });
        const room = new Room(id, worker, router, this.#options);
        room.onClose = () => {
          if (this.rooms.get(id) === room) this.rooms.delete(id);
        };
        this.rooms.set(id, room);
        this.#logger.info({ room: id, workerPid: worker.pid }, 'room created');
        return room;
      })().finally(() => this.#pending.delete(id));
      this.#pending.set(id, pending);
    }
    return pending;
  }

  closeAll(reason?: string): void {
    for (const room of [...this.rooms.values()]) room.close(reason);
  }
}
