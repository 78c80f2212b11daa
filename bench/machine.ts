/** One line describing the machine, printed before any figure. */
import os from 'node:os';

export function machineLine(): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  return `${cpu}, ${os.availableParallelism()} cores, ${os.platform()} ${os.release()}, Node ${process.version}`;
}

/** The 1-minute load average as a hint of how shared the machine was (Linux and macOS). */
export function loadLine(): string {
  const [one] = os.loadavg();
  return `load average ${one!.toFixed(2)} on ${os.availableParallelism()} cores`;
}
