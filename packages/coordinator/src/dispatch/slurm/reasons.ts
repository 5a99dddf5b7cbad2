/**
 * Slurm pending reasons that mean an array task will never start as
 * submitted: the job itself exceeds a partition, QOS or association limit, or
 * asks for something that does not exist. Transient reasons (Resources,
 * Priority, ReqNodeNotAvail, MaxJobs-style limits, holds) are shown, not
 * acted on.
 */
export const NEVER_STARTS: ReadonlyMap<string, string> = new Map([
  ['PartitionTimeLimit', 'the time limit (compute.slurm.time) exceeds the partition\'s MaxTime'],
  ['PartitionNodeLimit', 'the node count is outside the partition\'s limits'],
  ['BadConstraints', 'no node has the requested features, CPUs, memory or gres (compute.slurm.constraint, cpus_per_task, mem, gres)'],
  ['InvalidAccount', 'the account (compute.slurm.account) is not valid'],
  ['InvalidQOS', 'the QOS (compute.slurm.qos) is not valid'],
  ['DependencyNeverSatisfied', 'a dependency can never be satisfied'],
  ['QOSMaxWallDurationPerJobLimit', 'the time limit exceeds the QOS\'s per-job maximum'],
  ['AssocMaxWallDurationPerJobLimit', 'the time limit exceeds the association\'s per-job maximum'],
  ['QOSMaxCpuPerJobLimit', 'cpus_per_task exceeds the QOS\'s per-job maximum'],
  ['AssocMaxCpuPerJobLimit', 'cpus_per_task exceeds the association\'s per-job maximum'],
  ['QOSMaxMemoryPerJob', 'mem exceeds the QOS\'s per-job maximum'],
  ['QOSMaxGRESPerJob', 'gres exceeds the QOS\'s per-job maximum'],
]);
