"""Flower's FedAvg, screened: a reply it cannot aggregate counts as a failed node instead of
ending the whole run.

Flower 1.28's FedAvg raises InconsistentMessageReplies, and the ServerApp exits, as soon as one
reply lacks the ArrayRecord, has other array names, lacks `num-examples` or has MetricRecord keys
that differ from the other replies'; arrays of a wrong shape or with NaNs would break or poison
the average. Here such replies are logged and left out of the round, and metric keys that not
every reply carries are left out of the aggregated metrics. The averaging itself is FedAvg's.
"""

from collections.abc import Iterable
from logging import WARNING

import numpy as np
from flwr.app import Message, MetricRecord
from flwr.common import log
from flwr.serverapp.strategy import FedAvg


class ScreenedFedAvg(FedAvg):
    def __init__(self, expected_arrays: dict[str, np.ndarray], **kwargs) -> None:
        super().__init__(**kwargs)
        self.expected_shapes = {name: tuple(array.shape) for name, array in expected_arrays.items()}

    def aggregate_train(self, server_round: int, replies: Iterable[Message]):
        return super().aggregate_train(server_round, self._screen(replies, is_train=True))

    def aggregate_evaluate(self, server_round: int, replies: Iterable[Message]):
        return super().aggregate_evaluate(server_round, self._screen(replies, is_train=False))

    def _screen(self, replies: Iterable[Message], is_train: bool) -> list[Message]:
        """Error replies pass (FedAvg counts them as failures); unusable ones are dropped."""
        kept = []
        for msg in replies:
            problem = None if msg.has_error() else self._problem(msg, is_train)
            if problem:
                log(WARNING, "Left out the %s reply of node %d: %s", msg.metadata.message_type, msg.metadata.src_node_id, problem)
            else:
                kept.append(msg)
        usable = [msg for msg in kept if not msg.has_error()]
        metric_records = [next(iter(msg.content.metric_records.values())) for msg in usable]
        shared = set.intersection(*(set(record) for record in metric_records)) if metric_records else set()
        for msg, record in zip(usable, metric_records):
            for key in set(record) - shared:
                log(WARNING, "Metric %r of node %d is not sent by every node; left out of the average", key, msg.metadata.src_node_id)
                del record[key]
        return kept

    def _problem(self, msg: Message, is_train: bool) -> str | None:
        content = msg.content
        if len(content.metric_records) != 1:
            return f"expected one MetricRecord, got {len(content.metric_records)}"
        metrics: MetricRecord = next(iter(content.metric_records.values()))
        weight = metrics.get(self.weighted_by_key)
        if not isinstance(weight, (int, float)) or not weight > 0:
            return f"MetricRecord needs a positive {self.weighted_by_key!r}, got {weight!r}"
        if not is_train:
            return None
        if list(content.array_records) != [self.arrayrecord_key]:
            return f"expected one ArrayRecord {self.arrayrecord_key!r}, got {list(content.array_records)}"
        arrays = content[self.arrayrecord_key]
        if set(arrays) != set(self.expected_shapes):
            missing, unknown = set(self.expected_shapes) - set(arrays), set(arrays) - set(self.expected_shapes)
            return f"array names differ from the global model's (missing {sorted(missing)[:3]}, unknown {sorted(unknown)[:3]})"
        for name, shape in self.expected_shapes.items():
            array = arrays[name]
            if tuple(array.shape) != shape or array.dtype != "float32":
                return f"array {name} is {array.dtype} {list(array.shape)}, expected float32 {list(shape)}"
            if not np.isfinite(array.numpy()).all():
                return f"array {name} holds NaN or infinite values"
        return None
