"""The coordinator's ServerApp: Flower's own FedAvg over the generators of fedmed hospitals.

It reads the initial global generators from a fedmed generators.safetensors, runs Flower's
FedAvg for num-server-rounds (each hospital trains local-epochs on its own data and replies with
its generators and a MetricRecord weighted by num-examples; replies FedAvg cannot use are left
out, see strategy.py), prints the aggregated metrics of every round, and writes the final global
generators as a safetensors file that `fedmed eval --checkpoint` and `fedmed translate` read.
"""

from pathlib import Path

import numpy as np
from flwr.app import Array, ArrayRecord, ConfigRecord, Context, MetricRecord, RecordDict
from flwr.serverapp import Grid, ServerApp
from flwr.serverapp.strategy.strategy_utils import aggregate_metricrecords

from fedmed_flower.safetensors import read_safetensors, write_safetensors
from fedmed_flower.strategy import ScreenedFedAvg

WEIGHT_KEY = "num-examples"

app = ServerApp()


class NothingAggregated(Exception):
    """Not a RuntimeError: Flower 1.28 reports those from a ServerApp as "Failed to start run"."""


def aggregate_train_metrics(records: list[RecordDict], weight_key: str) -> MetricRecord:
    """Flower's weighted mean, except privacy budgets: the federation has spent the largest."""
    mean = aggregate_metricrecords(records, weight_key)
    for key in [k for k in mean if "epsilon" in k]:
        mean[key] = max(float(next(iter(r.metric_records.values()))[key]) for r in records)
    return mean


def print_round_metrics(title: str, by_round: dict[int, MetricRecord]) -> None:
    print(f"\n{title}")
    for server_round, metrics in sorted(by_round.items()):
        shown = "  ".join(f"{key}={value:.4g}" if isinstance(value, float) else f"{key}={value}" for key, value in metrics.items())
        print(f"  round {server_round}: {shown}")


@app.main()
def main(grid: Grid, context: Context) -> None:
    config = context.run_config
    num_rounds = int(config["num-server-rounds"])
    initial_path = Path(str(config["initial-arrays"])).expanduser().resolve()
    output_path = Path(str(config["output"])).expanduser().resolve()

    tensors, metadata = read_safetensors(initial_path)
    print(f"Initial generators: {len(tensors)} arrays, {sum(t.size for t in tensors.values())} parameters, from {initial_path}")

    strategy = ScreenedFedAvg(
        expected_arrays=tensors,
        fraction_train=float(config["fraction-train"]),
        fraction_evaluate=float(config["fraction-evaluate"]),
        min_train_nodes=int(config["min-train-nodes"]),
        min_evaluate_nodes=int(config["min-train-nodes"]),
        min_available_nodes=int(config["min-available-nodes"]),
        weighted_by_key=WEIGHT_KEY,
        train_metrics_aggr_fn=aggregate_train_metrics,
    )
    result = strategy.start(
        grid=grid,
        initial_arrays=ArrayRecord({name: Array(array) for name, array in tensors.items()}),
        num_rounds=num_rounds,
        timeout=float(config["round-timeout"]),
        train_config=ConfigRecord({"local-epochs": int(config["local-epochs"])}),
    )

    print_round_metrics("Train metrics (weighted by num-examples; epsilon: the largest)", result.train_metrics_clientapp)
    print_round_metrics("Evaluate metrics (weighted by num-examples)", result.evaluate_metrics_clientapp)

    final = {name: result.arrays[name].numpy() for name in tensors if name in result.arrays}
    if len(final) != len(tensors):
        raise NothingAggregated(f"no round aggregated any generators; {output_path} not written")
    rounds_done = max(result.train_metrics_clientapp, default=0)
    write_safetensors(output_path, {n: np.asarray(a, dtype=np.float32) for n, a in final.items()}, {**metadata, "round": str(rounds_done)})
    print(f"\nFinal global generators (round {rounds_done}) saved to {output_path}")
