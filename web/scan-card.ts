/**
 * The page's "Translate your own scan" card: pick or drop a .nii/.nii.gz
 * volume and a generators.safetensors (or take the demo's), translate, see
 * the input and the synthesized volume side by side in NiiVue, download the
 * result as NIfTI. `state` says where it is, for window.fedmedPage.
 */
import { data, eval as evaluation, fed, type engine, type models } from '../browser.js';
import { startBackend } from './backend.js';
import type { EngineJobs } from './engine-jobs.js';
import { readScan, synthesizedName, translateScan } from './scan.js';
import { VolumeView } from './viewer.js';
import { yieldToPage } from './yield.js';

export interface ScanState {
  state: 'idle' | 'running' | 'done' | 'failed';
  volume?: string;
  checkpoint?: string;
  /** Why the volume may not be what the direction translates from (its name names another contrast), until a direction is picked. */
  warning?: string;
  /** The last translation: its direction, dims and seconds. */
  translated?: { from: string; to: string; dims: number[]; seconds: number; file: string };
  /** Volumes shown in the two viewers. */
  shown: [number, number];
  error?: string;
}

export interface ScanCardElements {
  card: HTMLElement;
  scanFile: HTMLInputElement;
  checkpointFile: HTMLInputElement;
  useDemo: HTMLButtonElement;
  direction: HTMLSelectElement;
  directionWarning: HTMLElement;
  translate: HTMLButtonElement;
  progress: HTMLProgressElement;
  status: HTMLElement;
  error: HTMLElement;
  inputView: HTMLCanvasElement;
  outputView: HTMLCanvasElement;
  inputCaption: HTMLElement;
  outputCaption: HTMLElement;
  download: HTMLAnchorElement;
}

/** A picked file's bytes; one the browser cannot read is one line naming it. */
async function bytesOf(file: File): Promise<Uint8Array> {
  try {
    return new Uint8Array(await file.arrayBuffer());
  } catch (e) {
    throw new Error(`${file.name}: could not be read (${e instanceof Error ? e.message : String(e)})`);
  }
}

/** The card's job on the page's EngineJobs. */
const translation = 'the translation';

const isCheckpoint = (name: string) => /\.safetensors$/i.test(name);
const isVolume = (name: string) => /\.nii(\.gz)?$/i.test(name);

export class ScanCard {
  readonly state: ScanState = { state: 'idle', shown: [0, 0] };
  private volume: { volume: data.NiftiVolume; name: string } | null = null;
  private checkpoint: fed.Checkpoint | null = null;
  private demoCheckpoint: Uint8Array | null = null;
  /** Whether the user chose the direction since the volume or generators were taken (fedmed translate's --direction). */
  private directionPicked = false;
  private views: Promise<[VolumeView, VolumeView]> | null = null;
  private downloadUrl = '';

  constructor(
    private readonly ui: ScanCardElements,
    private readonly backendChoice: () => engine.BackendChoice,
    private readonly jobs: EngineJobs,
  ) {
    // Files picked during the translation would not be the ones it shows next to its result.
    jobs.listen((running) => {
      for (const control of [ui.scanFile, ui.checkpointFile]) control.disabled = running === translation;
      ui.useDemo.disabled = running === translation || !this.demoCheckpoint;
      this.enableTranslate();
    });
    ui.scanFile.addEventListener('change', () => void this.take([...(ui.scanFile.files ?? [])]));
    ui.checkpointFile.addEventListener('change', () => void this.take([...(ui.checkpointFile.files ?? [])]));
    ui.useDemo.addEventListener('click', () => void this.guard(() => this.setCheckpoint(this.demoCheckpoint!, 'the demo generators.safetensors')));
    ui.direction.addEventListener('change', () => {
      this.directionPicked = true;
      this.warnOfName();
    });
    ui.translate.addEventListener('click', () => void this.guard(() => this.translate()));
    ui.card.addEventListener('dragover', (event) => {
      event.preventDefault();
      ui.card.classList.add('dropping');
    });
    ui.card.addEventListener('dragleave', () => ui.card.classList.remove('dropping'));
    ui.card.addEventListener('drop', (event) => {
      event.preventDefault();
      ui.card.classList.remove('dropping');
      void this.take([...(event.dataTransfer?.files ?? [])]);
    });
  }

  /** The demo's final generators, offered as a checkpoint. */
  offerDemoCheckpoint(bytes: Uint8Array): void {
    this.demoCheckpoint = bytes;
    this.ui.useDemo.disabled = this.jobs.running === translation;
  }

  /** Translate is offered with a volume and generators, while no other engine job runs. */
  private enableTranslate(): void {
    this.ui.translate.disabled = !(this.volume && this.checkpoint) || this.jobs.running !== null;
  }

  /** Files picked or dropped: volumes and checkpoints, told apart by name. */
  private take(files: File[]): Promise<void> {
    return this.guard(async () => {
      if (this.jobs.running === translation) throw new Error('files dropped during the translation: drop them again when it ends');
      for (const file of files) {
        if (isCheckpoint(file.name)) await this.setCheckpoint(await bytesOf(file), file.name);
        else if (isVolume(file.name)) await this.setVolume(file);
        else throw new Error(`${file.name}: neither a NIfTI volume (.nii, .nii.gz) nor a generators .safetensors`);
      }
    });
  }

  private async setVolume(file: File): Promise<void> {
    const name = file.name;
    const { volume, bytes } = await readScan(file, name); // checks it before it is shown
    this.volume = { volume, name };
    this.directionPicked = false;
    const [input] = await this.viewers();
    await input.show(bytes);
    this.state.shown[0] = input.volumes;
    await this.dropResult();
    this.ui.inputCaption.textContent = `input: ${name} (${volume.shape.slice(0, 3).join('×')})`;
    this.state.volume = name; // last: a test waiting for it finds the card ready
    this.ready();
  }

  private async setCheckpoint(bytes: Uint8Array, name: string): Promise<void> {
    const checkpoint = fed.decodeCheckpoint(bytes, name);
    fed.buildModel(checkpoint).dispose(); // another model's tensors, or the wrong width, refused now rather than at Translate
    const m = checkpoint.metadata;
    this.checkpoint = checkpoint;
    this.directionPicked = false;
    const options = [
      ['a2b', `${m.source} → ${m.target}`],
      ['b2a', `${m.target} → ${m.source}`],
    ] as const;
    this.ui.direction.replaceChildren(...options.map(([value, label]) => new Option(label, value)));
    this.ui.direction.disabled = false;
    await this.dropResult();
    this.state.checkpoint = name;
    this.ready();
  }

  /** A new volume or new generators: the last result no longer belongs beside them. */
  private async dropResult(): Promise<void> {
    if (!this.state.translated) return;
    const [, output] = await this.viewers();
    output.clear();
    this.state.shown[1] = output.volumes;
    this.state.translated = undefined;
    this.ui.outputCaption.textContent = 'synthesized: not yet translated';
    URL.revokeObjectURL(this.downloadUrl);
    this.downloadUrl = '';
    this.ui.download.hidden = true;
  }

  /** A volume or generators taken: the card is idle again, whatever failed before. */
  private ready(): void {
    this.state.state = 'idle';
    this.enableTranslate();
    // A volume whose name says it is the checkpoint's target contrast goes the other way (fedmed translate's hint for it).
    if (this.volume && this.checkpoint && !this.directionPicked) this.ui.direction.value = data.contrastInName(this.volume.name) === this.checkpoint.metadata.target ? 'b2a' : 'a2b';
    this.warnOfName();
    const missing = [this.volume ? '' : 'a volume', this.checkpoint ? '' : 'generators'].filter(Boolean);
    this.ui.status.textContent = missing.length ? `now ${missing.join(' and ')}` : `ready: ${this.volume!.name} with ${this.state.checkpoint}`;
  }

  /**
   * fedmed translate's rule (data misnamedInput): a volume whose name names
   * another contrast than the direction's source is translated only once
   * the direction was picked; until then a warning says so, and Translate
   * reads "Translate anyway", pressing it being that choice.
   */
  private warnOfName(): void {
    const { volume, checkpoint } = this;
    let warning: string | undefined;
    if (volume && checkpoint && !this.directionPicked) {
      const m = checkpoint.metadata;
      const [from, to] = evaluation.directionContrasts(m, this.ui.direction.value as models.Direction);
      const named = data.misnamedInput(volume.name, from);
      if (named !== null) warning = `${volume.name}: its name says ${named}, but the translation is ${from} → ${to} (these generators translate ${m.source} ↔ ${m.target}); pick the direction, or translate anyway`;
    }
    this.state.warning = warning;
    this.ui.directionWarning.textContent = warning ?? '';
    this.ui.directionWarning.hidden = warning === undefined;
    this.ui.translate.textContent = warning === undefined ? 'Translate' : 'Translate anyway';
  }

  private translate(): Promise<void> {
    return this.jobs.run(translation, () => this.translateNow());
  }

  private async translateNow(): Promise<void> {
    const { volume, checkpoint } = this;
    if (!volume || !checkpoint) return;
    this.state.state = 'running';
    this.ui.status.textContent = 'starting the backend…';
    await startBackend(this.backendChoice());
    const direction = this.ui.direction.value as models.Direction;
    const result = await translateScan(volume.volume, checkpoint, direction, (done, total) => {
      this.ui.progress.max = total;
      this.ui.progress.value = done;
      this.ui.status.textContent = `translating: ${done}/${total} planes`;
      return yieldToPage(); // the engine runs on the page's thread: let it paint the progress between batches
    });
    const file = synthesizedName(volume.name, result.to);
    const [, output] = await this.viewers();
    await output.show(result.nifti);
    this.state.shown[1] = output.volumes;
    this.ui.outputCaption.textContent = `synthesized ${result.to} (${result.from} → ${result.to}, ${result.model})`;
    URL.revokeObjectURL(this.downloadUrl);
    this.downloadUrl = URL.createObjectURL(new Blob([result.nifti.slice()], { type: 'application/gzip' }));
    this.ui.download.href = this.downloadUrl;
    this.ui.download.download = file;
    this.ui.download.textContent = `Download ${file}`;
    this.ui.download.hidden = false;
    this.ui.status.textContent = `done: ${result.dims[2]} planes of ${result.dims[0]}×${result.dims[1]} in ${result.seconds.toFixed(1)} s, on this page`;
    this.state.translated = { from: result.from, to: result.to, dims: result.dims, seconds: result.seconds, file };
    this.state.state = 'done';
  }

  /** The two NiiVue views, made on first use. */
  private viewers(): Promise<[VolumeView, VolumeView]> {
    this.views ??= Promise.all([VolumeView.on(this.ui.inputView), VolumeView.on(this.ui.outputView)]);
    return this.views;
  }

  /** Runs a step; an error is shown on the card (one line) and in the state. */
  private async guard(step: () => Promise<void>): Promise<void> {
    this.ui.error.hidden = true;
    this.state.error = undefined;
    try {
      await step();
    } catch (e) {
      const error = e instanceof Error ? e : new Error(String(e));
      this.ui.error.textContent = error.message;
      this.ui.error.hidden = false;
      this.ui.status.textContent = 'stopped: see the error';
      this.state.state = 'failed';
      this.state.error = error.message;
    }
  }
}
