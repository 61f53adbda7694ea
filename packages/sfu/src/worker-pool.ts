/**
 * One mediasoup Worker per core (configurable), handed out round-robin. A worker
 * that dies is replaced; the pool tells its owner so that the rooms it hosted
 * can be closed and their peers told to rejoin.
 */
import type { types } from 'mediasoup';
import type { Logger } from 'pino';
import { loadMediasoup } from './mediasoup-loader.ts';
import { TypedEmitter } from '@visage/protocol';

export type WorkerPoolEvents = {
  /** A worker died; `worker` is already replaced in the pool. */
  workerdied: [worker: types.Worker, error: Error];
};

export interface WorkerPoolOptions {
  numWorkers: number;
  rtcMinPort: number;
  rtcMaxPort: number;
  logger: Logger;
}

export class WorkerPool extends TypedEmitter<WorkerPoolEvents> {
  readonly #options: WorkerPoolOptions;
  readonly #workers: types.Worker[] = [];
  #next = 0;
  #closed = false;

  private constructor(options: WorkerPoolOptions) {
    super();
    this.#options = options;
    this.onListenerError = (event, err) => options.logger.error({ err, event }, 'worker pool listener threw');
  }

  static async create(options: WorkerPoolOptions): Promise<WorkerPool> {
    if (!Number.isInteger(options.numWorkers) || options.numWorkers < 1) {
      throw new TypeError('numWorkers must be a positive integer');
    }
    const pool = new WorkerPool(options);
    for (let i = 0; i < options.numWorkers; i++) pool.#workers.push(await pool.#spawn(i));
    return pool;
  }

  get workers(): readonly types.Worker[] {
    return this.#workers;
  }

  /** The next worker, round-robin. */
  get(): types.Worker {
    if (this.#closed) throw new Error('WorkerPool closed');
    const worker = this.#workers[this.#next % this.#workers.length];
    this.#next = (this.#next + 1) % this.#workers.length;
    if (!worker) throw new Error('no worker available');
    return worker;
  }

  async #spawn(index: number): Promise<types.Worker> {
    const mediasoup = await loadMediasoup();
    const { numWorkers, rtcMinPort, rtcMaxPort, logger } = this.#options;
    // Split the port range between workers so they never compete for a port.
    const span = Math.floor((rtcMaxPort - rtcMinPort + 1) / numWorkers);
    const worker = await mediasoup.createWorker({
      logLevel: 'warn',
      rtcMinPort: rtcMinPort + index * span,
      rtcMaxPort: rtcMinPort + (index + 1) * span - 1,
      appData: { index },
    });
    logger.info({ workerPid: worker.pid, index }, 'mediasoup worker started');
    worker.on('died', (error) => {
      logger.error({ workerPid: worker.pid, index, err: error }, 'mediasoup worker died');
      if (this.#closed) return;
      void this.#spawn(index).then(
        (replacement) => {
          if (this.#closed) {
            replacement.close();
            return;
          }
          this.#workers[index] = replacement;
          this.safeEmit('workerdied', worker, error);
        },
        (err: unknown) => logger.fatal({ err }, 'could not replace a dead mediasoup worker'),
      );
    });
    return worker;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const worker of this.#workers) worker.close();
    this.#workers.length = 0;
  }
}
