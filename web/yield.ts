/**
 * Gives the page a turn: a macrotask, not a microtask, so that the browser
 * repaints (progress bars, status lines) and runs timers and input between
 * the steps of work done on its main thread (the engine runs there).
 */
export const yieldToPage = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));
