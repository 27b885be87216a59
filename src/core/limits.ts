/** Bounds that hold for every option of the SDK, whatever it configures. */

/**
 * The longest delay a Node.js timer can wait, in ms (2^31 - 1, about 24.8 days). A longer one is
 * not an error for `setTimeout`: it fires after 1 ms, which turns a lease renewal or a timeout into
 * a busy loop. Every duration option is checked against it at construction.
 */
export const MAX_TIMER_MS = 2_147_483_647;
