/**
 * fedmed demo: what `npm start` runs until the federated main job exists: a
 * tiny convolutional autoencoder fitted to random images, showing the loss
 * fall and the memory stay flat.
 */
import { autoReason, keep, manualSeed, memory, mseLoss, nn, optim, randn, setBackend, tidy } from '../../engine/index.js';
import type { BackendChoice } from '../../engine/index.js';
import type { Command } from '../command.js';

export const demoCommand: Command = {
  name: 'demo',
  summary: 'a tiny training loop on random data (engine smoke run)',
  usage: 'usage: fedmed demo [--steps N] [--backend auto|js|wasm|webgpu]',
  flags: {
    steps: { type: 'int', help: 'training steps', default: 60 },
    backend: { type: 'string', help: 'where to compute', default: 'auto', choices: ['auto', 'js', 'wasm', 'webgpu'] },
    seed: { type: 'int', help: 'random seed', default: 3 },
  },
  async run(flags) {
    const backend = await setBackend(flags.backend as BackendChoice);
    console.log(`backend: ${backend.name}${flags.backend === 'auto' ? ` (${autoReason()})` : ''}`);
    manualSeed(flags.seed as number);
    const model = new nn.Sequential(
      new nn.Conv2d(1, 8, 3, { stride: 2, padding: 1 }),
      new nn.InstanceNorm2d(8),
      nn.LeakyReLU(0.2),
      new nn.ConvTranspose2d(8, 1, 4, { stride: 2, padding: 1 }),
      nn.Tanh(),
    );
    const adam = new optim.Adam(model.parameters(), { lr: 1e-2, betas: [0.5, 0.999] });
    const images = keep(randn([4, 1, 16, 16]));
    const steps = flags.steps as number;
    for (let step = 1; step <= steps; step++) {
      const loss = tidy(() => {
        const l = mseLoss(model.forward(images), images);
        l.backward();
        return l;
      });
      adam.step();
      adam.zeroGrad();
      if (step === 1 || step % 10 === 0 || step === steps) {
        console.log(`step ${String(step).padStart(4)}/${steps}  loss ${(await loss.item()).toFixed(5)}  live tensors ${memory().tensors}`);
      }
      loss.dispose();
    }
  },
};
