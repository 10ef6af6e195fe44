import { createNodes } from './create-nodes.ts'

export { createNodes }
/** The same entry under the name Nx 21-23 look for. */
export const createNodesV2 = createNodes
export { buildInputs, SOURCES_INPUT, sourceInputs } from './inputs.ts'
export { outputDirs, type PolyshipPluginOptions, type PolyshipProject, projectTargets } from './targets.ts'
