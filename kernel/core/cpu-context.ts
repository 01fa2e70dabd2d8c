/** Which core the code now running executes on: set by the IRQ and softirq entry paths. */
export interface CpuContext {
  cpu: number;
}
