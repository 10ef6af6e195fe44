export { FAKE_ISSUER, type FakeSigstore, startFakeSigstore } from './fake-sigstore.ts'
export { generateGpgKey, gpgTestEnv, type TestGpgKey } from './gpg-key.ts'
export { memoryAttestationStore } from './memory-store.ts'
export { type OsvRecord, writeOsvDatabase, X_TEXT_ADVISORY } from './osv-database.ts'
