#!/usr/bin/env python3
"""The PyTorch CUDA peer of the webgpu-weight-init device run (scripts/device/, issue 13).

Times what a PyTorch user would run instead of the library, on the same GPU, in the same run:
  torch-uniform-f32      t.uniform_()                      t = torch.empty(n, device='cuda')
  torch-normal-f32       t.normal_()
  torch-truncnormal-f32  nn.init.trunc_normal_(t, 0, 1, -2, 2)   (the bench's truncated normal: +-2 std)
  torch-normal-bf16      t.normal_(), t a bfloat16 tensor
  torch-gpt2             GPT-2 small (124,439,808 parameters, 148 tensors as in HF GPT2Model) allocated and
                         initialized with HF's recipe: weights normal(0, 0.02), c_proj weights
                         normal(0, 0.02 / sqrt(2 * 12)), biases 0, LayerNorm weights 1
  torch-llama2-7b-bf16   Llama-2-7B (6,738,415,616 parameters) in bfloat16, one tensor per weight, HF's
                         recipe: Linear/Embedding weights normal(0, 0.02), RMSNorm weights 1 (full run only)
Each is timed with CUDA events around the work (median, min, max of --repeat samples after one warm-up).
The tensors of the size cases are allocated once; the model cases allocate inside the timing, as the
library's initModel creates its buffers inside its timing.

  python3 pytorch_peer.py --json OUT.json [--quick] [--device cuda|cpu]

Without torch, or without CUDA, the report is {"skipped": reason}. --device cpu runs the same code on the CPU
(wall clock) to check the script where there is no GPU; the device run never uses it.
stdout: the report as one JSON document.
"""
import argparse
import json
import math
import sys
import time

SCHEMA = 'webgpu-weight-init/pytorch-peer@1'
GPT2_PARAMETERS = 124_439_808
LLAMA2_7B_PARAMETERS = 6_738_415_616


def size_label(n):
    for unit, suffix in ((1 << 30, 'G'), (1 << 20, 'M'), (1 << 10, 'K')):
        if n % unit == 0:
            return f'{n // unit}{suffix}'
    return str(n)


def parse_size(text):
    units = {'': 1, 'k': 1 << 10, 'm': 1 << 20, 'g': 1 << 30}
    text = text.strip().lower()
    digits = text.rstrip('kmg')
    return int(digits) * units[text[len(digits):]]


def gpt2_shapes():
    """(name, shape, init) of HF GPT2Model's 148 tensors; init: ('normal', std) | ('zeros',) | ('ones',)."""
    vocab, positions, e, layers = 50257, 1024, 768, 12
    std, residual = 0.02, 0.02 / math.sqrt(2 * layers)
    out = [('wte.weight', (vocab, e), ('normal', std)), ('wpe.weight', (positions, e), ('normal', std))]
    for i in range(layers):
        h = f'h.{i}'
        out += [
            (f'{h}.ln_1.weight', (e,), ('ones',)), (f'{h}.ln_1.bias', (e,), ('zeros',)),
            (f'{h}.attn.c_attn.weight', (e, 3 * e), ('normal', std)), (f'{h}.attn.c_attn.bias', (3 * e,), ('zeros',)),
            (f'{h}.attn.c_proj.weight', (e, e), ('normal', residual)), (f'{h}.attn.c_proj.bias', (e,), ('zeros',)),
            (f'{h}.ln_2.weight', (e,), ('ones',)), (f'{h}.ln_2.bias', (e,), ('zeros',)),
            (f'{h}.mlp.c_fc.weight', (e, 4 * e), ('normal', std)), (f'{h}.mlp.c_fc.bias', (4 * e,), ('zeros',)),
            (f'{h}.mlp.c_proj.weight', (4 * e, e), ('normal', residual)), (f'{h}.mlp.c_proj.bias', (e,), ('zeros',)),
        ]
    out += [('ln_f.weight', (e,), ('ones',)), ('ln_f.bias', (e,), ('zeros',))]
    return out


def llama2_7b_shapes():
    """(name, shape, init) of HF LlamaForCausalLM with LlamaConfig's defaults (Llama-2-7B)."""
    vocab, hidden, inter, layers = 32000, 4096, 11008, 32
    std = 0.02
    out = [('model.embed_tokens.weight', (vocab, hidden), ('normal', std))]
    for i in range(layers):
        p = f'model.layers.{i}'
        out += [(f'{p}.self_attn.{x}_proj.weight', (hidden, hidden), ('normal', std)) for x in 'qkvo']
        out += [
            (f'{p}.mlp.gate_proj.weight', (inter, hidden), ('normal', std)),
            (f'{p}.mlp.up_proj.weight', (inter, hidden), ('normal', std)),
            (f'{p}.mlp.down_proj.weight', (hidden, inter), ('normal', std)),
            (f'{p}.input_layernorm.weight', (hidden,), ('ones',)),
            (f'{p}.post_attention_layernorm.weight', (hidden,), ('ones',)),
        ]
    out += [('model.norm.weight', (hidden,), ('ones',)), ('lm_head.weight', (vocab, hidden), ('normal', std))]
    return out


def numel(shapes):
    return sum(math.prod(s) for _, s, _ in shapes)


class Timer:
    """CUDA events on a GPU; the wall clock (after the work) on the CPU."""

    def __init__(self, torch, device):
        self.torch, self.cuda = torch, device.type == 'cuda'

    def __call__(self, body):
        torch = self.torch
        if self.cuda:
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            torch.cuda.synchronize()
            start.record()
            result = body()
            end.record()
            end.synchronize()
            return start.elapsed_time(end), result
        t0 = time.perf_counter()
        result = body()
        return (time.perf_counter() - t0) * 1000, result


def stat(values):
    s = sorted(values)
    mid = len(s) // 2
    median = s[mid] if len(s) % 2 else (s[mid - 1] + s[mid]) / 2
    return {'median': median, 'min': s[0], 'max': s[-1]}


def sample(timer, body, repeat, after=None):
    times = []
    for i in range(repeat + 1):
        ms, result = timer(body)
        if after:
            after(result)
        if i > 0:
            times.append(ms)
    return stat(times)


def init_model(torch, shapes, dtype, device):
    tensors = []
    for _, shape, init in shapes:
        t = torch.empty(shape, dtype=dtype, device=device)
        if init[0] == 'normal':
            t.normal_(0.0, init[1])
        elif init[0] == 'ones':
            t.fill_(1.0)
        else:
            t.zero_()
        tensors.append(t)
    return tensors


def run(args, torch):
    device = torch.device(args.device)
    timer = Timer(torch, device)
    torch.manual_seed(args.seed)
    results = []

    def row(case, size, elements, element_bytes, dtype, ms, **extra):
        seconds = ms['median'] / 1000
        results.append({'case': case, 'size': size, 'elements': elements, 'bytes': elements * element_bytes, 'dtype': dtype, 'timing': 'cuda-event' if device.type == 'cuda' else 'wall', 'ms': ms,
                        'elementsPerSecond': elements / seconds, 'gigabytesPerSecond': elements * element_bytes / seconds / 1e9, **extra})
        print(f'pytorch: {case} @ {size}: {ms["median"]:.3f} ms', file=sys.stderr)

    for n in args.sizes:
        size = size_label(n)
        t = torch.empty(n, device=device)
        row('torch-uniform-f32', size, n, 4, 'f32', sample(timer, lambda: t.uniform_(0.0, 1.0), args.repeat))
        row('torch-normal-f32', size, n, 4, 'f32', sample(timer, lambda: t.normal_(0.0, 1.0), args.repeat))
        row('torch-truncnormal-f32', size, n, 4, 'f32', sample(timer, lambda: torch.nn.init.trunc_normal_(t, 0.0, 1.0, -2.0, 2.0), args.repeat))
        del t
        h = torch.empty(n, dtype=torch.bfloat16, device=device)
        row('torch-normal-bf16', size, n, 2, 'bf16', sample(timer, lambda: h.normal_(0.0, 1.0), args.repeat))
        del h
        if device.type == 'cuda':
            torch.cuda.empty_cache()

    if args.model:
        gpt2 = gpt2_shapes()
        assert numel(gpt2) == GPT2_PARAMETERS, numel(gpt2)
        ms = sample(timer, lambda: init_model(torch, gpt2, torch.float32, device), args.model_repeat, after=lambda ts: ts.clear())
        row('torch-gpt2', 'model', GPT2_PARAMETERS, 4, 'f32', ms, tensors=len(gpt2))
    if args.llama:
        llama = llama2_7b_shapes()
        assert numel(llama) == LLAMA2_7B_PARAMETERS, numel(llama)
        ms = sample(timer, lambda: init_model(torch, llama, torch.bfloat16, device), args.model_repeat, after=lambda ts: ts.clear())
        row('torch-llama2-7b-bf16', 'model', LLAMA2_7B_PARAMETERS, 2, 'bf16', ms, tensors=len(llama))
    return results


def main(argv):
    p = argparse.ArgumentParser(description='PyTorch CUDA peer of the webgpu-weight-init device run')
    p.add_argument('--json', help='also write the report here')
    p.add_argument('--quick', action='store_true', help='256K elements, no models, 3 samples')
    p.add_argument('--device', default='cuda', choices=['cuda', 'cpu'], help='cpu: check the script without a GPU (never used by the device run)')
    p.add_argument('--sizes', default='1M,16M,64M,1G', help="element counts (K/M/G = 2^10/2^20/2^30); default the bench's sizes, max capped at 4 GiB")
    p.add_argument('--repeat', type=int, default=5)
    p.add_argument('--model-repeat', type=int, default=3)
    p.add_argument('--seed', type=int, default=42)
    args = p.parse_args(argv)
    args.sizes = [parse_size(s) for s in args.sizes.split(',')]
    args.model = args.llama = not args.quick
    if args.quick:
        args.sizes, args.repeat, args.model_repeat = [1 << 18], 3, 1
    report = {'schema': SCHEMA, 'python': sys.version.split()[0]}
    try:
        import torch
    except ImportError as e:
        report['skipped'] = f'no torch: {e}'
    else:
        report['torch'] = torch.__version__
        if args.device == 'cuda' and not torch.cuda.is_available():
            report['skipped'] = 'no CUDA'
        else:
            if args.device == 'cuda':
                props = torch.cuda.get_device_properties(0)
                report['cuda'] = {'device': props.name, 'memoryBytes': props.total_memory, 'capability': f'{props.major}.{props.minor}', 'version': torch.version.cuda}
                # Llama-2-7B in bf16 needs 13.5 GB; leave it out where it does not fit.
                if args.llama and props.total_memory < 20 * 2**30:
                    args.llama = False
                    report['llamaSkipped'] = f'{props.total_memory / 2**30:.1f} GiB of GPU memory, below the 20 GiB this case wants'
            else:
                args.llama = False
                report['device'] = 'cpu (a check of the script, not a peer measurement)'
            report['config'] = {'sizes': [size_label(n) for n in args.sizes], 'repeat': args.repeat, 'modelRepeat': args.model_repeat, 'seed': args.seed, 'quick': args.quick}
            t0 = time.perf_counter()
            report['results'] = run(args, torch)
            report['durationMs'] = (time.perf_counter() - t0) * 1000
    text = json.dumps(report, indent=2) + '\n'
    if args.json:
        with open(args.json, 'w') as f:
            f.write(text)
    sys.stdout.write(text)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
