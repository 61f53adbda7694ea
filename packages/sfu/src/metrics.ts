/**
 * Prometheus metrics. Gauges are read from the live rooms at scrape time; data
 * relay counters accumulate the deltas of every DataConsumer's stats.
 */
import client from 'prom-client';
import type { RoomManager } from './room/room-manager.ts';
import type { WorkerPool } from './worker-pool.ts';

export interface Metrics {
  registry: client.Registry;
  signalingRequests: client.Counter<'event' | 'outcome'>;
  authFailures: client.Counter<'reason'>;
}

export function createMetrics(rooms: RoomManager, pool: WorkerPool): Metrics {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: 'visage_sfu_' });

  const allPeers = () => [...rooms.rooms.values()].flatMap((r) => [...r.peers.values()]);

  new client.Gauge({
    name: 'visage_rooms',
    help: 'Open rooms',
    registers: [registry],
    collect() {
      this.set(rooms.rooms.size);
    },
  });
  new client.Gauge({
    name: 'visage_peers',
    help: 'Connected peers',
    registers: [registry],
    collect() {
      this.set(allPeers().length);
    },
  });
  new client.Gauge({
    name: 'visage_transports',
    help: 'Open WebRTC transports',
    registers: [registry],
    collect() {
      this.set(allPeers().reduce((n, p) => n + p.transports.size, 0));
    },
  });
  new client.Gauge({
    name: 'visage_workers',
    help: 'Running mediasoup workers',
    registers: [registry],
    collect() {
      this.set(pool.workers.filter((w) => !w.died && !w.closed).length);
    },
  });

  // Data relay counters: every scrape samples each DataConsumer's stats once and adds
  // the deltas since the previous scrape. prom-client collects metrics concurrently,
  // so the two counters share one in-flight sample.
  const lastSeen = new Map<string, { messages: number; bytes: number }>();
  const delta = new Map<string, { messages: number; bytes: number }>();
  let sampling: Promise<void> | undefined;
  const sample = () =>
    (sampling ??= (async () => {
      const consumers = allPeers().flatMap((p) => [...p.dataConsumers.values()]);
      const live = new Set<string>();
      await Promise.all(
        consumers.map(async (dc) => {
          live.add(dc.id);
          const stats = (await dc.getStats().catch(() => []))[0];
          if (!stats) return;
          const prev = lastSeen.get(dc.id) ?? { messages: 0, bytes: 0 };
          const d = delta.get(dc.label) ?? { messages: 0, bytes: 0 };
          d.messages += Math.max(0, stats.messagesSent - prev.messages);
          d.bytes += Math.max(0, stats.bytesSent - prev.bytes);
          delta.set(dc.label, d);
          lastSeen.set(dc.id, { messages: stats.messagesSent, bytes: stats.bytesSent });
        }),
      );
      for (const id of lastSeen.keys()) if (!live.has(id)) lastSeen.delete(id);
    })().finally(() => {
      // Let the other counter of this scrape read the same sample, then reset.
      setTimeout(() => (sampling = undefined), 0);
    }));
  const take = (label: string, field: 'messages' | 'bytes'): number => {
    const d = delta.get(label);
    if (!d) return 0;
    const v = d[field];
    d[field] = 0;
    return v;
  };
  new client.Counter({
    name: 'visage_data_messages_relayed_total',
    help: 'Data-channel messages sent by the SFU to receivers',
    labelNames: ['label'],
    registers: [registry],
    async collect() {
      await sample();
      for (const label of delta.keys()) this.inc({ label }, take(label, 'messages'));
    },
  });
  new client.Counter({
    name: 'visage_data_bytes_relayed_total',
    help: 'Data-channel bytes sent by the SFU to receivers',
    labelNames: ['label'],
    registers: [registry],
    async collect() {
      await sample();
      for (const label of delta.keys()) this.inc({ label }, take(label, 'bytes'));
    },
  });

  return {
    registry,
    signalingRequests: new client.Counter({
      name: 'visage_signaling_requests_total',
      help: 'Signaling requests by event and outcome',
      labelNames: ['event', 'outcome'],
      registers: [registry],
    }),
    authFailures: new client.Counter({
      name: 'visage_auth_failures_total',
      help: 'Refused socket connections by reason',
      labelNames: ['reason'],
      registers: [registry],
    }),
  };
}
