/**
 * The page's "Translate your own scan" card: pick or drop a .nii/.nii.gz
 * volume and a generators.safetensors (or take the demo's), translate, see
 * the input and the synthesized volume side by side in NiiVue, download the
 * result as NIfTI. `state` says where it is, for window.fedmedPage.
 */
import { data, fed, type engine, type models } from '../browser.js';
import { startBackend } from './backend.js';
import { readScan, synthesizedName, translateScan } from './scan.js';
import { VolumeView } from './viewer.js';

export interface ScanState {
  state: 'idle' | 'running' | 'done' | 'failed';
  volume?: string;
  checkpoint?: string;
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

const isCheckpoint = (name: string) => /\.safetensors$/i.test(name);
const isVolume = (name: string) => /\.nii(\.gz)?$/i.test(name);

export class ScanCard {
  readonly state: ScanState = { state: 'idle', shown: [0, 0] };
  private volume: { bytes: Uint8Array; name: string } | null = null;
  private checkpoint: fed.Checkpoint | null = null;
  private demoCheckpoint: Uint8Array | null = null;
  private views: Promise<[VolumeView, VolumeView]> | null = null;
  private downloadUrl = '';

  constructor(
    private readonly ui: ScanCardElements,
    private readonly backendChoice: () => engine.BackendChoice,
  ) {
    ui.scanFile.addEventListener('change', () => void this.take([...(ui.scanFile.files ?? [])]));
    ui.checkpointFile.addEventListener('change', () => void this.take([...(ui.checkpointFile.files ?? [])]));
    ui.useDemo.addEventListener('click', () => void this.guard(() => this.setCheckpoint(this.demoCheckpoint!, 'the demo generators.safetensors')));
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
    this.ui.useDemo.disabled = false;
  }

  /** Files picked or dropped: volumes and checkpoints, told apart by name. */
  private take(files: File[]): Promise<void> {
    return this.guard(async () => {
      for (const file of files) {
        const bytes = new Uint8Array(await file.arrayBuffer());
        if (isCheckpoint(file.name)) await this.setCheckpoint(bytes, file.name);
        else if (isVolume(file.name)) await this.setVolume(bytes, file.name);
        else throw new Error(`${file.name}: neither a NIfTI volume (.nii, .nii.gz) nor a generators .safetensors`);
      }
    });
  }

  private async setVolume(bytes: Uint8Array, name: string): Promise<void> {
    const volume = readScan(bytes, name); // checks it before it is shown
    this.volume = { bytes, name };
    this.state.volume = name;
    const [input] = await this.viewers();
    await input.show(bytes);
    this.state.shown[0] = input.volumes;
    await this.dropResult();
    this.ui.inputCaption.textContent = `input: ${name} (${volume.shape.slice(0, 3).join('×')})`;
    this.ready();
  }

  private async setCheckpoint(bytes: Uint8Array, name: string): Promise<void> {
    const checkpoint = fed.decodeCheckpoint(bytes, name);
    const m = checkpoint.metadata;
    this.checkpoint = checkpoint;
    this.state.checkpoint = name;
    const options = [
      ['a2b', `${m.source} → ${m.target}`],
      ['b2a', `${m.target} → ${m.source}`],
    ] as const;
    this.ui.direction.replaceChildren(...options.map(([value, label]) => new Option(label, value)));
    this.ui.direction.disabled = false;
    await this.dropResult();
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
    this.ui.translate.disabled = !(this.volume && this.checkpoint);
    // A volume whose name says it is the checkpoint's target contrast goes the other way (as fedmed translate asks).
    if (this.volume && this.checkpoint && data.contrastInName(this.volume.name) === this.checkpoint.metadata.target) this.ui.direction.value = 'b2a';
    const missing = [this.volume ? '' : 'a volume', this.checkpoint ? '' : 'generators'].filter(Boolean);
    this.ui.status.textContent = missing.length ? `now ${missing.join(' and ')}` : `ready: ${this.volume!.name} with ${this.state.checkpoint}`;
  }

  private async translate(): Promise<void> {
    const { volume, checkpoint } = this;
    if (!volume || !checkpoint) return;
    this.state.state = 'running';
    this.ui.translate.disabled = true;
    try {
      this.ui.status.textContent = 'starting the backend…';
      await startBackend(this.backendChoice());
      const direction = this.ui.direction.value as models.Direction;
      const result = await translateScan(readScan(volume.bytes, volume.name), checkpoint, direction, (done, total) => {
        this.ui.progress.max = total;
        this.ui.progress.value = done;
        this.ui.status.textContent = `translating: ${done}/${total} planes`;
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
    } finally {
      this.ui.translate.disabled = false;
    }
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
