"""PyTorch CPU's CycleGAN training step, served one step at a time for bench/step.bench.ts.

Reads JSON lines on stdin and answers each with one JSON line (bench/step-process.ts's protocol):
{"setup": {"size", "width", "batch", "threads"}} builds the networks and answers {"ready": true,
"describe": ...}; {"step": true} runs one step and answers {"ms": ..., "cpuMs": ...} (wall time, and the process's CPU time). Stepping on request lets
bench:step alternate PyTorch's steps with fedmed's on a machine whose speed moves. A step is
what fedmed's GanModel.trainStep does: the generator loss (least squares GAN, cycle 10, standard
identity 5) and its backward, an Adam step on both generators, the discriminator loss on detached
fakes and its backward, an Adam step on both discriminators (lr 1e-4, betas 0.5, 0.999). The
networks and losses are the PyTorch mirror the model tests use (tests/fixtures/make_model_fixtures.py).
"""
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'fixtures'))
from make_model_fixtures import CycleDis, CycleGen, l1, mse  # noqa: E402


def training_step(size, width, batch):
    gen_ab, gen_ba, dis_a, dis_b = CycleGen(width), CycleGen(width), CycleDis(width), CycleDis(width)
    g_opt = torch.optim.Adam(list(gen_ab.parameters()) + list(gen_ba.parameters()), lr=1e-4, betas=(0.5, 0.999))
    d_opt = torch.optim.Adam(list(dis_a.parameters()) + list(dis_b.parameters()), lr=1e-4, betas=(0.5, 0.999))
    a, b = torch.randn(batch, 1, size, size), torch.randn(batch, 1, size, size)

    discriminators = list(dis_a.parameters()) + list(dis_b.parameters())

    def step():
        g_opt.zero_grad()
        for p in discriminators:  # frozen in the generator step, as fedmed's generatorBackward does
            p.requires_grad_(False)
        fake_b, fake_a = gen_ab(a), gen_ba(b)
        gan = mse(dis_b(fake_b), 1) + mse(dis_a(fake_a), 1)
        cycle = l1(gen_ba(fake_b), a) + l1(gen_ab(fake_a), b)
        identity = l1(gen_ab(b), b) + l1(gen_ba(a), a)
        (gan + 10 * cycle + 5 * identity).backward()
        g_opt.step()
        for p in discriminators:
            p.requires_grad_(True)
        d_opt.zero_grad()
        fa, fb = fake_a.detach(), fake_b.detach()
        d_real = mse(dis_a(a), 1) + mse(dis_b(b), 1)
        d_fake = mse(dis_a(fa), 0) + mse(dis_b(fb), 0)
        (0.5 * (d_real + d_fake)).backward()
        d_opt.step()

    return step


def blas_in_use():
    """Which libblas.so.3 Debian's torch loaded: its backward and transposed convolutions go through it."""
    with open('/proc/self/maps') as maps:
        paths = {line.split()[-1] for line in maps if 'libblas' in line or 'openblas' in line or 'blis' in line}
    real = sorted(os.path.realpath(p) for p in paths if p.startswith('/'))
    if not real:
        return 'BLAS unknown'
    if any('openblas' in p or 'blis' in p or 'mkl' in p for p in real):
        return f'BLAS {os.path.basename(os.path.dirname(real[0]))}'
    return 'reference BLAS (netlib): its backward convolutions are several times slower; install libopenblas0-pthread'


def answer(message, state):
    if 'setup' in message:
        s = message['setup']
        torch.set_num_threads(s['threads'])
        torch.manual_seed(0)
        state['step'] = training_step(s['size'], s['width'], s['batch'])
        return {'ready': True, 'describe': f'PyTorch {torch.__version__} CPU, {torch.get_num_threads()} threads, {blas_in_use()}'}
    if message.get('step'):
        start, cpu = time.perf_counter(), time.process_time()
        state['step']()
        return {'ms': (time.perf_counter() - start) * 1e3, 'cpuMs': (time.process_time() - cpu) * 1e3}
    raise ValueError(f'unknown request {message}')


def main():
    state = {}
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            reply = answer(json.loads(line), state)
        except Exception as e:  # answered, so that the driver reports it in one line
            reply = {'error': f'{type(e).__name__}: {e}'}
        print(json.dumps(reply), flush=True)


if __name__ == '__main__':
    main()
