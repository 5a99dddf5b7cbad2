/** JSON Schemas of the pipeline file and of a stage (input side): what error messages say is expected. */
import type { JsonSchemaNode } from '../config/describe.js';
import { PipelineFileSchema, StageSchema } from './schema.js';

let stage: JsonSchemaNode | undefined;
let pipeline: JsonSchemaNode | undefined;

export function stageJsonSchema(): JsonSchemaNode {
  stage ??= StageSchema.toJSONSchema({ io: 'input', unrepresentable: 'any' }) as unknown as JsonSchemaNode;
  return stage;
}

export function pipelineJsonSchema(): JsonSchemaNode {
  pipeline ??= PipelineFileSchema.toJSONSchema({ io: 'input', unrepresentable: 'any' }) as unknown as JsonSchemaNode;
  return pipeline;
}
