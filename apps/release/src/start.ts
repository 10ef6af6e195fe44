const { main } = await import('./cli.ts')
// A closed pipe (`polyship plan | head`) ends the output, not the program with a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error
    process.exit(process.exitCode ?? 0)
  })
}
// Anything that escapes main (a rejection nobody awaited) is printed redacted, not by Node as
// is; core's redactor is loaded then, not on every start.
const crash = (error: unknown) => {
  const text = String((error as Error)?.stack ?? error)
  void import('@polyship/core')
    .then(
      ({ redact }) => redact(text),
      () => '(the error could not be shown redacted)',
    )
    .then((shown) => {
      process.stderr.write(`${shown}\nthis is a bug in polyship; please report it\n`)
      process.exit(70)
    })
}
process.on('uncaughtException', crash)
process.on('unhandledRejection', crash)
process.exitCode = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
})
