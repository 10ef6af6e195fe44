export { main } from './cli.ts'
export type { CliContext } from './context.ts'
export { CliError, type CliErrorCode } from './errors.ts'
export { type PlannedArtifact, type ProjectPlan, planWorkspace } from './plan.ts'
