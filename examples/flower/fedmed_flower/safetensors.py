"""The safetensors files fedmed writes, read and written with numpy alone.

Layout: an 8-byte little-endian header length, a JSON header mapping each tensor name to
{dtype: "F32", shape, data_offsets: [begin, end]} (byte offsets into the data) plus a
"__metadata__" map of strings, then the raw little-endian data. fedmed uses float32 only.
"""

import json
import struct
from pathlib import Path

import numpy as np

METADATA_KEY = "__metadata__"


def read_safetensors(path: str | Path) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """The float32 tensors of a safetensors file, in data order, and its metadata."""
    raw = Path(path).read_bytes()

    def fail(why: str) -> None:
        raise ValueError(f"{path}: {why}")

    if len(raw) < 8:
        fail("too short to be a safetensors file")
    (header_len,) = struct.unpack("<Q", raw[:8])
    if 8 + header_len > len(raw):
        fail(f"header of {header_len} bytes runs past the end of the file ({len(raw)} bytes)")
    try:
        header = json.loads(raw[8 : 8 + header_len])
    except ValueError:
        fail("header is not valid JSON")
    metadata = header.pop(METADATA_KEY, {})
    data = memoryview(raw)[8 + header_len :]
    tensors = {}
    for name, info in sorted(header.items(), key=lambda item: item[1]["data_offsets"][0]):
        if info.get("dtype") != "F32":
            fail(f"{name} has dtype {info.get('dtype')}; only F32 is supported")
        begin, end = info["data_offsets"]
        shape = tuple(info["shape"])
        if end - begin != 4 * int(np.prod(shape)) or end > len(data):
            fail(f"{name}: shape {list(shape)} does not fit its data_offsets [{begin}, {end}]")
        tensors[name] = np.frombuffer(data[begin:end], dtype="<f4").reshape(shape).copy()
    return tensors, metadata


def write_safetensors(path: str | Path, tensors: dict[str, np.ndarray], metadata: dict[str, str]) -> None:
    """Writes float32 `tensors` in the given order; the file appears whole or not at all."""
    header: dict[str, object] = {METADATA_KEY: metadata} if metadata else {}
    offset = 0
    blobs = []
    for name, array in tensors.items():
        blob = np.ascontiguousarray(array, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(array.shape), "data_offsets": [offset, offset + len(blob)]}
        offset += len(blob)
        blobs.append(blob)
    encoded = json.dumps(header, separators=(",", ":")).encode("utf-8")
    encoded += b" " * (-(8 + len(encoded)) % 8)  # the data starts 8-byte aligned
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.write_bytes(struct.pack("<Q", len(encoded)) + encoded + b"".join(blobs))
    partial.replace(target)
