import { WheelError } from '@polyship/wheel'

/** The WheelError `promise` rejects with; fails the test when it resolves or throws anything else. */
export async function caught(promise: Promise<unknown>): Promise<WheelError> {
  try {
    await promise
  } catch (error) {
    if (error instanceof WheelError) return error
    throw error
  }
  throw new Error('expected a WheelError')
}
