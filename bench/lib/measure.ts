import { CpuMeter } from './proc-stats';
import type { CpuUse } from './results';

/** The processes whose CPU a point accounts for. */
export interface CpuSources {
  readonly junction: () => readonly number[];
  readonly baseline?: () => readonly number[];
  readonly rabbitPid?: number;
  readonly dbPid?: number;
  readonly backends: () => readonly number[];
}

/** Starts measuring CPU now; the returned function reads what each party used since. */
export function startCpu(sources: CpuSources): () => CpuUse {
  const junction = new CpuMeter(sources.junction);
  const baseline = new CpuMeter(sources.baseline ?? (() => []));
  const rabbit = new CpuMeter(() => (sources.rabbitPid ? [sources.rabbitPid] : []));
  const db = new CpuMeter(() => (sources.dbPid ? [sources.dbPid] : []));
  const backends = new CpuMeter(sources.backends);
  const before = { junction: junction.take(), baseline: baseline.take(), rabbit: rabbit.take(), db: db.take(), backends: backends.take() };
  const self = process.cpuUsage();
  return () => {
    const used = process.cpuUsage(self);
    return {
      junction: CpuMeter.used(before.junction, junction.take()),
      baseline: CpuMeter.used(before.baseline, baseline.take()),
      rabbitmq: sources.rabbitPid ? CpuMeter.used(before.rabbit, rabbit.take()) : null,
      mariadb: sources.dbPid ? CpuMeter.used(before.db, db.take()) : null,
      backends: CpuMeter.used(before.backends, backends.take()),
      loadGenerator: (used.user + used.system) / 1e6,
    };
  };
}

/** CPU seconds per 1,000 messages, or null when nothing was measured. */
export function per1000(seconds: number | null, messages: number): number | null {
  if (seconds === null || messages === 0) return null;
  return (seconds / messages) * 1000;
}
