/** The pipeline model: its types, the loader, and the pure helpers the runner and CLI use. */
export * from './types.js';
export { loadWorkflowFile, validateWorkflowFile, loadPipelineFile, validatePipelineFile } from './load-workflow.js';
export type { LoadedWorkflow, WorkflowValidation, WorkflowKind } from './load-workflow.js';
export type { LoadedPipeline, PipelineValidation } from './load-pipeline.js';
export { displayName, expandMatrix, pointKey } from './matrix.js';
export { fillStageOutputs } from './tokens.js';
export { findCycles, topologicalOrder } from './graph.js';
export { deepMerge } from './merge.js';
