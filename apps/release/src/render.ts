import type { PolyshipEvent, Reporter } from '@polyship/core'
import { createWritable, Listr, ListrLogger, ProcessOutput } from 'listr2'
import type { CliContext } from './context.ts'
import type { Step, StepRunner } from './release/run.ts'

interface RenderOptions {
  readonly json: boolean
  readonly debug: boolean
}

function plain(context: CliContext, options: RenderOptions): boolean {
  return options.json || context.env.CI === 'true' || context.env.CI === '1' || !context.stderr.isTTY
}

/**
 * Runs steps as a listr2 task list on stderr: the live tree on a terminal, one line per
 * step in CI or when output is not a terminal, nothing with --json (stdout stays clean).
 * Every line goes through `context.stderr`, which the CLI redacts (see `redactingContext`).
 */
export function renderSteps(context: CliContext, options: RenderOptions): StepRunner {
  // Both of listr2's streams go to our stderr: stdout carries only the result (table or JSON).
  const stream = context.stderr.isTTY
    ? (context.stderr as NodeJS.WriteStream)
    : (createWritable((chunk) => context.stderr.write(chunk)) as unknown as NodeJS.WriteStream)
  const logger = new ListrLogger({ useIcons: true, processOutput: new ProcessOutput(stream, stream) })
  return async (steps: readonly Step[]) => {
    const list = new Listr(
      steps.map((step) => ({ title: step.title, task: () => step.run() })),
      {
        concurrent: false,
        exitOnError: true,
        registerSignalListeners: false,
        renderer: options.json ? 'silent' : plain(context, options) ? 'simple' : 'default',
        rendererOptions: { logger } as never,
        // listr2 falls back when process.stdout is no terminal (`polyship release | tee`): the
        // fallback must write to our stderr too, never to process.stdout past the redactor
        fallbackRenderer: 'simple',
        fallbackRendererOptions: { logger } as never,
      },
    )
    await list.run()
  }
}

/** Events from the packages: skipped targets and warnings always, everything with --debug. */
export function reporterFor(context: CliContext, options: RenderOptions): Reporter {
  return {
    emit(event: PolyshipEvent) {
      if (options.json) return
      switch (event.type) {
        case 'skipped':
          context.stderr.write(`  skipped ${event.project} ${event.what}: ${event.reason}\n`)
          return
        case 'log':
          if (event.level === 'warn' || options.debug)
            context.stderr.write(`  ${event.level}: ${event.message}\n`)
          return
        case 'step':
        case 'artifact':
          if (options.debug)
            context.stderr.write(
              `  ${event.type === 'step' ? `${event.project} ${event.step} ${event.status}` : `artifact ${event.artifact.name}`}\n`,
            )
          return
      }
    },
  }
}
