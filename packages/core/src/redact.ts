/** Environment variable names whose values are treated as secrets. */
const SECRET_NAME = /(TOKEN|SECRET|PASSWORD|PASSWD|PASSPHRASE|CREDENTIAL|API_?KEY|PRIVATE_?KEY|AUTH)/i
/**
 * `scheme://user:password@host` and token-only `scheme://TOKEN@host`; ssh's conventional
 * `git@` user is not a secret and stays.
 */
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)(?!git@)[^/\s@]+@/gi
/** `Authorization: Bearer xxx` / `Basic xxx` in logged headers. */
const AUTH_HEADER = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/g

export const REDACTED = '[redacted]'

/**
 * Credentials read from files rather than the environment (.npmrc tokens, docker
 * config auths), kept for the life of the process so every `redact` call hides them,
 * including the CLI's last-resort error printing. Only ever added to.
 */
const registered = new Set<string>()

/** Makes `redact` hide these values (and their base64 forms) from now on. */
export function registerSecrets(values: Iterable<string>): void {
  for (const value of values) if (value.length >= 4) registered.add(value)
}

export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name)
}

/** Values of secret-looking variables in `env` that are long enough to be worth hiding. */
export function secretValues(env: Readonly<Record<string, string | undefined>>): string[] {
  return Object.entries(env)
    .filter(([name, value]) => isSecretName(name) && value !== undefined && value.length >= 4)
    .map(([, value]) => value as string)
    .sort((a, b) => b.length - a.length)
}

/**
 * Removes credentials from text meant for humans: URL userinfo, auth header values,
 * every literal secret passed in `secrets` or registered with `registerSecrets` (and
 * their base64 forms).
 */
export function redact(text: string, secrets: readonly string[] = []): string {
  let out = text
  const all = [...new Set([...secrets, ...registered])].sort((a, b) => b.length - a.length)
  for (const secret of all) {
    if (secret.length < 4) continue
    out = out.split(secret).join(REDACTED)
    const b64 = Buffer.from(secret).toString('base64')
    if (b64.length >= 8) out = out.split(b64).join(REDACTED)
  }
  return out.replace(URL_CREDENTIALS, `$1${REDACTED}@`).replace(AUTH_HEADER, `$1 ${REDACTED}`)
}
