import { errorText } from './api';

/** Something a screen does on request: whether it is under way, and what went wrong the last
 * time, in the window's language. One per button or form that needs its own message. */
export class Action {
  busy = $state(false);
  error = $state('');

  /** Runs `work`: busy meanwhile; its result, or its error shown and `undefined` returned. */
  async run<T>(work: () => Promise<T>): Promise<T | undefined> {
    this.busy = true;
    this.error = '';
    try {
      return await work();
    } catch (e) {
      this.error = errorText(e);
      return undefined;
    } finally {
      this.busy = false;
    }
  }
}
