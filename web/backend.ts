/** The page's backend, from its select (auto: a hardware webgpu, else wasm, else js), for the demo and for translations alike. */
import { engine } from '../browser.js';

export interface ChosenBackend {
  name: string;
  /** "wasm, WebAssembly ... (auto: ...)" for the page. */
  line: string;
}

/** Starts the backend `choice` names; one that this browser lacks is an error saying what to choose. */
export async function startBackend(choice: engine.BackendChoice): Promise<ChosenBackend> {
  try {
    const backend = await engine.setBackend(choice);
    return { name: backend.name, line: `${backend.name}, ${backend.describe()}${choice === 'auto' ? ` (auto: ${engine.autoReason()})` : ''}` };
  } catch (e) {
    if (e instanceof engine.BackendUnavailableError) throw new Error(`the ${choice} backend is not available in this browser (${e.message}); choose auto, wasm or js`);
    throw e;
  }
}
