/**
 * Kernel timers (timer_list) on the host's timer device: create once, then mod() to (re)arm
 * and del() to cancel. Callbacks run from the timer interrupt.
 */
import type { TimerDevice, TimerId } from '../../hw-sim/timer/timer.ts';
import type { Ns } from '../../hw-sim/engine/time.ts';

export class KernelTimer {
  private id: TimerId | null = null;
  private readonly fire = (): void => {
    this.id = null;
    this.charge();
    this.fn();
  };

  /** `charge`: the CPU cost of running a callback (the kernel's timerFired). */
  constructor(private readonly dev: TimerDevice, private readonly fn: () => void, readonly label: string, private readonly charge: () => void = () => {}) {}

  /** mod_timer: (re)arms to fire `delayNs` from now. */
  mod(delayNs: Ns): void {
    if (this.id !== null) this.dev.cancel(this.id);
    this.id = this.dev.arm(delayNs, this.fire, this.label);
  }

  /** del_timer: returns whether it was pending. */
  del(): boolean {
    if (this.id === null) return false;
    const was = this.dev.cancel(this.id);
    this.id = null;
    return was;
  }

  get pending(): boolean {
    return this.id !== null;
  }

  /** Absolute expiry, or undefined when not armed. */
  get expires(): Ns | undefined {
    return this.id === null ? undefined : this.dev.expiry(this.id);
  }
}
