/**
 * The proof that training works: a small CycleGAN, HLHGAN and Hyper-GAN (width
 * 8, 32x32), trained for a few hundred steps on phantom slices translate PD to
 * T2 clearly better than the untranslated input does, on held-out subjects.
 * (Hyper-GAN's steps spread over the six pairs of T1, T2 and PD.)
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { getBackend, setBackend, useBackend } from '../../engine/index.js';
import { installNodePlatform } from '../../platform/node.js';
import { trainConfigFromArgs } from '../../cli/train/config.js';
import { runTraining } from '../../cli/train/run.js';
import { scratchDir } from '../cli/helpers.js';

for (const model of ['cyclegan', 'hlhgan', 'hypergan']) {
  test(`${model} width 8, 32x32, 3 epochs (216 steps): PD->T2 beats the input by more than 3 dB PSNR`, async () => {
    installNodePlatform();
    const previous = getBackend();
    await setBackend('wasm');
    const dir = scratchDir('learn');
    try {
      const config = await trainConfigFromArgs(['--model', model, '--size', '32', '--width', '8', '--subjects', '24', '--phantom-size', '64', '--epochs', '3', '--lr', '2e-3', '--backend', 'wasm']);
      const result = await runTraining(config, dir, { log: () => {}, progress: null });
      const [trained] = result.final;
      const [input] = result.history.baseline;
      console.log(`  ${model} after ${result.history.records.length} epochs: PD->T2 PSNR ${trained!.psnr.toFixed(2)} dB, untranslated input ${input!.psnr.toFixed(2)} dB`);
      assert.ok(trained!.psnr > input!.psnr + 3, `PSNR ${trained!.psnr} vs the input's ${input!.psnr}`);
      assert.ok(trained!.mae < input!.mae, `MAE ${trained!.mae} vs the input's ${input!.mae}`);
    } finally {
      useBackend(previous); // the same instance, so other suites' tensors stay usable
    }
  });
}

test.run();
