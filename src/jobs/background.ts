import type { Logger } from 'pino';

/** A piece of background work that kicks start: one run at a time, and a kick during a run makes one more run after it. */
export interface BackgroundRun {
  kick(): void;
  /** Waits for the run in progress, if any; later kicks do nothing. */
  stop(): Promise<void>;
}

/**
 * Runs `work` in the background when kicked, never twice at once: kicks during a run collapse into
 * one more run after it, so a burst of a thousand wake-ups costs two runs. A failed run is logged;
 * the every-minute scheduled task of the same work is the safety net.
 */
export function backgroundRun(name: string, work: () => Promise<void>, log: Logger): BackgroundRun {
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;
  const loop = async () => {
    do {
      again = false;
      try {
        await work();
      } catch (err) {
        log.error({ err, work: name }, 'background run failed; its scheduled task retries');
      }
    } while (again && !stopped);
    running = undefined;
  };
  return {
    kick() {
      if (stopped) return;
      if (running) again = true;
      else running = loop();
    },
    async stop() {
      stopped = true;
      await running;
    },
  };
}
